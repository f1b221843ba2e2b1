using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Client;

/// <summary>
/// The TUF client update workflow (specification section 5): the root rotation chain from the pinned root, then timestamp,
/// snapshot and targets, then a target's length and hashes. All I/O goes through <see cref="IRepositoryFetcher"/> and
/// <see cref="ITrustedMetadataStore"/>; time through <see cref="TimeProvider"/>. Every refusal is a <see cref="TrustException"/>.
/// </summary>
public sealed class TufUpdater
{
    private readonly IRepositoryFetcher _fetcher;
    private readonly ITrustedMetadataStore _store;
    private readonly byte[] _enrollmentRoot;
    private readonly TimeProvider _time;
    private readonly TufClientOptions _options;

    /// <param name="enrollmentRoot">The root pinned when the client was enrolled; used when the store holds no root yet.</param>
    public TufUpdater(IRepositoryFetcher fetcher, ITrustedMetadataStore store, byte[] enrollmentRoot, TimeProvider time, TufClientOptions? options = null)
    {
        _fetcher = fetcher;
        _store = store;
        _enrollmentRoot = enrollmentRoot;
        _time = time;
        _options = (options ?? TufClientOptions.Default).ThrowIfInvalid();
    }

    private SignedMetadata<RootMetadata>? _verifiedRoot;

    /// <summary>The metadata trusted after the last successful <see cref="RefreshAsync"/>; null before.</summary>
    public TrustedMetadataSet? Trusted { get; private set; }

    /// <summary>Runs the whole refresh. On failure the store keeps the last metadata that verified, and <see cref="Trusted"/> is cleared.</summary>
    public async Task<TrustedMetadataSet> RefreshAsync(CancellationToken cancellationToken = default)
    {
        Trusted = null;
        var now = _time.GetUtcNow();
        var rootBytes = _store.Load(Roles.Root) ?? _enrollmentRoot;
        // The root verified by the previous refresh is reused while the stored bytes are the same ones: two signature
        // checks and a parse fewer per refresh. Any other bytes are verified from scratch.
        var set = _verifiedRoot is { } known && known.Raw.AsSpan().SequenceEqual(rootBytes)
            ? TrustedMetadataSet.FromVerifiedRoot(known, now)
            : new TrustedMetadataSet(rootBytes, now);
        await LoadRootChainAsync(set, cancellationToken);
        _verifiedRoot = null;
        await LoadTimestampAsync(set, cancellationToken);
        await LoadSnapshotAsync(set, cancellationToken);
        await LoadTargetsAsync(set, cancellationToken);
        Trusted = set;
        _verifiedRoot = set.Root;
        return set;
    }

    /// <summary>The signed entry for <paramref name="targetPath"/>, or <see cref="TargetNotFoundException"/>.</summary>
    public TargetFileInfo GetTargetInfo(string targetPath)
    {
        var targets = (Trusted ?? throw new InvalidOperationException("call RefreshAsync first")).Targets!.Signed.Targets;
        return targets.TryGetValue(targetPath, out var info) ? info : throw new TargetNotFoundException(targetPath);
    }

    /// <summary>Downloads a target (hash-prefixed under consistent snapshots) and checks its signed length and hashes.</summary>
    public async Task<byte[]> DownloadTargetAsync(string targetPath, CancellationToken cancellationToken = default)
    {
        var info = GetTargetInfo(targetPath);
        if (info.Length > _options.TargetMaxLength)
            throw new EndlessDataException(targetPath, _options.TargetMaxLength);
        var path = TargetFilePath(targetPath, info, Trusted!.Root.Signed.ConsistentSnapshot);
        var bytes = await FetchRequiredAsync(path, info.Length, targetPath, cancellationToken);
        HashCheck.Verify(bytes, info.Length, info.Hashes, targetPath);
        return bytes;
    }

    /// <summary>The verified known-bad list, or an empty list when the repository does not publish one.</summary>
    public async Task<KnownBadList> DownloadKnownBadListAsync(CancellationToken cancellationToken = default)
    {
        var targets = (Trusted ?? throw new InvalidOperationException("call RefreshAsync first")).Targets!.Signed.Targets;
        if (!targets.ContainsKey(KnownBadList.TargetPath))
            return KnownBadList.Empty;
        return KnownBadList.Parse(await DownloadTargetAsync(KnownBadList.TargetPath, cancellationToken));
    }

    /// <summary>Where a target lives in the repository: <c>targets/dir/&lt;sha256&gt;.name</c> under consistent snapshots.</summary>
    public static string TargetFilePath(string targetPath, TargetFileInfo info, bool consistentSnapshot)
    {
        if (!consistentSnapshot)
            return "targets/" + targetPath;
        var slash = targetPath.LastIndexOf('/');
        var directory = slash < 0 ? "" : targetPath[..(slash + 1)];
        var name = targetPath[(slash + 1)..];
        var hash = info.Sha256 ?? info.Hashes.Values.First();
        return $"targets/{directory}{hash}.{name}";
    }

