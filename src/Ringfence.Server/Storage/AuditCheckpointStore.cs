using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Ringfence.Server.Audit;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;

namespace Ringfence.Server.Storage;

/// <summary>The SQL of audit checkpoints, the audit signing key (a row of tuf_keys, role 'audit') and the published head.</summary>
public static class AuditCheckpointStore
{
    public const string KeyRole = "audit";

    public static Task InsertAsync(DbConnection c, DbTransaction tx, AuditCheckpoint checkpoint) =>
        c.ExecuteAsync("INSERT INTO audit_checkpoints (seq, head_hash, at, key_id, signature) VALUES (@Seq, @HeadHash, @At, @KeyId, @Signature)", checkpoint, tx);

    public static Task<AuditCheckpoint?> LatestAsync(DbConnection c, DbTransaction? tx, CancellationToken ct = default) =>
        c.QueryFirstOrDefaultAsync<AuditCheckpoint>(new CommandDefinition(
            "SELECT seq, head_hash AS HeadHash, at, key_id AS KeyId, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1", transaction: tx, cancellationToken: ct));

    public static async Task<IReadOnlyList<AuditCheckpoint>> ListAsync(DbConnection c, CancellationToken ct) =>
        (await c.QueryAsync<AuditCheckpoint>(new CommandDefinition(
            "SELECT seq, head_hash AS HeadHash, at, key_id AS KeyId, signature FROM audit_checkpoints ORDER BY seq", cancellationToken: ct))).AsList();

    /// <summary>The newest entry (sequence and hash), and when the first entry after <paramref name="signedUpTo"/> was written.</summary>
    public static async Task<(long Seq, string Hash, long? FirstUnsignedAt)?> HeadAsync(DbConnection c, DbTransaction? tx, long signedUpTo)
    {
        var head = await c.QueryFirstOrDefaultAsync<(long, string)?>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", transaction: tx);
        if (head is not { } h)
            return null;
        var first = await c.ExecuteScalarAsync<long?>("SELECT MIN(at) FROM audit_log WHERE seq > @signedUpTo", new { signedUpTo }, tx);
        return (h.Item1, h.Item2, first);
    }

    /// <summary>The encrypted audit signing keys (newest last); the public half is readable without the passphrase.</summary>
    public static async Task<IReadOnlyList<(string KeyId, byte[] Encrypted)>> KeysAsync(DbConnection c, DbTransaction? tx, CancellationToken ct = default) =>
        (await c.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT key_id, encrypted_base64 FROM tuf_keys WHERE role = @role ORDER BY key_id", new { role = KeyRole }, tx, cancellationToken: ct)))
        .Select(r => (r.Item1, Convert.FromBase64String(r.Item2))).ToList();

    public static Task InsertKeyAsync(DbConnection c, DbTransaction tx, string keyId, byte[] encrypted) =>
        c.ExecuteAsync("INSERT INTO tuf_keys (key_id, role, encrypted_base64) VALUES (@keyId, @role, @encrypted)",
            new { keyId, role = KeyRole, encrypted = Convert.ToBase64String(encrypted) }, tx);

    /// <summary>The public key in an encrypted key file (KeyEncryption keeps it in clear beside the ciphertext).</summary>
    public static TufKey PublicKeyOf(byte[] encrypted, string name)
    {
        try
        {
            var key = JsonNode.Parse(encrypted)?["public"];
            return TufKey.Get(key!["keytype"]!.GetValue<string>(), key["scheme"]!.GetValue<string>(), key["keyval"]!["public"]!.GetValue<string>());
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{name}: the public key does not parse ({ex.Message})");
        }
    }

    /// <summary>The checkpoint the TUF repository publishes now (the custom data of its audit/checkpoint.json target), if any.</summary>
    public static async Task<AuditCheckpoint?> PublishedAsync(DbConnection c, CancellationToken ct)
    {
        var text = await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT content_base64 FROM tuf_files WHERE path = 'metadata/targets.json'", cancellationToken: ct));
        if (text is null)
            return null;
        var targets = MetadataCodec.ParseTargets(Convert.FromBase64String(text), "metadata/targets.json");
        if (!targets.Signed.Targets.TryGetValue(AuditCheckpoint.TargetPath, out var info) || info.Custom is null)
            return null;
        return AuditCheckpoint.ParseKeptHead(System.Text.Encoding.UTF8.GetBytes(info.Custom.ToJsonString()));
    }
}
