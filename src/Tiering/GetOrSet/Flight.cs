using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>
/// One factory run (or background refresh) for one key, shared by every caller in the process that asks for the key
/// while it runs. Completed once, with the value or the factory's exception; its continuations run asynchronously,
/// so completing it never runs a waiter's code on the producing thread.
/// </summary>
internal sealed class Flight<T>(FillMark before, bool registered)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The key's fill-race versions when the flight started, before it read Redis or called the factory. When they
    /// have moved by the time the value is ready, a change to the key came after the read: the value is handed to the
    /// flight's waiters but not cached, and a caller arriving after the move starts a new flight.
    /// </summary>
    internal FillMark Before { get; } = before;

    /// <summary>Gets whether the flight is in the <see cref="FlightTable"/> (a flight for a key another type is running is not).</summary>
    internal bool Registered { get; } = registered;

    internal Task<T> Task => _completion.Task;

    /// <summary>Set before the factory is called, read by waiters after the flight completes (its completion orders the two).</summary>
    internal bool FactoryRan { get; set; }

    internal void Complete(T value) => _completion.SetResult(value);

    internal void Fail(System.Exception exception) => _completion.SetException(exception);
}
