using Ringfence.Server.Hosting;
using Ringfence.Server.Services;

namespace Ringfence.Server.Controller;

/// <summary>
/// The hosted controller: on every period, try to hold the leader lease; the leader runs a controller pass, the
/// others only serve agents. Errors are logged and retried on the next tick, never fatal.
/// </summary>
public sealed partial class ControllerService(
    LeaderLease lease,
    RolloutController controller,
    RingfenceServerOptions options,
    TimeProvider time,
    ILogger<ControllerService> logger) : BackgroundService
{
    public bool IsLeader { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ControllerPeriod, time);
        do
        {
            try
            {
                var leads = await lease.TryAcquireAsync(stoppingToken);
                if (leads != IsLeader)
                    LogLeadership(lease.NodeId, leads);
                IsLeader = leads;
                if (leads)
                    await controller.RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogTickFailed(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (IsLeader)
        {
            try
            {
                await lease.ReleaseAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                LogTickFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} leads: {Leads}")]
    private partial void LogLeadership(string nodeId, bool leads);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller tick failed; retrying on the next tick")]
    private partial void LogTickFailed(Exception ex);
}

/// <summary>Re-reads the target snapshot on every node, so halts and promotions made elsewhere reach this node's agents.</summary>
public sealed partial class SnapshotRefresher(TargetSnapshotHolder holder, ControlPlane plane, RingfenceServerOptions options, TimeProvider time, ILogger<SnapshotRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SnapshotRefreshPeriod, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await holder.RefreshAsync(stoppingToken);
                    await plane.FlushLastSeenAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRefreshFailed(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot refresh failed; keeping the previous one")]
    private partial void LogRefreshFailed(Exception ex);
}
