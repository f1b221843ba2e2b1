using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Tests;

public class SimulatorTests
{
    private static readonly Lazy<SimulationReport> July = new(() => TestScenarios.Run(TestScenarios.Short(TestScenarios.July19, 72), 0.01, 7));

    private static StrategyResult Strategy(string type) => July.Value.Strategies.Single(s => s.Type == type);

    [Fact]
    public void Run_July19_RingfenceRunsTheServerDefaultPlanAndSaysSo()
    {
        var ringfence = July.Value.Strategies.Single(s => s.Type == StrategyTypes.Ringfence);

        ringfence.Plan.ShouldBe("server default plan and gate (RolloutDefaults)");
        ringfence.ByRing.Select(r => r.Name).Take(Ringfence.Rollouts.Rings.RolloutDefaults.Plan.Rings.Count)
            .ShouldBe(Ringfence.Rollouts.Rings.RolloutDefaults.Plan.Rings.Select(r => r.Name));
        July.Value.Strategies.Single(s => s.Type == StrategyTypes.GlobalPush).Plan.ShouldBeNull();
    }

    [Fact]
    public void PlanSource_ScenarioOverride_NamesTheOverriddenMembers()
    {
        Simulator.PlanSource(new RingPlanSpec { MinExposedHostHours = 2, AttributionHosts = 5 })
            .ShouldBe("scenario plan: overrides the server default's attributionHosts, minExposedHostHours");
        Simulator.PlanSource(new RingPlanSpec()).ShouldBe("server default plan and gate (RolloutDefaults)");
    }

    [Fact]
    public void Run_SameSeed_IdenticalJson()
    {
        var s = TestScenarios.Short(TestScenarios.July19, 12);
        var a = ReportJson.Serialize(TestScenarios.Run(s, 0.002, 42));
        var b = ReportJson.Serialize(TestScenarios.Run(s, 0.002, 42));
        a.ShouldBe(b);
    }

    [Fact]
    public void Run_DifferentSeed_DifferentJson()
    {
        var s = TestScenarios.Only(TestScenarios.Short(TestScenarios.July19, 12), StrategyTypes.GlobalPush);
        var a = ReportJson.Serialize(TestScenarios.Run(s, 0.002, 1));
        var b = ReportJson.Serialize(TestScenarios.Run(s, 0.002, 2));
        a.ShouldNotBe(b);
    }

    [Fact]
    public void GlobalPush_July19_CrashesMostExposedVulnerableHostsAndNeedsManualRepair()
    {
        var g = Strategy(StrategyTypes.GlobalPush);
        g.HostsExposed.ShouldBeGreaterThan(g.HostsInFleet / 3);
        // Every exposed host in the fleet is a Windows host on a build the interpreter faults on (>= 7.11) or 7.10 (not exposed).
        g.HostsCrashed.ShouldBe(g.HostsExposed);
        g.HostsNeedingManualRepair.ShouldBeGreaterThan(g.HostsCrashed / 2);
        g.HostsRecoveredByFixDownload.ShouldBeGreaterThan(0);
        g.MinutesReleaseToHalt.ShouldBe(78);
        g.Halted.ShouldBeTrue();
        g.FalseHalt.ShouldBeFalse();
        g.ManualRepairPersonHours.ShouldBe(g.HostsNeedingManualRepair * 15 / 60.0, 0.1);
        g.BySector.Sum(x => x.Crashed).ShouldBe(g.HostsCrashed);
    }

    [Fact]
    public void GlobalPush_July19_MacAndLinuxUntouched()
    {
        // 7.10 and non-Windows builds neither receive nor crash: exposure stays below the Windows >= 7.11 population.
        var g = Strategy(StrategyTypes.GlobalPush);
        var windowsShare = (4.5 + 1.5 + 6.5) / 14.5;
        ((double)g.HostsExposed / g.HostsInFleet).ShouldBeLessThan(windowsShare * 0.97 + 0.01);
    }

    [Fact]
    public void Ringfence_July19_HaltsEarlyWithFewCrashesAndNoManualRepair()
    {
        var r = Strategy(StrategyTypes.Ringfence);
        r.Halted.ShouldBeTrue();
        r.MinutesReleaseToHalt!.Value.ShouldBeLessThanOrEqualTo(15);
        r.HostsNeedingManualRepair.ShouldBe(0);
        r.HostsCrashed.ShouldBeLessThan(r.HostsInFleet / 1000);
        r.HostsSelfHealed.ShouldBe(r.HostsCrashed);
        r.Decisions.ShouldContain(d => d.Kind == "Halted" && d.Evidence != null);
        r.HostsCrashed.ShouldBeLessThan(Strategy(StrategyTypes.GlobalPush).HostsCrashed / 100);
    }

