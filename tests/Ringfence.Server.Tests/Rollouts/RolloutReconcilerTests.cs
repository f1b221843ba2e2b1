using FsCheck;
using FsCheck.Fluent;
using Ringfence.Protocol;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Server.Rollouts;
using RolloutState = Ringfence.Rollouts.Reconcile.RolloutState;
using ReconcileResult = Ringfence.Server.Rollouts.ReconcileResult;

namespace Ringfence.Server.Tests.Rollouts;

public sealed class RolloutReconcilerTests
{
    private static readonly DateTimeOffset T0 = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly RingSpec[] Plan = [new("dogfood", 1, 30), new("canary", 5, 60), new("general", 100, 0)];
    private static readonly GateOptions Gate = new();

    private static RolloutState Baking(int ring, DateTimeOffset bakeStarted) =>
        new("ro_1", RolloutPhase.Baking, ring, 5, RingStartedAt: bakeStarted, BakeStartedAt: bakeStarted, FirstApprover: "alice");

    private static RolloutState Deploying(int ring, DateTimeOffset started) =>
        new("ro_1", RolloutPhase.Deploying, ring, 5, RingStartedAt: started, FirstApprover: "alice");

    /// <summary>10 target hosts all exposed, 100 control hosts, observed for an hour, nothing wrong.</summary>
    private static RingObservation Healthy(long target = 10) => new(target, target, 100, 0, 0, 0, 0, 0, 0, 1, 0);

    private static ReconcileResult Step(RolloutState state, RingObservation obs, DateTimeOffset now, bool kill = false) =>
        RolloutReconciler.Step(Gate, RolloutReconciler.Spec("ro_1", "C-1", 1, false, Plan, Gate, obs, state.Ring), state, obs, now, Plan, kill);

    [Fact]
    public void Step_BeforeBakeTime_TakesNoDecision()
    {
        var result = Step(Baking(0, T0), Healthy(), T0.AddMinutes(29));

        result.Decisions.ShouldBeEmpty();
        result.State.ShouldBe(Baking(0, T0));
    }

    [Fact]
    public void Step_BakedAndHealthy_PromotesRecordedAgainstThePassedRingWithEvidence()
    {
        var result = Step(Baking(0, T0), Healthy(), T0.AddMinutes(31));

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.State.Ring.ShouldBe(1);
        result.State.RingStartedAt.ShouldBe(T0.AddMinutes(31));
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Id.ShouldBe("ro_1#6", "the engine's id: rollout and sequence, so a repeat cannot be stored");
        d.Kind.ShouldBe("promote");
        d.Ring.ShouldBe(0);
        d.Evidence!.Verdict.ShouldBe("passed");
        d.Evidence.ExposedHostHours.ShouldBe(10);
        d.Evidence.Metrics.Select(m => m.Metric).ShouldBe(["crashes", "bootLoopReverts", "heartbeatLosses"]);
    }

    [Fact]
    public void Step_RingBelowItsMinimumShare_KeepsDeployingThenBakesOnceReached()
    {
        var half = Healthy() with { ExposedHosts = 4 };
        Step(Deploying(1, T0), half, T0.AddMinutes(5)).Decisions.ShouldBeEmpty();

        var result = Step(Deploying(1, T0), half with { ExposedHosts = 5 }, T0.AddMinutes(6));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.BakeStartedAt.ShouldBe(T0.AddMinutes(6));
        result.Decisions.ShouldHaveSingleItem().Kind.ShouldBe("bake");
    }

    [Fact]
    public void Step_TwoAttributedHosts_HaltsEvenWhileDeploying()
    {
        var result = Step(Deploying(1, T0), Healthy() with { ExposedHosts = 2, AttributedHosts = 2 }, T0.AddMinutes(1));

        result.State.Phase.ShouldBe(RolloutPhase.Halted);
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("crash breadcrumbs from 2 distinct hosts");
        d.Evidence!.AttributedEvents.ShouldBe(2);
        d.Evidence.Verdict.ShouldBe("failed");
    }

    [Fact]
    public void Step_ExposedCrashRateFarAboveControl_HaltsBySequentialTestWithEvidence()
    {
        // 1,000 exposed and 9,000 control hosts; 30 vs 27 crashes is ten times the control rate.
        var obs = new RingObservation(1000, 1000, 9000, 30, 27, 0, 0, 0, 0, 1, 0);

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions.ShouldHaveSingleItem();

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("crashes: log-likelihood ratio");
        d.Evidence!.CrashLogLikelihoodRatio.ShouldBe(Math.Round(HealthGate.LogLikelihoodRatio(30, 27, 1000, 9000, Gate.Statistics.CrashRateRatio), 3));
        d.Evidence.CrashLogLikelihoodRatio.ShouldBeGreaterThanOrEqualTo(d.Evidence.HaltThreshold);
        d.Evidence.ExposedCrashes.ShouldBeGreaterThanOrEqualTo((long)d.Evidence.CrashLimit!.Value);
    }

    [Fact]
    public void Step_ExposedCrashesAtTheLimit_HaltAndOneFewerPasses()
    {
        var obs = new RingObservation(1000, 1000, 9000, 3, 27, 0, 0, 0, 0, 1, 0);
        var passed = Step(Baking(1, T0), obs, T0.AddMinutes(61)).Decisions.ShouldHaveSingleItem();
        passed.Kind.ShouldBe("promote");
        var limit = (long)passed.Evidence!.CrashLimit!.Value;
        limit.ShouldBeGreaterThan(3);
        passed.Evidence.ExpectedExposedCrashes.ShouldBe(3);

        Step(Baking(1, T0), obs with { ExposedCrashes = limit - 1 }, T0.AddMinutes(30)).Decisions.ShouldBeEmpty();
        Step(Baking(1, T0), obs with { ExposedCrashes = limit }, T0.AddMinutes(30)).Decisions.ShouldHaveSingleItem().Kind.ShouldBe("halt");
    }

