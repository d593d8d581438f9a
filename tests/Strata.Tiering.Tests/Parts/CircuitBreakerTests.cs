using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Parts;

#pragma warning disable CS0618 // the plain constructors of Redis's exceptions: what a failure looks like is all the breaker reads

/// <summary>The circuit breaker alone, with commands that fail as Redis would, and a fake clock.</summary>
public class CircuitBreakerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLogger _logger = new();

    [Fact]
    public async Task ConnectionFailure_IsCountedAndOpensTheCircuit_UntilTheBreakDurationHasPassed()
    {
        CircuitBreaker breaker = NewBreaker();

        Reply<int> reply = await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")), CancellationToken.None);

        Assert.False(reply.Ok);
        Assert.Equal(1, breaker.Errors);
        Assert.False(breaker.CanCall);
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.True(breaker.CanCall);
        Assert.Single(_logger.Entries, entry => entry.EventId == 1); // down, logged once
    }

    [Fact]
    public async Task AfterTheBreak_OneCallerProbes_TheOthersSkipRedisUntilItAnswers()
    {
        CircuitBreaker breaker = NewBreaker();
        await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new TimeoutException()), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(2.5));

        Assert.True(breaker.CanCall);  // the probe
        Assert.False(breaker.CanCall); // everyone else, while it is out
        Assert.False(breaker.MayTry);  // the repair drain too
        Assert.True(breaker.IsOpen);

        await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new TimeoutException()), CancellationToken.None);
        Assert.False(breaker.CanCall); // it failed: another break
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.True(breaker.CanCall);  // the next probe
        Reply<int> answered = await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromResult(1), CancellationToken.None);

        Assert.True(answered.Ok);
        Assert.False(breaker.IsOpen);
        Assert.True(breaker.CanCall);
        Assert.True(breaker.CanCall); // closed: everyone calls
    }

    [Fact]
    public async Task ProbeThatNeverCalls_BlocksForOneBreakOnly()
    {
        CircuitBreaker breaker = NewBreaker();
        await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new TimeoutException()), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.True(breaker.CanCall); // taken, and then abandoned without a call

        _time.Advance(TimeSpan.FromSeconds(2.5));

        Assert.True(breaker.MayTry);
        Assert.True(breaker.CanCall);
    }

    [Fact]
    public async Task ErrorReply_IsCountedAndLogged_ButLeavesTheCircuitClosed()
    {
        CircuitBreaker breaker = NewBreaker();

        Reply<int> reply = await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new RedisServerException("ERR something")), CancellationToken.None);

        Assert.False(reply.Ok);
        Assert.Equal(1, breaker.Errors);
        Assert.True(breaker.CanCall);
        Assert.Single(_logger.Entries, entry => entry.EventId == 5);
    }

    [Fact]
    public async Task CallersOwnException_Propagates_AndIsNotAFailure()
    {
        CircuitBreaker breaker = NewBreaker();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new InvalidOperationException("a bug")), CancellationToken.None));
        await Assert.ThrowsAsync<OverflowException>(async () =>
            await breaker.CallAsync(RemoteOperation.Increment, 0, static _ => Task.FromException<int>(new OverflowException("too big", new RedisServerException("ERR overflow"))), CancellationToken.None));

        Assert.Equal(0, breaker.Errors);
        Assert.True(breaker.CanCall);
    }

    [Fact]
    public async Task Success_AfterAFailure_ClosesTheCircuit_AndLogsTheReturnOnce()
    {
        CircuitBreaker breaker = NewBreaker();
        await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromException<int>(new TimeoutException()), CancellationToken.None);
        Assert.True(breaker.IsOpen);

        Reply<int> reply = await breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromResult(42), CancellationToken.None);
        await breaker.RunAsync(RemoteOperation.Get, 0, static _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(new Reply<int>(true, 42), reply);
        Assert.False(breaker.IsOpen);
        Assert.Single(_logger.Entries, entry => entry.EventId == 2); // up, logged once
    }

    [Fact]
    public void NotConfiguredOrStopped_NeverCalls()
    {
        Assert.False(NewBreaker(configured: false).CanCall);
        CircuitBreaker stopped = NewBreaker();
        stopped.Stop();
        Assert.False(stopped.CanCall);
    }

    [Fact]
    public async Task CallWhileConnecting_WaitsForTheConnection_ThenRuns()
    {
        var remote = new RemoteConnection();
        CircuitBreaker breaker = NewBreaker(remote, connectWait: TimeSpan.FromMinutes(5));
        int ran = 0;

        ValueTask<Reply<int>> pending = breaker.CallAsync(RemoteOperation.Get, 0, _ => Task.FromResult(Interlocked.Increment(ref ran)), CancellationToken.None);
        Assert.False(pending.IsCompleted);
        Assert.Equal(0, Volatile.Read(ref ran)); // nothing reaches a connection that does not exist yet

        remote.Open();
        Assert.Equal(new Reply<int>(true, 1), await pending);
        Assert.True(breaker.CanCall);
    }

    [Fact]
    public async Task CallWhileConnecting_FailsAsATimeoutAfterTheWait_AndOpensTheCircuit()
    {
        CircuitBreaker breaker = NewBreaker(new RemoteConnection(), connectWait: TimeSpan.FromMilliseconds(20));
        int ran = 0;

        Reply<int> reply = await breaker.CallAsync(RemoteOperation.Get, 0, _ => Task.FromResult(Interlocked.Increment(ref ran)), CancellationToken.None);
        bool ok = await breaker.RunAsync(RemoteOperation.Set, 0, _ => Task.FromResult(Interlocked.Increment(ref ran)), CancellationToken.None);

        Assert.False(reply.Ok);
        Assert.False(ok);
        Assert.Equal(0, ran);
        Assert.Equal(2, breaker.Errors);
        Assert.True(breaker.IsOpen);
        Assert.Single(_logger.Entries, entry => entry.EventId == 1); // down, logged once
    }

    [Fact]
    public async Task CallWhileConnecting_StopsWaitingWhenItsCallerCancels()
    {
        CircuitBreaker breaker = NewBreaker(new RemoteConnection(), connectWait: TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource();

        ValueTask<Reply<int>> pending = breaker.CallAsync(RemoteOperation.Get, 0, static _ => Task.FromResult(1), cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        Assert.Equal(0, breaker.Errors); // the caller's choice, not Redis's failure
        Assert.False(breaker.IsOpen);
    }

    private CircuitBreaker NewBreaker(bool configured = true) => NewBreaker(configured ? Opened() : null, TimeSpan.FromSeconds(1));

    private CircuitBreaker NewBreaker(RemoteConnection? remote, TimeSpan connectWait) =>
        new(remote, connectWait, TimeSpan.FromSeconds(2), _time, "test", CacheMetrics.For(null), new TieredLog(_logger, _time));

    private static RemoteConnection Opened()
    {
        var remote = new RemoteConnection();
        remote.Open();
        return remote;
    }
}
