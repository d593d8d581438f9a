using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Strata.SessionApi.Tests.Support;
using Xunit;

namespace Strata.SessionApi.Tests;

/// <summary>
/// Every route as the owner of the session (alice), another user (bob), an anonymous caller and an administrator: a
/// user reaches only their own sessions and lists (another's answer 404, as missing ones do), the cleanup and the agent
/// lists are an administrator's, and nothing answers without a valid token.
/// </summary>
public sealed class SessionApiAuthorizationTests : IAsyncLifetime
{
    private readonly SessionApiFactory _factory = new(redis: null);
    private readonly Dictionary<string, HttpClient> _callers = [];

    public Task InitializeAsync()
    {
        _callers["owner"] = _factory.ClientFor("alice");
        _callers["other"] = _factory.ClientFor("bob");
        _callers["admin"] = _factory.ClientFor("root", admin: true);
        _callers["anonymous"] = _factory.AnonymousClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (HttpClient client in _callers.Values)
        {
            client.Dispose();
        }

        await _factory.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task EveryRoute_AnswersEachCallerAsItsRuleSays(string method, string path, string? body, string caller, int expected)
    {
        string id = await AliceSessionAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        if (body is not null)
        {
            request.Content = new StringContent(body.Replace("{id}", id, StringComparison.Ordinal), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response = await _callers[caller].SendAsync(request);

        Assert.True((int)response.StatusCode == expected, $"{method} {path} as {caller}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static TheoryData<string, string, string?, string, int> Routes()
    {
        var routes = new TheoryData<string, string, string?, string, int>();
        void Add(string method, string path, string? body, int owner, int other, int admin)
        {
            routes.Add(method, path, body, "owner", owner);
            routes.Add(method, path, body, "other", other);
            routes.Add(method, path, body, "admin", admin);
            routes.Add(method, path, body, "anonymous", 401);
        }

        Add("POST", "/sessions", """{"userId":"alice","agentId":"a","title":"t"}""", owner: 201, other: 403, admin: 201);
        Add("GET", "/sessions/{id}", null, owner: 200, other: 404, admin: 200);
        Add("GET", "/sessions/{id}/messages", null, owner: 200, other: 404, admin: 200);
        Add("POST", "/sessions/{id}/messages", """{"role":"user","content":"hi"}""", owner: 200, other: 404, admin: 200);
        Add("PATCH", "/sessions/{id}/context", """{"file":"main.py"}""", owner: 200, other: 404, admin: 200);
        Add("DELETE", "/sessions/{id}", null, owner: 204, other: 404, admin: 204);
        Add("POST", "/sessions/status", """{"sessionIds":["{id}"],"status":"completed"}""", owner: 200, other: 200, admin: 200); // bob's count is 0: below
        Add("POST", "/sessions/cleanup", null, owner: 403, other: 403, admin: 200);
        foreach (string list in new[] { "/users/alice/sessions", "/users/alice/sessions/page", "/users/alice/sessions/search?q=t", "/users/alice/sessions/recent", "/users/alice/stats" })
        {
            Add("GET", list, null, owner: 200, other: 404, admin: 200);
        }

        Add("GET", "/agents/a/sessions", null, owner: 403, other: 403, admin: 200);
        return routes;
    }

    [Fact]
    public async Task AnotherUsersWrites_ChangeNothing()
    {
        string id = await AliceSessionAsync();
        HttpClient bob = _callers["other"];

        await bob.PostAsJsonAsync($"/sessions/{id}/messages", new { role = "user", content = "not mine" });
        await bob.PatchAsJsonAsync($"/sessions/{id}/context", new { taken = true });
        await bob.DeleteAsync($"/sessions/{id}");
        JsonElement bulk = JsonDocument.Parse(await (await bob.PostAsJsonAsync("/sessions/status", new { sessionIds = new[] { id }, status = "completed" })).Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(0, bulk.GetProperty("count").GetInt32());
        JsonElement session = JsonDocument.Parse(await _callers["owner"].GetStringAsync($"/sessions/{id}")).RootElement;
        Assert.Equal(("active", 0), (session.GetProperty("status").GetString(), session.GetProperty("messageCount").GetInt32()));
        Assert.False(session.GetProperty("context").TryGetProperty("taken", out _));
    }

    [Theory]
    [InlineData("another-key-of-at-least-thirty-two-bytes!!", "strata-session-api")]
    [InlineData(SessionApiFactory.SigningKey, "someone-else")]
    public async Task TokenSignedWithAnotherKeyOrByAnotherIssuer_Is401(string key, string issuer)
    {
        using HttpClient forged = _factory.AnonymousClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SessionApiFactory.Token("alice", admin: true, key, issuer));

        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/users/alice/sessions")).StatusCode);
    }

    [Fact]
    public async Task TheRateLimitFollowsTheToken_AHeaderCannotChooseAnotherBudget()
    {
        await using var limited = new SessionApiFactory(null, new Dictionary<string, string?> { ["RateLimit:PermitLimit"] = "2", ["RateLimit:WindowSeconds"] = "3600" });
        using HttpClient alice = limited.ClientFor("alice");

        var codes = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/alice/sessions");
            request.Headers.Add("X-User-Id", $"someone-{i}"); // the old way to pick a budget
            codes.Add((await alice.SendAsync(request)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], codes);
    }

    [Fact]
    public async Task HealthEndpoints_NeedNoToken()
    {
        foreach (string path in new[] { "/health", "/health/ready", "/health/live" })
        {
            Assert.Equal(HttpStatusCode.OK, (await _callers["anonymous"].GetAsync(path)).StatusCode);
        }
    }

    private async Task<string> AliceSessionAsync()
    {
        HttpResponseMessage created = await _callers["owner"].PostAsJsonAsync("/sessions", new { agentId = "a", title = "t" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
