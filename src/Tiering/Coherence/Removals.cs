using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The Redis halves of the removals that span several keys, shared by the callers' operations and the repair drain:
/// Redis first, the other instances through the backplane, then this instance's L1 again. Redis failures propagate
/// (callers run these through the circuit breaker).
/// </summary>
/// <remarks>
/// L1 goes last (or again) because a write to a removed key may reach L1 while the removal runs and reach Redis before
/// it: L1 would keep what Redis no longer has. The repair drain depends on the same order for another reason: until
/// Redis has answered, it may still be the outage, whose writes L1 must keep.
/// </remarks>
internal sealed class Removals(RedisTier l2, Backplane backplane, LocalTier l1)
{
    /// <summary>
    /// Removes what matches a glob over cache keys (null: every key of the prefix) from Redis on every primary, tells the
    /// other instances, then removes it from L1 again; returns the number of keys Redis removed.
    /// </summary>
    internal async Task<long> RemoveMatchingAsync(string? pattern, CancellationToken cancellationToken)
    {
        long removed = await l2.UnlinkMatchingAsync(pattern, cancellationToken).ConfigureAwait(false);
        Task published = pattern is null ? backplane.PublishAsync(InvalidationKind.All, []) : backplane.PublishAsync(InvalidationKind.Pattern, pattern);
        await published.WaitAsync(cancellationToken).ConfigureAwait(false);
        l1.InvalidateMatching(pattern);
        return removed;
    }

    /// <summary>
    /// Removes <paramref name="keys"/> and the members of <paramref name="groups"/> (of namespace <paramref name="scope"/>)
    /// in one script that also publishes their invalidation, then removes the members from L1: one round trip.
    /// </summary>
    /// <returns>How many of <paramref name="keys"/> existed in Redis, and the group members removed.</returns>
    internal async Task<(long Existed, string[] Members)> RemoveAsync(string scope, IReadOnlyList<string> keys, IReadOnlyList<string> groups)
    {
        (long existed, string[] members) = await l2.InvalidateAsync(scope, keys, groups, backplane.Enabled ? backplane.Channel : (RedisChannel?)null, backplane.KeysHeader).ConfigureAwait(false);
        if (backplane.Enabled && keys.Count + members.Length > 0)
        {
            backplane.CountPublished();
        }

        foreach (string member in members)
        {
            l1.Invalidate(member); // a read that fetched a removed value meanwhile does not install it
        }

        return (existed, members);
    }

    /// <summary>UNLINK of cache keys pipelined with their invalidation (one round trip); returns how many existed.</summary>
    internal async Task<long> UnlinkAsync(string[] keys)
    {
        Task<long> unlinked = l2.UnlinkAsync(keys);
        await Task.WhenAll(unlinked, backplane.PublishAsync(InvalidationKind.Keys, keys)).ConfigureAwait(false);
        return await unlinked.ConfigureAwait(false);
    }
}
