using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Strata.Testing;

/// <summary>
/// redis-server processes on loopback for the tests: a single server or a cluster of three primaries with a replica each, with no persistence,
/// stopped on dispose. ./test.sh starts shared ones and passes their addresses in STRATA_TEST_REDIS and
/// STRATA_TEST_REDIS_CLUSTER; run without it (a bare dotnet test), the fixtures start their own.
/// </summary>
public sealed class RedisProcess : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-redis-").FullName;

    private RedisProcess()
    {
    }

    public IReadOnlyList<int> Ports { get; private set; } = [];

    public string Configuration => string.Join(',', Ports.Select(p => $"127.0.0.1:{p}"));

    public static RedisProcess StartServer(int? port = null)
    {
        var redis = new RedisProcess();
        redis.Ports = [redis.Start(port ?? FreePort())];
        return redis;
    }

    public static RedisProcess StartCluster()
    {
        var redis = new RedisProcess();
        var ports = new List<int>();
        for (int i = 0; i < 6; i++) // three primaries, each with a replica, as ./test.sh makes it
        {
            int port = FreePort();
            redis.Start(port, "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(redis._directory, $"nodes-{port}.conf"), "--cluster-node-timeout", "5000");
            ports.Add(port);
        }

        redis.Ports = ports;
        Run("redis-cli", ["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
        // Every node must agree, not just the first: a node still converging answers CLUSTERDOWN.
        WaitFor(() => ports.All(p => Run("redis-cli", ["-p", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "cluster", "info"]).Contains("cluster_state:ok", StringComparison.Ordinal)), "the cluster to form");
        return redis;
    }

    /// <summary>Stops the server on <paramref name="port"/> (as a crash would: no shutdown command).</summary>
    public void Kill(int port)
    {
        int index = Ports.ToList().IndexOf(port);
        _processes[index].Kill();
        _processes[index].WaitForExit();
    }

    /// <summary>Freezes the server on <paramref name="port"/> with SIGSTOP: connections stay open, nothing answers.</summary>
    public void Pause(int port) => Signal(port, "STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public void Resume(int port) => Signal(port, "CONT");

    /// <summary>Starts a stopped server again on the same port.</summary>
    public void Restart(int port)
    {
        int index = Ports.ToList().IndexOf(port);
        _processes[index].Dispose();
        _processes.RemoveAt(index);
        Start(port, index);
    }

    public void Dispose()
    {
        foreach (Process process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A node may still be closing its files; the temp directory is cleaned by the system.
        }
    }

    private void Signal(int port, string signal)
    {
        int pid = _processes[Ports.ToList().IndexOf(port)].Id;
        Run("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static int FreePort()
    {
        // The bus port of a cluster node (port + 10000) must be free too.
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (port < 55000 && IsFree(port + 10000))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private int Start(int port, params string[] extra) => Start(port, _processes.Count, extra);

    private int Start(int port, int index, params string[] extra)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", _directory, .. extra])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start; is it installed? (./test.sh installs it)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Insert(index, process);
        WaitFor(() => Run("redis-cli", ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "ping"]).Contains("PONG", StringComparison.Ordinal), $"redis-server on port {port}");
        return port;
    }

    private static string Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    public static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"Gave up waiting for {what}.");
            }

            Thread.Yield();
            using var pause = new ManualResetEventSlim();
            pause.Wait(TimeSpan.FromMilliseconds(50));
        }
    }
}
