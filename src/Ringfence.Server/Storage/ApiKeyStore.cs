using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>An operator API key as stored (never the secret, only its SHA-256). Times are unix milliseconds.</summary>
public sealed class ApiKeyRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string KeyHash { get; set; } = "";
    public long CreatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
    public long? LastUsedAt { get; set; }

    public bool UsableAt(long now) => RevokedAt is null && (ExpiresAt is not { } expires || now < expires);
}

/// <summary>The SQL of operator API keys: create, find, list, revoke, and the admin keys still usable.</summary>
public static class ApiKeyStore
{
    private const string Columns = "id, name, role, key_hash, created_at, expires_at, revoked_at, revoked_by, last_used_at";

    public static Task InsertAsync(DbConnection c, DbTransaction tx, string id, string name, string role, string keyHash, long now, long? expiresAt) =>
        c.ExecuteAsync("INSERT INTO api_keys (id, name, role, key_hash, created_at, expires_at) VALUES (@id, @name, @role, @keyHash, @now, @expiresAt)",
            new { id, name, role, keyHash, now, expiresAt }, tx);

    public static Task<ApiKeyRecord?> FindByHashAsync(DbConnection c, string keyHash, CancellationToken ct) =>
        c.QueryFirstOrDefaultAsync<ApiKeyRecord>(new CommandDefinition($"SELECT {Columns} FROM api_keys WHERE key_hash = @keyHash", new { keyHash }, cancellationToken: ct));

    public static Task<ApiKeyRecord?> FindAsync(DbConnection c, DbTransaction tx, string id) =>
        c.QueryFirstOrDefaultAsync<ApiKeyRecord>($"SELECT {Columns} FROM api_keys WHERE id = @id", new { id }, tx);

    public static async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(DbConnection c, CancellationToken ct) =>
        (await c.QueryAsync<ApiKeyRecord>(new CommandDefinition($"SELECT {Columns} FROM api_keys ORDER BY created_at, id", cancellationToken: ct))).AsList();

    /// <summary>Admin keys neither revoked nor expired at <paramref name="now"/>, optionally leaving one out.</summary>
    public static Task<long> CountUsableAdminsAsync(DbConnection c, DbTransaction? tx, long now, string? except = null) =>
        c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM api_keys WHERE role = 'Admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now) AND (@except IS NULL OR id <> @except)",
            new { now, except }, tx);

    /// <summary>Marks the key revoked; false when it does not exist or was already revoked.</summary>
    public static async Task<bool> RevokeAsync(DbConnection c, DbTransaction tx, string id, long now, string by) =>
        await c.ExecuteAsync("UPDATE api_keys SET revoked_at = @now, revoked_by = @by WHERE id = @id AND revoked_at IS NULL", new { id, now, by }, tx) > 0;

    public static Task TouchAsync(DbConnection c, DbTransaction tx, string id, long now) =>
        c.ExecuteAsync("UPDATE api_keys SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @now)", new { id, now }, tx);

    public static Task<long> CountAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys", transaction: tx);

    public static async Task<bool> ExistsByHashAsync(DbConnection c, DbTransaction tx, string keyHash) =>
        await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE key_hash = @keyHash", new { keyHash }, tx) != 0;
}
