using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>
/// <see cref="HybridCache"/> as its documentation describes it, run against Microsoft's default implementation (which
/// keeps the suite honest) and against Strata's, L1-only and tiered.
/// </summary>
public abstract partial class HybridCacheContractTests : IAsyncLifetime
{
    private readonly System.Collections.Generic.List<IHost> _others = [];
    private IHost _host = null!;

    protected HybridCache Cache { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await StartAsync();
        Cache = (HybridCache)_host.Services.GetService(typeof(HybridCache))!;
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _others.ForEach(h => h.Dispose());
        return Task.CompletedTask;
    }

    /// <summary>Gets whether the implementation has a distributed tier (Redis), which outlives and bypasses L1.</summary>
    protected abstract bool Distributed { get; }

    /// <summary>
    /// A started host whose <see cref="HybridCache"/> is the implementation under test, its options set through
    /// Microsoft's <c>AddHybridCache(options => ...)</c>; hosts of one test share its distributed tier.
    /// </summary>
    protected abstract Task<IHost> StartAsync(Action<HybridCacheOptions>? configure = null);

    /// <summary>The <see cref="HybridCache"/> of a second host, with its own options.</summary>
    protected async Task<HybridCache> StartOtherAsync(Action<HybridCacheOptions> configure)
    {
        IHost host = await StartAsync(configure);
        _others.Add(host);
        return (HybridCache)host.Services.GetService(typeof(HybridCache))!;
    }

    [Fact]
    public async Task GetOrCreate_Miss_RunsTheFactoryOnce_ThenHits()
    {
        int runs = 0;
        ValueTask<string> Factory(CancellationToken _) => new($"value {++runs}");

        Assert.Equal("value 1", await Cache.GetOrCreateAsync("k", Factory));
        Assert.Equal("value 1", await Cache.GetOrCreateAsync("k", Factory));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task GetOrCreate_WithOptionsAndNoFlags_RunsTheFactory()
    {
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), LocalCacheExpiration = TimeSpan.FromSeconds(30) };

