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

/// <summary>
/// Result of verifying the log: the first broken entry, if any, and why; how many signed checkpoints (and kept heads)
/// were checked, the newest one, and how many entries after it are not signed yet.
/// </summary>
public sealed record AuditChainResult(bool Valid, long EntriesChecked, long? FirstBrokenSeq, string? Problem)
{
    public int CheckpointsChecked { get; init; }
    public AuditCheckpoint? LastCheckpoint { get; init; }
    public long UnsignedEntries { get; init; }

    public Ringfence.Protocol.AuditVerification ToDto() =>
        new(Valid, EntriesChecked, FirstBrokenSeq, Problem, CheckpointsChecked, LastCheckpoint?.ToDto(), UnsignedEntries);
}

/// <summary>A head kept outside the log's own tables, and where it came from (named in the problem).</summary>
public sealed record KeptHead(AuditCheckpoint Checkpoint, string Source);

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

    /// <summary>
    /// Walks the whole chain in pages and reports the first entry that does not fit: the chain itself (an edit,
    /// a removal or a reordering that was not re-hashed), then every signed checkpoint in the database and the one the
    /// TUF metadata publishes, then <paramref name="keptHeads"/> (copies kept elsewhere). A checkpoint whose entry is
    /// missing shows truncation; one whose entry's hash differs shows a rewrite that re-computed the chain.
    /// </summary>
    public static async Task<AuditChainResult> VerifyAsync(DbConnection connection, CancellationToken ct = default, params IReadOnlyList<KeptHead> keptHeads)
    {
        var keys = new Dictionary<string, Ringfence.Trust.Keys.TufKey>(StringComparer.Ordinal);
        foreach (var (keyId, encrypted) in await AuditCheckpointStore.KeysAsync(connection, null, ct))
        {
            var key = AuditCheckpointStore.PublicKeyOf(encrypted, $"tuf_keys[{keyId[..Math.Min(16, keyId.Length)]}]");
            if (key.KeyId == keyId)
                keys[keyId] = key;
        }
        var stored = await AuditCheckpointStore.ListAsync(connection, ct);
        var heads = stored.Select(c => new KeptHead(c, "the " + c.Describe())).ToList();
        AuditCheckpoint? published;
        try
        {
            published = await AuditCheckpointStore.PublishedAsync(connection, ct);
        }
        catch (Exception ex) when (ex is FormatException or Ringfence.Trust.TrustException)
        {
            return new AuditChainResult(false, 0, null, $"the audit checkpoint in the TUF targets metadata does not parse: {ex.Message}");
        }
        if (published is not null)
            heads.Add(new KeptHead(published, "the TUF targets metadata's " + published.Describe()));
        heads.AddRange(keptHeads);
        foreach (var h in heads)
        {
            if (!keys.TryGetValue(h.Checkpoint.KeyId, out var key))
                return new AuditChainResult(false, 0, h.Checkpoint.Seq, $"{h.Source}: signed by key {Short(h.Checkpoint.KeyId)}, which is not this server's audit key (the key was replaced, or the head is from another server)");
            if (!h.Checkpoint.VerifiesWith(key))
                return new AuditChainResult(false, 0, h.Checkpoint.Seq, $"{h.Source}: the signature does not verify (the checkpoint was edited or forged)");
        }
        var bySeq = heads.GroupBy(h => h.Checkpoint.Seq).ToDictionary(g => g.Key, g => g.ToList());

        var prev = GenesisHash;
        long expectedSeq = 1, checkedCount = 0, after = 0, lastMatched = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var page = await ReadAsync(connection, after, 1000);
            if (page.Count == 0)
                break;
            foreach (var e in page)
            {
                if (e.Seq != expectedSeq)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq}: expected sequence {expectedSeq} (an entry was removed)");
                if (e.PrevHash != prev)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq}: previous hash {Short(e.PrevHash)} does not match entry {e.Seq - 1}'s hash {Short(prev)}");
                var hash = ComputeHash(prev, Canonical(e.Seq, e.At, e.Actor, e.Action, e.Subject, e.DetailsJson));
                if (hash != e.Hash)
                    return new AuditChainResult(false, checkedCount, e.Seq, $"entry {e.Seq} ({e.Action} {e.Subject}): content does not match its hash (edited)");
                if (bySeq.TryGetValue(e.Seq, out var signedHere))
                {
                    foreach (var h in signedHere)
                    {
                        if (h.Checkpoint.HeadHash != e.Hash)
                            return new AuditChainResult(false, checkedCount, lastMatched + 1,
                                $"entries {lastMatched + 1}..{e.Seq} were rewritten and re-chained: entry {e.Seq}'s hash {Short(e.Hash)} is not the {Short(h.Checkpoint.HeadHash)} of {h.Source}");
                    }
                    lastMatched = e.Seq;
                }
                prev = e.Hash;
                expectedSeq++;
                checkedCount++;
                after = e.Seq;
            }
        }
        var last = expectedSeq - 1;
        if (heads.Where(h => h.Checkpoint.Seq > last).MaxBy(h => h.Checkpoint.Seq) is { } beyond)
        {
            var what = last == 0 ? "the log is empty" : $"the log ends at entry {last}";
            return new AuditChainResult(false, checkedCount, last + 1,
                $"{what} but {beyond.Source} covers {beyond.Checkpoint.Seq} entries: entries {last + 1}..{beyond.Checkpoint.Seq} were removed (truncated)");
        }
        var newest = heads.MaxBy(h => h.Checkpoint.Seq)?.Checkpoint;
        return new AuditChainResult(true, checkedCount, null, null)
        {
            CheckpointsChecked = heads.Count,
            LastCheckpoint = newest,
            UnsignedEntries = last - (newest?.Seq ?? 0),
        };
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}

internal sealed class AuditTail
{
    public long Seq { get; set; }
    public string Hash { get; set; } = "";
}
