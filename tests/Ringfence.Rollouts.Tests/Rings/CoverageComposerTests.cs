using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Rings;

public class CoverageComposerTests
{
    /// <summary>A fleet with big, small, tiny and too-small configurations.</summary>
    private static readonly ConfigurationCount[] Fleet =
    [
        new(7110, 19045, 20_000),
        new(7110, 22631, 400),
        new(7120, 19045, 60),
        new(7100, 17763, 12),
        new(7100, 22631, 3),
    ];

    [Fact]
    public void Compose_SmallConfigurations_GetRaisedSharesBigOnesKeepTheRingPercentage()
    {
        var result = CoverageComposer.Compose(Plan3(), Fleet, new CoverageOptions(MinFleetHosts: 10, HostsPerConfiguration: 5));

        var report = result.Report;
        report.RingIndex.ShouldBe(1);
        report.RingName.ShouldBe("canary");
        var big = report.Covered.Single(c => c.OsBuild == 19045 && c.AgentBuild == 7110);
        big.Raised.ShouldBeFalse();
        big.Percent.ShouldBe(10);
        report.Covered.Where(c => c.FleetHosts < 100).ShouldAllBe(c => c.Raised && c.Percent > 10);
        report.Covered.Single(c => c.FleetHosts == 400).Raised.ShouldBeFalse();
        report.Covered.Select(c => c.Key()).ShouldBe([(7110, 19045), (7110, 22631), (7120, 19045)], ignoreOrder: true);
        // 12 hosts: 5 of them with near certainty would take more than half, leaving too small a control group.
        report.Uncoverable.Single(u => u.FleetHosts == 12).Reason.ShouldContain("control group");
        report.Uncoverable.Single(u => u.FleetHosts == 3).Reason.ShouldContain("fewer than m");
        result.Plan.Rings[1].Selection.ConfigurationOverrides!.Single().ShouldBe(new ConfigurationPercent(7120, 19045, report.Covered.Single(c => c.FleetHosts == 60).Percent));
    }

    [Fact]
    public void Compose_ConfigurationThatWouldLoseItsControlGroup_IsUncoverable()
    {
        var report = CoverageComposer.Compose(Plan3(), [new ConfigurationCount(7100, 17763, 12)], new CoverageOptions(10, 8, MaxPercent: 50)).Report;

        report.Covered.ShouldBeEmpty();
        report.Uncoverable.Single().Reason.ShouldContain("control group");
    }

    [Fact]
    public void Compose_WithRealBucketing_EveryCoveredConfigurationHasAtLeastKHostsInTheRing()
    {
        var options = new CoverageOptions(MinFleetHosts: 10, HostsPerConfiguration: 5);
        var composed = CoverageComposer.Compose(Plan3(), Fleet, options);
        var spec = Spec(plan: composed.Plan);
        var resolver = TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(spec with { ValidatedAgentBuilds = [7100, 7110, 7120] }, RolloutState.Create("r-291"))]));

        foreach (var config in composed.Report.Covered)
        {
            var inRing = Enumerable.Range(0, (int)config.FleetHosts)
                .Select(i => new HostFacts(StableKey.Of($"h-{config.AgentBuild}-{config.OsBuild}-{i}"), 1, 0, OsFamily.Windows, config.OsBuild, config.AgentBuild, 0, HostTags.None))
                .Count(h => resolver.RingOf(h, 0) <= 1);
            inRing.ShouldBeGreaterThanOrEqualTo(options.HostsPerConfiguration, $"configuration {config.AgentBuild} × {config.OsBuild}");
            // …and never the whole configuration: control hosts remain.
            inRing.ShouldBeLessThan((int)config.FleetHosts);
        }
    }

    [Fact]
    public void Compose_InputOrderAndDuplicates_DoNotChangeTheResult()
    {
        var shuffled = Fleet.Reverse().Concat([new ConfigurationCount(7100, 22631, 0)]).ToArray();

        var a = CoverageComposer.Compose(Plan3(), Fleet, new CoverageOptions(10, 5)).Report;
        var b = CoverageComposer.Compose(Plan3(), shuffled, new CoverageOptions(10, 5)).Report;

        b.Covered.ShouldBe(a.Covered);
        b.Uncoverable.ShouldBe(a.Uncoverable);
    }

    [Fact]
    public void Compose_InvalidOptionsAndNoPercentageRing_ListsEveryProblem()
    {
        var plan = new RingPlan([new RingSpec("dogfood", RingSelection.Dogfood(), 1, TimeSpan.FromMinutes(5))]);

        var e = Should.Throw<ArgumentException>(() => CoverageComposer.Compose(plan, Fleet, new CoverageOptions(0, 0, 2, 0)));

        e.Message.ShouldContain("minFleetHosts");
        e.Message.ShouldContain("hostsPerConfiguration");
        e.Message.ShouldContain("missProbability");
        e.Message.ShouldContain("maxPercent");
        e.Message.ShouldContain("ringIndex");
        e.Message.ShouldContain("last ring must select every host");
    }

    [Theory]
    [InlineData(100, 0.1, 5)]
    [InlineData(20_000, 0.001, 3)]
    [InlineData(60, 0.5, 10)]
    public void MissProbability_MatchesADirectBinomialSum(long n, double q, int k)
    {
        double expected = 0;
        for (var i = 0; i < k; i++)
        {
            expected += Choose(n, i) * Math.Pow(q, i) * Math.Pow(1 - q, n - i);
        }

        CoverageComposer.MissProbability(n, q, k).ShouldBe(expected, expected * 1e-6 + 1e-300);
    }

    [Fact]
    public void MissProbability_Edges()
    {
        CoverageComposer.MissProbability(10, 0, 1).ShouldBe(1);
        CoverageComposer.MissProbability(10, 1, 5).ShouldBe(0);
        CoverageComposer.MissProbability(3, 1, 5).ShouldBe(1);
    }

    private static double Choose(long n, int k)
    {
        double c = 1;
        for (var i = 0; i < k; i++)
        {
            c = c * (n - i) / (i + 1);
        }

        return c;
    }
}

internal static class CoveredConfigurationExtensions
{
    public static (int, int) Key(this CoveredConfiguration c) => (c.AgentBuild, c.OsBuild);
}

public class CoverageByRingTests
{
    [Fact]
    public void CoverageByRing_ComposedCanary_CoversTheRaisedConfigurationFromItsRingOn()
    {
        var fleet = new[] { new ConfigurationCount(1, 1, 10_000_000), new ConfigurationCount(2, 1, 400), new ConfigurationCount(3, 1, 3) };
        var plan = CoverageComposer.Compose(RolloutDefaults.Plan, fleet, RolloutDefaults.Coverage).Plan;

        var small = CoverageComposer.CoverageByRing(plan, fleet[1], dogfoodHosts: 0, RolloutDefaults.Coverage);
        small.Select(r => r.Covered).ShouldBe([false, true, true, true, true, true]);
        small[^1].ExpectedHosts.ShouldBe(400);

        var tiny = CoverageComposer.CoverageByRing(plan, fleet[2], dogfoodHosts: 1, RolloutDefaults.Coverage);
        tiny.Select(r => r.Covered).ShouldAllBe(c => c, "its dogfood host puts it in the first ring");
        CoverageComposer.CoverageByRing(plan, fleet[2], dogfoodHosts: 0, RolloutDefaults.Coverage).Select(r => r.Covered)
            .ShouldBe([false, false, false, false, false, true]);
    }
}
