using Ringfence.Rollouts.Rings;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Scenarios;
using Shouldly;

namespace Ringfence.Simulation.Tests.Fleet;

public class ExplicitFleetTests
{
    private static readonly IReadOnlyList<ExplicitHost> Hosts =
        [.. Enumerable.Range(0, 400).Select(i => new ExplicitHost($"host-{i:D4}", "windows", i % 2 == 0 ? "19045" : "22631", i % 3 == 0 ? "7.11" : "7.13"))];

    /// <summary>Two percent rings and healthy content, short: what matters here is where hosts land.</summary>
    private static Scenario TwoRings() => TestScenarios.Short(TestScenarios.July19, 2) with
    {
        Content = TestScenarios.July19.Content with { Faults = [], ChannelFile = null },
        Strategies =
        [
            new StrategySpec
            {
                Name = "ringfence",
                Type = StrategyTypes.Ringfence,
                Plan = new RingPlanSpec { Rings = [new() { Name = "half", Selection = "percent", Percent = 50, BakeMinutes = 30 }, new() { Name = "all", Selection = "percent", Percent = 100, BakeMinutes = 0 }] },
            },
        ],
    };

    private static Dictionary<string, int> RingsOf(IReadOnlyList<ExplicitHost> hosts, string rolloutId)
    {
        var fleet = ExplicitFleet.Build(hosts, new ExplicitFleetShape { CheckInMinutes = 5 });
        var result = Simulator.Run(TwoRings(), new SimulationOptions { Fleet = fleet, RolloutId = rolloutId, RecordHosts = true }, "test").Strategies.Single();
        return fleet.HostIds!.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (int)result.Hosts!.Ring[x.i]);
    }

    [Fact]
    public void Build_BadHostsAndShape_ListsEveryError()
    {
        var ex = Should.Throw<ArgumentException>(() => ExplicitFleet.Build(
            [new("a", "windows", "19045", "7.11"), new("a", "windows", "19045", "7.11"), new(" ", "linux", "", "7.14")],
            new ExplicitFleetShape { CheckInMinutes = 0 }));

        ex.Message.ShouldContain("checkInMinutes: 0 is outside (0, 1440]");
        ex.Message.ShouldContain("hosts[1].id: 'a' appears twice");
        ex.Message.ShouldContain("hosts[2].id: required");
        ex.Message.ShouldContain("hosts[2]: os, osBuild and agentBuild are required");
    }

    [Fact]
    public void Build_Hosts_KeepsIdsAndConfigurations()
    {
        var fleet = ExplicitFleet.Build(Hosts, new ExplicitFleetShape());

        fleet.Count.ShouldBe(Hosts.Count);
        fleet.HostIds.ShouldBe(Hosts.Select(h => h.Id));
        fleet.Configs.Length.ShouldBe(4);
        fleet.Configs[fleet.Config[1]].ShouldBe(new HostConfig("windows", "22631", "7.13"));
    }

    [Fact]
    public void Run_ExplicitFleet_PlacesEachHostByItsIdAndTheRolloutId()
    {
        var rings = RingsOf(Hosts, "rollout-a");

        // The engine's bucket of (host id, rollout id) decides: below the 50% threshold is the first ring.
        foreach (var (id, ring) in rings)
            ring.ShouldBe(StableBucket.Of(id, "rollout-a") < StableBucket.Threshold(50) ? 0 : 1, id);
        rings.Values.ShouldContain(0);
        rings.Values.ShouldContain(1);
    }

    [Fact]
    public void Run_ReorderedFleetOrOtherRollout_SameHostsSameRingsOnlyForTheSameRollout()
    {
        var rings = RingsOf(Hosts, "rollout-a");

        RingsOf([.. Hosts.Reverse()], "rollout-a").ShouldBe(rings, ignoreOrder: true);
        var other = RingsOf(Hosts, "rollout-b");
        other.Count(kv => kv.Value != rings[kv.Key]).ShouldBeGreaterThan(Hosts.Count / 5, "a fresh order for each rollout");
    }

    [Fact]
    public void Run_HostsDownWhenTheirRingOpens_OfferedTheContentOnceTheyAreBackUp()
    {
        // Every host crashes (for unrelated reasons) about once every half hour and is down 5 minutes each time, so at
        // any minute about one host in seven is down: at the ring's opening, and at the check-in that would fetch it.
        var scenario = TwoRings() with
        {
            Fleet = TestScenarios.July19.Fleet with { BackgroundCrashesPerHostDay = 48, BootMinutes = 5, BreadcrumbFalseAttribution = 0 },
            Strategies = [TwoRings().Strategies[0] with { Plan = new RingPlanSpec { Rings = [new() { Name = "all", Selection = "percent", Percent = 100, BakeMinutes = 0 }] } }],
        };
        var fleet = ExplicitFleet.Build(Hosts, new ExplicitFleetShape { CheckInMinutes = 5 });

        var result = Simulator.Run(scenario, new SimulationOptions { Fleet = fleet, RolloutId = "r", RecordHosts = true }, "test").Strategies.Single();

        result.BackgroundCrashes.ShouldBeGreaterThan(Hosts.Count);
        result.Hosts!.Exposed.Count(e => !e).ShouldBe(0, "every host checks in again after its reboot and takes the content");
    }
}
