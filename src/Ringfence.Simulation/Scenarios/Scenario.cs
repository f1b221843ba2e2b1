using System.Text.Json;

namespace Ringfence.Simulation.Scenarios;

/// <summary>
/// A simulation scenario: a fleet description, the content under test with its fault models, and the strategies to
/// compare. Loaded from JSON (see docs/scenarios.md); every field has a default here, in one place.
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>When the content is released; minute 0 of the simulation.</summary>
    public DateTimeOffset ReleaseUtc { get; init; } = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    public double DurationHours { get; init; } = 240;
    public int Seed { get; init; } = 1;
    public required FleetSpec Fleet { get; init; }
    public required ContentSpec Content { get; init; }
    public required IReadOnlyList<StrategySpec> Strategies { get; init; }
    public LegacyAgentSpec LegacyAgent { get; init; } = new();
    public RepairSpec Repair { get; init; } = new();
}

public sealed record FleetSpec
{
    public required IReadOnlyList<SegmentSpec> Segments { get; init; }
    public required IReadOnlyList<RegionSpec> Regions { get; init; }
    /// <summary>Sector name → weight (organisations are drawn by weight).</summary>
    public required IReadOnlyDictionary<string, double> Sectors { get; init; }
    public IReadOnlyList<OrgSizeSpec> OrganisationSizes { get; init; } = [new() { Hosts = 500, Weight = 1 }];
    /// <summary>The vendor's own hosts (the internal dogfood group), drawn like any other organisation.</summary>
    public int InternalHosts { get; init; } = 500;
    public double CheckInMinutes { get; init; } = 5;
    /// <summary>Per-host spread of the check-in interval, as a fraction (0.2 = ±20%).</summary>
    public double CheckInJitter { get; init; } = 0.2;
    public double BootMinutes { get; init; } = 3;
    public double TelemetryLatencyMinutes { get; init; } = 1;
    public double BackgroundCrashesPerHostDay { get; init; } = 0.002;
    /// <summary>Share of the time an agent spends evaluating content, so an unrelated crash leaves a breadcrumb naming it.</summary>
    public double BreadcrumbFalseAttribution { get; init; } = 1e-5;
    public WorkHoursSpec WorkHours { get; init; } = new();
}

public sealed record SegmentSpec
{
    public required string Name { get; init; }
    /// <summary>windows, macos or linux.</summary>
    public required string Os { get; init; }
    /// <summary>server or kiosk (online around the clock) or workstation (local working hours).</summary>
    public required string Class { get; init; }
    public required long Count { get; init; }
    public required IReadOnlyDictionary<string, double> OsBuilds { get; init; }
    public required IReadOnlyDictionary<string, double> AgentBuilds { get; init; }
    /// <summary>Powered off or away for the whole run.</summary>
    public double OfflineFraction { get; init; } = 0.03;
    /// <summary>Workstations left on outside working hours.</summary>
    public double LeftOnFraction { get; init; } = 0.2;
    /// <summary>Hosts on a good network (cloud VMs, data centres) that can win the boot-time race for a fix.</summary>
    public double GoodNetworkFraction { get; init; } = 0.2;
    /// <summary>Region name → weight; empty means the fleet's region weights.</summary>
    public IReadOnlyDictionary<string, double> Regions { get; init; } = new Dictionary<string, double>();
}

public sealed record RegionSpec
{
    public required string Name { get; init; }
    public required double UtcOffsetHours { get; init; }
    public required double Weight { get; init; }
}

public sealed record OrgSizeSpec
{
    public required int Hosts { get; init; }
    public required double Weight { get; init; }
}

public sealed record WorkHoursSpec
{
    public double StartLocalHour { get; init; } = 8;
    public double StartSpreadHours { get; init; } = 1.5;
    public double LengthHours { get; init; } = 9;
    public bool Weekdays { get; init; } = true;
}

public sealed record ContentSpec
{
    public string Name { get; init; } = "content";
    /// <summary>The channel file, in the Ringfence content JSON format; run through the real validator and interpreter.</summary>
    public JsonElement? ChannelFile { get; init; }
    /// <summary>Template types (Ringfence content JSON: <c>{"templateTypes": [...]}</c>).</summary>
    public JsonElement? TemplateTypes { get; init; }
    /// <summary>Agent builds with their contracts (the <c>agentBuilds</c> array of a Ringfence fleet manifest); ids match the segments' agent builds.</summary>
    public JsonElement? AgentBuilds { get; init; }
    public IReadOnlyList<FaultSpec> Faults { get; init; } = [];
}

public static class FaultKinds
{
    public const string CrashOnLoad = "crash-on-load";
    public const string TimeBomb = "time-bomb";
    public const string CrashRate = "crash-rate";
    public const string CpuRegression = "cpu-regression";
    /// <summary>Crash on load on the agent builds where the real interpreter faults on the channel file.</summary>
    public const string Interpreter = "interpreter";
    public static readonly IReadOnlyList<string> All = [CrashOnLoad, TimeBomb, CrashRate, CpuRegression, Interpreter];
}

