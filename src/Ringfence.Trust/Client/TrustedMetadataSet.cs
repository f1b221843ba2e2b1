using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Client;

/// <summary>
/// The client's trusted metadata, updated one file at a time in the order of the specification's detailed client workflow
/// (section 5). Pure: bytes in, state changes or a typed <see cref="TrustException"/> out. The caller fetches and persists.
/// After a failed update the previously trusted state stays as it was, except where the specification says otherwise
/// (an expired timestamp or snapshot is still kept as the reference for rollback checks, as python-tuf does).
/// </summary>
public sealed class TrustedMetadataSet
{
    private readonly DateTimeOffset _now;

    /// <summary>Starts from a trusted root (pinned at enrollment, or the last one persisted). It must sign itself.</summary>
    public TrustedMetadataSet(byte[] trustedRoot, DateTimeOffset now)
    {
        _now = now;
        var root = MetadataCodec.ParseRoot(trustedRoot, "root.json");
        MetadataCodec.VerifyThreshold(root, root.Signed, Roles.Root);
        Root = root;
    }

    private TrustedMetadataSet(SignedMetadata<RootMetadata> verifiedRoot, DateTimeOffset now)
    {
        _now = now;
        Root = verifiedRoot;
    }

    /// <summary>
    /// Starts from a root that this process already verified (a <see cref="Root"/> of an earlier set), skipping its
    /// self-signature check. Never pass a root parsed from untrusted bytes.
    /// </summary>
    public static TrustedMetadataSet FromVerifiedRoot(SignedMetadata<RootMetadata> verifiedRoot, DateTimeOffset now) => new(verifiedRoot, now);

    public SignedMetadata<RootMetadata> Root { get; private set; }
    public SignedMetadata<TimestampMetadata>? Timestamp { get; private set; }
    public SignedMetadata<SnapshotMetadata>? Snapshot { get; private set; }
    public SignedMetadata<TargetsMetadata>? Targets { get; private set; }

    public DateTimeOffset ReferenceTime => _now;

    /// <summary>The snapshot this client trusted on its last refresh: the reference for the rollback checks of 5.5.5.</summary>
    public SignedMetadata<SnapshotMetadata>? PreviousSnapshot { get; private set; }

    /// <summary>
    /// Takes a locally stored snapshot as the rollback reference. Its signatures must still meet the current root's threshold
    /// (after a snapshot key rotation they do not, and the reference is dropped: the fast-forward recovery of 5.3.11).
    /// Expiry does not matter for a reference.
    /// </summary>
    public void SetPreviousSnapshot(byte[] bytes)
    {
        var previous = MetadataCodec.ParseSnapshot(bytes, "snapshot.json (local)");
        MetadataCodec.VerifyThreshold(previous, Root.Signed, Roles.Snapshot);
        PreviousSnapshot = previous;
    }

    /// <summary>5.3.4–5.3.7: a new root version N+1, signed by a threshold of the trusted root's keys and of its own.</summary>
    public void UpdateRoot(byte[] bytes)
    {
        if (Timestamp is not null)
            throw new InvalidOperationException("the root chain must be updated before the timestamp");
        var name = $"{Root.Signed.Version + 1}.root.json";
        var next = MetadataCodec.ParseRoot(bytes, name);
        MetadataCodec.VerifyThreshold(next, Root.Signed, Roles.Root);
        MetadataCodec.VerifyThreshold(next, next.Signed, Roles.Root);
        var expected = Root.Signed.Version + 1;
        if (next.Signed.Version < expected)
            throw new RollbackAttackException(Roles.Root, next.Signed.Version, Root.Signed.Version);
        if (next.Signed.Version != expected)
            throw new MixAndMatchException(Roles.Root, next.Signed.Version, expected);
        Root = next;
    }

    /// <summary>5.3.10: the final root must not be expired (freeze attack).</summary>
    public void CheckRootNotExpired()
    {
        if (Root.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Root, Root.Signed.Expires, _now);
    }

    /// <summary>
    /// 5.4: a new timestamp. Returns false when it has the same version as the trusted one (nothing new).
    /// An expired timestamp becomes the rollback reference before <see cref="ExpiredMetadataException"/> is thrown.
    /// </summary>
    public bool UpdateTimestamp(byte[] bytes)
    {
        if (Snapshot is not null)
            throw new InvalidOperationException("the timestamp must be updated before the snapshot");
        CheckRootNotExpired();
        var next = MetadataCodec.ParseTimestamp(bytes, "timestamp.json");
        MetadataCodec.VerifyThreshold(next, Root.Signed, Roles.Timestamp);
        if (Timestamp is { } trusted)
        {
            if (next.Signed.Version < trusted.Signed.Version)
                throw new RollbackAttackException(Roles.Timestamp, next.Signed.Version, trusted.Signed.Version);
            if (next.Signed.Version == trusted.Signed.Version)
                return false;
            if (next.Signed.SnapshotMeta.Version < trusted.Signed.SnapshotMeta.Version)
                throw new RollbackAttackException(Roles.Snapshot, next.Signed.SnapshotMeta.Version, trusted.Signed.SnapshotMeta.Version);
        }
        Timestamp = next;
        if (next.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Timestamp, next.Signed.Expires, _now);
        return true;
    }

