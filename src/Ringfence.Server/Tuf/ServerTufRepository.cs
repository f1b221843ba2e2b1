using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;
using Ringfence.Trust.Keys;
using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Server.Tuf;

/// <summary>
/// The server's signed TUF repository, stored in the database (<c>tuf_files</c>) so every node serves the same bytes.
/// Publishing a channel file and halting a rollout call in here inside their own transaction, under a repository lock,
/// so content, known-bad list and signed metadata change together. Online keys are decrypted once at start; root keys
/// are generated at first start, written encrypted to <c>DataDirectory/tuf-root-keys</c>, and never loaded again.
/// </summary>
public sealed partial class ServerTufRepository(Database db, RingfenceServerOptions options, TimeProvider time, ILogger<ServerTufRepository> logger) : IDisposable
{
    private const long RepositoryLockId = 7340002;
    private const int MaxCachedFiles = 4096;
    private static readonly string[] OnlineRoles = [Roles.Targets, Roles.Snapshot, Roles.Timestamp];

    private readonly ConcurrentDictionary<string, byte[]> _immutable = new(StringComparer.Ordinal);
    private KeyRing? _keys;
    private DateTimeOffset _nextMaintenance = DateTimeOffset.MinValue;

    private KeyRing Keys => _keys ?? throw new InvalidOperationException("the TUF repository is not initialised; call InitializeAsync at start-up");

