using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

public abstract partial class CacheApiContractTests
{
    private static CacheEntryOptions Indexed(string user, string? session = null, string? tag = null, TimeSpan? ttl = null)
    {
        var options = new CacheEntryOptions { TimeToLive = ttl };
        options.Indexes["user"] = user;
        if (session is not null)
        {
            options.Indexes["session"] = session;
        }

        if (tag is not null)
        {
            options.Tags.Add(tag);
        }

        return options;
    }

    [Fact]
    public async Task Index_GetByIndex_ReturnsEveryValueListedUnderIt_AndNothingElse()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("action:1", "create issue", new CacheEntryOptions { Indexes = { ["user"] = "alice", ["session"] = "s1" } });
        await cache.SetAsync("action:2", "update file", Indexed("alice"));
        await cache.SetAsync("action:3", "delete repo", Indexed("bob", "s1"));
        await cache.SetAsync("action:4", "plain"); // no index

        IReadOnlyDictionary<string, string> alice = await cache.GetByIndexAsync<string>("user", "alice");

        Assert.Equal(new Dictionary<string, string> { ["action:1"] = "create issue", ["action:2"] = "update file" }, alice.ToDictionary());
        Assert.Equal(["action:1", "action:3"], (await cache.GetKeysByIndexAsync("session", "s1")).Order());
        Assert.Empty(await cache.GetByIndexAsync<string>("user", "carol"));
        if (Redis is not null)
        {
            TieredCache other = NewCache(); // another instance, empty L1: the index lives in Redis
            Assert.Equal(alice.ToDictionary(), (await other.GetByIndexAsync<string>("user", "alice")).ToDictionary());
        }
    }

    [Fact]
    public async Task Index_OverwriteDeleteAndPlainSet_TakeTheKeyOutOfItsOldIndexValues()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("a", "v1", Indexed("alice", "s1"));
        await cache.SetAsync("b", "v2", Indexed("alice"));
        await cache.SetAsync("c", "v3", Indexed("alice"));

        await cache.SetAsync("a", "v1b", Indexed("bob"));  // other index values
        await cache.SetAsync("b", "v2b");                   // no index at all
        await cache.RemoveAsync("c");

        Assert.Empty(await cache.GetKeysByIndexAsync("user", "alice"));
        Assert.Empty(await cache.GetKeysByIndexAsync("session", "s1"));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "v1b" }, (await cache.GetByIndexAsync<string>("user", "bob")).ToDictionary());
        if (Redis is not null)
        {
            TieredCache other = NewCache();
            Assert.Empty(await other.GetKeysByIndexAsync("user", "alice"));
            Assert.Equal(["a"], await other.GetKeysByIndexAsync("user", "bob"));
        }
    }

    [Fact]
    public async Task Index_ExpiredMember_NeverComesBack()
    {
        TieredCache cache = NewCache(o => o.FailSafeMaxDuration = TimeSpan.FromMinutes(10)); // Redis keeps it past expiry
        await cache.SetAsync("short", "s", Indexed("alice", ttl: TimeSpan.FromMinutes(1)));
        await cache.SetAsync("long", "l", Indexed("alice", ttl: TimeSpan.FromHours(1)));

        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(["long"], await cache.GetKeysByIndexAsync("user", "alice"));
        Assert.Equal(["long"], (await cache.GetByIndexAsync<string>("user", "alice")).Keys);
        if (Redis is not null)
        {
            Assert.Equal(["long"], await NewCache().GetKeysByIndexAsync("user", "alice"));
        }
    }

    [Fact]
    public async Task Index_ValuesOfAnotherType_AreLeftOut()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("n", 42, Indexed("alice"));
        await cache.SetAsync("s", "text", Indexed("alice"));

        Assert.Equal(new Dictionary<string, int> { ["n"] = 42 }, (await cache.GetByIndexAsync<int>("user", "alice")).ToDictionary());
    }

    [Fact]
    public async Task RemoveByIndex_RemovesItsMembersFromBothTiers_AndOnlyThem()
    {
        TieredCache cache = NewCache();
        TieredCache other = SecondInstance(cache);
        await cache.SetAsync("a", "1", Indexed("alice", "s1"));
        await cache.SetAsync("b", "2", Indexed("alice"));
        await cache.SetAsync("c", "3", Indexed("bob", "s1"));
        await cache.SetAsync("d", "4", Indexed("alice"));
        await cache.SetAsync("d", "4b", Indexed("bob")); // moved away: not alice's any more
        await other.GetAsync<string>("a");               // the other instance holds copies in L1
        await other.GetAsync<string>("b");

        long removed = await cache.RemoveByIndexAsync("user", "alice");

        Assert.Equal(2, removed);
        Assert.False((await cache.GetAsync<string>("a")).HasValue);
        Assert.False((await cache.GetAsync<string>("b")).HasValue);
        Assert.Equal("3", (await cache.GetAsync<string>("c")).Value);
        Assert.Equal("4b", (await cache.GetAsync<string>("d")).Value);
        Assert.Empty(await cache.GetKeysByIndexAsync("user", "alice"));
        Assert.Equal(["c"], await cache.GetKeysByIndexAsync("session", "s1")); // "a" left its other index too
        await Eventually.True(async () => !(await other.GetAsync<string>("a")).HasValue && !(await other.GetAsync<string>("b")).HasValue, "the other instance to drop its copies");
        Assert.Equal(0, await cache.RemoveByIndexAsync("user", "alice"));
    }

    [Fact]
    public async Task RemoveByTag_InvalidatesTheGroup_AcrossIndexesAndInstances()
    {
        TieredCache cache = NewCache();
        TieredCache other = SecondInstance(cache);
        await cache.SetAsync("p1", "x", Indexed("alice", tag: "org:7"));
        await cache.SetAsync("p2", "y", Indexed("bob", tag: "org:7"));
        await cache.SetAsync("p3", "z", Indexed("bob", tag: "org:8"));
        await other.GetAsync<string>("p2");

        Assert.Equal(2, await cache.RemoveByTagAsync("org:7"));

        Assert.False(await cache.ExistsAsync("p1"));
        Assert.False(await cache.ExistsAsync("p2"));
        Assert.Equal(["p3"], await cache.GetKeysByIndexAsync("user", "bob"));
        await Eventually.True(async () => !(await other.GetAsync<string>("p2")).HasValue, "the other instance to drop its copy");
    }

    [Fact]
    public async Task Index_InANamespace_IsTheNamespaces_AndClearAsyncTakesItAway()
    {
        TieredCache cache = NewCache();
        CacheNamespace actions = cache.Namespace("actions"), drafts = cache.Namespace("drafts");
        await actions.SetAsync("1", "a1", Indexed("alice"));
        await drafts.SetAsync("1", "d1", Indexed("alice"));
        await cache.SetAsync("1", "root", Indexed("alice"));

        Assert.Equal(new Dictionary<string, string> { ["1"] = "a1" }, (await actions.GetByIndexAsync<string>("user", "alice")).ToDictionary());
        Assert.Equal(["1"], await drafts.GetKeysByIndexAsync("user", "alice"));
        Assert.Equal(["1"], await cache.GetKeysByIndexAsync("user", "alice")); // the root key "1", not "actions:1"

        Assert.Equal(1, await drafts.RemoveByIndexAsync("user", "alice"));
        await actions.ClearAsync();

        Assert.Empty(await actions.GetKeysByIndexAsync("user", "alice"));
        Assert.Empty(await drafts.GetKeysByIndexAsync("user", "alice"));
        Assert.Equal("root", (await cache.GetAsync<string>("1")).Value);
        Assert.Equal(["1"], await cache.GetKeysByIndexAsync("user", "alice"));
    }

    [Fact]
    public async Task Index_GetOrSetAndUpdate_KeepTheValueListed()
    {
        TieredCache cache = NewCache();
        CacheEntryOptions options = Indexed("alice");

        await cache.GetOrSetAsync("made", (_, _, _) => ValueTask.FromResult(1), options);
        await cache.UpdateAsync<int>("made", n => n + 1);

        Assert.Equal(new Dictionary<string, int> { ["made"] = 2 }, (await cache.GetByIndexAsync<int>("user", "alice")).ToDictionary());
        if (Redis is not null)
        {
            Assert.Equal(2, (await NewCache().GetByIndexAsync<int>("user", "alice"))["made"]);
        }
    }

    [Fact]
    public async Task Index_BadNamesAndTags_AreRefusedBeforeAnythingIsWritten()
    {
        TieredCache cache = NewCache();
        var colon = new CacheEntryOptions { Indexes = { ["us:er"] = "alice" } };
        var empty = new CacheEntryOptions { Indexes = { [""] = "alice" } };
        var emptyTag = new CacheEntryOptions { Tags = { "" } };

        Assert.Equal("Indexes", (await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", 1, colon).AsTask())).ParamName);
        Assert.Equal("Indexes", (await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", 1, empty).AsTask())).ParamName);
        Assert.Equal("Tags", (await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", 1, emptyTag).AsTask())).ParamName);
        Assert.Equal("Indexes", (await Assert.ThrowsAsync<ArgumentException>(() => cache.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult(1), colon).AsTask())).ParamName);
        Assert.Equal("indexName", (await Assert.ThrowsAsync<ArgumentException>(() => cache.GetByIndexAsync<int>("us:er", "alice").AsTask())).ParamName);
        Assert.Equal("indexValue", (await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetKeysByIndexAsync("user", null!).AsTask())).ParamName);
        Assert.Equal("tag", (await Assert.ThrowsAsync<ArgumentException>(() => cache.RemoveByTagAsync("").AsTask())).ParamName);
        Assert.False(await cache.ExistsAsync("k"));
    }
}