    /// <summary>True when the trusted timestamp exists and has not expired.</summary>
    public bool TimestampIsCurrent => Timestamp is { } t && !t.Signed.IsExpired(_now);

    /// <summary>
    /// 5.5: a new snapshot. <paramref name="fromLocalCache"/> skips the length and hash check against the timestamp,
    /// for a copy this client already verified and stored (the version must still match).
    /// </summary>
    public void UpdateSnapshot(byte[] bytes, bool fromLocalCache = false)
    {
        if (Timestamp is null)
            throw new InvalidOperationException("the snapshot needs a trusted timestamp");
        if (Targets is not null)
            throw new InvalidOperationException("the snapshot must be updated before the targets");
        CheckRootNotExpired();
        if (Timestamp.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Timestamp, Timestamp.Signed.Expires, _now);
        var reference = Timestamp.Signed.SnapshotMeta;
        var name = Root.Signed.ConsistentSnapshot ? $"{reference.Version}.snapshot.json" : "snapshot.json";
        if (!fromLocalCache)
        {
            VerifyReference(bytes, reference, name, Roles.Snapshot, MetadataCodec.ParseSnapshot);
        }
        var next = MetadataCodec.ParseSnapshot(bytes, name);
        MetadataCodec.VerifyThreshold(next, Root.Signed, Roles.Snapshot);
        if ((Snapshot ?? PreviousSnapshot) is { } trusted)
        {
            if (next.Signed.Version < trusted.Signed.Version)
                throw new RollbackAttackException(Roles.Snapshot, next.Signed.Version, trusted.Signed.Version);
            foreach (var (file, info) in trusted.Signed.Meta)
            {
                // 5.5.5: no file may disappear or go back in version.
                if (!next.Signed.Meta.TryGetValue(file, out var offered))
                    throw new RollbackAttackException(file, 0, info.Version);
                if (offered.Version < info.Version)
                    throw new RollbackAttackException(file, offered.Version, info.Version);
            }
        }
        if (next.Signed.Version != reference.Version)
        {
            if (next.Signed.Version < reference.Version)
                throw new RollbackAttackException(Roles.Snapshot, next.Signed.Version, reference.Version);
            throw new MixAndMatchException(Roles.Snapshot, next.Signed.Version, reference.Version);
        }
        Snapshot = next;
        if (next.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Snapshot, next.Signed.Expires, _now);
    }

    /// <summary>5.6: new top-level targets, at exactly the version (and length and hash, when given) the snapshot pins.</summary>
    public void UpdateTargets(byte[] bytes)
    {
        if (Snapshot is null)
            throw new InvalidOperationException("the targets need a trusted snapshot");
        CheckRootNotExpired();
        if (Snapshot.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Snapshot, Snapshot.Signed.Expires, _now);
        if (!Snapshot.Signed.Meta.TryGetValue("targets.json", out var reference))
            throw new MalformedMetadataException("snapshot.json: $.signed.meta['targets.json']: missing");
        var name = Root.Signed.ConsistentSnapshot ? $"{reference.Version}.targets.json" : "targets.json";
        VerifyReference(bytes, reference, name, Roles.Targets, MetadataCodec.ParseTargets);
        var next = MetadataCodec.ParseTargets(bytes, name);
        MetadataCodec.VerifyThreshold(next, Root.Signed, Roles.Targets);
        if (next.Signed.Version != reference.Version)
        {
            if (next.Signed.Version < reference.Version)
                throw new RollbackAttackException(Roles.Targets, next.Signed.Version, reference.Version);
            throw new MixAndMatchException(Roles.Targets, next.Signed.Version, reference.Version);
        }
        if (next.Signed.IsExpired(_now))
            throw new ExpiredMetadataException(Roles.Targets, next.Signed.Expires, _now);
        Targets = next;
    }

    /// <summary>
    /// 5.5.2 / 5.6.2: the bytes must have the length and hashes the referring metadata signed. When they do not, but they are
    /// authentic metadata of another version, the refusal is named for what it is: a mix-and-match attack.
    /// </summary>
    private void VerifyReference<T>(byte[] bytes, MetaFileInfo reference, string name, string role, Func<byte[], string, SignedMetadata<T>> parse)
        where T : SignedPart
    {
        try
        {
            HashCheck.Verify(bytes, reference.Length, reference.Hashes, name);
        }
        catch (HashMismatchException)
        {
            SignedMetadata<T>? offered = null;
            try
            {
                offered = parse(bytes, name);
                MetadataCodec.VerifyThreshold(offered, Root.Signed, role);
            }
            catch (TrustException)
            {
                offered = null; // Not authentic metadata: the hash mismatch is the refusal.
            }
            if (offered is not null && offered.Signed.Version != reference.Version)
                throw new MixAndMatchException(role, offered.Signed.Version, reference.Version);
            throw;
        }
    }
}
