using Strata.Bench;

namespace Strata.Benchmarks.Local;

/// <summary>
/// The measured loops, generic over the adapter so each is compiled for each cache: the same keys, the same order,
/// the same work for every library. Each returns something derived from the results so nothing is optimised away.
/// </summary>
internal static class Loops
{
    public static int Hits<TCache>(TCache cache, string[] keys) where TCache : ICacheUnderTest
    {
        int found = 0;
        foreach (string key in keys)
        {
            found += cache.TryGet(key, out string? value) ? value!.Length : 0;
        }

        return found;
    }

    public static int Misses<TCache>(TCache cache, string[] keys) where TCache : ICacheUnderTest
    {
        int found = 0;
        foreach (string key in keys)
        {
            found += cache.TryGet(key, out _) ? 1 : 0;
        }

        return found;
    }

    public static int Sets<TCache>(TCache cache, string[] keys, int start, int count) where TCache : ICacheUnderTest
    {
        for (int i = 0; i < count; i++)
        {
            string key = keys[(start + i) % keys.Length];
            cache.Set(key, key);
        }

        return count;
    }

    public static int GetOrSets<TCache>(TCache cache, string[] keys) where TCache : ICacheUnderTest
    {
        int length = 0;
        foreach (string key in keys)
        {
            length += cache.GetOrSet(key, key).Length;
        }

        return length;
    }
}