        Assert.Equal("made", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("made"), options));
        Assert.Equal("made", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("again"), options));
    }

    [Fact]
    public async Task GetOrCreate_ConcurrentCallers_ShareOneFactoryRun()
    {
        int runs = 0;
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<string> Factory(CancellationToken _)
        {
            Interlocked.Increment(ref runs);
            return await release.Task;
        }

        ValueTask<string>[] callers = Enumerable.Range(0, 50).Select(_ => Cache.GetOrCreateAsync("k", Factory)).ToArray();
        release.SetResult("shared");
        string[] values = await Task.WhenAll(callers.Select(c => c.AsTask()));

        Assert.All(values, v => Assert.Equal("shared", v));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task GetOrCreate_WithState_PassesTheStateToTheFactory()
    {
        string value = await Cache.GetOrCreateAsync("k", (Id: 42, Name: "alice"), static (state, _) => new ValueTask<string>($"{state.Name}#{state.Id}"));

        Assert.Equal("alice#42", value);
    }

    [Fact]
    public async Task Set_ThenGetOrCreate_ReturnsTheSetValueWithoutTheFactory()
    {
        await Cache.SetAsync("k", "set");

        Assert.Equal("set", await Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run")));
    }

    [Fact]
    public async Task Remove_ThenGetOrCreate_RunsTheFactoryAgain()
    {
        await Cache.SetAsync("k", "old");
        await Cache.RemoveAsync("k");

        Assert.Equal("new", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("new")));
    }

    [Fact]
    public async Task RemoveMany_RemovesEachKey_AndNullIsEmpty()
    {
        await Cache.SetAsync("a", "1");
        await Cache.SetAsync("b", "2");
        await Cache.SetAsync("c", "3");

        await Cache.RemoveAsync(["a", "b"]);
        await Cache.RemoveAsync((string[])null!);

        Assert.Equal("fresh", await Cache.GetOrCreateAsync("a", _ => new ValueTask<string>("fresh")));
        Assert.Equal("fresh", await Cache.GetOrCreateAsync("b", _ => new ValueTask<string>("fresh")));
        Assert.Equal("3", await Cache.GetOrCreateAsync("c", _ => new ValueTask<string>("fresh")));
    }

    [Fact]
    public async Task RemoveByTag_RemovesTheTaggedEntriesOnly()
    {
        await Cache.SetAsync("p1", "product 1", tags: ["category:7"]);
        await Cache.GetOrCreateAsync("p2", _ => new ValueTask<string>("product 2"), tags: ["category:7", "featured"]);
        await Cache.SetAsync("p3", "product 3", tags: ["category:8"]);

        await Cache.RemoveByTagAsync("category:7");

        Assert.Equal("reloaded", await Cache.GetOrCreateAsync("p1", _ => new ValueTask<string>("reloaded")));
        Assert.Equal("reloaded", await Cache.GetOrCreateAsync("p2", _ => new ValueTask<string>("reloaded")));
        Assert.Equal("product 3", await Cache.GetOrCreateAsync("p3", _ => new ValueTask<string>("reloaded")));
    }

    [Fact]
    public async Task RemoveByTags_RemovesEachTag_AndNullIsEmpty()
    {
        await Cache.SetAsync("a", "1", tags: ["x"]);
        await Cache.SetAsync("b", "2", tags: ["y"]);
        await Cache.SetAsync("c", "3", tags: ["z"]);

        await Cache.RemoveByTagAsync(["x", "y"]);
        await Cache.RemoveByTagAsync((string[])null!);

        Assert.Equal("fresh", await Cache.GetOrCreateAsync("a", _ => new ValueTask<string>("fresh")));
        Assert.Equal("fresh", await Cache.GetOrCreateAsync("b", _ => new ValueTask<string>("fresh")));
        Assert.Equal("3", await Cache.GetOrCreateAsync("c", _ => new ValueTask<string>("fresh")));
    }

    [Fact]
    public async Task RemoveByTag_Wildcard_RemovesEverything()
    {
        await Cache.SetAsync("tagged", "1", tags: ["t"]);
        await Cache.SetAsync("plain", "2");

        await Cache.RemoveByTagAsync("*");

        Assert.Equal("fresh", await Cache.GetOrCreateAsync("tagged", _ => new ValueTask<string>("fresh")));
        Assert.Equal("fresh", await Cache.GetOrCreateAsync("plain", _ => new ValueTask<string>("fresh")));
    }

    [Fact]
    public async Task DisableUnderlyingData_OnAMiss_ReturnsDefaultWithoutTheFactory()
    {
        var readOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };
        await Cache.SetAsync("present", "here");

        Assert.Null(await Cache.GetOrCreateAsync<string>("absent", _ => throw new InvalidOperationException("must not run"), readOnly));
        Assert.Equal("here", await Cache.GetOrCreateAsync<string>("present", _ => throw new InvalidOperationException("must not run"), readOnly));
    }

    [Fact]
    public async Task FactoryException_ReachesTheCaller_AndNothingIsCached()
    {
        await Assert.ThrowsAsync<TimeoutException>(async () => await Cache.GetOrCreateAsync<string>("k", _ => throw new TimeoutException("database")));

        Assert.Equal("second try", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second try")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    public async Task EveryCallerCancels_EachIsCancelledByItsOwnToken_AndTheFactorysTokenIsCancelled(int callers)
    {
        var run = new SharedRun();
        CancellationTokenSource[] cancels = Enumerable.Range(0, callers).Select(_ => new CancellationTokenSource()).ToArray();
        Task<Guid>[] waits = cancels.Select(c => Cache.GetOrCreateAsync("k", run.Factory, cancellationToken: c.Token).AsTask()).ToArray();
        await run.Started.Task.WaitAsync(HangGuard); // a tiered run reads its distributed tier first: cancelled there, no factory runs

        foreach (CancellationTokenSource cancel in cancels)
        {
            cancel.Cancel();
        }

        for (int i = 0; i < callers; i++)
        {
            OperationCanceledException ex = await Assert.ThrowsAsync<OperationCanceledException>(() => waits[i]);
            Assert.Equal(TaskStatus.Canceled, waits[i].Status);
            Assert.Equal(cancels[i].Token, ex.CancellationToken); // each caller's own token, not the run's
        }

        Assert.False(run.Finished.Task.IsCompleted); // the callers left before the run ended
        run.Release();
        Assert.True(await run.Finished.Task.WaitAsync(HangGuard)); // the factory saw its token cancelled
        Assert.Equal(1, run.Runs);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(10, 7)]
    public async Task MostCallersCancel_TheRunCompletesForTheOneLeft(int callers, int remaining)
    {
        var run = new SharedRun();
        CancellationTokenSource[] cancels = Enumerable.Range(0, callers).Select(_ => new CancellationTokenSource()).ToArray();
        Task<Guid>[] waits = cancels.Select(c => Cache.GetOrCreateAsync("k", run.Factory, cancellationToken: c.Token).AsTask()).ToArray();

        for (int i = 0; i < callers; i++)
        {
            if (i != remaining)
            {
                cancels[i].Cancel();
                Assert.Equal(cancels[i].Token, (await Assert.ThrowsAsync<OperationCanceledException>(() => waits[i])).CancellationToken);
            }
        }

        run.Release();
        Assert.False(await run.Finished.Task.WaitAsync(HangGuard)); // not cancelled: one caller still waited
        Guid value = await waits[remaining];
        Assert.Equal(1, run.Runs);
        Assert.Equal(value, await Cache.GetOrCreateAsync("k", run.Factory)); // and the value was cached
    }

    [Fact]
    public async Task CallerThatCannotCancel_KeepsTheRunGoing_WhenTheOthersCancel()
    {
        var run = new SharedRun();
        using var cancel = new CancellationTokenSource();
        Task<Guid> patient = Cache.GetOrCreateAsync("k", run.Factory).AsTask();
        Task<Guid> hasty = Cache.GetOrCreateAsync("k", run.Factory, cancellationToken: cancel.Token).AsTask();

        cancel.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => hasty);
        run.Release();

        Assert.False(await run.Finished.Task.WaitAsync(HangGuard));
        Assert.NotEqual(Guid.Empty, await patient);
        Assert.Equal(1, run.Runs);
    }

    /// <summary>How long a test waits for a run before calling it hung (a guard, not a timing assertion).</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>A factory that waits to be released, then reports whether its token was cancelled by then.</summary>
    private sealed class SharedRun
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _runs;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public void Release() => _gate.SetResult();

        public async ValueTask<Guid> Factory(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            Started.TrySetResult();
            await _gate.Task.ConfigureAwait(false);
            Finished.TrySetResult(cancellationToken.IsCancellationRequested);
            cancellationToken.ThrowIfCancellationRequested();
            return Guid.NewGuid();
        }
    }
}