    [Fact]
    public void Step_BootLoopRevertsFarAboveControl_Halts()
    {
        var obs = new RingObservation(1000, 1000, 9000, 0, 0, 25, 20, 0, 0, 1, 0);

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions.ShouldHaveSingleItem();

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("bootLoopReverts");
        d.Evidence!.ExposedBootLoopReverts.ShouldBe(25);
    }

    [Fact]
    public void Step_ExposedHostsFallingSilentFarMoreThanControl_Halts()
    {
        var obs = new RingObservation(1000, 1000, 9000, 0, 0, 0, 0, 40, 30, 1, 0);

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions.ShouldHaveSingleItem();

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("heartbeatLosses");
        d.Evidence!.ExposedHeartbeatLosses.ShouldBe(40);
    }

    [Fact]
    public void Step_NoControlHosts_HoldsForAHumanInsteadOfPassing()
    {
        var result = Step(Baking(1, T0), Healthy() with { ControlHosts = 0 }, T0.AddHours(2));

        result.State.Phase.ShouldBe(RolloutPhase.Paused);
        result.State.HeldByGate.ShouldBeTrue();
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Kind.ShouldBe("hold");
        d.Evidence!.CrashLimit.ShouldBeNull();
        RolloutReconciler.StatusOf(result.State.Phase).ShouldBe(RolloutStatus.Paused);
    }

    [Fact]
    public void Step_KillSwitch_FreezesPromotionButStillHalts()
    {
        Step(Baking(0, T0), Healthy(), T0.AddHours(5), kill: true).Decisions.ShouldBeEmpty();

        var halted = Step(Baking(0, T0), Healthy() with { AttributedHosts = 3 }, T0.AddHours(5), kill: true);

        halted.State.Phase.ShouldBe(RolloutPhase.Halted);
    }

    [Fact]
    public void Spec_SmallRing_AsksForNoMoreHostHoursThanItsHostsCanGive()
    {
        var spec = RolloutReconciler.Spec("ro_1", "C-1", 1, false, Plan, Gate, Healthy(target: 4), ring: 1);

        spec.Plan.Rings[1].EffectiveGate.MinExposedHostHours.ShouldBe(2, "half of 4 hosts for the ring's 60-minute bake");
        spec.Plan.Rings[0].EffectiveGate.MinExposedHostHours.ShouldBe(Gate.Statistics.MinExposedHostHours);
        spec.Validate().ShouldBeEmpty();
    }

    [Fact]
    public void Command_EmergencySameApproverTwice_IsRefusedAndChangesNothing()
    {
        var spec = RolloutReconciler.Spec("ro_1", "C-1", 1, true, Plan, Gate);
        var pending = new RolloutState("ro_1", RolloutPhase.Validated, 0, 0);
        var first = RolloutReconciler.Command(spec, pending, new OperatorCommand(OperatorCommandKind.Approve, "alice"), T0, Plan);
        first.Decisions.ShouldHaveSingleItem().Kind.ShouldBe("approve");
        RolloutReconciler.StatusOf(first.State.Phase).ShouldBe(RolloutStatus.PendingApproval);

        var again = RolloutReconciler.Command(spec, first.State, new OperatorCommand(OperatorCommandKind.Approve, "Alice"), T0, Plan);

        again.Refusal!.ShouldContain("two distinct approvers");
        again.State.ShouldBe(first.State);
        again.Decisions.ShouldBeEmpty();
        var second = RolloutReconciler.Command(spec, first.State, new OperatorCommand(OperatorCommandKind.Approve, "bob"), T0, Plan);
        second.State.Phase.ShouldBe(RolloutPhase.Deploying);
        (second.State.FirstApprover, second.State.SecondApprover).ShouldBe(("alice", "bob"));
    }

    [Fact]
    public void FromLegacy_ProgressingRowOfSchemaV4_ResumesDeployingItsRing()
    {
        var state = RolloutReconciler.FromLegacy("ro_1", RolloutStatus.Progressing, 1, T0, ["alice"], null);

        state.Phase.ShouldBe(RolloutPhase.Deploying);
        state.Ring.ShouldBe(1);
        state.RingStartedAt.ShouldBe(T0);
        var result = Step(state, Healthy(), T0.AddMinutes(1));
        result.Decisions.ShouldHaveSingleItem().Kind.ShouldBe("bake");
    }

    [Fact]
    public void Step_AnySequenceOfPasses_NeverSkipsARingNorRepeatsADecision()
    {
        Prop.ForAll(Gen.Choose(0, 200).ArrayOf().ToArbitrary(), minutes =>
        {
            var state = Deploying(0, T0);
            var now = T0;
            var ids = new HashSet<string>();
            foreach (var m in minutes)
            {
                now = now.AddMinutes(m);
                var before = state;
                var result = Step(state, Healthy(), now);
                foreach (var d in result.Decisions)
                    if (!ids.Add(d.Id))
                        return false;
                if (result.State.Ring > before.Ring + 1)
                    return false;
                // Ring k+1 starts only once ring k baked for its bake time.
                if (result.State.Ring == before.Ring + 1 && (before.BakeStartedAt is not { } baked || (now - baked).TotalMinutes < Plan[before.Ring].BakeMinutes))
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
