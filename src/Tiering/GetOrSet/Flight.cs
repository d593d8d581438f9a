using System;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>
/// One factory run (or background refresh) for one key, shared by every caller in the process that asks for the key
/// while it runs. Completed once, with the value or the factory's exception; its continuations run asynchronously,
/// so completing it never runs a waiter's code on the producing thread.
/// </summary>
/// <remarks>
/// A run is abandoned when every caller waiting for it has cancelled: its token (<see cref="BeginRun"/>) is cancelled,
/// and a caller arriving afterwards starts a new run rather than join one that is stopping. A caller whose token cannot
/// be cancelled, and a background refresh, hold the run until it ends. Joining and leaving take the flight's lock;
/// neither happens on a hit.
/// </remarks>
internal sealed class Flight<T>(FlightSlot slot, FillMark before, bool registered, bool held = false)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _cancellableWaiters; // guarded by _gate
    private bool _held = held;       // guarded by _gate
    private bool _abandoned;         // guarded by _gate
    private CancellationTokenSource? _run; // guarded by _gate

    /// <summary>
    /// The key's fill-race versions when the flight started, before it read Redis or called the factory. When they
    /// have moved by the time the value is ready, a change to the key came after the read: the value is handed to the
    /// flight's waiters but not cached, and a caller arriving after the move starts a new flight.
    /// </summary>
    internal FillMark Before { get; } = before;

    /// <summary>Gets the flight's place in the <see cref="FlightTable"/>: its key, or the key and the tiers its calls leave out.</summary>
    internal FlightSlot Slot { get; } = slot;

    /// <summary>Gets whether the flight is in the <see cref="FlightTable"/> (a flight for a key another type is running is not).</summary>
    internal bool Registered { get; } = registered;

    internal Task<T> Task => _completion.Task;

    /// <summary>Set before the factory is called, read by waiters after the flight completes (its completion orders the two).</summary>
    internal bool FactoryRan { get; set; }

    /// <summary>Adds a caller to the run's waiters; false when every earlier waiter has cancelled and the run is stopping.</summary>
    internal bool TryAttach(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                return false;
            }

            if (cancellationToken.CanBeCanceled)
            {
                _cancellableWaiters++;
            }
            else
            {
                _held = true;
            }

            return true;
        }
    }

    /// <summary>
    /// Waits for the run as an attached caller. A caller that cancels gets an <see cref="OperationCanceledException"/>
    /// carrying its own token, and leaves: the last one to leave abandons the run.
    /// </summary>
    internal Task<T> WaitAsync(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled && !Task.IsCompleted ? WaitOrLeaveAsync(cancellationToken) : Task;

    /// <summary>The token of the factory's run: cancelled when the run is abandoned or <paramref name="disposing"/> is.</summary>
    internal CancellationToken BeginRun(CancellationToken disposing)
    {
        lock (_gate)
        {
            _run = CancellationTokenSource.CreateLinkedTokenSource(disposing);
            if (_abandoned)
            {
                _run.Cancel();
            }

            return _run.Token;
        }
    }

    internal void Complete(T value)
    {
        EndRun();
        _completion.SetResult(value);
    }

    internal void Fail(Exception exception)
    {
        EndRun();
        _completion.SetException(exception);
    }

    private async Task<T> WaitOrLeaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            Leave();
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }
    }

    private void Leave()
    {
        CancellationTokenSource? abandon = null;
        lock (_gate)
        {
            if (--_cancellableWaiters == 0 && !_held && !Task.IsCompleted)
            {
                _abandoned = true;
                abandon = _run;
                _run = null; // this caller now owns the source: the run's end cannot dispose it while it is cancelled
            }
        }

        if (abandon is not null)
        {
            abandon.Cancel(); // outside the lock: the factory's callbacks run here
            abandon.Dispose();
        }
    }

    private void EndRun()
    {
        CancellationTokenSource? run;
        lock (_gate)
        {
            run = _run;
            _run = null;
            _abandoned = true; // nobody joins a finished run
        }

        run?.Dispose();
    }
}
