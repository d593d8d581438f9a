using System;
using System.Buffers;
using System.Collections.Generic;
using System.Reflection;
using System.Reflection.Emit;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Serialization;

public sealed record PlainOrder(int Id, string Customer, decimal Total, IReadOnlyList<string> Lines);

public sealed class PrivateSetters
{
    public PrivateSetters()
    {
    }

    public PrivateSetters(string name, int visits)
    {
        Name = name;
        Visits = visits;
    }

    public string Name { get; private set; } = "";

    public int Visits { get; internal set; }
}

[JsonDerivedType(typeof(Circle), "circle")]
[JsonDerivedType(typeof(Square), "square")]
public abstract class Shape
{
    public string Label { get; set; } = "";
}

public sealed class Circle : Shape
{
    public double Radius { get; set; }
}

public sealed class Square : Shape
{
    public double Side { get; set; }
}

[MemoryPackable]
public sealed partial class PackedPoint
{
    public int X { get; set; }

    public int Y { get; set; }
}

[JsonSerializable(typeof(PlainOrder))]
public sealed partial class OrdersJsonContext : JsonSerializerContext;

/// <summary>
/// The default serializer through the public API on a real Redis: MemoryPack for the types it knows, System.Text.Json
/// for every other, read back by a second instance (so through Redis, not L1).
/// </summary>
public sealed class DefaultSerializerTests(SingleRedis redis) : IClassFixture<SingleRedis>, IDisposable
{
    private readonly TestCaches _caches = new(redis.Configuration, $"ser{Guid.NewGuid():N}:");

    public void Dispose() => _caches.Dispose();

    private async Task<T?> ThroughRedisAsync<T>(T value, Action<TieredCacheOptions>? configure = null)
    {
        TieredCache writer = _caches.New(configure), reader = _caches.New(configure);
        string key = Guid.NewGuid().ToString("N");
        await writer.SetAsync(key, value);
        CacheResult<T> read = await reader.GetAsync<T>(key);
        Assert.True(read.HasValue, "the second instance reads the value from Redis");
        Assert.Equal(1, reader.GetStatistics().RemoteHits);
        return read.Value;
    }

    [Fact]
    public async Task Record_WithoutAttributes_RoundTrips()
    {
        var order = new PlainOrder(7, "alice", 12.50m, ["tea", "cake"]);

        PlainOrder? read = await ThroughRedisAsync(order);

        Assert.Equal(order.Id, read!.Id);
        Assert.Equal(order.Customer, read.Customer);
        Assert.Equal(order.Total, read.Total);
        Assert.Equal(order.Lines, read.Lines);
    }

    [Fact]
    public async Task ClassWithPrivateSetters_RoundTrips()
    {
        PrivateSetters? read = await ThroughRedisAsync(new PrivateSetters("bob", 3));

        Assert.Equal(("bob", 3), (read!.Name, read.Visits));
    }

    [Fact]
    public async Task PolymorphicValue_ReadsBackAsItsDerivedType()
    {
        List<Shape>? read = await ThroughRedisAsync(new List<Shape> { new Circle { Label = "c", Radius = 2 }, new Square { Label = "s", Side = 3 } });

        Assert.Equal(2, read!.Count);
        Assert.Equal(("c", 2.0), (read[0].Label, Assert.IsType<Circle>(read[0]).Radius));
        Assert.Equal(("s", 3.0), (read[1].Label, Assert.IsType<Square>(read[1]).Side));
    }

    [Fact]
    public async Task CollectionsOfPlainTypes_RoundTrip()
    {
        var byCustomer = new Dictionary<string, PlainOrder[]> { ["alice"] = [new PlainOrder(1, "alice", 1m, [])], ["bob"] = [] };

        Dictionary<string, PlainOrder[]>? read = await ThroughRedisAsync(byCustomer);

        Assert.Equal(["alice", "bob"], read!.Keys);
        Assert.Equal(1, Assert.Single(read["alice"]).Id);
        Assert.Empty(read["bob"]);
    }