    private async Task LoadRootChainAsync(TrustedMetadataSet set, CancellationToken cancellationToken)
    {
        var original = set.Root.Signed;
        for (var i = 0; i < _options.MaxRootRotations; i++)
        {
            var next = set.Root.Signed.Version + 1;
            var path = $"metadata/{next}.root.json";
            var bytes = await FetchAsync(path, _options.RootMaxLength, path, cancellationToken);
            if (bytes is null)
                break;
            set.UpdateRoot(bytes);
            _store.Save(Roles.Root, bytes);
        }
        set.CheckRootNotExpired();

        // 5.3.11: after a timestamp or snapshot key rotation, forget them so a fast-forwarded version made with a
        // compromised key cannot block updates for ever.
        var current = set.Root.Signed;
        if (!SameKeys(original.For(Roles.Timestamp), current.For(Roles.Timestamp)))
            _store.Delete(Roles.Timestamp);
        if (!SameKeys(original.For(Roles.Snapshot), current.For(Roles.Snapshot)))
        {
            _store.Delete(Roles.Timestamp);
            _store.Delete(Roles.Snapshot);
        }
    }

    private async Task LoadTimestampAsync(TrustedMetadataSet set, CancellationToken cancellationToken)
    {
        if (_store.Load(Roles.Timestamp) is { } local)
        {
            try
            {
                set.UpdateTimestamp(local);
            }
            catch (TrustException)
            {
                // An expired local timestamp stays the rollback reference; anything else local is ignored.
            }
        }
        const string path = "metadata/timestamp.json";
        var remote = await FetchRequiredAsync(path, _options.TimestampMaxLength, "timestamp.json", cancellationToken);
        if (set.UpdateTimestamp(remote))
            _store.Save(Roles.Timestamp, remote);
        else if (!set.TimestampIsCurrent)
            throw new ExpiredMetadataException(Roles.Timestamp, set.Timestamp!.Signed.Expires, set.ReferenceTime);
    }

    private async Task LoadSnapshotAsync(TrustedMetadataSet set, CancellationToken cancellationToken)
    {
        var reference = set.Timestamp!.Signed.SnapshotMeta;
        if (_store.Load(Roles.Snapshot) is { } local)
        {
            try
            {
                set.SetPreviousSnapshot(local);
                if (set.PreviousSnapshot!.Signed.Version == reference.Version)
                {
                    set.UpdateSnapshot(local, fromLocalCache: true);
                    return;
                }
            }
            catch (TrustException)
            {
                // Not usable as the current snapshot; fetch it.
            }
        }
        // Read up to the configured bound, not just the signed length: a longer file is then named for what it is
        // (a mix-and-match or a changed file) by the length and hash check, and reading stays bounded.
        var limit = Math.Max(reference.Length ?? 0, _options.SnapshotMaxLength);
        var path = set.Root.Signed.ConsistentSnapshot ? $"metadata/{reference.Version}.snapshot.json" : "metadata/snapshot.json";
        var remote = await FetchRequiredAsync(path, limit, "snapshot.json", cancellationToken);
        set.UpdateSnapshot(remote);
        _store.Save(Roles.Snapshot, remote);
    }

    private async Task LoadTargetsAsync(TrustedMetadataSet set, CancellationToken cancellationToken)
    {
        if (!set.Snapshot!.Signed.Meta.TryGetValue("targets.json", out var reference))
            throw new MalformedMetadataException("snapshot.json: $.signed.meta['targets.json']: missing");
        if (_store.Load(Roles.Targets) is { } local)
        {
            try
            {
                set.UpdateTargets(local);
                return;
            }
            catch (TrustException)
            {
                // Stale or not matching the snapshot; fetch the one the snapshot pins.
            }
        }
        var limit = Math.Max(reference.Length ?? 0, _options.TargetsMaxLength);
        var path = set.Root.Signed.ConsistentSnapshot ? $"metadata/{reference.Version}.targets.json" : "metadata/targets.json";
        var remote = await FetchRequiredAsync(path, limit, "targets.json", cancellationToken);
        set.UpdateTargets(remote);
        _store.Save(Roles.Targets, remote);
    }

    private async Task<byte[]> FetchRequiredAsync(string path, long maxLength, string what, CancellationToken cancellationToken) =>
        await FetchAsync(path, maxLength, what, cancellationToken)
        ?? throw new RepositoryUnavailableException($"{path}: not found in the repository");

    private async Task<byte[]?> FetchAsync(string path, long maxLength, string what, CancellationToken cancellationToken)
    {
        byte[]? bytes;
        try
        {
            bytes = await _fetcher.FetchAsync(path, maxLength, cancellationToken);
        }
        catch (TrustException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or UnauthorizedAccessException)
        {
            throw new RepositoryUnavailableException($"{path}: {ex.Message}", ex);
        }
        if (bytes is not null && bytes.Length > maxLength)
            throw new EndlessDataException(what, maxLength);
        return bytes;
    }

    private static bool SameKeys(RoleKeys a, RoleKeys b) =>
        a.Threshold == b.Threshold && a.KeyIds.Count == b.KeyIds.Count && a.KeyIds.All(b.KeyIds.Contains);
}
