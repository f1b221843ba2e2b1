using System.Text.Json.Nodes;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Repository;

/// <summary>
/// The publishing side: creates and edits a TUF repository with consistent snapshots (version-prefixed metadata,
/// hash-prefixed targets) in an <see cref="IRepositoryStore"/>. Every change writes target files first, then
/// targets, snapshot and finally timestamp metadata, so a client never sees metadata pointing at missing files.
/// Pure apart from the store; time from <see cref="TimeProvider"/>.
/// </summary>
public sealed class TufRepository
{
    private readonly IRepositoryStore _store;
    private readonly TimeProvider _time;
    private readonly RepositoryOptions _options;

    private TufRepository(IRepositoryStore store, TimeProvider time, RepositoryOptions options,
        SignedMetadata<RootMetadata> root, SignedMetadata<TargetsMetadata> targets,
        SignedMetadata<SnapshotMetadata> snapshot, SignedMetadata<TimestampMetadata> timestamp)
    {
        _store = store;
        _time = time;
        _options = options;
        Root = root;
        Targets = targets;
        Snapshot = snapshot;
        Timestamp = timestamp;
    }

    public SignedMetadata<RootMetadata> Root { get; private set; }
    public SignedMetadata<TargetsMetadata> Targets { get; private set; }
    public SignedMetadata<SnapshotMetadata> Snapshot { get; private set; }
    public SignedMetadata<TimestampMetadata> Timestamp { get; private set; }

    /// <summary>
    /// A new repository: root signed by all <paramref name="rootKeys"/> (threshold <paramref name="rootThreshold"/>),
    /// one key each for targets, snapshot and timestamp, and an empty known-bad list.
    /// </summary>
    public static TufRepository Create(IRepositoryStore store, IReadOnlyList<SigningKey> rootKeys, int rootThreshold,
        SigningKey targetsKey, SigningKey snapshotKey, SigningKey timestampKey, TimeProvider time, RepositoryOptions? options = null)
    {
        options = (options ?? RepositoryOptions.Default).ThrowIfInvalid();
        if (rootKeys.Count == 0 || rootThreshold < 1 || rootThreshold > rootKeys.Count)
            throw new RepositoryException($"root threshold must be between 1 and the number of root keys ({rootKeys.Count}), was {rootThreshold}");
        if (rootKeys.DistinctBy(k => k.KeyId).Count() != rootKeys.Count)
            throw new RepositoryException("root keys must be distinct");
        var now = time.GetUtcNow();
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var key in rootKeys.Concat([targetsKey, snapshotKey, timestampKey]))
            keys[key.KeyId] = key.PublicKey;
        var roles = new Dictionary<string, RoleKeys>(StringComparer.Ordinal)
        {
            [Roles.Root] = new([.. rootKeys.Select(k => k.KeyId)], rootThreshold),
            [Roles.Targets] = new([targetsKey.KeyId], 1),
            [Roles.Snapshot] = new([snapshotKey.KeyId], 1),
            [Roles.Timestamp] = new([timestampKey.KeyId], 1),
        };
        var root = MetadataCodec.Sign(new RootMetadata(1, Expiry(now, options.RootExpiry), keys, roles, ConsistentSnapshot: true), rootKeys);
        store.Write("metadata/1.root.json", root.Raw);
        store.Write("metadata/root.json", root.Raw);

