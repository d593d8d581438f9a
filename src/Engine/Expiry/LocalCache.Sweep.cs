using System;
using System.Threading;

namespace Strata.Engine;

/// <summary>The background expiry of <see cref="LocalCache{TValue}"/>: every second each stripe's timer wheel gives up the entries that are due.</summary>
public sealed partial class LocalCache<TValue>
{
    /// <summary>
    /// Advances every stripe's timer wheel to now and removes the entries that are due. The timer calls this every
    /// second; tests call it directly.
    /// </summary>
    /// <returns>The number of entries reclaimed.</returns>
    internal int SweepExpired()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return 0; // a slow sweep is still running; the next tick catches up
        }

        try
        {
            int reclaimed = 0;
            foreach (Segment<TValue> segment in _segments)
            {
                Node<TValue>? due;
                long now = _clock.NowMilliseconds(); // before the lock: see FindLive
                lock (segment.Lock)
                {
                    due = segment.Wheel.Advance(now);
                    for (Node<TValue>? node = due; node is not null; node = node.Links.WheelNext)
                    {
                        Unlink(segment, node);
                        segment.Expirations++;
                        reclaimed++;
                    }
                }

                if (_onRemoved is not null)
                {
                    for (Node<TValue>? node = due; node is not null; node = node.Links.WheelNext)
                    {
                        Notify(node.Key, node.Value, RemovalReason.Expired);
                    }
                }
            }

            return reclaimed;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// The background expiry timer. It holds the cache weakly, so a cache that is dropped without being disposed can
    /// still be collected; the timer then stops itself on its next tick.
    /// </summary>
    private sealed class SweepTimer
    {
        private readonly WeakReference<LocalCache<TValue>> _cache;
        private ITimer? _timer;

        private SweepTimer(LocalCache<TValue> cache) => _cache = new WeakReference<LocalCache<TValue>>(cache);

        internal static ITimer Start(LocalCache<TValue> cache, TimeProvider timeProvider, TimeSpan interval)
        {
            var state = new SweepTimer(cache);
            // Do not capture the creator's ExecutionContext (AsyncLocals) into a timer that lives as long as the cache.
            bool restoreFlow = !ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = restoreFlow ? ExecutionContext.SuppressFlow() : default;
            try
            {
                state._timer = timeProvider.CreateTimer(static s => ((SweepTimer)s!).Tick(), state, interval, interval);
            }
            finally
            {
                if (restoreFlow)
                {
                    flow.Undo();
                }
            }

            return state._timer;
        }

        private void Tick()
        {
            if (_cache.TryGetTarget(out LocalCache<TValue>? cache))
            {
                cache.SweepExpired();
            }
            else
            {
                _timer?.Dispose();
            }
        }
    }
}
