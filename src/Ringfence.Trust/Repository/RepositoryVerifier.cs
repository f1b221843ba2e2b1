using Ringfence.Trust.Client;
using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Repository;

/// <summary>What a verified repository holds.</summary>
public sealed record RepositoryReport(long RootVersion, long TargetsVersion, long SnapshotVersion, long TimestampVersion, int TargetCount, int KnownBadCount);

/// <summary>
/// Checks a whole repository the way a client would: from its first root (as if pinned at enrollment) through the root chain,
/// timestamp, snapshot and targets, then every target's length and hashes. Throws the first <see cref="TrustException"/>.
/// </summary>
public static class RepositoryVerifier
{
    public static async Task<RepositoryReport> VerifyAsync(IRepositoryStore store, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var firstRoot = store.Read("metadata/1.root.json") ?? throw new RepositoryUnavailableException("metadata/1.root.json: not found in the repository");
        var updater = new TufUpdater(new RepositoryStoreFetcher(store), new InMemoryTrustedMetadataStore(), firstRoot, time);
        var set = await updater.RefreshAsync(cancellationToken);
        var knownBad = 0;
        foreach (var (path, _) in set.Targets!.Signed.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var bytes = await updater.DownloadTargetAsync(path, cancellationToken);
            if (path == KnownBadList.TargetPath)
                knownBad = KnownBadList.Parse(bytes).Entries.Count;
        }
        return new RepositoryReport(set.Root.Signed.Version, set.Targets.Signed.Version, set.Snapshot!.Signed.Version,
            set.Timestamp!.Signed.Version, set.Targets.Signed.Targets.Count, knownBad);
    }
}
