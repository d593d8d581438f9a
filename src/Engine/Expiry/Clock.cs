using System;
using System.Diagnostics;

namespace Strata.Engine;

/// <summary>
/// A millisecond tick read from a <see cref="TimeProvider"/>. Deadlines are stored in these ticks, so the hot path
/// compares two longs and never builds a <see cref="DateTime"/>.
/// </summary>
/// <remarks>
/// For <see cref="TimeProvider.System"/> the timestamp is read from <see cref="Stopwatch"/> directly, skipping the
/// virtual call. The tick is monotonic as long as the provider's timestamp is; it has no relation to wall time.
/// </remarks>
internal sealed class Clock
{
    private readonly TimeProvider _provider;
    private readonly bool _isSystem;
    private readonly long _timestampsPerMillisecond; // 0 when the frequency is not a whole number of kHz
    private readonly double _millisecondsPerTimestamp;

    internal Clock(TimeProvider provider)
    {
        _provider = provider;
        _isSystem = ReferenceEquals(provider, TimeProvider.System);
        long frequency = _isSystem ? Stopwatch.Frequency : provider.TimestampFrequency;
        if (frequency <= 0)
        {
            ThrowHelper.ThrowInvalidOperation($"The time provider reports a timestamp frequency of {frequency}; it must be positive.");
        }

        _timestampsPerMillisecond = frequency % 1000 == 0 ? frequency / 1000 : 0;
        _millisecondsPerTimestamp = 1000.0 / frequency;
    }

    /// <summary>A time that stands for "not read yet": see <see cref="CanReadUnderLock"/>.</summary>
    internal const long NotRead = long.MinValue;

    internal TimeProvider Provider => _provider;

    /// <summary>
    /// Gets whether the clock may be read while a stripe lock is held: the system clock runs no code of anyone else's.
    /// Another provider may run timer callbacks on the reading thread, so it is read before the lock.
    /// </summary>
    internal bool CanReadUnderLock => _isSystem;

    /// <summary>Gets the current time in milliseconds on this clock's monotonic scale.</summary>
    internal long NowMilliseconds()
    {
        long timestamp = _isSystem ? Stopwatch.GetTimestamp() : _provider.GetTimestamp();
        return _timestampsPerMillisecond != 0
            ? timestamp / _timestampsPerMillisecond
            : (long)(timestamp * _millisecondsPerTimestamp);
    }
}