    [Fact]
    public async Task EnvelopeNamesTheSerializer_MemoryPackForItsTypes_JsonForTheRest()
    {
        TieredCache cache = _caches.New();
        await cache.SetAsync("packed", new PackedPoint { X = 1, Y = 2 });
        await cache.SetAsync("ints", new List<int> { 1, 2 });
        await cache.SetAsync("plain", new PlainOrder(1, "a", 0m, []));
        await cache.SetAsync("plain list", new List<PlainOrder>());

        Assert.Equal(MemoryPackCacheSerializer.Instance.Id, await SerializerIdInRedisAsync("packed"));
        Assert.Equal(MemoryPackCacheSerializer.Instance.Id, await SerializerIdInRedisAsync("ints"));
        Assert.Equal(new SystemTextJsonCacheSerializer().Id, await SerializerIdInRedisAsync("plain"));
        Assert.Equal(new SystemTextJsonCacheSerializer().Id, await SerializerIdInRedisAsync("plain list")); // even empty: chosen by type
    }

    [Fact]
    public async Task SourceGeneratedContext_IsUsed_AndATypeItDoesNotKnowIsRefusedOnWrite()
    {
        void Configure(TieredCacheOptions o) => o.JsonSerializerOptions = OrdersJsonContext.Default.Options;

        PlainOrder? read = await ThroughRedisAsync(new PlainOrder(3, "carol", 5m, ["x"]), Configure);
        Assert.Equal("carol", read!.Customer);

        TieredCache cache = _caches.New(Configure);
        NotSupportedException refused = await Assert.ThrowsAsync<NotSupportedException>(async () => await cache.SetAsync("other", new PrivateSetters("x", 1)));
        Assert.Contains(typeof(PrivateSetters).FullName!, refused.Message, StringComparison.Ordinal); // says which type, and what to do
        Assert.Contains(nameof(TieredCacheOptions.JsonSerializerOptions), refused.Message, StringComparison.Ordinal);
        Assert.False((await cache.GetAsync<PrivateSetters>("other")).HasValue);
    }

    [Fact]
    public async Task Namespace_WithItsOwnSerializer_WritesThroughIt_AndAnotherSerializerReadsAMiss()
    {
        var counting = new CountingSerializer();
        TieredCache a = _caches.New(), b = _caches.New();
        CacheNamespace own = a.Namespace("own", serializer: counting);
        await own.SetAsync("k", new PlainOrder(1, "x", 1m, []));
        Assert.Equal(1, counting.Writes);
        Assert.Same(counting, own.Serializer);
        Assert.Equal(counting.Id, await SerializerIdInRedisAsync("own:k"));

        CacheResult<PlainOrder> read = await b.Namespace("own").GetAsync<PlainOrder>("k"); // default serializer: JSON, id 2

        Assert.False(read.HasValue);
        Assert.Equal(1, b.GetStatistics().DecodeErrors);
        Assert.Equal("serializer", Assert.Throws<ArgumentException>(() => a.Namespace("own")).ParamName);
    }

    [Fact]
    public async Task CacheWideSerializer_TakesEveryType()
    {
        var counting = new CountingSerializer();

        PackedPoint? read = await ThroughRedisAsync(new PackedPoint { X = 4, Y = 5 }, o => o.Serializer = counting);

        Assert.Equal((4, 5), (read!.X, read.Y));
        Assert.Equal(1, counting.Writes);
        Assert.Equal(1, counting.Reads);
    }

