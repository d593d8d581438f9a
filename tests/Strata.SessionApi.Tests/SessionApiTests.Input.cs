using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Strata.SessionApi.Tests.Support;
using Strata.Sessions;
using Xunit;

namespace Strata.SessionApi.Tests;

/// <summary>
/// Input a hostile or careless client sends: each case was once stored and then broke the reads (500 for the session,
/// its user's lists and its agent's), or was stored with a silent default. Now refused with the field named, and
/// whatever is accepted reads back through every route that serves it.
/// </summary>
public abstract partial class SessionApiTests
{
    [Theory]
    [InlineData(SessionRepository.MaxJsonDepth + 1)]
    [InlineData(63)] // once stored, and every read of it answered 500
    public async Task ContextTooDeep_OnCreate_Is400NamingTheContext(int depth)
    {
        HttpResponseMessage response = await _client.PostAsync("/sessions", Body($$"""{"userId":"alice","agentId":"a","title":"t","context":{{Nested(depth)}}}"""));

        AssertBadField(await Json(response, HttpStatusCode.BadRequest), "context");
        Assert.Empty((await Json(await _client.GetAsync("/users/alice/sessions"), HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task ContextTooDeep_OnPatch_Is400_AndEveryReadStillAnswers()
    {
        string id = await CreateAsync(Nested(SessionRepository.MaxJsonDepth)); // the deepest accepted

        HttpResponseMessage response = await _client.PatchAsync($"/sessions/{id}/context", Body($$"""{"deep":{{Nested(63)}}}""")); // 64 in all: what the reader accepts

        AssertBadField(await Json(response, HttpStatusCode.BadRequest), "context");
        await AssertEveryReadAnswersAsync(id);
    }

    [Fact]
    public async Task MetadataTooDeepOrTooLong_Is400NamingTheMetadata()
    {
        string id = await CreateAsync("{}");

        AssertBadField(await Json(await _client.PostAsync($"/sessions/{id}/messages", Body($$"""{"role":"user","content":"x","metadata":{{Nested(SessionRepository.MaxJsonDepth + 1)}}}""")), HttpStatusCode.BadRequest), "metadata");
        AssertBadField(await Json(await _client.PostAsJsonAsync($"/sessions/{id}/messages", new { role = "user", content = "x", metadata = new { blob = new string('m', SessionRepository.MaxJsonLength) } }), HttpStatusCode.BadRequest), "metadata");
        Assert.Equal(0, (await Json(await _client.GetAsync($"/sessions/{id}"), HttpStatusCode.OK)).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task ContextTooLong_OnCreateOrByPatchesThatGrowIt_Is400_AndNothingChanges()
    {
        AssertBadField(await Json(await _client.PostAsJsonAsync("/sessions", new { userId = "alice", agentId = "a", title = "t", context = new { blob = new string('c', SessionRepository.MaxJsonLength) } }), HttpStatusCode.BadRequest), "context");
        string id = await CreateAsync("{}");
        string half = new('h', SessionRepository.MaxJsonLength / 2);
        await Json(await _client.PatchAsJsonAsync($"/sessions/{id}/context", new { a = half }), HttpStatusCode.OK);

        HttpResponseMessage grown = await _client.PatchAsJsonAsync($"/sessions/{id}/context", new { b = half }); // each alone fits; merged they do not

        AssertBadField(await Json(grown, HttpStatusCode.BadRequest), "context");
        JsonElement context = (await Json(await _client.GetAsync($"/sessions/{id}"), HttpStatusCode.OK)).GetProperty("context");
        Assert.Equal(["a"], context.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task MissingRole_Is400_NotAUserMessage()
    {
        string id = await CreateAsync("{}");

        AssertBadField(await Json(await _client.PostAsJsonAsync($"/sessions/{id}/messages", new { content = "no role" }), HttpStatusCode.BadRequest), "role");
        Assert.Equal(0, (await Json(await _client.GetAsync($"/sessions/{id}"), HttpStatusCode.OK)).GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public async Task MissingStatus_Is400_AndDoesNotReactivateACompletedSession()
    {
        string id = await CreateAsync("{}");
        await Json(await _client.PostAsJsonAsync("/sessions/status", new { sessionIds = new[] { id }, status = "completed" }), HttpStatusCode.OK);

        AssertBadField(await Json(await _client.PostAsJsonAsync("/sessions/status", new { sessionIds = new[] { id } }), HttpStatusCode.BadRequest), "status");
        Assert.Equal("completed", (await Json(await _client.GetAsync($"/sessions/{id}"), HttpStatusCode.OK)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("""{"role":"user","role":"tool","content":"x"}""", "role")]
    [InlineData("""{"role":"user","content":"x","metadata":{"a":1,"a":2}}""", "metadata")]
    [InlineData("""{"role":1,"content":"x"}""", "role")]
    [InlineData("""{"role":"robot","content":"x"}""", "role")]
    public async Task DuplicateKeysAndEnumsByNumberOrUnknownName_Are400NamingTheField(string body, string field)
    {
        string id = await CreateAsync("{}");

        AssertBadField(await Json(await _client.PostAsync($"/sessions/{id}/messages", Body(body)), HttpStatusCode.BadRequest), field);
    }

    [Fact]
    public async Task UnknownStatus_Is400NamingTheStatus()
    {
        AssertBadField(await Json(await _client.PostAsync("/sessions/status", Body("""{"sessionIds":[],"status":"paused"}""")), HttpStatusCode.BadRequest), "status");
    }

    [Fact]
    public async Task WhateverIsAccepted_ReadsBackThroughEveryRoute()
    {
        // Seeded random objects around the limits: deep and shallow, wide and narrow, arrays and objects, odd text.
        var random = new Random(18);
        int accepted = 0, refused = 0;
        for (int i = 0; i < 40; i++)
        {
            JsonObject context = RandomObject(random, depth: random.Next(1, 41), width: random.Next(1, 6));
            HttpResponseMessage created = await _client.PostAsJsonAsync("/sessions", new { userId = "alice", agentId = "a", title = $"t{i}", context });
            if (created.StatusCode == HttpStatusCode.BadRequest)
            {
                refused++;
                continue;
            }

            string id = (await Json(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
            accepted++;
            JsonElement read = (await Json(await _client.GetAsync($"/sessions/{id}"), HttpStatusCode.OK)).GetProperty("context");
            Assert.True(JsonNode.DeepEquals(context, JsonNode.Parse(read.GetRawText())), $"context {i} read back changed");
            await AssertEveryReadAnswersAsync(id);
        }

        Assert.True(accepted > 0 && refused > 0, $"{accepted} accepted, {refused} refused: the inputs must fall on both sides of the limits");
    }

    [Theory]
    [InlineData("{not json", "body")]
    [InlineData("""{"role":"robot","content":"x"}""", "role")]
    [InlineData("""{"content":"x"}""", "role")]
    public async Task InProduction_ABadBody_StillNamesTheFieldAndTheReason(string body, string field)
    {
        await using var production = new SessionApiFactory(Redis, environment: "Production");
        using HttpClient client = production.ClientFor("alice");
        string id = (await Json(await client.PostAsJsonAsync("/sessions", new { userId = "alice", agentId = "a", title = "t" }), HttpStatusCode.Created)).GetProperty("id").GetString()!;

        HttpResponseMessage response = await client.PostAsync($"/sessions/{id}/messages", Body(body));

        JsonElement problem = await Json(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        AssertBadField(problem, field);
        Assert.NotEqual("Bad Request", problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    private async Task<string> CreateAsync(string contextJson) =>
        (await Json(await _client.PostAsync("/sessions", Body($$"""{"userId":"alice","agentId":"a","title":"t","context":{{contextJson}}}""")), HttpStatusCode.Created)).GetProperty("id").GetString()!;

    /// <summary>Every route that serves the session, its user's lists and its agent's: each answers 200 with a whole JSON body.</summary>
    private async Task AssertEveryReadAnswersAsync(string id)
    {
        foreach (string path in new[]
        {
            $"/sessions/{id}", $"/sessions/{id}/messages", "/users/alice/sessions", "/users/alice/sessions/page",
            "/users/alice/sessions/search?q=t", "/users/alice/sessions/recent", "/users/alice/stats",
        })
        {
            await Json(await _client.GetAsync(path), HttpStatusCode.OK); // parses the whole body: half a document fails
        }

        await Json(await _admin.GetAsync("/agents/a/sessions"), HttpStatusCode.OK); // the agent's list is an administrator's
    }

    private static void AssertBadField(JsonElement problem, string field) =>
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for '{field}': {problem.GetRawText()}");

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>An object <paramref name="depth"/> levels deep: {"n":{"n":...{}}}.</summary>
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("""{"n":""", depth - 1)) + "{}" + new string('}', depth - 1);

    /// <summary>
    /// An object exactly <paramref name="depth"/> levels deep: a spine of objects and arrays, each level with
    /// <paramref name="width"/> leaves (numbers, text with escapes and surrogate pairs, booleans, nulls, empty arrays).
    /// </summary>
    private static JsonObject RandomObject(Random random, int depth, int width)
    {
        var obj = new JsonObject();
        for (int i = 0; i < width; i++)
        {
            obj[$"k{i}\u00e9"] = RandomLeaf(random);
        }

        if (depth >= 3 && random.Next(3) == 0)
        {
            obj["spine"] = new JsonArray(RandomObject(random, depth - 2, width)); // an array is a level too
        }
        else if (depth >= 2)
        {
            obj["spine"] = RandomObject(random, depth - 1, width);
        }

        return obj;
    }

    private static JsonNode? RandomLeaf(Random random) => random.Next(6) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next()),
        2 => JsonValue.Create("\u2028 \"quoted\" \\ \ud83d\ude00"),
        3 => JsonValue.Create(new string('x', random.Next(10) == 0 ? 2000 : random.Next(0, 200))),
        4 => JsonValue.Create(random.NextDouble() > 0.5),
        _ => new JsonArray(),
    };
}
