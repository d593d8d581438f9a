using System;
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Strata.Engine;

namespace Strata.Benchmarks.Local;

/// <summary>
/// Where a Strata hit spends its time next to <c>ConcurrentDictionary</c>'s, taken apart through the public API (ns
/// per read, 1,024 keys): the same lookup without the read bookkeeping (<c>ContainsKey</c>: no SIEVE visited mark, no
/// hit counter), with the very string that was stored (the reference test ends the key comparison), and a miss (hash
/// and chain walk only). Add <c>--disasm</c> for the disassembly of each (not in the in-process smoke run: the
/// disassembler attaches to a separate benchmark process).
/// </summary>
[MemoryDiagnoser]
public class HitAnatomyBenchmarks
{
    private const int Keys = 1024;
    private string[] _stored = null!;
    private string[] _copies = null!;
    private string[] _absent = null!;
    private ConcurrentDictionary<string, string> _dictionary = null!;
    private LocalCache<string> _strata = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stored = Peers.Keys(Keys);
        _copies = Peers.Keys(Keys);
        _absent = Peers.Keys(Keys, "absent");
        _dictionary = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        _strata = new LocalCache<string>(new LocalCacheOptions<string> { MaxEntries = Keys * 4 });
        foreach (string key in _stored)
        {
            _dictionary[key] = key;
            _strata.Set(key, key);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _strata.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int DictionaryTryGetValue()
    {
        int found = 0;
        foreach (string key in _copies)
        {
            found += _dictionary.TryGetValue(key, out string? value) ? value.Length : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTryGet() => TryGetAll(_copies);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTryGetStoredString() => TryGetAll(_stored);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataContainsKey()
    {
        int found = 0;
        foreach (string key in _copies)
        {
            found += _strata.ContainsKey(key) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataMiss() => TryGetAll(_absent);

    private int TryGetAll(string[] keys)
    {
        int found = 0;
        foreach (string key in keys)
        {
            found += _strata.TryGet(key, out string? value) ? value!.Length : 0;
        }

        return found;
    }
}
