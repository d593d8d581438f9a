using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Strata.Sessions;

/// <summary>
/// Creates or checks the database schema while the host starts, so a bad database stops the start rather than the first
/// request; then, when <see cref="SessionStoreOptions.CleanupInterval"/> is set, archives idle sessions at that interval.
/// </summary>
internal sealed partial class SessionStartup(ISessionStore store, SessionRepository repository, IOptions<SessionStoreOptions> options, TimeProvider time, ILogger<SessionStartup> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.CleanupInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                int archived = await repository.CleanupExpiredSessionsAsync(stoppingToken).ConfigureAwait(false);
                LogCleanup(logger, archived);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCleanupFailed(logger, ex); // the next tick tries again
            }
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Session cleanup archived {Count} idle sessions")]
    private static partial void LogCleanup(ILogger logger, int count);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Session cleanup failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
