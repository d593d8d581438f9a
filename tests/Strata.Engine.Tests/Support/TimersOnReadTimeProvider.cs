using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Engine.Tests.Support;

/// <summary>
/// A manual clock that runs its due timers on whichever thread next reads it, as <c>FakeTimeProvider</c> does when
/// one thread moves the time and another reads it before the mover has fired the timers. Deterministic: the time moves
/// only through <see cref="MoveWithoutFiring"/>, and timers fire only inside <see cref="GetTimestamp"/>.
/// </summary>
internal sealed class TimersOnReadTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _ticks = TimeSpan.FromDays(1).Ticks;
    private int _firing;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Gets how many timer callbacks ran inside a clock read.</summary>
    public int CallbacksRunOnRead { get; private set; }

    public override DateTimeOffset GetUtcNow() => new(_ticks, TimeSpan.Zero);

    public override long GetTimestamp()
    {
        long now = _ticks;
        if (_firing == 0)
        {
            _firing = 1; // a callback that reads the clock does not fire the timers again
            try
            {
                foreach (ManualTimer timer in _timers.ToArray())
                {
                    if (timer.FireIfDue(now))
                    {
                        CallbacksRunOnRead++;
                    }
                }
            }
            finally
            {
                _firing = 0;
            }
        }

        return now;
    }

    /// <summary>Moves the time forward and leaves the timers due, for the next reader to fire.</summary>
    public void MoveWithoutFiring(TimeSpan delta) => _ticks += delta.Ticks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state, _ticks + dueTime.Ticks, period.Ticks);
        _timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(TimersOnReadTimeProvider owner, TimerCallback callback, object? state, long due, long period) : ITimer
    {
        private long _due = due;

        public bool FireIfDue(long now)
        {
            if (_due > now)
            {
                return false;
            }

            _due = period > 0 ? now + period : long.MaxValue;
            callback(state);
            return true;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException();

        public void Dispose() => owner._timers.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
