using System.Globalization;

namespace Ringfence.Content;

public enum FindingSeverity
{
    Info = 0,
    Warning = 1,
    Error = 2,
}

/// <summary>Where a finding is: the file, and when it applies, the instance, the 1-based field number and the JSON path.</summary>
public sealed record FindingLocation(string File, string? InstanceId = null, int? FieldNumber = null, string? FieldName = null, string? JsonPath = null)
{
    public override string ToString()
    {
        var parts = new List<string> { File };
        if (InstanceId is not null)
            parts.Add($"instance {InstanceId}");
        if (FieldNumber is not null)
            parts.Add(FieldName is null ? $"field {FieldNumber}" : $"field {FieldNumber} ({FieldName})");
        if (JsonPath is not null)
            parts.Add(JsonPath);
        return string.Join(", ", parts);
    }
}

/// <summary>One validation finding: a stable code (docs/validation.md), a severity, a message and a precise location.
/// Fleet findings also name the agent builds concerned and how many hosts run them.</summary>
public sealed record Finding(string Code, FindingSeverity Severity, string Message, FindingLocation Location)
{
    public ValueList<string> Builds { get; init; } = ValueList<string>.Empty;
    public long HostCount { get; init; }

    public override string ToString() =>
        $"{Severity.ToString().ToLowerInvariant()} {Code} [{Location}] {Message}";

    public static string Hosts(long n) => n.ToString("N0", CultureInfo.InvariantCulture) + (n == 1 ? " host" : " hosts");
}

/// <summary>What was checked for one file, for summaries.</summary>
public sealed record FileSummary(string File, string ChannelFileId, string TemplateTypeId, int Instances, int TargetedBuilds, long TargetedHosts, int EventsReplayed, int FuzzEvents)
{
    public bool Accepted { get; init; }
}

/// <summary>Every finding of one validation run. Content is accepted when there is no error.</summary>
public sealed record ValidationReport(IReadOnlyList<Finding> Findings, IReadOnlyList<FileSummary> Files)
{
    public bool Accepted => Findings.All(f => f.Severity != FindingSeverity.Error);

    public bool IsAccepted(string file) => Findings.All(f => f.Severity != FindingSeverity.Error || f.Location.File != file);

    public IEnumerable<Finding> For(string file) => Findings.Where(f => f.Location.File == file);

    public int Count(FindingSeverity severity) => Findings.Count(f => f.Severity == severity);
}
