using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using Strata.Sessions.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.Sessions.Tests;

/// <summary>
/// Random programs of writes and reads against a repository, with the database as the model: after every step, every
/// cached read (sessions, messages, lists, pages, searches, figures) must answer what the database holds.
/// </summary>
public sealed class SessionRepositoryPropertyTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    private static readonly string[] Users = ["alice", "bob", "a:b"];
    private static readonly string[] Agents = ["code_agent", "chat"];

    [Fact]
    public void RandomPrograms_L1Only_EveryReadMatchesTheDatabase() => Check(redis: null, runs: 40);

    [Fact]
    public void RandomPrograms_Tiered_EveryReadMatchesTheDatabase() => Check(redis.Configuration, runs: 15);

    private static void Check(string? redis, int runs)
    {
        Gen<int[]> programs = Gen.Choose(0, int.MaxValue).ArrayOf().Select(p => p.Take(24).ToArray());
        Prop.ForAll(programs.ToArbitrary(), program => RunAsync(redis, program).GetAwaiter().GetResult())
            .Check(Config.QuickThrowOnFailure.WithMaxTest(runs));
    }

    private static async Task<bool> RunAsync(string? redis, int[] program)
    {
        await using SessionHarness harness = SessionHarness.Create(redis, SessionHarness.Options(maxMessages: 3));
        SessionRepository repository = harness.Repository;
        var sessions = new List<Guid>();
        foreach (int instruction in program)
        {
            int op = instruction % 9, pick = instruction / 9;
            Guid session = sessions.Count == 0 ? Guid.NewGuid() : sessions[pick % sessions.Count];
            switch (op)
            {
                case 0:
                case 1:
                    sessions.Add((await repository.CreateAsync(Users[pick % Users.Length], Agents[pick / 3 % Agents.Length], pick % 2 == 0 ? "a needle" : "hay")).Id);
                    break;
                case 2:
                case 3:
                    try
                    {
                        await repository.AddMessageAsync(session, (MessageRole)(pick % 4), pick % 3 == 0 ? "NEEDLE" : "hay");
                    }
                    catch (SessionMessageLimitException)
                    {
                        // the limit is part of the program: the count must stay where it is
                    }

                    break;
                case 4:
                    await repository.UpdateContextAsync(session, new JsonObject { ["k" + (pick % 3)] = pick });
                    break;
                case 5:
                    await repository.BulkUpdateStatusAsync(sessions.Where((_, i) => (pick >> i & 1) == 1).ToArray(), (SessionStatus)(pick % 4));
                    break;
                case 6:
                    await repository.DeleteAsync(session);
                    break;
                case 7:
                    harness.Time.Advance(TimeSpan.FromHours(pick % 30));
                    await repository.CleanupExpiredSessionsAsync();
                    break;
                default:
                    harness.Time.Advance(TimeSpan.FromMinutes(pick % 120));
                    break;
            }

            string? stale = await Freshness.FindStaleAsync(repository, harness.Store, sessions, Users, Agents);
            if (stale is not null)
            {
                throw new InvalidOperationException($"after op {op} (instruction {instruction}): {stale}");
            }
        }

        return true;
    }
}
