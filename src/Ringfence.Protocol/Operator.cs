using System.Text.Json;

namespace Ringfence.Protocol;

/// <summary>Operator roles, from least to most privileged. Each role includes the rights of the ones before it.</summary>
public enum OperatorRole
{
    Viewer,
    Publisher,
    Approver,
    Admin,
}

/// <summary>
/// POST /v1/channel-files (publisher). Content is the channel file as the content tools write it (UTF-8 text).
/// DeclaredBuilds adds agent builds that are not yet in the fleet (e.g. about to ship) to the validation.
/// </summary>
public sealed record PublishChannelFileRequest(
    string Content,
    IReadOnlyList<string>? DeclaredBuilds = null);

/// <summary>One validation finding (also returned in the 422 problem's "findings" extension).</summary>
public sealed record ValidationFinding(
    string Code,
    /// <summary>"error" or "warning".</summary>
    string Severity,
    string Message,
    /// <summary>Where: file, instance, field (e.g. "C-00000291/instance ipc-42/field 21").</summary>
    string? Location = null,
    /// <summary>Agent builds that would fail, with the number of fleet hosts on each.</summary>
    IReadOnlyList<BuildHostCount>? AffectedBuilds = null);

public sealed record BuildHostCount(string AgentBuild, long Hosts);

public sealed record ChannelFileDto(
    string Channel,
    long Version,
    string Sha256,
    string TargetName,
    long Length,
    DateTimeOffset PublishedAt,
    string PublishedBy,
    IReadOnlyList<string> ValidatedBuilds,
    IReadOnlyList<ValidationFinding> Findings);

/// <summary>One ring of a rollout plan.</summary>
public sealed record RingSpec(
    string Name,
    /// <summary>Cumulative share of the fleet exposed once this ring is reached (0..100].</summary>
    double Percent,
    int BakeMinutes);

/// <summary>
/// POST /v1/rollouts (publisher). Rings null = the server's default plan (dogfood, canary, waves).
/// Emergency = fast-track: shorter bakes, still staged, and two distinct approvers.
/// </summary>
public sealed record CreateRolloutRequest(
    string Channel,
    long Version,
    bool Emergency = false,
    IReadOnlyList<RingSpec>? Rings = null,
    string? Reason = null);

public enum RolloutStatus
{
    /// <summary>Waiting for approval(s).</summary>
    PendingApproval,
    Progressing,
    Paused,
    /// <summary>Stopped by the gate or an operator; content is on the known-bad list.</summary>
    Halted,
    RolledBack,
    Completed,
}

public sealed record RingProgress(
    int Index,
    string Name,
    double Percent,
    int BakeMinutes,
    long TargetHosts,
    long ExposedHosts,
    DateTimeOffset? EnteredAt,
    /// <summary>"pending", "running", "passed", "failed", "inconclusive".</summary>
    string Gate);

public sealed record RolloutDto(
    string Id,
    string Channel,
    long Version,
    string Sha256,
    bool Emergency,
    RolloutStatus Status,
    int CurrentRing,
    IReadOnlyList<RingProgress> Rings,
    IReadOnlyList<string> Approvers,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    string? StatusReason);

/// <summary>Body for pause/resume/halt/rollback/approve: an optional reason, recorded in the audit log.</summary>
public sealed record RolloutActionRequest(string? Reason = null);

/// <summary>POST /v1/kill-switch (admin).</summary>
public sealed record KillSwitchRequest(bool Engaged, string? Reason = null);

public sealed record KillSwitchDto(bool Engaged, string? Reason, DateTimeOffset? ChangedAt, string? ChangedBy);

/// <summary>A (agent build, OS build) cell of the fleet with its host count and the rings that cover it.</summary>
public sealed record FleetConfiguration(
    string AgentBuild,
    string Os,
    string OsBuild,
    long Hosts,
    /// <summary>Names of the default plan's rings that include at least one host of this configuration.</summary>
    IReadOnlyList<string> CoveredByRings,
    /// <summary>True when no early ring (the first two) covers it.</summary>
    bool UncoveredEarly);