public sealed record FaultSpec
{
    public required string Kind { get; init; }
    public HostPredicate Match { get; init; } = new();
    public double Probability { get; init; } = 1;
    public double DelayMinutes { get; init; }
    public double Factor { get; init; } = 1;
    public double CpuPercent { get; init; }
}

/// <summary>Which hosts a fault applies to; every list given must contain the host's value.</summary>
public sealed record HostPredicate
{
    public IReadOnlyList<string>? Os { get; init; }
    public IReadOnlyList<string>? OsBuilds { get; init; }
    public IReadOnlyList<string>? AgentBuilds { get; init; }
    /// <summary>Agent builds at or above this version (dotted numeric comparison).</summary>
    public string? MinAgentBuild { get; init; }
    public IReadOnlyList<string>? Classes { get; init; }
    public IReadOnlyList<string>? Sectors { get; init; }
}

public static class StrategyTypes
{
    public const string GlobalPush = "global-push";
    public const string Ringfence = "ringfence";
    public const string RingfenceLegacyAgents = "ringfence-legacy-agents";
    public const string MannWhitney = "kayenta-mann-whitney";
    public const string StaticThreshold = "static-threshold";
    public static readonly IReadOnlyList<string> All = [GlobalPush, Ringfence, RingfenceLegacyAgents, MannWhitney, StaticThreshold];
}

public sealed record StrategySpec
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    /// <summary>global-push: the vendor reverts the content this many minutes after release.</summary>
    public double RevertAfterMinutes { get; init; } = 78;
    /// <summary>The ring plan and gate; null runs the server's default (<c>RolloutDefaults</c> in Ringfence.Rollouts).</summary>
    public RingPlanSpec? Plan { get; init; }
    /// <summary>Peer gates: how long a ring bakes before the judge looks (Mann-Whitney) and the static crash-rate limit.</summary>
    public double JudgeAfterMinutes { get; init; } = 60;
    public double StaticCrashRateLimit { get; init; } = 0.01;
    public int StaticMinHosts { get; init; } = 50;
    /// <summary>self-healing (Ringfence agent) or legacy (2024 agent); defaults by strategy type.</summary>
    public string? Agents { get; init; }
}

/// <summary>
/// A scenario's override of the server's default plan and gate (<c>RolloutDefaults</c>): every member left out keeps the
/// default, and the report names the members that override it.
/// </summary>
public sealed record RingPlanSpec
{
    /// <summary>Rings; null keeps the default rings.</summary>
    public IReadOnlyList<RingSpec>? Rings { get; init; }
    /// <summary>Coverage composition: configurations with at least MinConfigHosts hosts get HostsPerConfig hosts in the coverage ring.</summary>
    public int? MinConfigHosts { get; init; }
    public int? HostsPerConfig { get; init; }
    public int? AttributionHosts { get; init; }
    public double? FalseHaltBound { get; init; }
    /// <summary>Exposure a ring needs before its gate may pass.</summary>
    public double? MinExposedHostHours { get; init; }

    /// <summary>The members that override the default, in JSON names.</summary>
    public IReadOnlyList<string> Overrides()
    {
        var o = new List<string>();
        if (Rings is not null)
            o.Add("rings");
        if (MinConfigHosts is not null)
            o.Add("minConfigHosts");
        if (HostsPerConfig is not null)
            o.Add("hostsPerConfig");
        if (AttributionHosts is not null)
            o.Add("attributionHosts");
        if (FalseHaltBound is not null)
            o.Add("falseHaltBound");
        if (MinExposedHostHours is not null)
            o.Add("minExposedHostHours");
        return o;
    }
}

public sealed record RingSpec
{
    public required string Name { get; init; }
    /// <summary>internal, coverage or percent.</summary>
    public required string Selection { get; init; }
    public double Percent { get; init; }
    public int MinHosts { get; init; }
    public double BakeMinutes { get; init; } = 60;
}

public sealed record LegacyAgentSpec
{
    /// <summary>Chance per boot that the agent fetches the reverted file before loading the bad one, by network.</summary>
    public double FixWinsPerBootGoodNetwork { get; init; } = 0.15;
    public double FixWinsPerBootNormalNetwork { get; init; } = 0.03;
    /// <summary>Boots before the host stops at a recovery screen (VMs keep looping; PCs stop after a few).</summary>
    public int MaxBootsGoodNetwork { get; init; } = 40;
    public int MaxBootsNormalNetwork { get; init; } = 3;
    /// <summary>An optional recovery channel like Windows Quick Machine Recovery.</summary>
    public bool RecoveryChannel { get; init; }
    public int RecoveryAfterFailedBoots { get; init; } = 3;
}

public sealed record RepairSpec
{
    public double MinutesPerHost { get; init; } = 15;
    public double TechniciansPerThousandHosts { get; init; } = 0.5;
    public double ResponseDelayHours { get; init; } = 2;
}
