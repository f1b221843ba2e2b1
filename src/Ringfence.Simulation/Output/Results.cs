using Ringfence.Simulation.Engine;

namespace Ringfence.Simulation.Output;

/// <summary>The outcome of one strategy. Field names are the JSON contract (camelCase).</summary>
public sealed record StrategyResult
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required string Agents { get; init; }
    public required long HostsInFleet { get; init; }
    public required long HostsExposed { get; init; }
    public required long HostsCrashed { get; init; }
    public required long HostsNeedingManualRepair { get; init; }
    public required long HostsRecoveredByFixDownload { get; init; }
    public required long HostsRecoveredByRecoveryChannel { get; init; }
    public required long HostsSelfHealed { get; init; }
    public required long PeakHostsDown { get; init; }
    public required double PeakHostsDownAtMinute { get; init; }
    public required double DowntimeHostHours { get; init; }
    public required double ManualRepairPersonHours { get; init; }
    public required double? MinutesReleaseToHalt { get; init; }
    public required bool Halted { get; init; }
    public required bool FalseHalt { get; init; }
    /// <summary>Hours until 99% of the hosts the content crashed were running again (null: never within the run).</summary>
    public required double? HoursTo99PercentRecovered { get; init; }
    public required long BackgroundCrashes { get; init; }
    public required long CrashEvents { get; init; }
    public required double CpuRegressionHostHours { get; init; }
    public required IReadOnlyList<SectorResult> BySector { get; init; }
    public required IReadOnlyList<RingResult> ByRing { get; init; }
    public required IReadOnlyList<DecisionRecord> Decisions { get; init; }
    public required TimeSeries TimeSeries { get; init; }
    /// <summary>Per host (in the fleet's order), when <see cref="SimulationOptions.RecordHosts"/>; not in the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HostOutcomes? Hosts { get; init; }
    /// <summary>The plan the strategy ran: the server's default, or what the scenario overrides (null for a global push).</summary>
    public string? Plan { get; init; }
    /// <summary>Wall-clock time of the run; not in the JSON, which must be identical for the same seed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double WallSeconds { get; init; }
}

/// <summary>
/// Each host's ring (an index into <see cref="StrategyResult.ByRing"/>; 255 = never targeted, e.g. an agent build the content
/// does not go to) and whether it was ever exposed to the content. Global push has no rings: every ring is 0.
/// </summary>
public sealed record HostOutcomes(IReadOnlyList<byte> Ring, IReadOnlyList<bool> Exposed);

public sealed record SectorResult(string Sector, long Hosts, long Exposed, long Crashed, long ManualRepair, double DowntimeHostHours);

public sealed record RingResult(int Ring, string Name, long Hosts, long Exposed, long Crashed, double? OpenedAtMinute);

/// <summary>Counts sampled every <see cref="StepMinutes"/>: exposed and crashed are cumulative, down is the current count.</summary>
public sealed record TimeSeries(
    double StepMinutes,
    IReadOnlyList<double> Minutes,
    IReadOnlyList<long> Exposed,
    IReadOnlyList<long> Crashed,
    IReadOnlyList<long> Down,
    IReadOnlyDictionary<string, IReadOnlyList<long>> DownBySector,
    IReadOnlyDictionary<string, IReadOnlyList<long>> CrashedBySector);

/// <summary>The validator's verdict on the scenario's channel file (the first line of defence).</summary>
public sealed record ValidatorVerdict(string Verdict, IReadOnlyList<string> Findings, IReadOnlyList<BuildVerdict> InterpreterByBuild);

/// <summary>Everything one run produced.</summary>
public sealed record SimulationReport
{
    public required string Scenario { get; init; }
    public required string Description { get; init; }
    public required int Seed { get; init; }
    public required double Scale { get; init; }
    public required DateTimeOffset ReleaseUtc { get; init; }
    public required double DurationHours { get; init; }
    public required long HostsInFleet { get; init; }
    public required bool ContentFaulty { get; init; }
    public required ValidatorVerdict? Validator { get; init; }
    public required IReadOnlyList<string> CoverageReport { get; init; }
    public required IReadOnlyList<StrategyResult> Strategies { get; init; }
}
