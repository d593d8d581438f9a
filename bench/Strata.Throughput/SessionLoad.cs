using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Throughput;

/// <summary>The settings of a <see cref="SessionLoad"/> run.</summary>
/// <param name="Service">The running samples/SessionApi, on loopback.</param>
/// <param name="Token">An administrator's bearer token of the service, which may create and read every user's sessions.</param>
/// <param name="Seconds">How long the load runs.</param>
/// <param name="Connections">Concurrent requests (each a loop over one keep-alive connection).</param>
/// <param name="Mix">Percentages of session reads, message reads and appends, summing to 100.</param>
/// <param name="Sessions">Sessions created before the load, one user each; every request picks one at random.</param>
/// <param name="AcknowledgedFile">Where to write the acknowledged appends, or null.</param>
internal sealed record SessionLoadSettings(Uri Service, string Token, int Seconds, int Connections, (int Sessions, int Messages, int Appends) Mix, int Sessions, string? AcknowledgedFile);

/// <summary>
/// A mixed load against a running samples/SessionApi (<c>--load http://127.0.0.1:5080</c>): <c>GET /sessions/{id}</c>,
/// <c>GET /sessions/{id}/messages</c> and <c>POST /sessions/{id}/messages</c> in the given mix, from a number of
/// concurrent connections, for a number of seconds. It counts every answer by class, keeps each request's latency, and
/// afterwards reads every session's messages back through the service to check that each append it acknowledged is
/// there: one that is not is a stale read (the service's cache answered a list older than the append). With
/// <see cref="SessionLoadSettings.AcknowledgedFile"/> it also writes every acknowledged append (session id, a tab, the
/// content) there, for bench/session-api-load.sh to look up in the database itself: one missing there is a lost write.
/// Prints a table per request kind, the requests per second of each second of the run, and a last line
/// <c>5xx N, failed N, stale reads N</c>; exits 1 when 5xx or failed is not 0.
/// </summary>
internal static class SessionLoad
{
    private enum Kind
    {
        SessionRead,
        MessageRead,
        Append,
    }

    public static async Task<int> RunAsync(SessionLoadSettings settings)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = settings.Service,
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", settings.Token);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"service {settings.Service}, {settings.Connections} connections, {settings.Seconds} s, mix {settings.Mix.Sessions}/{settings.Mix.Messages}/{settings.Mix.Appends} (session reads / message reads / appends), {settings.Sessions} sessions"));
        Guid[] sessions = await CreateSessionsAsync(http, settings.Sessions);
        Console.WriteLine("load started"); // bench/session-api-load.sh --drill times its Redis outage from this line

        var acknowledged = new ConcurrentDictionary<Guid, ConcurrentBag<string>>();
        var perSecond = new int[settings.Seconds + 1];
        var workers = new Worker[settings.Connections];
        var clock = Stopwatch.StartNew();
        TimeSpan duration = TimeSpan.FromSeconds(settings.Seconds);
        Task[] loops = new Task[settings.Connections];
        for (int w = 0; w < workers.Length; w++)
        {
            Worker worker = workers[w] = new Worker(w);
            loops[w] = Task.Run(async () =>
            {
                var random = new Random(worker.Id);
                while (clock.Elapsed < duration)
                {
                    int roll = random.Next(100);
                    Kind kind = roll < settings.Mix.Sessions ? Kind.SessionRead : roll < settings.Mix.Sessions + settings.Mix.Messages ? Kind.MessageRead : Kind.Append;
                    Guid id = sessions[random.Next(sessions.Length)];
                    string? content = kind == Kind.Append ? $"load {worker.Id}-{worker.Sent++}" : null;
                    long start = Stopwatch.GetTimestamp();
                    int status;
                    try
                    {
                        using HttpRequestMessage request = kind switch
                        {
                            Kind.SessionRead => new HttpRequestMessage(HttpMethod.Get, $"/sessions/{id}"),
                            Kind.MessageRead => new HttpRequestMessage(HttpMethod.Get, $"/sessions/{id}/messages"),
                            _ => new HttpRequestMessage(HttpMethod.Post, $"/sessions/{id}/messages") { Content = JsonContent.Create(new { role = "user", content }) },
                        };
                        using HttpResponseMessage response = await http.SendAsync(request);
                        await response.Content.ReadAsByteArrayAsync();
                        status = (int)response.StatusCode;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        status = 0; // no answer: a refused or reset connection, or the 30 s time-out
                    }

                    double micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    worker.Record(kind, status, micros);
                    Interlocked.Increment(ref perSecond[Math.Min(settings.Seconds, (int)clock.Elapsed.TotalSeconds)]);
                    if (kind == Kind.Append && status == 200)
                    {
                        acknowledged.GetOrAdd(id, _ => []).Add(content!);
                    }
                }
            });
        }

