using System;
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Strata.Engine;

namespace Strata.Benchmarks.Local;

/// <summary>
/// A hit looked up by a <see cref="ReadOnlySpan{T}"/> of chars, as a key parsed out of a request buffer is, without
/// making a string (ns per read). The baseline is <c>ConcurrentDictionary</c>'s alternate lookup; the peers have no span
/// lookup.
/// </summary>
[MemoryDiagnoser]
public class SpanKeyBenchmarks
{
    private const int Keys = 1024;
    private string _buffer = null!;
    private (int Start, int Length)[] _slices = null!;
    private ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _dictionary;
    private LocalCache<string> _strata = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] keys = Peers.Keys(Keys);
        _buffer = string.Concat(keys);
        _slices = new (int, int)[Keys];
        var map = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        _strata = new LocalCache<string>(new LocalCacheOptions<string> { MaxEntries = Keys * 4 });
        for (int i = 0, at = 0; i < Keys; at += keys[i].Length, i++)
        {
            _slices[i] = (at, keys[i].Length);
            map[keys[i]] = keys[i];
            _strata.Set(keys[i], keys[i]);
        }

        _dictionary = map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    [GlobalCleanup]
    public void Cleanup() => _strata.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int ConcurrentDictionary()
    {
        int found = 0;
        foreach ((int start, int length) in _slices)
        {
            found += _dictionary.TryGetValue(_buffer.AsSpan(start, length), out string? value) ? value.Length : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataLocalCache()
    {
        int found = 0;
        foreach ((int start, int length) in _slices)
        {
            found += _strata.TryGet(_buffer.AsSpan(start, length), out string? value) ? value!.Length : 0;
        }

        return found;
    }
}