    [Fact]
    public void RingfenceLegacyAgents_July19_NeedsManualRepair()
    {
        var l = Strategy(StrategyTypes.RingfenceLegacyAgents);
        l.HostsCrashed.ShouldBeGreaterThan(0);
        l.HostsNeedingManualRepair.ShouldBeGreaterThan(0);
        l.HostsSelfHealed.ShouldBe(0);
        l.HostsCrashed.ShouldBeLessThan(Strategy(StrategyTypes.GlobalPush).HostsCrashed / 100);
    }

    [Fact]
    public void PeerGates_July19_HaltLaterThanRingfence()
    {
        var r = Strategy(StrategyTypes.Ringfence);
        var k = Strategy(StrategyTypes.MannWhitney);
        // The fixed-horizon judge only looks once the horizon has passed.
        if (k.Halted)
            k.MinutesReleaseToHalt!.Value.ShouldBeGreaterThanOrEqualTo(60);
        (k.MinutesReleaseToHalt ?? double.MaxValue).ShouldBeGreaterThan(r.MinutesReleaseToHalt!.Value);
    }

    [Fact]
    public void Report_July19_HasValidatorVerdictNamingField21()
    {
        var v = July.Value.Validator!;
        v.Verdict.ShouldBe("rejected");
        v.Findings.ShouldContain(f => f.Contains("21", StringComparison.Ordinal));
        v.InterpreterByBuild.Single(b => b.BuildId == "7.10").Receives.ShouldBeFalse();
        v.InterpreterByBuild.Single(b => b.BuildId == "mac-7.16").Faults.ShouldBeFalse();
    }

    [Fact]
    public void Json_July19_HasContractFields()
    {
        var json = System.Text.Json.JsonDocument.Parse(ReportJson.Serialize(July.Value));
        var first = json.RootElement.GetProperty("strategies")[0];
        foreach (var name in new[] { "name", "hostsInFleet", "hostsExposed", "hostsCrashed", "hostsNeedingManualRepair", "peakHostsDown", "downtimeHostHours", "manualRepairPersonHours", "minutesReleaseToHalt", "halted", "falseHalt", "bySector", "byRing", "timeSeries" })
            first.TryGetProperty(name, out _).ShouldBeTrue(name);
    }

    [Fact]
    public void HealthyContent_ManySeeds_FalseHaltAtMostOnceInHundred()
    {
        var healthy = TestScenarios.Healthy(20);
        var falseHalts = 0;
        for (var seed = 1; seed <= 100; seed++)
        {
            var r = TestScenarios.Run(healthy, 0.001, seed).Strategies.Single();
            r.HostsCrashed.ShouldBe(0);
            if (r.FalseHalt)
                falseHalts++;
            r.FalseHalt.ShouldBe(r.Halted); // healthy content: every halt is false
        }
        falseHalts.ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public void HealthyContent_ManyBackgroundCrashes_GateCountsHostHoursPerGroupAndDoesNotHalt()
    {
        // A background rate 250 times the usual one gives a small fleet thousands of crashes. Hosts that loaded the
        // content were online to load it; if their host-hours were taken from the fleet-wide online share, healthy
        // content would look crash-prone and the sequential test would halt most of these runs.
        var healthy = TestScenarios.Healthy(20);
        var noisy = healthy with { Fleet = healthy.Fleet with { BackgroundCrashesPerHostDay = 0.5 } };
        var halts = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            var r = TestScenarios.Run(noisy, 0.001, seed).Strategies.Single();
            r.BackgroundCrashes.ShouldBeGreaterThan(3000);
            if (r.Halted)
                halts++;
        }
        halts.ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public void HealthyContent_LargerFleet_PassesEveryGateAndCompletes()
    {
        var r = TestScenarios.Run(TestScenarios.Healthy(30), 0.01, 3).Strategies.Single();
        r.Halted.ShouldBeFalse();
        r.Decisions.ShouldContain(d => d.Kind == "Completed");
        r.HostsExposed.ShouldBeGreaterThan(r.HostsInFleet / 2);
        r.ByRing.Where(x => x.Hosts > 0).ShouldAllBe(x => x.OpenedAtMinute != null);
    }
}
