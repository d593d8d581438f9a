using System;
using System.Threading.Tasks;

namespace Strata.Testing;

/// <summary>
/// A test hook that holds the code calling it until the test releases it, so the test can act while an operation is
/// stopped at a known point: <c>cache.SomeHook = gate.Hold</c>, then <see cref="Reached"/>, act, <see cref="Release"/>.
/// </summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The hook: notes that the code got here and returns what it must await.</summary>
    public Task Hold()
    {
        _reached.TrySetResult();
        return _release.Task;
    }

    /// <summary>Completes once a call has reached the hook (fails after 20 s).</summary>
    public Task Reached() => _reached.Task.WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>Lets every held call go on.</summary>
    public void Release() => _release.TrySetResult();
}
