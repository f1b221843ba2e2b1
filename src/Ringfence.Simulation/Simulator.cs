using System.Diagnostics;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;
using Ringfence.Simulation.Engine;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;
using RingSpec = Ringfence.Rollouts.Rings.RingSpec;

namespace Ringfence.Simulation;

/// <summary>How to run a scenario.</summary>
public sealed record SimulationOptions
{
    /// <summary>Fraction of the scenario's fleet (1.0 = full scale).</summary>
    public double Scale { get; init; } = 1;
    /// <summary>Overrides the scenario's seed.</summary>
    public int? Seed { get; init; }
    /// <summary>Progress of the whole run in [0, 1] with the strategy being run.</summary>
    public IProgress<(string Strategy, double Fraction)>? Progress { get; init; }
    /// <summary>
    /// Runs this fleet instead of generating the scenario's (<see cref="ExplicitFleet"/>): the conformance suite runs the
    /// fleet a real server enrolled. <see cref="Scale"/> and the scenario's fleet description are then not used.
    /// </summary>
    public FleetModel? Fleet { get; init; }
    /// <summary>The rollout id that keys the buckets (a server's rollout id, to place hosts as that server does); null = "scenario/content".</summary>
    public string? RolloutId { get; init; }
    /// <summary>Keep each host's ring and whether it was ever exposed in <see cref="StrategyResult.Hosts"/> (costs memory at scale).</summary>
    public bool RecordHosts { get; init; }
}

/// <summary>Runs a scenario: generates the fleet once, then every strategy over it, and collects the results.</summary>
public static class Simulator
{
    public static SimulationReport Run(Scenario scenario, SimulationOptions options, string source, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var seed = options.Seed ?? scenario.Seed;
        var content = ContentModel.Load(scenario.Content, source);
        var fleet = options.Fleet ?? PopulationGenerator.Generate(scenario, options.Scale, seed);
        var faults = new FaultPlan(fleet, scenario.Content.Faults, content);
        var coverageLines = new List<string>();
        // Strategies with the same plan share the ring assignment (keyed by the plan's JSON: lists compare by reference).
        var rings = new Dictionary<string, (RolloutSpec Spec, byte[] RingOf)>(StringComparer.Ordinal);
        var results = new List<StrategyResult>();

        for (var i = 0; i < scenario.Strategies.Count; i++)
        {
            var st = scenario.Strategies[i];
            var sw = Stopwatch.StartNew();
            IRolloutDriver driver;
            byte[]? ringOf = null;
            IReadOnlyList<string> ringNames = ["everyone"];
            var legacy = st.Agents is null ? st.Type is StrategyTypes.GlobalPush or StrategyTypes.RingfenceLegacyAgents : st.Agents == "legacy";
            if (st.Type == StrategyTypes.GlobalPush)
            {
                driver = new GlobalPushDriver(st.RevertAfterMinutes);
            }
            else
            {
                var planKey = st.Plan is null ? "default" : System.Text.Json.JsonSerializer.Serialize(st.Plan);
                if (!rings.TryGetValue(planKey, out var plan))
                {
                    plan = BuildRollout(fleet, scenario, st.Plan, options.RolloutId, coverageLines);
                    rings[planKey] = plan;
                }
                ringOf = plan.RingOf;
                ringNames = [.. plan.Spec.Plan.Rings.Select(r => r.Name), "critical (after completion)"];
                IPeerJudge? judge = st.Type switch
                {
                    StrategyTypes.MannWhitney => new MannWhitneyJudge(st.JudgeAfterMinutes),
                    StrategyTypes.StaticThreshold => new StaticThresholdJudge(st.StaticCrashRateLimit, st.StaticMinHosts),
                    _ => null,
                };
                driver = new ReconcileDriver(plan.Spec, scenario.ReleaseUtc, judge);
            }
            var index = i;
            var progress = options.Progress is null ? null : new SyncProgress(f => options.Progress.Report((st.Name, (index + f) / scenario.Strategies.Count)));
            var run = new StrategyRun(fleet, scenario, st, faults, content, driver, ringOf, ringNames, legacy, seed) { RecordHosts = options.RecordHosts };
            var result = run.Run(progress, cancel);
            results.Add(result with { WallSeconds = sw.Elapsed.TotalSeconds, Plan = st.Type == StrategyTypes.GlobalPush ? null : PlanSource(st.Plan) });
        }

        return new SimulationReport
        {
            Scenario = scenario.Name,
            Description = scenario.Description,
            Seed = seed,
            Scale = options.Scale,
            ReleaseUtc = scenario.ReleaseUtc,
            DurationHours = scenario.DurationHours,
            HostsInFleet = fleet.Count,
            ContentFaulty = faults.Faulty,
            Validator = ValidatorRunner.Run(content, fleet),
            CoverageReport = coverageLines,
            Strategies = results,
        };
    }

    /// <summary>What the report says of a strategy's plan: the server's default, or which members the scenario overrides.</summary>
    internal static string PlanSource(RingPlanSpec? plan) => plan?.Overrides() is { Count: > 0 } o
        ? $"scenario plan: overrides the server default's {string.Join(", ", o)}"
        : "server default plan and gate (RolloutDefaults)";

