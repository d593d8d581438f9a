using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Strata.Tiering.Tests.Parts;

/// <summary>The flight table alone: who joins, who starts, and when a flight is replaced.</summary>
public class FlightTableTests
{
    private readonly FlightTable _flights = new();
    private readonly FillVersions _versions = new();

    [Fact]
    public void SecondCaller_JoinsTheFirstFlight_UntilItLeaves()
    {
        Flight<int> first = _flights.Join<int>("k", _versions, CancellationToken.None, out bool started);
        Flight<int> second = _flights.Join<int>("k", _versions, CancellationToken.None, out bool startedAgain);

        Assert.True(started);
        Assert.False(startedAgain);
        Assert.Same(first, second);

        _flights.Leave(first);
        Assert.NotSame(first, _flights.Join<int>("k", _versions, CancellationToken.None, out bool startedAfter));
        Assert.True(startedAfter);
    }

    [Fact]
    public void CallerAfterAChange_StartsAFlightThatReplacesTheOvertakenOne()
    {
        Flight<int> overtaken = _flights.Join<int>("k", _versions, CancellationToken.None, out _);
        _versions.Bump("k"); // a write: what the running flight read may predate it

        Flight<int> replacement = _flights.Join<int>("k", _versions, CancellationToken.None, out bool started);

        Assert.True(started);
        Assert.NotSame(overtaken, replacement);
        Assert.Same(replacement, _flights.Join<int>("k", _versions, CancellationToken.None, out _));
        _flights.Leave(overtaken); // the old one leaving does not take the new one out
        Assert.Same(replacement, _flights.Join<int>("k", _versions, CancellationToken.None, out _));
    }

    [Fact]
    public void CallerOfAnotherType_RunsAlone()
    {
        Flight<int> running = _flights.Join<int>("k", _versions, CancellationToken.None, out _);

        Flight<string> alone = _flights.Join<string>("k", _versions, CancellationToken.None, out bool started);

        Assert.True(started);
        Assert.False(alone.Registered);
        Assert.Same(running, _flights.Join<int>("k", _versions, CancellationToken.None, out _));
    }

    [Fact]
    public void Refresh_StartsOnlyWhenNoFlightRuns()
    {
        Flight<int> running = _flights.Join<int>("k", _versions, CancellationToken.None, out _);
        Assert.False(_flights.TryStartRefresh<int>("k", _versions, out _));

        _flights.Leave(running);
        Assert.True(_flights.TryStartRefresh("k", _versions, out Flight<int>? refresh));
        Assert.Same(refresh, _flights.Join<int>("k", _versions, CancellationToken.None, out bool started));
        Assert.False(started);
    }

    [Fact]
    public async Task FlightWhoseCallersAllCancelled_IsStopped_AndReplacedForTheNextCaller()
    {
        using var cancel = new CancellationTokenSource();
        Flight<int> abandoned = _flights.Join<int>("k", _versions, cancel.Token, out _);
        CancellationToken run = abandoned.BeginRun(CancellationToken.None);
        Task<int> wait = abandoned.WaitAsync(cancel.Token);

        cancel.Cancel();

        Assert.Equal(cancel.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait)).CancellationToken);
        Assert.True(run.IsCancellationRequested);
        Flight<int> next = _flights.Join<int>("k", _versions, CancellationToken.None, out bool started);
        Assert.True(started);
        Assert.NotSame(abandoned, next);
        abandoned.Fail(new OperationCanceledException(run));
        _flights.Leave(abandoned); // the stopped run leaving does not take out its replacement
        Assert.Same(next, _flights.Join<int>("k", _versions, CancellationToken.None, out _));
    }

    [Fact]
    public async Task CallerThatCannotCancel_HoldsTheRun()
    {
        using var cancel = new CancellationTokenSource();
        Flight<int> flight = _flights.Join<int>("k", _versions, CancellationToken.None, out _);
        Assert.Same(flight, _flights.Join<int>("k", _versions, cancel.Token, out _));
        CancellationToken run = flight.BeginRun(CancellationToken.None);

        Task<int> hasty = flight.WaitAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hasty);

        Assert.False(run.IsCancellationRequested);
        flight.Complete(7);
        Assert.Equal(7, await flight.WaitAsync(CancellationToken.None));
    }
}
