using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Tests.Engine;

public class FaultModelTests
{
    private static StrategyResult GlobalPush(params FaultSpec[] faults) => GlobalPush(78, faults);

    private static StrategyResult GlobalPush(double revertAfter, params FaultSpec[] faults)
    {
        var s = TestScenarios.Only(TestScenarios.Short(TestScenarios.July19, 12), StrategyTypes.GlobalPush) with
        {
            Content = new ContentSpec { Name = "test", Faults = faults },
        };
        s = s with { Strategies = [s.Strategies[0] with { RevertAfterMinutes = revertAfter }] };
        return TestScenarios.Run(s, 0.002, 11).Strategies.Single();
    }

    [Fact]
    public void CrashOnLoad_Probability_CrashesThatShareOfMatchingExposedHosts()
    {
        var r = GlobalPush(new FaultSpec { Kind = FaultKinds.CrashOnLoad, Match = new HostPredicate { Os = ["windows"] }, Probability = 0.5 });
        var windowsExposed = r.HostsExposed * (12.5 / 14.5); // only Windows hosts can be hit
        ((double)r.HostsCrashed / windowsExposed).ShouldBe(0.5, 0.08);
    }

    [Fact]
    public void CrashOnLoad_Predicate_SparesOtherBuilds()
    {
        var r = GlobalPush(new FaultSpec { Kind = FaultKinds.CrashOnLoad, Match = new HostPredicate { AgentBuilds = ["7.11"] } });
        r.HostsCrashed.ShouldBeGreaterThan(0);
        // 7.11 is 12% of Windows hosts.
        ((double)r.HostsCrashed / r.HostsExposed).ShouldBeLessThan(0.2);
    }

    [Fact]
    public void TimeBomb_CrashesOnlyAfterTheDelay()
    {
        var r = GlobalPush(600, new FaultSpec { Kind = FaultKinds.TimeBomb, Match = new HostPredicate { Os = ["windows"] }, DelayMinutes = 120 });
        r.HostsCrashed.ShouldBeGreaterThan(0);
        var ts = r.TimeSeries;
        var before = ts.Crashed[(int)(115 / ts.StepMinutes)];
        before.ShouldBe(0);
    }

    [Fact]
    public void TimeBomb_RevertedBeforeItGoesOff_NoCrash()
    {
        GlobalPush(78, new FaultSpec { Kind = FaultKinds.TimeBomb, Match = new HostPredicate { Os = ["windows"] }, DelayMinutes = 120 }).HostsCrashed.ShouldBe(0);
    }

    [Fact]
    public void CrashRate_Factor_RaisesCrashesAboveBackground()
    {
        var baseline = GlobalPush();
        var raised = GlobalPush(new FaultSpec { Kind = FaultKinds.CrashRate, Match = new HostPredicate(), Factor = 50 });
        raised.CrashEvents.ShouldBeGreaterThan(baseline.CrashEvents * 3);
        raised.HostsCrashed.ShouldBe(0); // raised background rate: not crashes "caused" on load
    }

    [Fact]
    public void CpuRegression_CountsHostHoursButNoCrash()
    {
        var r = GlobalPush(new FaultSpec { Kind = FaultKinds.CpuRegression, Match = new HostPredicate { Os = ["linux"] }, CpuPercent = 20 });
        r.CpuRegressionHostHours.ShouldBeGreaterThan(0);
        r.HostsCrashed.ShouldBe(0);
    }

    [Fact]
    public void NoFaults_ContentHealthy_NoCrashes()
    {
        var r = GlobalPush();
        r.HostsCrashed.ShouldBe(0);
        r.BackgroundCrashes.ShouldBeGreaterThan(0);
    }
}