    /// <summary>
    /// The rollout spec, built by the engine's one builder (<see cref="RolloutSpecs"/>) with its coverage ring composed
    /// over the fleet, and every host's ring from the real resolver. Hosts' agent and OS builds go through the engine's
    /// one mapping from string ids (<see cref="FleetIds"/>), as on the server.
    /// </summary>
    private static (RolloutSpec Spec, byte[] RingOf) BuildRollout(FleetModel fleet, Scenario scenario, RingPlanSpec? planSpec, string? rolloutId, List<string> coverage)
    {
        var configAgent = fleet.Configs.Select(c => FleetIds.AgentBuild(c.AgentBuild)).ToArray();
        var configOs = fleet.Configs.Select(c => FleetIds.OsBuild(c.Os, c.OsBuild)).ToArray();
        var names = new Dictionary<(int, int), string>();
        for (var i = 0; i < fleet.Configs.Length; i++)
            names[(configAgent[i], configOs[i])] = $"{fleet.Configs[i].Os}/{fleet.Configs[i].OsBuild} × agent {fleet.Configs[i].AgentBuild}";

        HealthGateOptions? gate = null;
        if (planSpec is { AttributionHosts: not null } or { FalseHaltBound: not null } or { MinExposedHostHours: not null })
        {
            gate = RolloutDefaults.Gate;
            if (planSpec.AttributionHosts is { } a)
                gate = gate with { AttributionHosts = a };
            if (planSpec.FalseHaltBound is { } f)
                gate = gate with { FalseHaltBound = f };
            if (planSpec.MinExposedHostHours is { } m)
                gate = gate with { MinExposedHostHours = m };
        }
        RingPlan? plan = null;
        var coverageIndex = RolloutDefaults.CoverageRing;
        if (planSpec?.Rings is { } specRings)
        {
            plan = new RingPlan([.. specRings.Select(r => new RingSpec(r.Name,
                r.Selection switch
                {
                    "internal" => RingSelection.Dogfood(),
                    _ => RingSelection.ByPercent(r.Percent),
                },
                Math.Max(1, r.MinHosts == 0 ? RolloutDefaults.MinimumHosts : r.MinHosts), TimeSpan.FromMinutes(r.BakeMinutes)))]);
            coverageIndex = specRings.ToList().FindIndex(r => r.Selection == "coverage");
        }
        var coverageOptions = RolloutDefaults.Coverage with
        {
            RingIndex = coverageIndex,
            MinFleetHosts = planSpec?.MinConfigHosts ?? RolloutDefaults.Coverage.MinFleetHosts,
            HostsPerConfiguration = planSpec?.HostsPerConfig ?? RolloutDefaults.Coverage.HostsPerConfiguration,
        };
        List<ConfigurationCount>? configCounts = null;
        if (coverageIndex >= 0)
        {
            var counts = new long[fleet.Configs.Length];
            foreach (var c in fleet.Config)
                counts[c]++;
            configCounts = [.. fleet.Configs.Select((c, i) => new ConfigurationCount(configAgent[i], configOs[i], counts[i])).Where(c => c.Hosts > 0)];
        }

        // The validator missed the fault (as in 2024): the content counts as validated for every build in the fleet.
        var built = RolloutSpecs.Build(new RolloutSpecRequest(rolloutId ?? $"{scenario.Name}/{scenario.Content.Name}", StrategyRun.Content, scenario.Content.Name,
            [.. configAgent.Distinct()], plan, gate, Fleet: configCounts, Coverage: coverageIndex >= 0 ? coverageOptions : null));
        var spec = built.Spec;
        if (built.Coverage is { } report)
        {
            string Name(int agent, int os) => names.TryGetValue((agent, os), out var n) ? n : $"agent {agent} × os {os}";
            coverage.Add($"ring {report.RingIndex} '{report.RingName}': {report.Covered.Count} configurations covered with ≥ {report.HostsPerConfiguration} hosts each, {report.Uncoverable.Count} not coverable");
            coverage.AddRange(report.Covered.Where(c => c.Raised).Select(c => $"covered (raised to {c.Percent:0.###}%): {Name(c.AgentBuild, c.OsBuild)}, {c.FleetHosts} hosts"));
            coverage.AddRange(report.Uncoverable.Select(u => $"not coverable: {Name(u.AgentBuild, u.OsBuild)}, {u.FleetHosts} hosts: {u.Reason}"));
        }

        var resolver = TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(spec, RolloutState.Create(spec.RolloutId))], BaselineVersion: StrategyRun.Baseline));
        var ringOf = new byte[fleet.Count];
        var last = (byte)spec.Plan.Rings.Count;
        Parallel.For(0, (fleet.Count + 65535) / 65536, new ParallelOptions { MaxDegreeOfParallelism = 2 }, chunk =>
        {
            var end = Math.Min(fleet.Count, (chunk + 1) * 65536);
            for (var h = chunk * 65536; h < end; h++)
            {
                var c = fleet.Config[h];
                var cls = fleet.ClassOf(h);
                var tags = ((fleet.Flags[h] & FleetModel.FlagInternal) != 0 ? HostTags.Dogfood : HostTags.None)
                    | (cls == HostClass.Workstation ? HostTags.None : HostTags.Server);
                var facts = new HostFacts(fleet.HostIds is { } ids ? StableKey.Of(ids[h]) : HostKey(h), HashRngKey(fleet.Org[h]), 0, FleetIds.Os(fleet.Configs[c].Os), configOs[c], configAgent[c],
                    (short)fleet.RegionOffsetMinutes[fleet.Region[h]], tags);
                var r = resolver.RingOf(facts, 0);
                ringOf[h] = r < 0 ? byte.MaxValue : r >= last ? last : (byte)r;
            }
        });
        return (spec, ringOf);
    }

    /// <summary>A simulated host's stable 64-bit key (the stand-in for <see cref="StableKey.Of(string)"/> of its id).</summary>
    internal static ulong HostKey(int host) => HashRng.Mix(0x686F7374UL ^ (ulong)host) | 1;

    private static ulong HashRngKey(int org) => HashRng.Mix(0x6F7267UL ^ ((ulong)org << 20)) | 1;

    /// <summary>Reports progress synchronously (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
