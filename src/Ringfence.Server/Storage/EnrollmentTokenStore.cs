using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>An enrollment token as enrollment needs it: its id, its limit (null: none) and how often it was used.</summary>
public sealed class EnrollmentTokenRow
{
    public string Id { get; set; } = "";
    public long? Max { get; set; }
    public long Used { get; set; }
}

/// <summary>The SQL of enrollment tokens (only their SHA-256 is stored). The caller owns the transaction.</summary>
public static class EnrollmentTokenStore
{
    public static Task<long> CountAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM enrollment_tokens", transaction: tx);

    public static async Task<bool> ExistsByHashAsync(DbConnection c, DbTransaction tx, string hash) =>
        await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM enrollment_tokens WHERE token_hash = @hash", new { hash }, tx) != 0;

    public static Task InsertAsync(DbConnection c, DbTransaction tx, string id, string name, string hash, int? maxHosts, long now) =>
        c.ExecuteAsync("INSERT INTO enrollment_tokens (id, name, token_hash, max_hosts, used, created_at) VALUES (@id, @name, @hash, @maxHosts, 0, @now)",
            new { id, name, hash, maxHosts = (long?)maxHosts, now }, tx);

    public static Task<EnrollmentTokenRow?> FindByHashAsync(DbConnection c, DbTransaction tx, string tokenHash) =>
        c.QueryFirstOrDefaultAsync<EnrollmentTokenRow>("SELECT id, max_hosts AS Max, used FROM enrollment_tokens WHERE token_hash = @tokenHash", new { tokenHash }, tx);

    public static Task MarkUsedAsync(DbConnection c, DbTransaction tx, string id) =>
        c.ExecuteAsync("UPDATE enrollment_tokens SET used = used + 1 WHERE id = @id", new { id }, tx);
}
