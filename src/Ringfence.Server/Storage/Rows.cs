namespace Ringfence.Server.Storage;

// Database rows, mapped by Dapper (snake_case columns to PascalCase properties). Times are unix milliseconds.

public sealed class ApiKeyRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string KeyHash { get; set; } = "";
    public long CreatedAt { get; set; }
}

public sealed class HostRow
{
    public string HostId { get; set; } = "";
    public string Hostname { get; set; } = "";
    public string CredentialHash { get; set; } = "";
    public string AgentBuild { get; set; } = "";
    public string Os { get; set; } = "";
    public string OsBuild { get; set; } = "";
    public string GroupsJson { get; set; } = "[]";
    public string ChannelsJson { get; set; } = "[]";
    public long FailedBoots { get; set; }
    public long EnrolledAt { get; set; }
    public long LastSeen { get; set; }
}

public sealed class ChannelFileRow
{
    public string Channel { get; set; } = "";
    public long Version { get; set; }
    public string Sha256 { get; set; } = "";
    public string TargetName { get; set; } = "";
    public long Length { get; set; }
    public string Content { get; set; } = "";
    public long PublishedAt { get; set; }
    public string PublishedBy { get; set; } = "";
    public string ValidatedBuildsJson { get; set; } = "[]";
    public string FindingsJson { get; set; } = "[]";
}

public sealed class RolloutRow
{
    public string Id { get; set; } = "";
    public string Channel { get; set; } = "";
    public long Version { get; set; }
    public string Sha256 { get; set; } = "";
    public long Emergency { get; set; }
    public string Status { get; set; } = "";
    public long CurrentRing { get; set; }
    public long? RingEnteredAt { get; set; }
    public string PlanJson { get; set; } = "[]";
    public string ApproversJson { get; set; } = "[]";
    public long CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public string? StatusReason { get; set; }
    public long UpdatedAt { get; set; }

    /// <summary>The rollout engine's state (schema v5); null for rows written before it.</summary>
    public string? EngineStateJson { get; set; }

    /// <summary>The engine spec the rollout was created with (schema v6); null for rows written before it.</summary>
    public string? SpecJson { get; set; }
}

public sealed class DecisionRow
{
    public string Id { get; set; } = "";
    public string RolloutId { get; set; } = "";
    public string Kind { get; set; } = "";
    public long Ring { get; set; }
    public long At { get; set; }
    public string Actor { get; set; } = "";
    public string Reason { get; set; } = "";
    public string? EvidenceJson { get; set; }
}

public sealed class KillSwitchRow
{
    public long Engaged { get; set; }
    public string? Reason { get; set; }
    public long? ChangedAt { get; set; }
    public string? ChangedBy { get; set; }
}

public sealed class KnownBadRow
{
    public string Sha256 { get; set; } = "";
    public string Channel { get; set; } = "";
    public long Version { get; set; }
    public string Reason { get; set; } = "";
    public long AddedAt { get; set; }
}

public sealed class CounterRow
{
    public string Kind { get; set; } = "";
    public string AgentBuild { get; set; } = "";
    public string OsBuild { get; set; } = "";
    public long Count { get; set; }
}
