using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering.Tests.Chaos;

/// <summary>
/// Callers hammering one <see cref="TieredCache"/> while a test breaks its Redis. Each worker owns its keys and
/// remembers what it last wrote to each (a value, or nothing after a removal), so every read can be judged:
/// <list type="bullet">
/// <item>a read returns the worker's last write or a miss, never any other value (an older one is a stale read);</item>
/// <item>inside a strict window (Redis down, L1 untouched by recoveries), a read returns exactly the last write made in
/// that window: the write landed in L1 and must not be lost;</item>
/// <item>no call throws, and every call returns within <see cref="Liveness"/> (a hang counts as an exception).</item>
/// </list>
/// </summary>
internal sealed class ChaosLoad
{
    /// <summary>How long one call may take before it counts as hung: a liveness guard, far above any timeout.</summary>
    public static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30);

    private static readonly CacheEntryOptions s_options = new() { TimeToLive = TimeSpan.FromMinutes(10) };
    private readonly TieredCache _cache;
    private readonly string _name;
    private readonly int _workers;
    private readonly int _keysPerWorker;
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, (string? Value, int Window)>[] _written;
    private readonly Dictionary<string, Queue<Done>>[] _history; // the last operations on each key, for the problem reports
    private Task[] _tasks = [];
    private int _window; // > 0 while strict; each strict window has its own number
    private long _operations;
    private long _strictReads;
    private long _strictWrites;
    private long _exceptions;
    private long _staleReads;
    private long _lostValues;
    private long _maxTicks;

    public ChaosLoad(TieredCache cache, string name, int workers = 4, int keysPerWorker = 32)
    {
        _cache = cache;
        _name = name;
        _workers = workers;
        _keysPerWorker = keysPerWorker;
        _written = Enumerable.Range(0, workers).Select(_ => new Dictionary<string, (string?, int)>()).ToArray();
        _history = Enumerable.Range(0, workers).Select(_ => new Dictionary<string, Queue<Done>>()).ToArray();
    }

    public long Operations => Interlocked.Read(ref _operations);

    public long StrictReads => Interlocked.Read(ref _strictReads);

    public long StrictWrites => Interlocked.Read(ref _strictWrites);

    public long Exceptions => Interlocked.Read(ref _exceptions);

    public long StaleReads => Interlocked.Read(ref _staleReads);

    public long LostValues => Interlocked.Read(ref _lostValues);

    public TimeSpan MaxLatency => TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks));

    public string Problems => string.Join(Environment.NewLine, _problems.Take(10));

    /// <summary>Every key the load uses.</summary>
    public IEnumerable<string> Keys => Enumerable.Range(0, _workers).SelectMany(w => Enumerable.Range(0, _keysPerWorker).Select(k => KeyOf(w, k)));

    public void Start() => _tasks = Enumerable.Range(0, _workers).Select(w => Task.Run(() => WorkAsync(w))).ToArray();

    /// <summary>Starts a strict window: from now until <see cref="EndStrict"/>, what a worker writes must read back.</summary>
    public void BeginStrict() => Volatile.Write(ref _window, Math.Abs(Volatile.Read(ref _window)) + 1);

    public void EndStrict() => Volatile.Write(ref _window, -Math.Abs(Volatile.Read(ref _window)));

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
    }

    /// <summary>The last write of every key: its value, or null when it was removed or never written.</summary>
    public string? LastWrite(string key)
    {
        foreach (Dictionary<string, (string? Value, int Window)> written in _written)
        {
            if (written.TryGetValue(key, out (string? Value, int Window) last))
            {
                return last.Value;
            }
        }

        return null;
    }

    /// <summary>Judges a value read for <paramref name="key"/> against the writes of the key's owner.</summary>
    public bool IsPossible(string key, CacheResult<string> read) => !read.HasValue || read.Value == LastWrite(key);

    private string KeyOf(int worker, int key) => $"{_name}:{worker}:{key}";

    private async Task WorkAsync(int worker)
    {
        var random = new Random(worker + 1);
        Dictionary<string, (string? Value, int Window)> written = _written[worker];
        Dictionary<string, Queue<Done>> history = _history[worker];
        long sequence = 0;
        while (!_stop.IsCancellationRequested)
        {
            string key = KeyOf(worker, random.Next(_keysPerWorker));
            string value = $"{worker}:{sequence++}";
            int window = Volatile.Read(ref _window);
            var watch = Stopwatch.StartNew();
            int operation = random.Next(10);
            try
            {
                switch (operation)
                {
                    case 0:
                    case 1:
                        await Guard(_cache.SetAsync(key, value, s_options).AsTask());
                        Wrote(key, value);
                        break;
                    case 2:
                        await Guard(_cache.RemoveAsync(key).AsTask());
                        Wrote(key, null);
                        break;
                    case 3:
                        string got = await Guard(_cache.GetOrSetAsync(key, (_, _, _) => ValueTask.FromResult(value), s_options).AsTask());
                        Read(key, CacheResult<string>.Hit(got), factoryValue: value);
                        if (got == value)
                        {
                            // Not a strict write: a get-or-set may leave its value uncached (a write to a key sharing
                            // its fill-race slot landed meanwhile, see FactoryFillsDropped), so a later miss is allowed.
                            Wrote(key, value, strict: false);
                        }

                        break;
                    case 4:
                        string other = KeyOf(worker, random.Next(_keysPerWorker));
                        CacheResult<string>[] both = await Guard(_cache.GetManyAsync<string>([key, other]).AsTask());
                        Read(key, both[0], factoryValue: null);
                        Read(other, both[1], factoryValue: null);
                        break;
                    default:
                        Read(key, await Guard(_cache.GetAsync<string>(key).AsTask()), factoryValue: null);
                        break;
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _exceptions);
                _problems.Enqueue($"{key}: {ex.GetType().Name}: {ex.Message}");
            }

            Interlocked.Increment(ref _operations);
            Remember(key, new Done(operation, value, window, watch.Elapsed, _cache.State, _cache.PendingRepairs)); // formatted only for a report
            long ticks = watch.Elapsed.Ticks;
            long max;
            while (ticks > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, ticks, max) != max)
            {
            }

            void Wrote(string k, string? v, bool strict = true)
            {
                written[k] = (v, strict ? window : 0);
                if (strict && window > 0 && window == Volatile.Read(ref _window))
                {
                    Interlocked.Increment(ref _strictWrites);
                }
            }

            void Remember(string k, Done what)
            {
                if (!history.TryGetValue(k, out Queue<Done>? last))
                {
                    history[k] = last = new Queue<Done>();
                }

                last.Enqueue(what);
                if (last.Count > 8)
                {
                    last.Dequeue();
                }
            }

            string History(string k) => history.TryGetValue(k, out Queue<Done>? last) ? string.Join(" | ", last) : "none";

            void Read(string k, CacheResult<string> read, string? factoryValue)
            {
                (string? last, int writtenIn) = written.TryGetValue(k, out (string? Value, int Window) w) ? w : (null, 0);
                if (read.HasValue && read.Value != last && read.Value != factoryValue)
                {
                    Interlocked.Increment(ref _staleReads);
                    _problems.Enqueue($"{k}: read '{read.Value}', last written {(last is null ? "nothing" : "'" + last + "'")}; {_cache.GetStatistics().RemoteErrors} Redis errors so far; the key's last operations: {History(k)}");
                }

                // Strict only when the whole operation ran inside the window the write was made in.
                if (window > 0 && writtenIn == window && Volatile.Read(ref _window) == window)
                {
                    Interlocked.Increment(ref _strictReads);
                    bool expected = last is null ? !read.HasValue || read.Value == factoryValue : read.HasValue && read.Value == last;
                    if (!expected)
                    {
                        Interlocked.Increment(ref _lostValues);
                        _problems.Enqueue($"{k}: during the outage read {(read.HasValue ? "'" + read.Value + "'" : "nothing")}, written there {(last is null ? "nothing" : "'" + last + "'")}");
                    }
                }
            }
        }
    }

    /// <summary>One operation of a worker on a key, as a problem report shows it.</summary>
    private readonly record struct Done(int Operation, string Value, int Window, TimeSpan Took, TieredCacheState After, int PendingRepairs)
    {
        public override string ToString()
        {
            string name = Operation switch
            {
                0 or 1 => "set",
                2 => "remove",
                3 => "get-or-set",
                4 => "get-many",
                _ => "get",
            };
            return $"{name} '{Value}' in window {Window}, {Took.TotalMilliseconds:F0} ms, then {After}, {PendingRepairs} repairs pending";
        }
    }

    private static Task Guard(Task call) => call.WaitAsync(Liveness);

    private static Task<T> Guard<T>(Task<T> call) => call.WaitAsync(Liveness);
}
