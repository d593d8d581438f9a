namespace Strata.Engine;

/// <summary>
/// The removal notifications one single-key operation produces under a lock (at most two: the entry it replaced or
/// found expired, and one evicted to make room), kept on the stack until the lock is released.
/// </summary>
internal struct PendingRemovals<TValue>
{
    private string? _firstKey;
    private TValue _firstValue;
    private RemovalReason _firstReason;
    private string? _secondKey;
    private TValue _secondValue;
    private RemovalReason _secondReason;

    internal void Add(string key, TValue value, RemovalReason reason)
    {
        if (_firstKey is null)
        {
            _firstKey = key;
            _firstValue = value;
            _firstReason = reason;
        }
        else
        {
            _secondKey = key;
            _secondValue = value;
            _secondReason = reason;
        }
    }

    internal readonly void Raise(LocalCache<TValue> cache)
    {
        if (_firstKey is not null)
        {
            cache.Notify(_firstKey, _firstValue, _firstReason);
            if (_secondKey is not null)
            {
                cache.Notify(_secondKey, _secondValue, _secondReason);
            }
        }
    }
}