    /// <summary>Creates the repository on first start (any node; they serialise on the repository lock) and loads the online keys.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        var passphrase = KeyPassphrase();
        var keys = await db.InTransactionAsync(async (c, tx) =>
        {
            await LockAsync(c, tx);
            var store = new DatabaseRepositoryStore(c, tx, Now);
            if (store.Read("metadata/root.json") is null)
                await CreateAsync(c, tx, store, passphrase);
            var root = MetadataCodec.ParseRoot(store.Read("metadata/root.json")!, "metadata/root.json").Signed;
            var ring = new KeyRing();
            try
            {
                foreach (var (keyId, role, encrypted) in await c.QueryAsync<(string, string, string)>("SELECT key_id, role, encrypted_base64 FROM tuf_keys ORDER BY key_id", transaction: tx))
                {
                    if (root.RoleKeys.TryGetValue(role, out var roleKeys) && roleKeys.KeyIds.Contains(keyId))
                        ring.Add(KeyEncryption.Decrypt(Convert.FromBase64String(encrypted), passphrase, $"tuf_keys[{keyId[..16]}]"));
                }
                foreach (var role in OnlineRoles)
                    ring.For(root, role); // fail at start-up, not at the first halt
                return ring;
            }
            catch
            {
                ring.Dispose();
                throw;
            }
        }, ct);
        Interlocked.Exchange(ref _keys, keys)?.Dispose();
    }

    private async Task CreateAsync(DbConnection c, DbTransaction tx, DatabaseRepositoryStore store, string passphrase)
    {
        var rootKeys = Enumerable.Range(0, options.TufRootKeys).Select(_ => SigningKey.Generate(KeyAlgorithm.EcdsaP256)).ToList();
        using var targets = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        using var snapshot = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        using var timestamp = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        try
        {
            TufRepository.Create(store, rootKeys, options.TufRootThreshold, targets, snapshot, timestamp, time);
            var offline = new RepositoryKeyStore(Path.Combine(Path.GetFullPath(options.DataDirectory), "tuf-root-keys"));
            foreach (var key in rootKeys)
                offline.Save(key, Roles.Root, passphrase, options.TufKeyIterations);
            foreach (var (key, role) in new[] { (targets, Roles.Targets), (snapshot, Roles.Snapshot), (timestamp, Roles.Timestamp) })
            {
                await c.ExecuteAsync("INSERT INTO tuf_keys (key_id, role, encrypted_base64) VALUES (@keyId, @role, @encrypted)",
                    new { keyId = key.KeyId, role, encrypted = Convert.ToBase64String(KeyEncryption.Encrypt(key, role, passphrase, options.TufKeyIterations)) }, tx);
            }
            LogCreated(options.TufRootThreshold, options.TufRootKeys, offline.Directory);
        }
        finally
        {
            foreach (var key in rootKeys)
                key.Dispose();
        }
    }

    /// <summary>
    /// The configured passphrase, or one generated once into the data directory (single-node and demo use). The
    /// audit signing key is encrypted with it too (<see cref="Audit.AuditSigner"/>).
    /// </summary>
    internal string KeyPassphrase()
    {
        if (!string.IsNullOrEmpty(options.TufKeyPassphrase))
            return options.TufKeyPassphrase;
        var directory = Path.GetFullPath(options.DataDirectory);
        var file = Path.Combine(directory, "tuf-key-passphrase");
        if (File.Exists(file))
            return File.ReadAllText(file).Trim();
        Directory.CreateDirectory(directory);
        var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var temporary = $"{file}.tmp-{Environment.ProcessId}";
        File.WriteAllText(temporary, passphrase + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            File.Move(temporary, file, overwrite: false);
        }
        catch (IOException) when (File.Exists(file))
        {
            // Another node on the same data directory won the race: use its passphrase.
            File.Delete(temporary);
            return File.ReadAllText(file).Trim();
        }
        LogGeneratedPassphrase(file);
        return passphrase;
    }

    /// <summary>Signs <paramref name="content"/> as target <paramref name="path"/> inside the caller's transaction.</summary>
    public async Task<TargetFileInfo> AddTargetAsync(DbConnection c, DbTransaction tx, string path, byte[] content)
    {
        await LockAsync(c, tx);
        return Open(c, tx).AddTarget(path, content, Keys);
    }

    /// <summary>
    /// Publishes the newest audit checkpoint as the target audit/checkpoint.json, with the checkpoint as its custom
    /// data: every agent and mirror that fetches targets.json then holds a signed copy of the audit head (a witness),
    /// and TUF's version rules stop the server from showing it an older one.
    /// </summary>
    public async Task PublishAuditCheckpointAsync(DbConnection c, DbTransaction tx, Audit.AuditCheckpoint checkpoint)
    {
        await LockAsync(c, tx);
        Open(c, tx).AddTarget(Audit.AuditCheckpoint.TargetPath, checkpoint.ToJsonBytes(), Keys, checkpoint.ToCustom());
    }

    /// <summary>Adds a hash to the signed known-bad list inside the caller's transaction.</summary>
    public async Task<KnownBadList> AddKnownBadAsync(DbConnection c, DbTransaction tx, string sha256, string reason)
    {
        await LockAsync(c, tx);
        return Open(c, tx).AddKnownBad(sha256, reason, Keys);
    }

    /// <summary>Takes a hash off the signed known-bad list inside the caller's transaction.</summary>
    public async Task<KnownBadList> RemoveKnownBadAsync(DbConnection c, DbTransaction tx, string sha256)
    {
        await LockAsync(c, tx);
        return Open(c, tx).RemoveKnownBad(sha256, Keys);
    }

    /// <summary>
    /// Keeps the metadata from expiring: re-signs targets and snapshot when either has used half its lifetime, and the
    /// timestamp likewise. The leader calls it every controller pass; it touches the database only when something is due.
    /// </summary>
    public async Task<bool> MaintainAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _nextMaintenance)
            return false;
        var repositoryOptions = RepositoryOptions.Default;
        var (changed, next) = await db.InTransactionAsync(async (c, tx) =>
        {
            await LockAsync(c, tx);
            var repository = Open(c, tx);
            var changed = false;
            if (Due(repository.Targets.Signed.Expires, repositoryOptions.TargetsExpiry) || Due(repository.Snapshot.Signed.Expires, repositoryOptions.SnapshotExpiry))
            {
                repository.ResignOnlineRoles(Keys);
                changed = true;
            }
            else if (Due(repository.Timestamp.Signed.Expires, repositoryOptions.TimestampExpiry))
            {
                repository.RefreshTimestamp(Keys);
                changed = true;
            }
            var next = Min(repository.Timestamp.Signed.Expires - repositoryOptions.TimestampExpiry / 2,
                Min(repository.Snapshot.Signed.Expires - repositoryOptions.SnapshotExpiry / 2, repository.Targets.Signed.Expires - repositoryOptions.TargetsExpiry / 2));
            return (changed, next);
        }, ct);
        _nextMaintenance = next;
        if (changed)
            LogMaintained();
        return changed;

        bool Due(DateTimeOffset expires, TimeSpan lifetime) => expires - now <= lifetime / 2;
        static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    }

    /// <summary>The current root metadata: handed to agents at enrollment as their pinned trust anchor.</summary>
    public async Task<string> TrustedRootAsync(CancellationToken ct) =>
        System.Text.Encoding.UTF8.GetString(await ReadAsync("metadata/root.json", ct)
            ?? throw new InvalidOperationException("the TUF repository has no root; call InitializeAsync at start-up"));

    /// <summary>A repository file by path (metadata/… or targets/…), null when absent. Immutable files are cached.</summary>
    public async Task<byte[]?> ReadAsync(string path, CancellationToken ct)
    {
        if (_immutable.TryGetValue(path, out var cached))
            return cached;
        await using var c = await db.OpenAsync(ct);
        var text = await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition("SELECT content_base64 FROM tuf_files WHERE path = @path", new { path }, cancellationToken: ct));
        if (text is null)
            return null;
        var bytes = Convert.FromBase64String(text);
        if (TufEndpoints.IsImmutable(path) && _immutable.Count < MaxCachedFiles)
            _immutable.TryAdd(path, bytes);
        return bytes;
    }

    /// <summary>The current repository as the database holds it (for tests and the CLI).</summary>
    public Task<TufRepository> OpenAsync(CancellationToken ct) =>
        db.InTransactionAsync((c, tx) => Task.FromResult(Open(c, tx)), ct);

    private TufRepository Open(DbConnection c, DbTransaction tx) => TufRepository.Open(new DatabaseRepositoryStore(c, tx, Now), time);

    /// <summary>One writer at a time across nodes. SQLite transactions here already hold the write lock (BEGIN IMMEDIATE).</summary>
    private Task LockAsync(DbConnection c, DbTransaction tx) =>
        db.Provider == StorageProvider.Postgres
            ? c.ExecuteAsync("SELECT pg_advisory_xact_lock(@id)", new { id = RepositoryLockId }, tx)
            : Task.CompletedTask;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Dispose() => Interlocked.Exchange(ref _keys, null)?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the TUF repository: root threshold {Threshold} of {Count} keys, written encrypted to {Directory}. Move them offline.")]
    private partial void LogCreated(int threshold, int count, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No TufKeyPassphrase configured: generated one in {File}. Configure Ringfence:TufKeyPassphrase for several nodes.")]
    private partial void LogGeneratedPassphrase(string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-signed TUF metadata before it expires")]
    private partial void LogMaintained();
}

/// <summary>Enrollment hands agents the repository's current root, which they pin.</summary>
public sealed class TufTrustedRootSource(ServerTufRepository repository) : Services.ITrustedRootSource
{
    public Task<string> GetTrustedRootAsync(CancellationToken ct) => repository.TrustedRootAsync(ct);
}