        var repository = new TufRepository(store, time, options, root, null!, null!, null!);
        var knownBad = KnownBadList.Empty.ToBytes();
        var knownBadInfo = TargetFileInfo.For(knownBad);
        store.Write(TufUpdater.TargetFilePath(KnownBadList.TargetPath, knownBadInfo, true), knownBad);
        var targets = new Dictionary<string, TargetFileInfo>(StringComparer.Ordinal) { [KnownBadList.TargetPath] = knownBadInfo };
        repository.PublishFirstVersions(new TargetsMetadata(1, Expiry(now, options.TargetsExpiry), targets), targetsKey, snapshotKey, timestampKey);
        return repository;
    }

    /// <summary>Opens the repository in <paramref name="store"/> at its latest timestamp.</summary>
    public static TufRepository Open(IRepositoryStore store, TimeProvider time, RepositoryOptions? options = null)
    {
        options = (options ?? RepositoryOptions.Default).ThrowIfInvalid();
        var root = MetadataCodec.ParseRoot(Require(store, "metadata/root.json"), "metadata/root.json");
        var timestamp = MetadataCodec.ParseTimestamp(Require(store, "metadata/timestamp.json"), "metadata/timestamp.json");
        var snapshotPath = $"metadata/{timestamp.Signed.SnapshotMeta.Version}.snapshot.json";
        var snapshot = MetadataCodec.ParseSnapshot(Require(store, snapshotPath), snapshotPath);
        if (!snapshot.Signed.Meta.TryGetValue("targets.json", out var targetsMeta))
            throw new MalformedMetadataException($"{snapshotPath}: $.signed.meta['targets.json']: missing");
        var targetsPath = $"metadata/{targetsMeta.Version}.targets.json";
        var targets = MetadataCodec.ParseTargets(Require(store, targetsPath), targetsPath);
        return new TufRepository(store, time, options, root, targets, snapshot, timestamp);
    }

    /// <summary>The current known-bad list (empty when the repository has none).</summary>
    public KnownBadList KnownBad
    {
        get
        {
            if (!Targets.Signed.Targets.TryGetValue(KnownBadList.TargetPath, out var info))
                return KnownBadList.Empty;
            var path = TufUpdater.TargetFilePath(KnownBadList.TargetPath, info, Root.Signed.ConsistentSnapshot);
            var bytes = Require(_store, path);
            HashCheck.Verify(bytes, info.Length, info.Hashes, KnownBadList.TargetPath);
            return KnownBadList.Parse(bytes);
        }
    }

    /// <summary>Adds (or replaces) targets and publishes new targets, snapshot and timestamp metadata.</summary>
    public IReadOnlyDictionary<string, TargetFileInfo> AddTargets(IEnumerable<(string Path, byte[] Content, JsonObject? Custom)> files, KeyRing keys)
    {
        var targets = new Dictionary<string, TargetFileInfo>(Targets.Signed.Targets, StringComparer.Ordinal);
        var added = new Dictionary<string, TargetFileInfo>(StringComparer.Ordinal);
        var pending = new List<(string, byte[])>();
        foreach (var (path, content, custom) in files)
        {
            ValidateTargetPath(path);
            if (path == KnownBadList.TargetPath)
                throw new RepositoryException($"{path} is reserved for the known-bad list; use AddKnownBad");
            var info = TargetFileInfo.For(content, custom);
            pending.Add((TufUpdater.TargetFilePath(path, info, Root.Signed.ConsistentSnapshot), content));
            targets[path] = info;
            added[path] = info;
        }
        var signers = SignersForOnlineRoles(keys);
        foreach (var (file, content) in pending)
            _store.Write(file, content);
        PublishTargets(targets, signers);
        return added;
    }

    public TargetFileInfo AddTarget(string path, byte[] content, KeyRing keys, JsonObject? custom = null) =>
        AddTargets([(path, content, custom)], keys)[path];

    /// <summary>Removes a target from the signed targets (the file stays: clients holding old metadata may still fetch it).</summary>
    public void RemoveTarget(string path, KeyRing keys)
    {
        if (!Targets.Signed.Targets.ContainsKey(path))
            throw new RepositoryException($"{path}: not a target of this repository");
        var targets = new Dictionary<string, TargetFileInfo>(Targets.Signed.Targets, StringComparer.Ordinal);
        targets.Remove(path);
        PublishTargets(targets, SignersForOnlineRoles(keys));
    }

    /// <summary>
    /// Adds a content hash to the signed known-bad list and publishes it at once (halting a rollout calls this).
    /// Returns the new list; adding a hash that is already listed publishes nothing.
    /// </summary>
    public KnownBadList AddKnownBad(string sha256, string reason, KeyRing keys) =>
        PublishKnownBad(KnownBad.Add(sha256, reason, _time.GetUtcNow()), keys);

    /// <summary>Takes a hash off the known-bad list (a halt judged wrong); removing an absent hash publishes nothing.</summary>
    public KnownBadList RemoveKnownBad(string sha256, KeyRing keys) => PublishKnownBad(KnownBad.Remove(sha256), keys);

    private KnownBadList PublishKnownBad(KnownBadList next, KeyRing keys)
    {
        var current = KnownBad;
        if (next.Entries.Count == current.Entries.Count && next.Entries.SequenceEqual(current.Entries))
            return current;
        var signers = SignersForOnlineRoles(keys);
        var bytes = next.ToBytes();
        var info = TargetFileInfo.For(bytes);
        _store.Write(TufUpdater.TargetFilePath(KnownBadList.TargetPath, info, Root.Signed.ConsistentSnapshot), bytes);
        var targets = new Dictionary<string, TargetFileInfo>(Targets.Signed.Targets, StringComparer.Ordinal) { [KnownBadList.TargetPath] = info };
        PublishTargets(targets, signers);
        return next;
    }

    /// <summary>Re-signs targets, snapshot and timestamp with new versions and fresh expiry dates.</summary>
    public void ResignOnlineRoles(KeyRing keys) =>
        PublishTargets(new Dictionary<string, TargetFileInfo>(Targets.Signed.Targets, StringComparer.Ordinal), SignersForOnlineRoles(keys));

    /// <summary>A new timestamp version pointing at the current snapshot, with a fresh expiry (run it more often than the timestamp expires).</summary>
    public void RefreshTimestamp(KeyRing keys)
    {
        var signers = keys.For(Root.Signed, Roles.Timestamp);
        PublishTimestamp(signers);
    }

    /// <summary>Re-signs root as version N+1 with a fresh expiry (needs a threshold of root keys).</summary>
    public void RenewRoot(KeyRing keys) => PublishRoot(Root.Signed.Keys, Root.Signed.RoleKeys, keys);

    /// <summary>
    /// Replaces one key of <paramref name="role"/> by <paramref name="newKey"/>: a new root version signed by a threshold of the
    /// old root keys and of the new ones, then (for an online role) its metadata re-signed with the new key.
    /// <paramref name="replaceKeyId"/> picks the key to replace; by default the role's first key.
    /// </summary>
    public void RotateKey(string role, SigningKey newKey, KeyRing keys, string? replaceKeyId = null)
    {
        if (!Roles.IsTopLevel(role))
            throw new RepositoryException($"unknown role \"{role}\" (root, targets, snapshot or timestamp)");
        var current = Root.Signed.For(role);
        var oldId = replaceKeyId ?? current.KeyIds[0];
        if (!current.KeyIds.Contains(oldId))
            throw new RepositoryException($"key {oldId} is not a {role} key");
        if (Root.Signed.Keys.ContainsKey(newKey.KeyId))
            throw new RepositoryException($"key {newKey.KeyId} is already in use");
        var roleKeys = new Dictionary<string, RoleKeys>(Root.Signed.RoleKeys, StringComparer.Ordinal)
        {
            [role] = current with { KeyIds = [.. current.KeyIds.Select(id => id == oldId ? newKey.KeyId : id)] },
        };
        var used = roleKeys.Values.SelectMany(r => r.KeyIds).ToHashSet(StringComparer.Ordinal);
        var allKeys = new Dictionary<string, TufKey>(Root.Signed.Keys, StringComparer.Ordinal) { [newKey.KeyId] = newKey.PublicKey };
        var publicKeys = allKeys.Where(k => used.Contains(k.Key)).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
        keys.Add(newKey);
        PublishRoot(publicKeys, roleKeys, keys);
        if (role != Roles.Root)
            ResignOnlineRoles(keys);
    }

    private void PublishRoot(IReadOnlyDictionary<string, TufKey> publicKeys, IReadOnlyDictionary<string, RoleKeys> roleKeys, KeyRing keys)
    {
        var next = new RootMetadata(Root.Signed.Version + 1, Expiry(_time.GetUtcNow(), _options.RootExpiry), publicKeys, roleKeys, Root.Signed.ConsistentSnapshot);
        // The client checks the new root against both the old and the new root role (5.3.4).
        var signers = keys.For(Root.Signed, Roles.Root).Concat(keys.For(next, Roles.Root)).DistinctBy(k => k.KeyId);
        var signed = MetadataCodec.Sign(next, signers);
        _store.Write($"metadata/{next.Version}.root.json", signed.Raw);
        _store.Write("metadata/root.json", signed.Raw);
        Root = signed;
    }

    private (IReadOnlyList<SigningKey> Targets, IReadOnlyList<SigningKey> Snapshot, IReadOnlyList<SigningKey> Timestamp) SignersForOnlineRoles(KeyRing keys) =>
        (keys.For(Root.Signed, Roles.Targets), keys.For(Root.Signed, Roles.Snapshot), keys.For(Root.Signed, Roles.Timestamp));

    private void PublishTargets(Dictionary<string, TargetFileInfo> targets,
        (IReadOnlyList<SigningKey> Targets, IReadOnlyList<SigningKey> Snapshot, IReadOnlyList<SigningKey> Timestamp) signers)
    {
        var now = _time.GetUtcNow();
        var next = new TargetsMetadata(Targets.Signed.Version + 1, Expiry(now, _options.TargetsExpiry), targets);
        Targets = Write(MetadataCodec.Sign(next, signers.Targets), $"{next.Version}.targets.json", "targets.json");
        PublishSnapshot(signers.Snapshot);
        PublishTimestamp(signers.Timestamp);
    }

    private void PublishFirstVersions(TargetsMetadata first, SigningKey targetsKey, SigningKey snapshotKey, SigningKey timestampKey)
    {
        Targets = Write(MetadataCodec.Sign(first, [targetsKey]), "1.targets.json", "targets.json");
        var now = _time.GetUtcNow();
        var snapshot = new SnapshotMetadata(1, Expiry(now, _options.SnapshotExpiry), new Dictionary<string, MetaFileInfo> { ["targets.json"] = Reference(Targets) });
        Snapshot = Write(MetadataCodec.Sign(snapshot, [snapshotKey]), "1.snapshot.json", "snapshot.json");
        var timestamp = new TimestampMetadata(1, Expiry(now, _options.TimestampExpiry), Reference(Snapshot));
        Timestamp = Write(MetadataCodec.Sign(timestamp, [timestampKey]), null, "timestamp.json");
    }

    private void PublishSnapshot(IReadOnlyList<SigningKey> signers)
    {
        var next = new SnapshotMetadata(Snapshot.Signed.Version + 1, Expiry(_time.GetUtcNow(), _options.SnapshotExpiry),
            new Dictionary<string, MetaFileInfo>(StringComparer.Ordinal) { ["targets.json"] = Reference(Targets) });
        Snapshot = Write(MetadataCodec.Sign(next, signers), $"{next.Version}.snapshot.json", "snapshot.json");
    }

    private void PublishTimestamp(IReadOnlyList<SigningKey> signers)
    {
        var next = new TimestampMetadata(Timestamp.Signed.Version + 1, Expiry(_time.GetUtcNow(), _options.TimestampExpiry), Reference(Snapshot));
        Timestamp = Write(MetadataCodec.Sign(next, signers), null, "timestamp.json");
    }

    private SignedMetadata<T> Write<T>(SignedMetadata<T> metadata, string? versioned, string plain) where T : SignedPart
    {
        if (versioned is not null)
            _store.Write("metadata/" + versioned, metadata.Raw);
        _store.Write("metadata/" + plain, metadata.Raw);
        return metadata;
    }

    private static MetaFileInfo Reference<T>(SignedMetadata<T> metadata) where T : SignedPart =>
        new(metadata.Signed.Version, metadata.Raw.Length, new Dictionary<string, string> { ["sha256"] = Hex.Sha256(metadata.Raw) });

    private static DateTimeOffset Expiry(DateTimeOffset now, TimeSpan lifetime) => SignedPart.TruncateToSeconds(now + lifetime);

    private static byte[] Require(IRepositoryStore store, string path) =>
        store.Read(path) ?? throw new RepositoryException($"{path}: missing from the repository");

    /// <summary>Target paths are relative, '/'-separated, without '.', '..' or empty segments, in a safe character set.</summary>
    public static void ValidateTargetPath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 255)
            throw new RepositoryException($"target path \"{path}\" must have 1 to 255 characters");
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
                throw new RepositoryException($"target path \"{path}\" has an empty, '.' or '..' segment");
            if (segment.AsSpan().ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+"))
                throw new RepositoryException($"target path \"{path}\" may only use letters, digits, '.', '_', '-', '+' and '/'");
        }
    }
}
