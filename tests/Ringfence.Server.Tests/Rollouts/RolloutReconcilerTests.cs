using FsCheck;
using FsCheck.Fluent;
using Ringfence.Protocol;
using Ringfence.Server.Rollouts;

namespace Ringfence.Server.Tests.Rollouts;

public sealed class RolloutReconcilerTests
{
    private static readonly DateTimeOffset T0 = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly RingSpec[] Plan = [new("dogfood", 1, 30), new("canary", 5, 60), new("general", 100, 0)];

    private static RolloutState State(int ring, DateTimeOffset? entered) => new("ro_1", RolloutStatus.Progressing, ring, entered, Plan, new string('a', 64));

    private static RingObservation Healthy(long target = 10) => new(target, target, 100, 0, 0, 0);

    [Fact]
    public void Reconcile_BeforeBakeTime_TakesNoDecision()
    {
        var result = RolloutReconciler.Reconcile(State(0, T0), Healthy(), T0.AddMinutes(29), false, new GateOptions());
        result.Decisions.ShouldBeEmpty();
        result.State.CurrentRing.ShouldBe(0);
    }

    [Fact]
    public void Reconcile_BakedAndHealthy_PromotesWithEvidence()
    {
        var result = RolloutReconciler.Reconcile(State(0, T0), Healthy(), T0.AddMinutes(31), false, new GateOptions());
        result.State.CurrentRing.ShouldBe(1);
        result.State.RingEnteredAt.ShouldBe(T0.AddMinutes(31));
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Id.ShouldBe("ro_1:promote:0");
        d.Evidence.Verdict.ShouldBe("passed");
    }

    [Fact]
    public void Reconcile_AttributedCrashes_HaltsEvenBeforeBake()
    {
        var result = RolloutReconciler.Reconcile(State(1, T0), Healthy() with { AttributedEvents = 2 }, T0.AddMinutes(1), false, new GateOptions());
        result.State.Status.ShouldBe(RolloutStatus.Halted);
        result.Decisions.Single().Id.ShouldBe("ro_1:halt:1");
    }

    [Fact]
    public void Reconcile_ExposedCrashRateFarAboveControl_HaltsBySequentialTestWithEvidence()
    {
        // 1,000 exposed and 9,000 control hosts; 30 vs 27 crashes is ten times the control rate.
        var obs = new RingObservation(1000, 1000, 9000, 30, 27, 0);
        var result = RolloutReconciler.Reconcile(State(1, T0), obs, T0.AddMinutes(5), false, new GateOptions());
        result.State.Status.ShouldBe(RolloutStatus.Halted);
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Reason.ShouldContain("log-likelihood ratio");
        d.Evidence.CrashLogLikelihoodRatio.ShouldBe(
            Math.Round(Ringfence.Rollouts.Health.HealthGate.LogLikelihoodRatio(30, 27, 1000, 9000, Ringfence.Rollouts.Health.HealthGateOptions.Default.CrashRateRatio), 3));
        d.Evidence.CrashLogLikelihoodRatio.ShouldBeGreaterThanOrEqualTo(d.Evidence.HaltThreshold);
        d.Evidence.ExposedCrashes.ShouldBeGreaterThanOrEqualTo((long)d.Evidence.CrashLimit!.Value);
    }

    [Fact]
    public void Reconcile_ExposedCrashRateAtControlRate_PassesAndTheLimitIsAboveTheCount()
    {
        var obs = new RingObservation(1000, 1000, 9000, 3, 27, 0);
        var evidence = RolloutReconciler.Gate(State(1, T0), obs, T0.AddMinutes(61), new GateOptions());
        evidence.Verdict.ShouldBe("passed");
        evidence.CrashLogLikelihoodRatio.ShouldBeLessThan(0);
        evidence.CrashLimit!.Value.ShouldBeGreaterThan(3);
        evidence.ExpectedExposedCrashes.ShouldBe(3);
        // One crash below the limit does not halt; at the limit it does.
        var limit = (long)evidence.CrashLimit.Value;
        RolloutReconciler.Gate(State(1, T0), obs with { ExposedCrashes = limit - 1 }, T0.AddMinutes(61), new GateOptions()).Verdict.ShouldBe("passed");
        RolloutReconciler.Gate(State(1, T0), obs with { ExposedCrashes = limit }, T0.AddMinutes(61), new GateOptions()).Verdict.ShouldBe("failed");
    }

    [Fact]
    public void Gate_NoControlHosts_NoSequentialHaltAndNoLimit()
    {
        var evidence = RolloutReconciler.Gate(State(2, T0), new RingObservation(100, 100, 0, 5, 0, 0), T0.AddMinutes(1), new GateOptions());
        evidence.CrashLimit.ShouldBeNull();
        evidence.Verdict.ShouldBe("passed");
    }

    [Fact]
    public void Reconcile_KillSwitch_FreezesPromotion()
    {
        var result = RolloutReconciler.Reconcile(State(0, T0), Healthy(), T0.AddHours(5), true, new GateOptions());
        result.Decisions.ShouldBeEmpty();
        result.State.CurrentRing.ShouldBe(0);
    }

    [Fact]
    public void Reconcile_TooFewExposed_IsInconclusiveAndWaits()
    {
        var result = RolloutReconciler.Reconcile(State(0, T0), new RingObservation(10, 2, 100, 0, 0, 0), T0.AddHours(1), false, new GateOptions());
        result.Decisions.ShouldBeEmpty();
        RolloutReconciler.Gate(State(0, T0), new RingObservation(10, 2, 100, 0, 0, 0), T0.AddHours(1), new GateOptions()).Verdict.ShouldBe("inconclusive");
    }

    [Fact]
    public void Reconcile_AnySequenceOfPasses_NeverSkipsARingNorRepeatsADecision()
    {
        Prop.ForAll(Gen.Choose(0, 200).ArrayOf().ToArbitrary(), minutes =>
        {
            var state = State(0, T0);
            var now = T0;
            var ids = new HashSet<string>();
            foreach (var m in minutes)
            {
                now = now.AddMinutes(m);
                var before = state.CurrentRing;
                var result = RolloutReconciler.Reconcile(state, Healthy(), now, false, new GateOptions());
                foreach (var d in result.Decisions)
                    if (!ids.Add(d.Id))
                        return false;
                if (result.State.CurrentRing > before + 1)
                    return false;
                // Ring k+1 is entered only once ring k baked for its bake time.
                if (result.State.CurrentRing == before + 1 && (now - state.RingEnteredAt!.Value).TotalMinutes < Plan[before].BakeMinutes)
                    return false;
                state = result.State;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Bucket_IsStableAndInRange()
    {
        RolloutPlans.Bucket("h_1").ShouldBe(RolloutPlans.Bucket("h_1"));
        Prop.ForAll<string>(id => id is null || RolloutPlans.Bucket(id) is >= 0 and < RolloutPlans.BucketCount).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ValidatePlan_ReportsEveryError()
    {
        var errors = RolloutPlans.Validate([new("", 0, -1), new("b", 50, 10)]);
        errors.Count.ShouldBe(4);
    }
}
