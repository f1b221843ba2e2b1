using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringfence.Trust;
using Ringfence.Trust.Client;
using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;

namespace Ringfence.Agent.Updates;

/// <summary>
/// What the agent runs before it stages anything: a TUF refresh from the root pinned at enrollment, the signed known-bad list,
/// then the target's length and hashes. Never throws a <see cref="TrustException"/>: every refusal comes back as an
/// <see cref="UpdateVerification"/> with its typed reason, and the caller keeps its current content.
/// The last verified known-bad list is cached in the trusted-metadata store so it also applies at boot, without network.
/// </summary>
public sealed partial class ContentUpdateVerifier
{
    /// <summary>Store key under which the verified known-bad list is cached next to the trusted metadata.</summary>
    public const string KnownBadStoreKey = "known-bad";

    private readonly TufUpdater _updater;
    private readonly ITrustedMetadataStore _store;
    private readonly ILogger _logger;

    public ContentUpdateVerifier(IRepositoryFetcher fetcher, ITrustedMetadataStore store, byte[] pinnedRoot, TimeProvider time,
        ILogger<ContentUpdateVerifier>? logger = null, TufClientOptions? options = null)
    {
        _updater = new TufUpdater(fetcher, store, pinnedRoot, time, options);
        _store = store;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        KnownBad = LoadCachedKnownBad(store);
    }

    /// <summary>The last verified known-bad list (from the cache at start, refreshed by every verification).</summary>
    public KnownBadList KnownBad { get; private set; }

    /// <summary>True when content with this SHA-256 must not be loaded (check it at boot, before loading the current slot).</summary>
    public bool IsKnownBad(string sha256) => KnownBad.Contains(sha256);

    /// <summary>Refreshes the metadata and verifies <paramref name="targetPath"/>; returns its bytes or the typed refusal.</summary>
    public async Task<UpdateVerification> VerifyAsync(string targetPath, CancellationToken cancellationToken = default)
    {
        try
        {
            var trusted = await _updater.RefreshAsync(cancellationToken);
            await RefreshKnownBadAsync(cancellationToken);
            var info = _updater.GetTargetInfo(targetPath);
            // Refuse before downloading: the signed entry already names the hash.
            if (info.Sha256 is { } signedHash && KnownBad.Find(signedHash) is { } listed)
                throw new KnownBadContentException(targetPath, signedHash, listed.Reason);
            var bytes = await _updater.DownloadTargetAsync(targetPath, cancellationToken);
            var sha256 = Hex.Sha256(bytes);
            if (KnownBad.Find(sha256) is { } entry)
                throw new KnownBadContentException(targetPath, sha256, entry.Reason);
            LogVerified(_logger, targetPath, sha256, trusted.Targets!.Signed.Version);
            return UpdateVerification.Verified(new VerifiedContent(targetPath, bytes, sha256, trusted.Targets.Signed.Version, info.Custom));
        }
        catch (TrustException ex)
        {
            LogRefused(_logger, targetPath, ex.Failure, ex.Message);
            return UpdateVerification.Refused(ex);
        }
    }

    /// <summary>
    /// Verifies, then calls <paramref name="stage"/> only with verified content. On a refusal <paramref name="stage"/> is not
    /// called, so whatever the agent runs now stays in place.
    /// </summary>
    public async Task<UpdateVerification> VerifyAndStageAsync(string targetPath, Func<VerifiedContent, CancellationToken, Task> stage,
        CancellationToken cancellationToken = default)
    {
        var result = await VerifyAsync(targetPath, cancellationToken);
        if (result.Content is { } content)
            await stage(content, cancellationToken);
        return result;
    }

    /// <summary>Refreshes only the known-bad list (a halt should reach agents even when there is nothing new to stage).</summary>
    public async Task<UpdateVerification?> RefreshKnownBadListAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _updater.RefreshAsync(cancellationToken);
            await RefreshKnownBadAsync(cancellationToken);
            return null;
        }
        catch (TrustException ex)
        {
            LogRefused(_logger, KnownBadList.TargetPath, ex.Failure, ex.Message);
            return UpdateVerification.Refused(ex);
        }
    }

    private async Task RefreshKnownBadAsync(CancellationToken cancellationToken)
    {
        var targets = _updater.Trusted!.Targets!.Signed.Targets;
        if (!targets.ContainsKey(KnownBadList.TargetPath))
        {
            KnownBad = KnownBadList.Empty;
            return;
        }
        var bytes = await _updater.DownloadTargetAsync(KnownBadList.TargetPath, cancellationToken);
        KnownBad = KnownBadList.Parse(bytes);
        _store.Save(KnownBadStoreKey, bytes);
    }

    /// <summary>
    /// The cached list counts only if its hash matches the entry in the stored targets metadata, whose signatures are checked
    /// against the stored root. Expiry is not checked: a stale known-bad list can only refuse more, never allow more.
    /// </summary>
    private static KnownBadList LoadCachedKnownBad(ITrustedMetadataStore store)
    {
        try
        {
            if (store.Load(KnownBadStoreKey) is not { } bytes || store.Load(Roles.Targets) is not { } targetsBytes || store.Load(Roles.Root) is not { } rootBytes)
                return KnownBadList.Empty;
            var root = MetadataCodec.ParseRoot(rootBytes, "root.json");
            var targets = MetadataCodec.ParseTargets(targetsBytes, "targets.json");
            MetadataCodec.VerifyThreshold(targets, root.Signed, Roles.Targets);
            if (!targets.Signed.Targets.TryGetValue(KnownBadList.TargetPath, out var info))
                return KnownBadList.Empty;
            HashCheck.Verify(bytes, info.Length, info.Hashes, KnownBadList.TargetPath);
            return KnownBadList.Parse(bytes);
        }
        catch (TrustException)
        {
            return KnownBadList.Empty;
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Verified {Target} (sha256 {Sha256}, targets v{Version})")]
    private static partial void LogVerified(ILogger logger, string target, string sha256, long version);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Refused {Target}: {Failure}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string target, TrustFailure failure, string reason);
}
