using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>
/// The set-up every in-process suite shares: all the caches (<see cref="Peers"/>) bounded at 4x the working set and
/// filled with the keys of <see cref="Present"/>; <see cref="Absent"/> are keys none of them holds. The strings of
/// <see cref="Present"/> are copies of the stored ones, equal but not the same objects, as the key of a request is:
/// a lookup cannot succeed on a reference comparison alone. Each suite has one method per
/// library, the <c>ConcurrentDictionary</c> one as the baseline, every one running the same loop from <see cref="Loops"/>.
/// </summary>
[MemoryDiagnoser]
public abstract class PeerBenchmarks
{
    /// <summary>The working set: reads and writes per invocation.</summary>
    protected const int Keys = 1024;

    private protected Peers Caches { get; private set; } = null!;

    private protected string[] Present { get; private set; } = null!;

    private protected string[] Absent { get; private set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        Present = Peers.Keys(Keys);
        Absent = Peers.Keys(Keys, "absent");
        Caches = new Peers(Keys * 4);
        Caches.Fill(Peers.Keys(Keys)); // other string objects with the same text
    }

    [GlobalCleanup]
    public void Cleanup() => Caches.Dispose();
}
