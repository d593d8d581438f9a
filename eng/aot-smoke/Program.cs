// A Native AOT program on Strata: a tiered cache on a real Redis with a source-generated JSON type and a MemoryPack
// type, configured through dependency injection and the host's configuration as a service would be. Run twice by
// eng/aot-smoke.sh: "write" stores the values and checks them through L1; "read", a new process with an empty L1,
// reads them back from Redis, so both serializers' reading paths run in native code. Exits 0 on success.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;
using System.Threading.Tasks;
using MemoryPack;
using MemoryPack.Formatters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.AotSmoke;
using Strata.Extensions;
using Strata.Tiering;

if (args.Length != 3 || args[0] is not ("write" or "read"))
{
    Console.Error.WriteLine("usage: Strata.AotSmoke write|read <redis host:port> <key prefix>");
    return 2;
}

(string phase, string redis, string prefix) = (args[0], args[1], args[2]);

// A collection whose MemoryPack formatter is registered before the cache first sees its type goes through MemoryPack
// under Native AOT too (SmokeJson does not know it, so nothing else could write it).
MemoryPackFormatterProvider.Register(new InterfaceReadOnlyListFormatter<Reading>());
Check(!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported, "this is native code (no dynamic code)");

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Production" });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.Sources.Clear();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["REDIS_URL"] = $"redis://{redis}",
    ["Strata:KeyPrefix"] = prefix,
    ["Strata:LocalMaxEntries"] = "1000",
    ["Strata:OperationTimeout"] = "00:00:05",
});
builder.Services.AddStrata(options => options.Cache.JsonSerializerOptions = SmokeJson.Default.Options);
using IHost host = builder.Build();
await host.StartAsync();
TieredCache cache = host.Services.GetRequiredService<TieredCache>();
for (int i = 0; i < 100 && cache.State != TieredCacheState.Connected; i++)
{
    await Task.Delay(50); // the connection is made in the background
}

Check(cache.State == TieredCacheState.Connected, $"the cache bound its settings from configuration and connected to Redis ({cache.State})");

Order order = new(7, "alice", 12.50m, ["tea", "cake"]);
var reading = new Reading { Sensor = 3, Value = 21.5, At = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc) };
List<long> series = [1, 2, 3, 5, 8, 13];

// One value of each kind the default serializer sends to MemoryPack under Native AOT (unmanaged values, the built-in
// reference types, arrays of primitives), plus a list, which goes to System.Text.Json there (SmokeJson knows it).
var kinds = new (string Key, Func<TieredCache, string, ValueTask> Write, Func<TieredCache, string, ValueTask<bool>> ReadsBack)[]
{
    Kind(42), Kind(Guid.Parse("5d4c2e9a-0f1b-4c8e-9a77-3b2f1e0d6c5a")), Kind(new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc)),
    Kind(12.5m), Kind(DayOfWeek.Friday), Kind((int?)7), Kind((3, 4.5)), Kind("text"), Kind(new Version(1, 2, 3)),
    Kind(new Uri("https://example.org/a?b=c")),
    Kind(new[] { 1, 2, 3 }, (a, b) => a.SequenceEqual(b)), Kind(new[] { 0.5, 1.5 }, (a, b) => a.SequenceEqual(b)),
    Kind(series, (a, b) => a.SequenceEqual(b)),
    Kind<IReadOnlyList<Reading>>([reading, reading], (a, b) => a.Count == b.Count && a.All(r => r.Sensor == 3 && r.At == reading.At)),
};

if (phase == "write")
{
    await cache.SetAsync("order", order);
    await cache.SetAsync("reading", reading);
    foreach (var kind in kinds)
    {
        await kind.Write(cache, kind.Key);
    }
    Order made = await cache.GetOrSetAsync("made", (_, _, _) => new ValueTask<Order>(order with { Id = 8 }));
    Check(made.Id == 8, "get-or-set ran its factory");
    Check(Same((await cache.GetAsync<Order>("order")).Value, order), "a source-generated JSON value reads back");
    Check((await cache.GetAsync<Reading>("reading")).Value?.Value == 21.5, "a MemoryPack value reads back");

    // Without reflection, a type neither serializer knows is refused with a message that says what to do.
    NotSupportedException? refused = null;
    try
    {
        await cache.SetAsync("unlisted", new Unlisted { X = 1 });
    }
    catch (NotSupportedException ex)
    {
        refused = ex;
    }

    Check(refused?.Message.Contains("JsonSerializerOptions", StringComparison.Ordinal) == true, "a type without JSON metadata is refused, naming the setting");
}
else
{
    Check(Same((await cache.GetAsync<Order>("order")).Value, order), "a new process reads the JSON value from Redis");
    Check(Same((await cache.GetAsync<Order>("made")).Value, order with { Id = 8 }), "and the get-or-set value");
    Reading? back = (await cache.GetAsync<Reading>("reading")).Value;
    Check(back is { Sensor: 3, Value: 21.5 } && back.At == reading.At, "a new process reads the MemoryPack value from Redis");
    foreach (var kind in kinds)
    {
        Check(await kind.ReadsBack(cache, kind.Key), $"and a {kind.Key}");
    }

    Check(cache.GetStatistics().DecodeErrors == 0, "no value failed to decode");
    await cache.RemoveByPatternAsync("*");
}

await host.StopAsync();
Console.WriteLine($"aot smoke {phase}: ok");
return 0;

static (string, Func<TieredCache, string, ValueTask>, Func<TieredCache, string, ValueTask<bool>>) Kind<T>(T value, Func<T, T, bool>? equal = null) =>
    (typeof(T).Name + (Nullable.GetUnderlyingType(typeof(T)) is { } inner ? "<" + inner.Name + ">" : ""),
     async (cache, key) => await cache.SetAsync(key, value),
     async (cache, key) => (await cache.GetAsync<T>(key)) is { HasValue: true, Value: { } read } && (equal ?? EqualityComparer<T>.Default.Equals)(read, value));

static bool Same(Order? read, Order expected) =>
    read is not null && read.Id == expected.Id && read.Customer == expected.Customer && read.Total == expected.Total && read.Items.SequenceEqual(expected.Items);

static void Check(bool condition, string what)
{
    if (!condition)
    {
        Console.Error.WriteLine($"aot smoke: FAILED: {what}");
        Environment.Exit(1);
    }

    Console.WriteLine($"aot smoke: {what}");
}

namespace Strata.AotSmoke
{
    /// <summary>A plain record, cached as JSON through source-generated metadata.</summary>
    internal sealed record Order(int Id, string Customer, decimal Total, string[] Items);

    /// <summary>A MemoryPack type: its formatter comes from MemoryPack's source generator.</summary>
    [MemoryPackable]
    internal sealed partial class Reading
    {
        public int Sensor { get; set; }

        public double Value { get; set; }

        public DateTime At { get; set; }
    }

    /// <summary>A type neither serializer has metadata for.</summary>
    internal sealed class Unlisted
    {
        public int X { get; set; }
    }

    [JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(List<long>))]
    internal sealed partial class SmokeJson : JsonSerializerContext;
}