    [Fact]
    public async Task TypeWhoseShapeChanged_OldPayloadNewCode_IsACountedMiss()
    {
        // Two versions of one type (same full name, in two builds of an assembly), and a third build identical to the first.
        Type v1 = VersionedType.Build("Shop.Profile", ("Name", typeof(string)));
        Type v2 = VersionedType.Build("Shop.Profile", ("Name", typeof(string)), ("Email", typeof(string)));
        Type v1Again = VersionedType.Build("Shop.Profile", ("Name", typeof(string)));
        Assert.Equal(TypeTags.StableName(v1), TypeTags.StableName(v2));

        TieredCache oldCode = _caches.New();
        object value = Activator.CreateInstance(v1)!;
        v1.GetProperty("Name")!.SetValue(value, "dora");
        await Invoke(oldCode, nameof(SetAsync), v1, "profile", value);

        TieredCache newCode = _caches.New();
        Assert.False(await Invoke<bool>(newCode, nameof(HasValueAsync), v2, "profile"));
        Assert.Equal(1, newCode.GetStatistics().DecodeErrors);

        TieredCache sameCode = _caches.New();
        Assert.True(await Invoke<bool>(sameCode, nameof(HasValueAsync), v1Again, "profile"));
    }

    private static async Task SetAsync<T>(TieredCache cache, string key, object value) => await cache.SetAsync(key, (T)value);

    private static async Task<bool> HasValueAsync<T>(TieredCache cache, string key, object _) => (await cache.GetAsync<T>(key)).HasValue;

    private static Task Invoke(TieredCache cache, string method, Type type, string key, object? value = null) =>
        (Task)typeof(DefaultSerializerTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type).Invoke(null, [cache, key, value])!;

    private static async Task<T> Invoke<T>(TieredCache cache, string method, Type type, string key)
    {
        var task = (Task<T>)typeof(DefaultSerializerTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type).Invoke(null, [cache, key, null])!;
        return await task;
    }

    private async Task<int> SerializerIdInRedisAsync(string key)
    {
        using ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        byte[] stored = (byte[])(await connection.GetDatabase().StringGetAsync(_caches.Prefix + key))!;
        return (stored[2] >> 4) & 0b11;
    }

    private sealed class CountingSerializer : ICacheSerializer
    {
        private int _writes;
        private int _reads;

        public byte Id => 3;

        public int Writes => Volatile.Read(ref _writes);

        public int Reads => Volatile.Read(ref _reads);

        public void Serialize<T>(T value, IBufferWriter<byte> destination)
        {
            Interlocked.Increment(ref _writes);
            using var writer = new Utf8JsonWriter(destination);
            JsonSerializer.Serialize(writer, value);
        }

        public T? Deserialize<T>(ReadOnlySpan<byte> source)
        {
            Interlocked.Increment(ref _reads);
            return JsonSerializer.Deserialize<T>(source);
        }
    }

    /// <summary>Emits a public class with auto-properties into an assembly of its own: one build of a type.</summary>
    private static class VersionedType
    {
        public static Type Build(string name, params (string Name, Type Type)[] properties)
        {
            AssemblyBuilder assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Shop" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.Run);
            TypeBuilder type = assembly.DefineDynamicModule("Shop").DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
            type.DefineDefaultConstructor(MethodAttributes.Public);
            foreach ((string propertyName, Type propertyType) in properties)
            {
                FieldBuilder field = type.DefineField("_" + propertyName, propertyType, FieldAttributes.Private);
                PropertyBuilder property = type.DefineProperty(propertyName, PropertyAttributes.None, propertyType, null);
                const MethodAttributes Accessor = MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig;
                MethodBuilder get = type.DefineMethod("get_" + propertyName, Accessor, propertyType, Type.EmptyTypes);
                ILGenerator il = get.GetILGenerator();
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldfld, field);
                il.Emit(OpCodes.Ret);
                MethodBuilder set = type.DefineMethod("set_" + propertyName, Accessor, null, [propertyType]);
                il = set.GetILGenerator();
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Stfld, field);
                il.Emit(OpCodes.Ret);
                property.SetGetMethod(get);
                property.SetSetMethod(set);
            }

            return type.CreateType();
        }
    }
}
