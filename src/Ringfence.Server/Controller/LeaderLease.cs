using Dapper;
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
    public async Task<bool> TryAcquireAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = now + (long)duration.TotalMilliseconds;
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("INSERT INTO leases (name, holder, expires_at) VALUES (@name, @nodeId, 0) ON CONFLICT DO NOTHING", new { name, nodeId });
        var updated = await c.ExecuteAsync(
            "UPDATE leases SET holder = @nodeId, expires_at = @expires WHERE name = @name AND (holder = @nodeId OR expires_at < @now)",
            new { name, nodeId, expires, now });
        return updated == 1;
    }

    /// <summary>Gives the lease up (on clean shutdown) so another node takes over without waiting for expiry.</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("UPDATE leases SET expires_at = 0 WHERE name = @name AND holder = @nodeId", new { name, nodeId });
    }

    public async Task<(string Holder, long ExpiresAt)?> CurrentAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<LeaseRow>("SELECT holder, expires_at FROM leases WHERE name = @name", new { name });
        return row is null ? null : (row.Holder, row.ExpiresAt);
    }
}

internal sealed class LeaseRow
{
    public string Holder { get; set; } = "";
    public long ExpiresAt { get; set; }
}
