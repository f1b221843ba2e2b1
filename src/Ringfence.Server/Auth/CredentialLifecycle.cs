using System.Data.Common;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Http;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Auth;

/// <summary>
/// Listing and revoking operator API keys, revoking and decommissioning hosts. Each change and its audit entry commit
/// in one transaction with a bump of the credential revision; this node's caches drop the credential at once.
/// </summary>
public sealed class CredentialLifecycle(Database db, TimeProvider time, OperatorAuth operators, HostAuth hosts)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<IReadOnlyList<ApiKeyDto>> ListApiKeysAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await ApiKeyStore.ListAsync(c, ct)).Select(ToDto).ToList();
    }

    /// <summary>404 for an unknown key, 409 when already revoked or when it is the last usable admin key (no lock-out).</summary>
    public async Task<Outcome<ApiKeyDto>> RevokeApiKeyAsync(OperatorPrincipal by, string id, CancellationToken ct)
    {
        var now = Now;
        var outcome = await db.InTransactionAsync<Outcome<ApiKeyDto>>(async (c, tx) =>
        {
            var key = await ApiKeyStore.FindAsync(c, tx, id);
            if (key is null)
                return Problems.NotFound($"API key {id} does not exist");
            if (key.RevokedAt is not null)
                return Problems.Conflict($"API key {id} ('{key.Name}') is already revoked");
            if (string.Equals(key.Role, nameof(OperatorRole.Admin), StringComparison.OrdinalIgnoreCase) && key.UsableAt(now)
                && await ApiKeyStore.CountUsableAdminsAsync(c, tx, now, except: id) == 0)
                return Problems.Conflict($"API key {id} ('{key.Name}') is the last usable admin key: revoking it would lock every operator out; create another admin key first");
            await ApiKeyStore.RevokeAsync(c, tx, id, now, by.Name);
            await CredentialRevisionStore.BumpAsync(c, tx);
            await AuditAsync(c, tx, by.Actor, "api-key.revoke", id, ("name", key.Name), ("role", key.Role), ("self", key.Id == by.KeyId ? "true" : null));
            key.RevokedAt = now;
            key.RevokedBy = by.Name;
            return ToDto(key);
        }, ct);
        if (outcome.Problem is null)
            operators.Forget();
        return outcome;
    }

    /// <summary>The host's credential stops working (401 on check-in and telemetry); the host stays in the fleet until decommissioned.</summary>
    public async Task<Outcome<HostCredentialChange>> RevokeHostAsync(OperatorPrincipal by, string hostId, CancellationToken ct)
    {
        var now = Now;
        var outcome = await db.InTransactionAsync<Outcome<HostCredentialChange>>(async (c, tx) =>
        {
            var host = await HostCredentialStore.FindAsync(c, tx, hostId, ct);
            if (host is null)
                return Problems.NotFound($"host {hostId} does not exist");
            if (!await HostCredentialStore.RevokeAsync(c, tx, hostId, now))
                return Problems.Conflict($"host {hostId}'s credential is already revoked");
            await CredentialRevisionStore.BumpAsync(c, tx);
            await AuditAsync(c, tx, by.Actor, "host.revoke", hostId, ("hostname", host.Hostname));
            return new HostCredentialChange(hostId, host.Hostname, true, false, DateTimeOffset.FromUnixTimeMilliseconds(now));
        }, ct);
        if (outcome.Problem is null)
            hosts.Forget(hostId);
        return outcome;
    }

    /// <summary>Removes the host from the fleet (and so from exposure counts and targets); its credential dies with it. Past telemetry stays.</summary>
    public async Task<Outcome<HostCredentialChange>> DecommissionHostAsync(OperatorPrincipal by, string hostId, CancellationToken ct)
    {
        var now = Now;
        var outcome = await db.InTransactionAsync<Outcome<HostCredentialChange>>(async (c, tx) =>
        {
            var host = await HostCredentialStore.FindAsync(c, tx, hostId, ct);
            if (host is null)
                return Problems.NotFound($"host {hostId} does not exist");
            await HostCredentialStore.DeleteAsync(c, tx, hostId);
            await CredentialRevisionStore.BumpAsync(c, tx);
            await AuditAsync(c, tx, by.Actor, "host.decommission", hostId, ("hostname", host.Hostname), ("wasRevoked", host.RevokedAt is null ? "false" : "true"));
            return new HostCredentialChange(hostId, host.Hostname, true, true, DateTimeOffset.FromUnixTimeMilliseconds(now));
        }, ct);
        if (outcome.Problem is null)
            hosts.Forget(hostId);
        return outcome;
    }

    /// <summary>
    /// Issues an admin key straight into the database (`ringfence admin issue-key`: whoever can run it already holds
    /// the database), audited like any other key. The way back in after a lost bootstrap key or a fleet of expired keys.
    /// </summary>
    public static async Task<(string Id, string Key)> IssueAdminKeyAsync(Database db, TimeProvider time, string name, string actor, CancellationToken ct)
    {
        var key = Secrets.New("rfk_");
        var id = Secrets.NewId("key_");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.InTransactionAsync(async (c, tx) =>
        {
            await ApiKeyStore.InsertAsync(c, tx, id, name, nameof(OperatorRole.Admin), Secrets.Hash(key), now, null);
            await AuditLog.AppendAsync(c, tx, db.Provider, now, actor, "api-key.create", id, Details(("name", name), ("role", nameof(OperatorRole.Admin)), ("via", "cli")));
            return 0;
        }, ct);
        return (id, key);
    }

    /// <summary>
    /// The expiry of a new key: <paramref name="expiresAt"/> (in the future, within ten years) or
    /// <paramref name="expiresInDays"/> (1..3650) from now, not both; null for a key that does not expire.
    /// </summary>
    public static (long? ExpiresAt, string? Error) ResolveExpiry(DateTimeOffset? expiresAt, int? expiresInDays, long now)
    {
        const int MaxDays = 3650;
        if (expiresAt is not null && expiresInDays is not null)
            return (null, "$.expiresAt, $.expiresInDays: give one of them, not both");
        if (expiresInDays is { } days)
            return days is < 1 or > MaxDays ? (null, $"$.expiresInDays: {days} is outside 1..{MaxDays}") : (now + days * 86_400_000L, null);
        if (expiresAt is { } at)
        {
            var ms = at.ToUnixTimeMilliseconds();
            if (ms <= now)
                return (null, "$.expiresAt: must be in the future");
            if (ms > now + MaxDays * 86_400_000L)
                return (null, $"$.expiresAt: at most {MaxDays} days from now");
            return (ms, null);
        }
        return (null, null);
    }

    private Task AuditAsync(DbConnection c, DbTransaction tx, string actor, string action, string subject, params (string Key, string? Value)[] details) =>
        AuditLog.AppendAsync(c, tx, db.Provider, Now, actor, action, subject, Details(details));

    private static string Details(params (string Key, string? Value)[] pairs)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
            if (v is not null)
                map[k] = v;
        return JsonSerializer.Serialize(map, ServerJsonContext.Default.SortedDictionaryStringString);
    }

    private static ApiKeyDto ToDto(ApiKeyRecord r) => new(r.Id, r.Name, Enum.TryParse<OperatorRole>(r.Role, true, out var role) ? role : OperatorRole.Viewer,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), Time(r.ExpiresAt), Time(r.LastUsedAt), Time(r.RevokedAt), r.RevokedBy);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}

/// <summary>Whether anyone can still administer the server.</summary>
public static class AdminKeys
{
    public static async Task<long> CountUsableAsync(Database db, TimeProvider time, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await ApiKeyStore.CountUsableAdminsAsync(c, null, time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
