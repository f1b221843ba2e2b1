namespace Ringfence.Content;

/// <summary>Severity of a template instance's detection. Numeric values are stable (binary format).</summary>
public enum Severity : byte
{
    Info = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    Critical = 5,
}

/// <summary>A rule: one criterion per field of its template type, all of which must match.</summary>
public sealed record TemplateInstance(string Id, string Action, Severity Severity, ValueList<Criterion> Criteria);

/// <summary>
/// Which agent builds a channel file is meant for. Empty lists / null range mean "every build that compiles the template type".
/// </summary>
public sealed record ChannelTarget(ValueList<AgentOs> Os, VersionRange? Versions)
{
    public static ChannelTarget All { get; } = new(ValueList<AgentOs>.Empty, null);

    public bool Includes(AgentBuild build) =>
        (Os.Count == 0 || Os.Contains(build.Os)) && (Versions is null || Versions.Contains(build.Version));
}

/// <summary>A versioned bundle of template instances for one template type: what agents download and load.</summary>
public sealed record ChannelFile(string Id, string TemplateTypeId, long Version, ValueList<TemplateInstance> Instances)
{
    public string Description { get; init; } = "";
    public ChannelTarget Target { get; init; } = ChannelTarget.All;

    /// <summary>
    /// The file retires its channel on purpose: it has no instances, so agents drop every detection on the channel.
    /// Without this marker an empty file is refused (RF1011); with it, its rollout needs two distinct approvers.
    /// JSON: top-level <c>"retire": true</c>; binary: header flag <c>0x0001</c>.
    /// </summary>
    public bool Retire { get; init; }
}
