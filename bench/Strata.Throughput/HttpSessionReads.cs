using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Tasks;

namespace Strata.Throughput;

/// <summary>
/// Session reads through HTTP against a running samples/SessionApi (<c>--http http://127.0.0.1:5080</c>): creates
/// sessions with two messages each, then reads each one twice, <c>GET /sessions/{id}</c> and
/// <c>GET /sessions/{id}/messages</c>. The first read of an id misses the cache (a SQLite query, then a cache fill);
/// the second is served by the cache. One client, keep-alive, requests one at a time, so each figure is a request's
/// full latency: client, loopback, Kestrel, authentication, routing, the per-user rate limiter, the repository and JSON.
/// Every request carries one administrator's token (<c>STRATA_BENCH_TOKEN</c>), which may create and read every
/// user's sessions; all requests then share that token's rate limit, so run the service with a limit above the
/// requests of a run (<c>RateLimit__PermitLimit=100000</c>).
/// </summary>
internal static class HttpSessionReads
{
    public static async Task RunAsync(Uri service, string token, bool quick)
    {
        int count = quick ? 500 : 2000;
        using var http = new HttpClient { BaseAddress = service };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Console.WriteLine($"service {service}, {count} sessions per round, 2 rounds");
        Console.WriteLine();
        Console.WriteLine("| read | round | p50 µs | p90 µs | p99 µs | mean µs |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (int round = 1; round <= 2; round++)
        {
            List<(string User, string Id)> sessions = await CreateAsync(http, count, round);
            foreach (string path in (string[])["/sessions/{0}", "/sessions/{0}/messages"])
            {
                double[] cold = await ReadAllAsync(http, sessions, path);
                double[] warm = await ReadAllAsync(http, sessions, path);
                Print($"`GET {string.Format(CultureInfo.InvariantCulture, path, "{id}")}` uncached (first read)", round, cold);
                Print($"`GET {string.Format(CultureInfo.InvariantCulture, path, "{id}")}` cached (second read)", round, warm);
            }
        }
    }

    private static async Task<List<(string User, string Id)>> CreateAsync(HttpClient http, int count, int round)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        var sessions = new List<(string, string)>(count);
        for (int i = 0; i < count; i++)
        {
            string user = $"bench-{run}-{round}-{i}"; // one user per session, as a service's sessions are spread
            using HttpRequestMessage create = Request(HttpMethod.Post, "/sessions", new { userId = user, agentId = "bench_agent", title = $"session {i}", context = new { round, i } });
            using HttpResponseMessage created = await http.SendAsync(create);
            created.EnsureSuccessStatusCode();
            string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            foreach (string text in (string[])["How do I read a file?", "Use File.ReadAllText."])
            {
                using HttpRequestMessage add = Request(HttpMethod.Post, $"/sessions/{id}/messages", new { role = text.EndsWith('?') ? "user" : "assistant", content = text });
                using HttpResponseMessage added = await http.SendAsync(add);
                added.EnsureSuccessStatusCode();
            }

            sessions.Add((user, id));
        }

        return sessions;
    }

    private static async Task<double[]> ReadAllAsync(HttpClient http, List<(string User, string Id)> sessions, string path)
    {
        var micros = new double[sessions.Count];
        for (int i = 0; i < sessions.Count; i++)
        {
            using HttpRequestMessage request = Request(HttpMethod.Get, string.Format(CultureInfo.InvariantCulture, path, sessions[i].Id), body: null);
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.SendAsync(request);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if (!response.IsSuccessStatusCode || body.Length == 0)
            {
                throw new InvalidOperationException($"GET {request.RequestUri} answered {(int)response.StatusCode}");
            }
        }

        return micros;
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    private static void Print(string what, int round, double[] micros)
    {
        Array.Sort(micros);
        double At(double q) => micros[Math.Min(micros.Length - 1, (int)(q * micros.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {round} | {At(0.50):0} | {At(0.90):0} | {At(0.99):0} | {micros.Average():0} |"));
    }
}
