using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.SessionApi.Tests;

/// <summary>
/// The service as its own process, started as a user starts it (<c>dotnet Strata.SessionApi.dll</c>, with its
/// appsettings.json): where it listens, what a bad setting does to the start, what its logs look like.
/// </summary>
public sealed partial class SessionApiProcessTests
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60); // a hang guard, not a timing assertion

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AspNetCoreUrlsAndTheUrlsArgument_ChooseWhereItListens(bool byEnvironment)
    {
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        using Service service = Service.Start(
            byEnvironment ? new() { ["ASPNETCORE_URLS"] = url } : [],
            byEnvironment ? [] : ["--urls", url]);

        Assert.Equal(HttpStatusCode.OK, await service.GetAsync($"{url}/health"));
    }

    [Fact]
    public async Task BadSettings_ExitNonZero_WithOneLinePerProblem_AndNoStackTrace()
    {
        using Service service = Service.Start(new() { ["SESSION_MAX_MESSAGES"] = "0", ["SESSION_EXPIRY_HOURS"] = "-1", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}" }, []);

        int exitCode = await service.ExitAsync();

        string error = service.StandardError;
        Assert.NotEqual(0, exitCode);
        Assert.Contains("SESSION_MAX_MESSAGES", error, StringComparison.Ordinal);
        Assert.Contains("SESSION_EXPIRY_HOURS", error, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\n\s+at \S", error); // no stack frame
    }

    [Fact]
    public async Task UnknownMetricsExporter_ExitsNonZero_NamingTheSetting()
    {
        using Service service = Service.Start(new() { ["METRICS_EXPORTER"] = "carrier-pigeon", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}" }, []);

        Assert.NotEqual(0, await service.ExitAsync());
        Assert.Contains("METRICS_EXPORTER must be 'console' or 'otlp'; it was 'carrier-pigeon'.", service.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_CarryTimestamps_AndRequestLoggingCanBeSwitchedOn()
    {
        string url = $"http://127.0.0.1:{FreePort()}";
        using Service service = Service.Start(new() { ["ASPNETCORE_URLS"] = url, ["RequestLogging"] = "true" }, []);
        Assert.Equal(HttpStatusCode.OK, await service.GetAsync($"{url}/health"));

        string log = await service.OutputWhenAsync(text => text.Contains("StatusCode: 200", StringComparison.Ordinal));

        Assert.Matches(TimestampedLine(), log);
        Assert.Matches(@"Path: /health.*StatusCode: 200|StatusCode: 200.*Path: /health", log.Replace('\n', ' ')); // the request's own line
    }

    [Fact]
    public async Task SilentRedis_TheServiceListensBeforeTheConnectIsMade_AndReportsNotReady()
    {
        using var silent = new SilentServer(); // the connect waits for a handshake that never comes
        string url = $"http://127.0.0.1:{FreePort()}";
        using Service service = Service.Start(
            new()
            {
                ["ASPNETCORE_URLS"] = url,
                ["REDIS_URL"] = $"redis://{silent.Configuration}",
                ["Strata__Provider"] = "Redis",
                ["Strata__OperationTimeout"] = "00:00:30", // and so the connect timeout: a slow start still finds it Connecting
            },
            []);

        Assert.Equal(HttpStatusCode.OK, await service.GetAsync($"{url}/health/live"));
        using var client = new HttpClient();
        string ready = await client.GetStringAsync($"{url}/health/ready");

        // Listening while the cache still reports Connecting: the start did not wait for Redis.
        Assert.Contains("\"Degraded\"", ready, StringComparison.Ordinal);
        Assert.Contains("\"Connecting\"", ready, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")]
    private static partial Regex TimestampedLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The service's process, on an in-memory database and L1 only; killed when disposed.</summary>
    private sealed class Service : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _error = new();

        private Service(Process process) => _process = process;

        public string StandardError
        {
            get
            {
                lock (_error)
                {
                    return _error.ToString();
                }
            }
        }

        public static Service Start(Dictionary<string, string> environment, string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Strata.SessionApi.dll"));
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["Sessions__ConnectionString"] = $"Data Source=proc-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
            start.Environment["Strata__Provider"] = "Memory";
            start.Environment["Auth__SigningKey"] = Support.SessionApiFactory.SigningKey; // the process runs in Production
            start.Environment.Remove("REDIS_URL");
            foreach ((string name, string value) in environment)
            {
                start.Environment[name] = value;
            }

            var service = new Service(new Process { StartInfo = start });
            service._process.OutputDataReceived += (_, e) => service.Append(service._output, e.Data);
            service._process.ErrorDataReceived += (_, e) => service.Append(service._error, e.Data);
            service._process.Start();
            service._process.BeginOutputReadLine();
            service._process.BeginErrorReadLine();
            return service;
        }

        /// <summary>Polls <paramref name="url"/> until it answers (the service is starting); the status of the first answer.</summary>
        public async Task<HttpStatusCode> GetAsync(string url)
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            HttpStatusCode status = default;
            await Eventually.True(
                async () =>
                {
                    if (_process.HasExited)
                    {
                        Assert.Fail($"the service exited ({_process.ExitCode}): {StandardError}");
                    }

                    try
                    {
                        status = (await client.GetAsync(url)).StatusCode;
                        return true;
                    }
                    catch (HttpRequestException)
                    {
                        return false; // not listening yet
                    }
                },
                $"the service to answer {url}",
                StartLimit.TotalSeconds);
            return status;
        }

        public async Task<int> ExitAsync()
        {
            await _process.WaitForExitAsync().WaitAsync(StartLimit);
            _process.WaitForExit(); // the redirected streams are drained
            return _process.ExitCode;
        }

        /// <summary>Waits until standard output satisfies <paramref name="condition"/>; the output so far.</summary>
        public async Task<string> OutputWhenAsync(Func<string, bool> condition)
        {
            string text = string.Empty;
            await Eventually.True(
                () =>
                {
                    lock (_output)
                    {
                        text = _output.ToString();
                    }

                    return condition(text);
                },
                "the service's output",
                StartLimit.TotalSeconds);
            return text;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private void Append(StringBuilder target, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (target)
            {
                target.AppendLine(line);
            }
        }
    }
}
