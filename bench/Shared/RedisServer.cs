using System;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Strata.Bench;

/// <summary>A private redis-server on a free loopback port, or the one named by STRATA_BENCH_REDIS.</summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process? _process;

    private RedisServer(string configuration, Process? process)
    {
        Configuration = configuration;
        _process = process;
    }

    public string Configuration { get; }

    public static RedisServer Start()
    {
        string? given = Environment.GetEnvironmentVariable("STRATA_BENCH_REDIS");
        if (!string.IsNullOrEmpty(given))
        {
            return new RedisServer(given, null);
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string argument in (string[])["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server).");
        process.BeginOutputReadLine();
        string configuration = $"127.0.0.1:{port}";
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new RedisServer(configuration, process);
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Yield();
            }
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
    }
}
