using System.Text.Json.Serialization;

namespace Ringfence.Protocol;

/// <summary>
/// A host's identity as it reports it: agent build (e.g. "7.11.18110"), OS family ("windows", "macos", "linux")
/// and OS build (e.g. "22631"). The pair (agent build, OS build) is a fleet "configuration".
/// </summary>
public sealed record HostConfiguration(string AgentBuild, string Os, string OsBuild);

/// <summary>POST /v1/agent/enroll (no credential; the enrollment token is the secret).</summary>
public sealed record EnrollRequest(
    string EnrollmentToken,
    string Hostname,
    HostConfiguration Configuration,
    /// <summary>Optional customer-side grouping ("critical", "dc-1"): policies can target it.</summary>
    IReadOnlyList<string>? Groups = null);

/// <summary>
/// The per-host credential (shown once; the server stores only its SHA-256) and the pinned TUF root the
/// agent must trust from now on (the root.json document, verbatim, as UTF-8 text).
/// </summary>
public sealed record EnrollResponse(
    string HostId,
    string Credential,
    string TrustedRoot,
    int CheckInIntervalSeconds);

/// <summary>What the host currently runs on one channel.</summary>
public sealed record ChannelState(
    string Channel,
    /// <summary>Version the agent has loaded (active slot); null if none.</summary>
    long? ActiveVersion = null,
    /// <summary>SHA-256 (lowercase hex) of the active content, if any.</summary>
    string? ActiveHash = null,
    /// <summary>Version in the last-known-good slot, if any.</summary>
    long? LastKnownGoodVersion = null);

/// <summary>Health summary the agent sends with each check-in.</summary>
public sealed record HostHealth(
    /// <summary>Consecutive boots that did not reach the "healthy" mark (the durable boot counter).</summary>
    int ConsecutiveFailedBoots,
    /// <summary>Crashes since the previous check-in.</summary>
    int CrashesSinceLastCheckIn,
    /// <summary>Content hashes the agent has quarantined locally (reverted after repeated crashes).</summary>
    IReadOnlyList<string>? QuarantinedHashes = null);

/// <summary>
/// POST /v1/agent/check-in, authenticated with "Authorization: Bearer &lt;credential&gt;" (the credential from enroll;
/// HostId must be the host it was issued to).
/// Send "If-None-Match" with the previous answer's ETag: an unchanged answer is a bodyless 304.
/// </summary>
public sealed record CheckInRequest(
    string HostId,
    HostConfiguration Configuration,
    IReadOnlyList<ChannelState> Channels,
    HostHealth Health);

/// <summary>The content a host should run on one channel.</summary>
public sealed record ChannelTarget(
    string Channel,
    long Version,
    /// <summary>SHA-256 (lowercase hex) of the channel file bytes.</summary>
    string Sha256,
    /// <summary>TUF target path, e.g. "channels/291/291-000042.bin"; the blob is served at /tuf/targets/{sha256}.{file name}.</summary>
    string TargetName,
    long Length,
    /// <summary>The rollout that put this target here; null when it is the channel's settled baseline.</summary>
    string? RolloutId);

/// <summary>The check-in answer. Also carried in the ETag: equal answers have equal ETags.</summary>
public sealed record CheckInResponse(
    IReadOnlyList<ChannelTarget> Targets,
    /// <summary>Version of the signed known-bad list (in the TUF targets as "known-bad.json"); fetch it when it grew.</summary>
    long KnownBadListVersion,
    /// <summary>TUF timestamp version, so an agent knows when to refresh metadata.</summary>
    long RepositoryVersion,
    int NextCheckInSeconds,
    /// <summary>The global kill switch: when true, the agent must not load any new content.</summary>
    bool KillSwitchEngaged);

/// <summary>Kinds of telemetry event.</summary>
public enum TelemetryKind
{
    /// <summary>The host is up and healthy with the content it names.</summary>
    Heartbeat,
    /// <summary>A crash, reported after reboot, with the breadcrumb naming the content being evaluated.</summary>
    Crash,
    /// <summary>The agent reverted a channel to last-known-good.</summary>
    Revert,
    /// <summary>The agent quarantined a content hash after repeated crashes.</summary>
    Quarantine,
    /// <summary>The agent loaded new content successfully.</summary>
    Loaded,
}

/// <summary>One telemetry event.</summary>
public sealed record TelemetryEvent(
    TelemetryKind Kind,
    DateTimeOffset At,
    string? Channel = null,
    long? ContentVersion = null,
    string? ContentHash = null,
    /// <summary>Crash breadcrumb: the template instance (rule) id being evaluated when the host went down.</summary>
    string? InstanceId = null,
    /// <summary>True for a crash during boot (boot loop), false for a crash while running.</summary>
    bool BootCrash = false,
    string? Detail = null);

/// <summary>
/// POST /v1/agent/telemetry, same Bearer credential as check-in. The idempotency key (1..64 chars, unique per
/// host) makes a retried batch a no-op: the server answers 200 with Duplicate = true and counts nothing. The key is
/// bound to the batch's content: the same key with different content (a host whose state was restored from a backup
/// or snapshot) is refused with 409 <see cref="TelemetryConflict.Code"/>, carrying the highest sequence the
/// server holds for the host; the agent moves past it and sends the batch again under a new key.
/// </summary>
public sealed record TelemetryBatch(
    string HostId,
    string IdempotencyKey,
    IReadOnlyList<TelemetryEvent> Events,
    /// <summary>Optional: the agent's batch counter (the key is "{hostId}-{sequence}"); the server keeps the highest.</summary>
    long? Sequence = null);

/// <summary>The 409 answer to an idempotency key reused with different content.</summary>
public static class TelemetryConflict
{
    /// <summary>Suffix of the ProblemDetails type.</summary>
    public const string Code = "telemetry-key-reused";

    /// <summary>ProblemDetails extension member: the highest batch sequence the server holds for the host (absent if none).</summary>
    public const string HighestSequenceMember = "highestSequence";
}

public sealed record TelemetryAck(string IdempotencyKey, int Accepted, bool Duplicate);
