using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>A host's stored credential hash and whether it was revoked.</summary>
public sealed class HostCredentialRecord
{
    public string HostId { get; set; } = "";
    public string Hostname { get; set; } = "";
    public string CredentialHash { get; set; } = "";
    public long? RevokedAt { get; set; }
}

/// <summary>The SQL of host credentials: look up, revoke, decommission (remove the host from the fleet).</summary>
public static class HostCredentialStore
{
    public static Task<HostCredentialRecord?> FindAsync(DbConnection c, DbTransaction? tx, string hostId, CancellationToken ct = default) =>
        c.QueryFirstOrDefaultAsync<HostCredentialRecord>(new CommandDefinition(
            "SELECT host_id, hostname, credential_hash, revoked_at FROM hosts WHERE host_id = @hostId", new { hostId }, tx, cancellationToken: ct));

    /// <summary>False when the host does not exist or its credential was already revoked.</summary>
    public static async Task<bool> RevokeAsync(DbConnection c, DbTransaction tx, string hostId, long now) =>
        await c.ExecuteAsync("UPDATE hosts SET revoked_at = @now WHERE host_id = @hostId AND revoked_at IS NULL", new { hostId, now }, tx) > 0;

    /// <summary>
    /// Removes the host and what it reports running, so it leaves the fleet view, exposure counts and target
    /// resolution. Its telemetry stays: past decisions cite it as evidence.
    /// </summary>
    public static async Task<bool> DeleteAsync(DbConnection c, DbTransaction tx, string hostId)
    {
        await c.ExecuteAsync("DELETE FROM host_channels WHERE host_id = @hostId", new { hostId }, tx);
        return await c.ExecuteAsync("DELETE FROM hosts WHERE host_id = @hostId", new { hostId }, tx) > 0;
    }
}

/// <summary>
/// A counter bumped by every revocation (keys and hosts), in the revoking transaction: each node polls it and drops
/// its cached credentials when it moves, so a revocation takes effect everywhere within one refresh period.
/// </summary>
public static class CredentialRevisionStore
{
    public static Task BumpAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteAsync("UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'credential_revision'", transaction: tx);

    public static async Task<long> ReadAsync(DbConnection c, CancellationToken ct) =>
        long.Parse(await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT value FROM settings WHERE name = 'credential_revision'", cancellationToken: ct)) ?? "0",
            System.Globalization.CultureInfo.InvariantCulture);
}
