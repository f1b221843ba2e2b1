using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>The <c>leases</c> table: one row per lease, taken or renewed by a single conditional UPDATE.</summary>
public static class LeaseStore
{
    /// <summary>Takes or renews the lease when it is free, expired or already <paramref name="nodeId"/>'s; true when it now holds it.</summary>
    public static async Task<bool> TryTakeAsync(Database db, string name, string nodeId, long now, long expires, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("INSERT INTO leases (name, holder, expires_at) VALUES (@name, @nodeId, 0) ON CONFLICT DO NOTHING", new { name, nodeId });
        var updated = await c.ExecuteAsync(
            "UPDATE leases SET holder = @nodeId, expires_at = @expires WHERE name = @name AND (holder = @nodeId OR expires_at < @now)",
            new { name, nodeId, expires, now });
        return updated == 1;
    }

    public static async Task ReleaseAsync(Database db, string name, string nodeId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync("UPDATE leases SET expires_at = 0 WHERE name = @name AND holder = @nodeId", new { name, nodeId });
    }

    public static async Task<(string Holder, long ExpiresAt)?> CurrentAsync(Database db, string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<LeaseRow>("SELECT holder, expires_at FROM leases WHERE name = @name", new { name });
        return row is null ? null : (row.Holder, row.ExpiresAt);
    }

    private sealed class LeaseRow
    {
        public string Holder { get; set; } = "";
        public long ExpiresAt { get; set; }
    }
}
