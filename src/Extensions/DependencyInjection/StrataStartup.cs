using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// Creates the cache, and with it the Redis connection, while the host starts rather than on the first request; the
/// container disposes both when the host stops. Options were validated just before (<c>ValidateOnStart</c>).
/// </summary>
internal sealed class StrataStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<TieredCache>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
