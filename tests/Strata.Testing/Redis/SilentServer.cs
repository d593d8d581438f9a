using System;
using System.Net;
using System.Net.Sockets;

namespace Strata.Testing;

/// <summary>
/// A port on loopback that takes TCP connections and never answers, as a Redis behind a firewall that drops replies,
/// or a frozen one: a client's connect completes, its handshake waits for its connect timeout.
/// </summary>
public sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public SilentServer() => _listener.Start(backlog: 64); // the kernel completes handshakes into the backlog; nothing accepts

    /// <summary>Gets the StackExchange.Redis configuration of the server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose() => _listener.Stop();
}
