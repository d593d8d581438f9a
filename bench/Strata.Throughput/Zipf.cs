using System;

namespace Strata.Throughput;

/// <summary>
/// Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s by inverting a precomputed CDF. Deterministic
/// for a given seed, so every cache replays the same trace.
/// </summary>
internal sealed class Zipf
{
    private readonly double[] _cdf;

    public Zipf(int n, double s)
    {
        _cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, s);
            _cdf[i] = sum;
        }

        for (int i = 0; i < n; i++)
        {
            _cdf[i] /= sum;
        }
    }

    public int[] Trace(int length, int seed)
    {
        var random = new Random(seed);
        var trace = new int[length];
        for (int i = 0; i < length; i++)
        {
            int index = Array.BinarySearch(_cdf, random.NextDouble());
            trace[i] = Math.Min(index < 0 ? ~index : index, _cdf.Length - 1);
        }

        return trace;
    }
}
