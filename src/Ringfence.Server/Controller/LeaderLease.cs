using Ringfence.Server.Storage;

namespace Ringfence.Server.Controller;

/// <summary>
/// Leadership through a lease row with an expiry: a node takes or renews the lease when it is free, expired or
/// already its own. One UPDATE decides, so two nodes cannot both win; a dead leader's lease simply runs out.
/// </summary>
public sealed class LeaderLease(Database db, TimeProvider time, string nodeId, TimeSpan duration, string name = "controller")
{
    public string NodeId => nodeId;

    /// <summary>Tries to hold the lease until now + duration; true when this node leads.</summary>
    public Task<bool> TryAcquireAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return LeaseStore.TryTakeAsync(db, name, nodeId, now, now + (long)duration.TotalMilliseconds, ct);
    }

    /// <summary>Gives the lease up (on clean shutdown) so another node takes over without waiting for expiry.</summary>
    public Task ReleaseAsync(CancellationToken ct) => LeaseStore.ReleaseAsync(db, name, nodeId, ct);

    public Task<(string Holder, long ExpiresAt)?> CurrentAsync(CancellationToken ct) => LeaseStore.CurrentAsync(db, name, ct);
}
