using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Audit;

/// <summary>One stored audit entry.</summary>
public sealed record AuditEntry(long Seq, long At, string Actor, string Action, string Subject, string? DetailsJson, string PrevHash, string Hash);

/// <summary>Result of walking the chain: the first broken entry, if any, and why.</summary>
public sealed record AuditChainResult(bool Valid, long EntriesChecked, long? FirstBrokenSeq, string? Problem);

/// <summary>
/// Append-only, hash-chained audit log. Each entry's hash is SHA-256 over the previous entry's hash and the entry
/// in a canonical form (fields in a fixed order, one per line), so editing, removing or reordering any entry breaks
/// every hash after it. Appends happen inside the caller's transaction, so an action and its audit entry commit together.
/// </summary>
public static class AuditLog
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The canonical form hashed for an entry.</summary>
    public static string Canonical(long seq, long at, string actor, string action, string subject, string? detailsJson) =>
        string.Join('\n',
            seq.ToString(CultureInfo.InvariantCulture),
            at.ToString(CultureInfo.InvariantCulture),
            actor, action, subject, detailsJson ?? "");

    public static string ComputeHash(string prevHash, string canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prevHash + "\n" + canonical)));

    public static async Task<AuditEntry> AppendAsync(DbConnection connection, DbTransaction tx, StorageProvider provider,
        long at, string actor, string action, string subject, string? detailsJson)
    {
        // Serialise appenders across nodes (PostgreSQL); SQLite transactions are already serial (BEGIN IMMEDIATE).
        if (provider == StorageProvider.Postgres)
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7340002)", transaction: tx);
        var last = await connection.QueryFirstOrDefaultAsync<AuditTail>(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", transaction: tx);
        var seq = (last?.Seq ?? 0) + 1;
        var prev = last?.Hash ?? GenesisHash;
        var hash = ComputeHash(prev, Canonical(seq, at, actor, action, subject, detailsJson));
        await connection.ExecuteAsync(
            "INSERT INTO audit_log (seq, at, actor, action, subject, details_json, prev_hash, hash) VALUES (@seq, @at, @actor, @action, @subject, @detailsJson, @prev, @hash)",
            new { seq, at, actor, action, subject, detailsJson, prev, hash }, tx);
        return new AuditEntry(seq, at, actor, action, subject, detailsJson, prev, hash);
    }

    public static async Task<IReadOnlyList<AuditEntry>> ReadAsync(DbConnection connection, long after, int limit) =>
        (await connection.QueryAsync<AuditEntry>(
            "SELECT seq, at, actor, action, subject, details_json AS DetailsJson, prev_hash AS PrevHash, hash FROM audit_log WHERE seq > @after ORDER BY seq LIMIT @limit",
            new { after, limit = (long)limit })).AsList();

    /// <summary>Walks the whole chain in pages and reports the first entry that does not fit.</summary>
    public static async Task<AuditChainResult> VerifyAsync(DbConnection connection, CancellationToken ct = default)
    {
        var prev = GenesisHash;
        long expectedSeq = 1, checkedCount = 0, after = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var page = await ReadAsync(connection, after, 1000);
            if (page.Count == 0)
                return new AuditChainResult(true, checkedCount, null, null);
            foreach (var e in page)
            {
                if (e.Seq != expectedSeq)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq}: expected sequence {expectedSeq} (an entry was removed)");
                if (e.PrevHash != prev)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq}: previous hash {Short(e.PrevHash)} does not match entry {e.Seq - 1}'s hash {Short(prev)}");
                var hash = ComputeHash(prev, Canonical(e.Seq, e.At, e.Actor, e.Action, e.Subject, e.DetailsJson));
                if (hash != e.Hash)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq} ({e.Action} {e.Subject}): content does not match its hash (edited)");
                prev = e.Hash;
                expectedSeq++;
                checkedCount++;
                after = e.Seq;
            }
        }
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}

internal sealed class AuditTail
{
    public long Seq { get; set; }
    public string Hash { get; set; } = "";
}