        await Task.WhenAll(loops);
        double elapsed = clock.Elapsed.TotalSeconds;
        int stale = await CountStaleAsync(http, acknowledged);
        if (settings.AcknowledgedFile is { } file)
        {
            await System.IO.File.WriteAllLinesAsync(file, acknowledged.SelectMany(pair => pair.Value.Select(content => $"{pair.Key}\t{content}")));
        }

        Console.WriteLine();
        Console.WriteLine("| requests | count | per s | p50 ms | p99 ms | max ms | 2xx | 4xx | 5xx | failed |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (Kind? kind in (Kind?[])[Kind.SessionRead, Kind.MessageRead, Kind.Append, null])
        {
            double[] latencies = workers.SelectMany(w => w.Latencies(kind)).ToArray();
            int[] statuses = workers.SelectMany(w => w.Statuses(kind)).ToArray();
            if (latencies.Length == 0)
            {
                continue;
            }

            Array.Sort(latencies);
            double At(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))] / 1000;
            string name = kind switch { Kind.SessionRead => "`GET /sessions/{id}`", Kind.MessageRead => "`GET /sessions/{id}/messages`", Kind.Append => "`POST /sessions/{id}/messages`", _ => "all" };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {latencies.Length} | {latencies.Length / elapsed:0} | {At(0.50):0.0} | {At(0.99):0.0} | {latencies[^1] / 1000:0.0} | {statuses.Count(s => s is >= 200 and < 300)} | {statuses.Count(s => s is >= 400 and < 500)} | {statuses.Count(s => s >= 500)} | {statuses.Count(s => s == 0)} |"));
        }

        Console.WriteLine();
        Console.WriteLine("requests per second, each second: " + string.Join(' ', perSecond.Take(settings.Seconds)));
        int fivexx = workers.Sum(w => w.Statuses(null).Count(s => s >= 500));
        int failed = workers.Sum(w => w.Statuses(null).Count(s => s == 0));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged appends {acknowledged.Values.Sum(b => b.Count)}, read back through the service"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"5xx {fivexx}, failed {failed}, stale reads {stale}"));
        return fivexx + failed == 0 ? 0 : 1;
    }

    private static async Task<Guid[]> CreateSessionsAsync(HttpClient http, int count)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        var ids = new Guid[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
        {
            using HttpResponseMessage created = await http.PostAsJsonAsync("/sessions", new { userId = $"load-{run}-{i}", agentId = "load_agent", title = $"load session {i}", context = new { i } }, cancellationToken);
            created.EnsureSuccessStatusCode();
            ids[i] = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid();
        });
        return ids;
    }

    /// <summary>Reads every session the load appended to, through the service, and counts acknowledged messages it does not show.</summary>
    private static async Task<int> CountStaleAsync(HttpClient http, ConcurrentDictionary<Guid, ConcurrentBag<string>> acknowledged)
    {
        int stale = 0;
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (pair, cancellationToken) =>
        {
            JsonElement read = await http.GetFromJsonAsync<JsonElement>($"/sessions/{pair.Key}/messages", cancellationToken);
            var stored = read.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()).ToHashSet();
            Interlocked.Add(ref stale, pair.Value.Count(content => !stored.Contains(content)));
        });
        return stale;
    }

    /// <summary>One connection's loop and what it saw; only its own task writes to it.</summary>
    private sealed class Worker(int id)
    {
        private readonly List<(Kind Kind, int Status, double Micros)> _requests = new(1 << 16);

        public int Id { get; } = id;

        public int Sent { get; set; }

        public void Record(Kind kind, int status, double micros) => _requests.Add((kind, status, micros));

        public IEnumerable<double> Latencies(Kind? kind) => _requests.Where(r => kind is null || r.Kind == kind).Select(r => r.Micros);

        public IEnumerable<int> Statuses(Kind? kind) => _requests.Where(r => kind is null || r.Kind == kind).Select(r => r.Status);
    }
}
