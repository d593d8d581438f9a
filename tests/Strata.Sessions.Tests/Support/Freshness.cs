using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Strata.Sessions.Tests.Support;

/// <summary>
/// Compares every cached read of a repository with the same question asked of the database directly: the check that
/// a write left nothing stale behind.
/// </summary>
internal static class Freshness
{
    public const string SearchText = "needle";

    /// <summary>Whether every read about these sessions, users and agents answers what the store holds now.</summary>
    public static async Task<string?> FindStaleAsync(SessionRepository repository, ISessionStore store, IEnumerable<Guid> sessions, IEnumerable<string> users, IEnumerable<string> agents)
    {
        foreach (Guid id in sessions)
        {
            ChatSession? truth = await store.GetAsync(id);
            ChatSession? visible = truth?.Status == SessionStatus.Deleted ? null : truth;
            if (Differs(await repository.GetAsync(id, includeDeleted: true), truth, out string? why) ||
                Differs(await repository.GetAsync(id), visible, out why))
            {
                return $"session {id}: {why}";
            }

            SessionWithMessages? expected = visible is null ? null : new SessionWithMessages(visible, await store.ListMessagesAsync(id));
            if (Differs(await repository.GetSessionWithMessagesAsync(id), expected, out why))
            {
                return $"session {id} with messages: {why}";
            }
        }

        foreach (string user in users)
        {
            IReadOnlyList<ChatSession> all = await store.ListByUserAsync(user, activeOnly: false);
            DateTimeOffset since = DateTimeOffset.MinValue;
            var checks = new (string What, Func<Task<object>> Cached, Func<Task<object>> Truth)[]
            {
                ("all", async () => await repository.GetUserSessionsAsync(user), async () => all),
                ("active", async () => await repository.GetUserSessionsAsync(user, activeOnly: true), async () => await store.ListByUserAsync(user, activeOnly: true)),
                ("page 1", async () => await repository.GetPaginatedUserSessionsAsync(user, 1, 2), async () => await store.PageByUserAsync(user, 1, 2)),
                ("page 2", async () => await repository.GetPaginatedUserSessionsAsync(user, 2, 2), async () => await store.PageByUserAsync(user, 2, 2)),
                ("search", async () => await repository.SearchSessionsAsync(user, SearchText), async () => await store.SearchAsync(user, SearchText, 50)),
                ("statistics", async () => await repository.GetSessionStatisticsAsync(user), async () => await store.GetStatisticsAsync(user)),
            };
            foreach ((string what, Func<Task<object>> cached, Func<Task<object>> truth) in checks)
            {
                if (Differs(await cached(), await truth(), out string? why))
                {
                    return $"user {user}, {what}: {why}";
                }
            }
        }

        foreach (string agent in agents)
        {
            if (Differs(await repository.GetSessionsByAgentAsync(agent), await store.ListByAgentAsync(agent, 50), out string? why))
            {
                return $"agent {agent}: {why}";
            }
        }

        return null;
    }

    public static async Task AssertFreshAsync(SessionRepository repository, ISessionStore store, IEnumerable<Guid> sessions, IEnumerable<string> users, IEnumerable<string> agents)
    {
        string? stale = await FindStaleAsync(repository, store, sessions.ToList(), users.ToList(), agents.ToList());
        Assert.True(stale is null, $"stale read: {stale}");
    }

    private static bool Differs(object? cached, object? truth, out string? why)
    {
        string a = SessionHarness.Json(cached), b = SessionHarness.Json(truth);
        why = a == b ? null : $"cached {a}\n  database {b}";
        return why is not null;
    }
}
