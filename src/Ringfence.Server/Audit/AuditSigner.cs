using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;
using Ringfence.Trust.Keys;

namespace Ringfence.Server.Audit;

/// <summary>
/// The audit signing key: an ECDSA P-256 key generated at first start and kept exactly like the TUF online keys, in
/// <c>tuf_keys</c> (role "audit"), encrypted with the server's key passphrase (PBKDF2 + AES-256-GCM). Decrypted once at
/// start; a wrong passphrase stops the start with one line naming the key.
/// </summary>
public sealed partial class AuditSigner(Database db, RingfenceServerOptions options, Tuf.ServerTufRepository tuf, ILogger<AuditSigner> logger) : IDisposable
{
    private SigningKey? _key;

    public SigningKey Key => _key ?? throw new InvalidOperationException("the audit signing key is not loaded; call InitializeAsync at start-up");

    public async Task InitializeAsync(CancellationToken ct)
    {
        var passphrase = tuf.KeyPassphrase();
        var key = await db.InTransactionAsync(async (c, tx) =>
        {
            if (db.Provider == StorageProvider.Postgres)
                await Dapper.SqlMapper.ExecuteAsync(c, "SELECT pg_advisory_xact_lock(7340002)", transaction: tx);
            var keys = await AuditCheckpointStore.KeysAsync(c, tx, ct);
            if (keys.Count > 0)
            {
                var (keyId, encrypted) = keys[^1];
                return KeyEncryption.Decrypt(encrypted, passphrase, $"tuf_keys[{keyId[..16]}] (audit)");
            }
            var generated = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
            await AuditCheckpointStore.InsertKeyAsync(c, tx, generated.KeyId, KeyEncryption.Encrypt(generated, AuditCheckpointStore.KeyRole, passphrase, options.TufKeyIterations));
            LogCreated(generated.KeyId[..16]);
            return generated;
        }, ct);
        Interlocked.Exchange(ref _key, key)?.Dispose();
    }

    public void Dispose() => Interlocked.Exchange(ref _key, null)?.Dispose();

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Created the audit signing key {KeyId} (encrypted like the TUF online keys)")]
    private partial void LogCreated(string keyId);
}