public sealed record RingCoverage(string Ring, long Hosts, int ConfigurationsCovered, int ConfigurationsTotal);

/// <summary>GET /v1/fleet (viewer).</summary>
public sealed record FleetOverview(
    long Hosts,
    long HostsSeenLastHour,
    IReadOnlyList<FleetConfiguration> Configurations,
    IReadOnlyList<RingCoverage> Rings);

/// <summary>A decision taken by the controller or an operator, with its evidence (free-form JSON).</summary>
public sealed record DecisionDto(
    string Id,
    string RolloutId,
    /// <summary>"promote", "halt", "complete", "pause", "resume", "rollback", "approve", ...</summary>
    string Kind,
    int Ring,
    DateTimeOffset At,
    string Actor,
    string Reason,
    JsonElement? Evidence);

public sealed record AuditEntryDto(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string Subject,
    JsonElement? Details,
    string PreviousHash,
    string Hash);

public sealed record AuditPage(IReadOnlyList<AuditEntryDto> Entries, long? NextAfter);

/// <summary>
/// GET /v1/audit/verify: the chain walked from entry 1, every signed checkpoint checked against it (and the head the
/// TUF metadata publishes). UnsignedEntries are the newest entries after the last checkpoint: their removal shows only
/// against a head kept elsewhere.
/// </summary>
public sealed record AuditVerification(bool Valid, long EntriesChecked, long? FirstBrokenSequence, string? Problem,
    long CheckpointsChecked = 0, AuditCheckpointDto? LastCheckpoint = null, long UnsignedEntries = 0);

/// <summary>
/// POST /v1/api-keys (admin): the key is shown once in the response. Optional expiry: an absolute time
/// (<see cref="ExpiresAt"/>) or a number of days from now (<see cref="ExpiresInDays"/>, 1..3650), not both.
/// </summary>
public sealed record CreateApiKeyRequest(string Name, OperatorRole Role, DateTimeOffset? ExpiresAt = null, int? ExpiresInDays = null);

public sealed record ApiKeyCreated(string Id, string Name, OperatorRole Role, string Key, DateTimeOffset? ExpiresAt = null);

/// <summary>POST /v1/enrollment-tokens (admin): the token is shown once in the response.</summary>
public sealed record CreateEnrollmentTokenRequest(string Name, int? MaxHosts = null);

public sealed record EnrollmentTokenCreated(string Id, string Name, string Token);

public sealed record KnownBadEntryDto(string Sha256, string Channel, long Version, string Reason, DateTimeOffset AddedAt);

public sealed record KnownBadListDto(long Version, IReadOnlyList<KnownBadEntryDto> Entries);

/// <summary>GET /v1/whoami: the caller's key name and role (the dashboard uses it to hide buttons).</summary>
public sealed record WhoAmI(string Name, OperatorRole Role);

/// <summary>GET /v1/rollouts/{id}/health (viewer): one per-minute counter the controller folded telemetry into (kind like "crash:exposed").</summary>
public sealed record RolloutCounterDto(int Ring, DateTimeOffset WindowStart, string Kind, long Count);

/// <summary>A telemetry event that names the rollout's content: a crash breadcrumb, a revert or a quarantine.</summary>
public sealed record BreadcrumbDto(DateTimeOffset At, string HostId, string AgentBuild, string OsBuild, string Kind, string? InstanceId, bool BootCrash, string? Detail);

/// <summary>
/// GET /v1/rollouts/{id}/health (viewer): the counters the gate reads, summed over configurations, the newest breadcrumbs,
/// the fleet's size, and whether the counters were cut at the server's row limit.
/// </summary>
public sealed record RolloutHealthDto(IReadOnlyList<RolloutCounterDto> Counters, IReadOnlyList<BreadcrumbDto> Breadcrumbs, long FleetHosts, bool Truncated);
