using Ringfence.Protocol;
using Ringfence.Simulation;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Server.Tests.Conformance;

/// <summary>What the simulator did with the same scenario, over the same hosts (by id) and the same rollout id.</summary>
/// <param name="RingOf">Each host id's ring, as the engine placed it.</param>
/// <param name="Exposed">Host ids the simulated rollout exposed.</param>
/// <param name="Result">The strategy's full result.</param>
internal sealed record SimulatorOutcome(IReadOnlyDictionary<string, int> RingOf, IReadOnlySet<string> Exposed, StrategyResult Result)
{
    public int? HaltedRing => Result.Decisions.FirstOrDefault(d => d.Kind is "Halted" or "RolledBack")?.Ring;

    public bool Completed => Result.Decisions.Any(d => d.Kind == "Completed");

    public string Describe() =>
        $"simulator: {(Completed ? "completed" : HaltedRing is { } r ? $"halted in ring {r}" : "still running")}; decisions: "
        + string.Join(" | ", Result.Decisions.Select(d => $"{d.Kind} ring {d.Ring} at minute {d.Minute:0}: {d.Reason}"));
}

/// <summary>
/// Runs a scenario through <see cref="Simulator"/> (the real engine in virtual time) over a literal fleet: the hosts the
/// server enrolled, with their ids, so the engine buckets them by the same keys. Nothing here decides a ring or a gate:
/// the test only describes the fleet, the plan and the fault.
/// </summary>
internal static class SimulatorRun
{
    public static SimulatorOutcome Run(ConformanceScenario scenario, IReadOnlyList<(string Id, HostConfiguration Configuration, bool Dogfood)> hosts, string rolloutId, double hours)
    {
        var fleet = ExplicitFleet.Build(
            [.. hosts.Select(h => new ExplicitHost(h.Id, h.Configuration.Os, h.Configuration.OsBuild, h.Configuration.AgentBuild, h.Dogfood))],
            new ExplicitFleetShape { CheckInMinutes = scenario.CheckInMinutes, Seed = scenario.Seed });
        var faults = scenario.Fault is { } f
            ? new[] { new FaultSpec { Kind = f.Kind, Match = new HostPredicate { OsBuilds = [f.OsBuild] }, DelayMinutes = f.DelayMinutes, Factor = f.Factor } }
            : [];
        var sim = new Scenario
        {
            Name = "conformance-" + scenario.Name,
            ReleaseUtc = ServerRun.Start,
            DurationHours = hours,
            Seed = scenario.Seed,
            // The fleet is literal (below); only its behaviour settings are read.
            Fleet = new FleetSpec
            {
                Segments = [],
                Regions = [new RegionSpec { Name = "utc", UtcOffsetHours = 0, Weight = 1 }],
                Sectors = new Dictionary<string, double> { ["technology"] = 1 },
                CheckInMinutes = scenario.CheckInMinutes,
                CheckInJitter = 0,
                BootMinutes = scenario.BootMinutes,
                TelemetryLatencyMinutes = 0,
                BackgroundCrashesPerHostDay = scenario.BackgroundCrashesPerHostDay,
                BreadcrumbFalseAttribution = 0,
            },
            Content = new ContentSpec { Name = ServerRun.Channel, Faults = faults },
            Strategies =
            [
                new StrategySpec
                {
                    Name = "ringfence",
                    Type = StrategyTypes.Ringfence,
                    // No rings: the server's default plan and gate, as the server runs a rollout created without rings.
                    Plan = scenario.Rings is not { } rings ? null : new RingPlanSpec
                    {
                        // The operator's rings as the server takes them: percentage rings, the first composed to cover
                        // every configuration of the fleet (RolloutSpecs.Build with the fleet's counts).
                        Rings = [.. rings.Select((r, i) => new Ringfence.Simulation.Scenarios.RingSpec
                        {
                            Name = r.Name,
                            Selection = i == 0 ? "coverage" : "percent",
                            Percent = r.Percent,
                            BakeMinutes = r.BakeMinutes,
                        })],
                    },
                },
            ],
        };
        var report = Simulator.Run(sim, new SimulationOptions { Fleet = fleet, RolloutId = rolloutId, RecordHosts = true }, "conformance/" + scenario.Name);
        var result = report.Strategies.Single();
        var outcomes = result.Hosts!;
        var ids = fleet.HostIds!;
        var ringOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var exposed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            ringOf[ids[i]] = outcomes.Ring[i];
            if (outcomes.Exposed[i])
                exposed.Add(ids[i]);
        }
        return new SimulatorOutcome(ringOf, exposed, result);
    }
}
