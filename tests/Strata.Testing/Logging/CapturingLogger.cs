using System;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Strata.Testing;

/// <summary>An <see cref="ILogger"/> that keeps what it is given, for assertions on what was logged.</summary>
public sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <summary>Gets or sets the lowest level the logger takes; everything by default.</summary>
    public LogLevel MinimumLevel { get; set; } = LogLevel.Trace;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}
