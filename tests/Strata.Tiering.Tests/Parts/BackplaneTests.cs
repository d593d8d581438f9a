using System;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Parts;

/// <summary>The backplane's receiving side alone: messages applied to an L1 without any Redis.</summary>
public sealed class BackplaneTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly TieredCounters _counters = new();
    private readonly LocalTier _l1;
    private readonly global::Strata.Tiering.Backplane _backplane;

    public BackplaneTests()
    {
        _l1 = new LocalTier(new TieredCacheOptions { TimeProvider = _time }, tiered: false);
        var breaker = new CircuitBreaker(remote: null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), _time, "test", CacheMetrics.For(null), new TieredLog(null, _time));
        _backplane = new global::Strata.Tiering.Backplane(remote: null, enabled: true, "p:", _l1, breaker, _counters);
        foreach (string key in new[] { "a", "b", "user:1", "user:2", "order:1" })
        {
            _l1.Set(key, new LocalEntry(key, LocalEntry.Forever), life: null);
        }
    }

    [Fact]
    public void KeysFromAnotherInstance_AreRemoved_AndAFillInFlightForThemIsDropped()
    {
        FillMark read = _l1.Versions.Note("a");

        _backplane.Apply(Encode(Guid.NewGuid(), InvalidationKind.Keys, "a", "b"));

        Assert.False(_l1.Cache.ContainsKey("a"));
        Assert.False(_l1.Cache.ContainsKey("b"));
        Assert.True(_l1.Cache.ContainsKey("user:1"));
        Assert.True(_l1.Versions.Moved(read));
        Assert.Equal(1, _backplane.Received);
    }

    [Fact]
    public void PatternAndAll_RemoveWhatTheyCover_AndMoveTheEpoch()
    {
        FillMark read = _l1.Versions.Note("order:1");

        _backplane.Apply(Encode(Guid.NewGuid(), InvalidationKind.Pattern, "user:*"));

        Assert.False(_l1.Cache.ContainsKey("user:1"));
        Assert.False(_l1.Cache.ContainsKey("user:2"));
        Assert.True(_l1.Cache.ContainsKey("order:1"));
        Assert.True(_l1.Versions.Moved(read)); // any key: a pattern's keys are not known to a fill

        _backplane.Apply(Encode(Guid.NewGuid(), InvalidationKind.All));
        Assert.Equal(0, _l1.Cache.Count);
        Assert.Equal(2, _backplane.Received);
    }

    [Fact]
    public void OwnMessage_IsIgnored_AndAMalformedOne_IsCountedAndIgnored()
    {
        _backplane.Apply(Encode(_backplane.InstanceId, InvalidationKind.Key, "a"));
        _backplane.Apply([1, 2, 3]);

        Assert.True(_l1.Cache.ContainsKey("a"));
        Assert.Equal(0, _backplane.Received);
        Assert.Equal(1, _counters.DecodeErrors);
    }

    [Fact]
    public async Task PublishWithoutRedis_SendsNothing()
    {
        await _backplane.PublishAsync(InvalidationKind.Key, "a");

        Assert.False(_backplane.Enabled);
        Assert.Equal(0, _backplane.Sent);
    }

    [Fact]
    public void KeysHeader_IsTheHeaderOfThisInstancesKeysMessages()
    {
        byte[] message = Encode(_backplane.InstanceId, InvalidationKind.Keys, "a");

        Assert.Equal(_backplane.KeysHeader, message[..18]);
    }

    public void Dispose() => _l1.Dispose();

    private static byte[] Encode(Guid sender, InvalidationKind kind, params string[] keys)
    {
        var writer = new PooledBufferWriter();
        new InvalidationMessage(sender, kind, keys).Encode(writer);
        return writer.WrittenMemory.ToArray();
    }
}
