using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Auth;

/// <summary>
/// Runs on every node: polls the credential revision (one settings row) each snapshot-refresh period and, when it
/// moved, drops the cached operator keys and host credentials, so a revocation made on another node takes effect
/// here within one period. The node that revokes drops its own cache at once.
/// </summary>
public sealed partial class CredentialRevocationWatcher(Database db, OperatorAuth operators, HostAuth hosts, RingfenceServerOptions options,
    TimeProvider time, ILogger<CredentialRevocationWatcher> logger) : BackgroundService
{
    private long? _seen;

    /// <summary>One poll; true when the caches were dropped.</summary>
    public async Task<bool> PollAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var revision = await CredentialRevisionStore.ReadAsync(c, ct);
        if (_seen == revision)
            return false;
        var first = _seen is null;
        _seen = revision;
        if (first)
            return false;
        operators.Forget();
        hosts.ForgetAll();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SnapshotRefreshPeriod, time);
        try
        {
            do
            {
                try
                {
                    await PollAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPollFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Could not read the credential revision; keeping cached credentials until the next poll")]
    private partial void LogPollFailed(Exception ex);
}
