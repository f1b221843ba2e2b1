using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Tests.Reconcile;

public class RolloutSpecsTests
{
    [Fact]
    public void Build_NoPlan_UsesTheDefaultPlanWithItsGateAndLastRingPassingWithoutControl()
    {
        var built = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7]));

        built.DefaultPlan.ShouldBeTrue();
        built.Spec.Plan.Rings.Select(r => r.Name).ShouldBe(RolloutDefaults.Plan.Rings.Select(r => r.Name));
        built.Spec.Plan.Rings[0].Selection.Kind.ShouldBe(RingSelectionKind.Dogfood);
        built.Spec.Plan.Rings.Take(5).ShouldAllBe(r => r.EffectiveGate == RolloutDefaults.Gate);
        built.Spec.Plan.Rings[^1].EffectiveGate.PassWithoutControl.ShouldBeTrue();
        built.Spec.Validate().ShouldBeEmpty();
        built.Coverage.ShouldBeNull();
    }

    [Fact]
    public void Build_PercentPlanAndGate_AppliesTheGateToEveryRing()
    {
        var plan = RolloutSpecs.PercentPlan([new("a", 10, TimeSpan.FromMinutes(5)), new("b", 100, TimeSpan.Zero)]);
        var gate = RolloutDefaults.Gate with { AttributionHosts = 7 };

        var built = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7], plan, gate));

        built.DefaultPlan.ShouldBeFalse();
        built.Spec.Plan.Rings[0].EffectiveGate.ShouldBe(gate);
        built.Spec.Plan.Rings[1].EffectiveGate.ShouldBe(gate with { PassWithoutControl = true });
        built.Spec.Plan.Rings[0].MinimumHosts.ShouldBe(RolloutDefaults.MinimumHosts);
    }

    [Fact]
    public void Build_WithFleet_ComposesTheCanaryOverTheFleetCounts()
    {
        var fleet = new[] { new ConfigurationCount(1, 1, 1_000_000), new ConfigurationCount(2, 1, 400) };

        var built = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [1, 2], Fleet: fleet));

        built.Coverage.ShouldNotBeNull();
        built.Coverage.RingIndex.ShouldBe(RolloutDefaults.CoverageRing);
        var overrides = built.Spec.Plan.Rings[RolloutDefaults.CoverageRing].Selection.ConfigurationOverrides!;
        overrides.ShouldHaveSingleItem().AgentBuild.ShouldBe(2);
        overrides[0].Percent.ShouldBeGreaterThan(0.05);
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(0, 0)]
    [InlineData(5, 3)]
    [InlineData(19, 10)]
    [InlineData(1000, 10)]
    public void MinimumExposedHosts_RingOfEligibleHosts_IsTheSmallerOfMinimumAndHalf(int eligible, int expected)
    {
        var spec = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7])).Spec;

        spec.MinimumExposedHosts(2, eligible).ShouldBe(expected);
    }

    [Fact]
    public void GateFor_SmallRing_CapsExposureAtWhatHalfTheRingCanGiveOverItsBake()
    {
        var spec = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7])).Spec;

        // Ring 2 bakes 4 hours: 4 eligible hosts → 2 exposed × 4 h = 8 host-hours < 50.
        spec.GateFor(2, 4).MinExposedHostHours.ShouldBe(8);
        spec.GateFor(2, 10_000).MinExposedHostHours.ShouldBe(RolloutDefaults.Gate.MinExposedHostHours);
        spec.GateFor(2, -1).ShouldBe(spec.Plan.Rings[2].EffectiveGate);
    }

    [Fact]
    public void GateFor_RingWithoutBake_PassesWithoutExposureOrControl()
    {
        var plan = RolloutSpecs.PercentPlan([new("a", 10, TimeSpan.Zero), new("b", 100, TimeSpan.FromMinutes(5))]);
        var spec = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7], plan)).Spec;

        var gate = spec.GateFor(0, 1000);
        (gate.MinExposedHostHours, gate.PassWithoutControl).ShouldBe((0, true));
        HealthGate.Evaluate(new HealthSample(0, 0, 0, 0, 0, 0, 0, 0, 0), gate, bakeElapsed: true).Outcome.ShouldBe(GateOutcome.Pass);
        HealthGate.Evaluate(new HealthSample(0, 0, 0, 0, 0, 0, 0, 0, 3), gate, bakeElapsed: true).Outcome.ShouldBe(GateOutcome.Fail);
    }

    [Fact]
    public void BakeTime_Emergency_IsShortenedByTheEngineNotStoredShortened()
    {
        var normal = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7])).Spec;
        var emergency = RolloutSpecs.Build(new RolloutSpecRequest("r1", 2, "291", [7], Emergency: true)).Spec;

        emergency.Plan.Rings.Select(r => r.BakeTime).ShouldBe(normal.Plan.Rings.Select(r => r.BakeTime));
        normal.BakeTime(2).ShouldBe(TimeSpan.FromMinutes(240));
        emergency.BakeTime(2).ShouldBe(TimeSpan.FromMinutes(60));
        emergency.BakeTime(5).ShouldBe(TimeSpan.Zero);
    }
}
