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
    private static readonly RolloutSpec Spec = EngineInputs.Create("ro_1", "C-1", 1, false, Plan, ["7.11.18110"], []).Spec;
    private static readonly HealthGateOptions Gate = Spec.Plan.Rings[1].EffectiveGate;

    private static RolloutState Baking(int ring, DateTimeOffset bakeStarted) =>
        new("ro_1", RolloutPhase.Baking, ring, 5, RingStartedAt: bakeStarted, BakeStartedAt: bakeStarted, FirstApprover: "alice");

    private static RolloutState Deploying(int ring, DateTimeOffset started) =>
        new("ro_1", RolloutPhase.Deploying, ring, 5, RingStartedAt: started, FirstApprover: "alice");

    /// <summary>10 ring hosts all exposed, 100 control hosts, each online for an hour (by heartbeats), nothing wrong.</summary>
    private static RingObservation Healthy(long target = 10) => new(target, target, target, 100, new GroupCounts(target, 0, 0, 0), new GroupCounts(100, 0, 0, 0), 0);

    /// <summary>1,000 exposed and 9,000 control hosts online for an hour.</summary>
    private static RingObservation Large(GroupCounts exposed, GroupCounts control) => new(1000, 1000, 1000, 9000, exposed with { HostHours = 1000 }, control with { HostHours = 9000 }, 0);

    private static ReconcileResult Step(RolloutState state, RingObservation obs, DateTimeOffset now, bool kill = false) =>
        RolloutReconciler.Step(Spec, state, obs, now, kill);

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
        // The engine's minimum ring size: min(10 hosts, half of the ring's 10 eligible hosts) = 5.
        var half = Healthy() with { RingExposedHosts = 4 };
        Step(Deploying(1, T0), half, T0.AddMinutes(5)).Decisions.ShouldBeEmpty();

        var result = Step(Deploying(1, T0), half with { RingExposedHosts = 5 }, T0.AddMinutes(6));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.BakeStartedAt.ShouldBe(T0.AddMinutes(6));
        result.Decisions.ShouldHaveSingleItem().Kind.ShouldBe("bake");
    }

    [Fact]
    public void Step_AttributedHostsAtTheDefaultLimit_HaltsAndRollsBackEvenWhileDeploying()
    {
        var limit = Gate.AttributionHosts;
        Step(Deploying(1, T0), Healthy() with { RingExposedHosts = 2, AttributedHosts = limit - 1 }, T0.AddMinutes(1)).State.Phase.ShouldBe(RolloutPhase.Deploying);

        var result = Step(Deploying(1, T0), Healthy() with { RingExposedHosts = 2, AttributedHosts = limit }, T0.AddMinutes(1));

        // The engine's meaning of a failed gate: halt, then roll back every exposed host.
        result.State.Phase.ShouldBe(RolloutPhase.RolledBack);
        result.Decisions.Select(d => d.Kind).ShouldBe(["halt", "rollback"]);
        var d = result.Decisions[0];
        d.Reason.ShouldContain($"crash breadcrumbs from {limit} distinct hosts");
        d.Evidence!.AttributedEvents.ShouldBe(limit);
        d.Evidence.Verdict.ShouldBe("failed");
    }

    [Fact]
    public void Step_ExposedCrashRateFarAboveControl_HaltsBySequentialTestWithEvidence()
    {
        // 1,000 exposed and 9,000 control hosts; 30 vs 27 crashes is ten times the control rate.
        var obs = Large(new GroupCounts(0, 30, 0, 0), new GroupCounts(0, 27, 0, 0));

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions[0];

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("crashes: log-likelihood ratio");
        d.Evidence!.CrashLogLikelihoodRatio.ShouldBe(Math.Round(HealthGate.LogLikelihoodRatio(30, 27, 1000, 9000, Gate.CrashRateRatio), 3));
        d.Evidence.CrashLogLikelihoodRatio.ShouldBeGreaterThanOrEqualTo(d.Evidence.HaltThreshold);
        d.Evidence.ExposedCrashes.ShouldBeGreaterThanOrEqualTo((long)d.Evidence.CrashLimit!.Value);
    }

    [Fact]
    public void Step_ExposedCrashesAtTheLimit_HaltAndOneFewerPasses()
    {
        var obs = Large(new GroupCounts(0, 3, 0, 0), new GroupCounts(0, 27, 0, 0));
        var passed = Step(Baking(1, T0), obs, T0.AddMinutes(61)).Decisions.ShouldHaveSingleItem();
        passed.Kind.ShouldBe("promote");
        var limit = (long)passed.Evidence!.CrashLimit!.Value;
        limit.ShouldBeGreaterThan(3);
        passed.Evidence.ExpectedExposedCrashes.ShouldBe(3);

        Step(Baking(1, T0), obs with { Exposed = obs.Exposed with { Crashes = limit - 1 } }, T0.AddMinutes(30)).Decisions.ShouldBeEmpty();
        Step(Baking(1, T0), obs with { Exposed = obs.Exposed with { Crashes = limit } }, T0.AddMinutes(30)).Decisions[0].Kind.ShouldBe("halt");
    }

    [Fact]
    public void Step_BootLoopRevertsFarAboveControl_Halts()
    {
        var obs = Large(new GroupCounts(0, 0, 25, 0), new GroupCounts(0, 0, 20, 0));

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions[0];

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("bootLoopReverts");
        d.Evidence!.ExposedBootLoopReverts.ShouldBe(25);
    }

    [Fact]
    public void Step_ExposedHostsFallingSilentFarMoreThanControl_Halts()
    {
        var obs = Large(new GroupCounts(0, 0, 0, 40), new GroupCounts(0, 0, 0, 30));

        var d = Step(Baking(1, T0), obs, T0.AddMinutes(5)).Decisions[0];

        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("heartbeatLosses");
        d.Evidence!.ExposedHeartbeatLosses.ShouldBe(40);
    }

    [Fact]
    public void Step_NoControlHosts_HoldsForAHumanInsteadOfPassing()
    {
        var result = Step(Baking(1, T0), Healthy() with { ControlHosts = 0, Control = default }, T0.AddHours(2));

        result.State.Phase.ShouldBe(RolloutPhase.Paused);
        result.State.HeldByGate.ShouldBeTrue();
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Kind.ShouldBe("hold");
        d.Evidence!.CrashLimit.ShouldBeNull();
        RolloutReconciler.StatusOf(result.State.Phase).ShouldBe(RolloutStatus.Paused);
    }

    [Fact]
    public void Step_KillSwitch_HaltsTheRolloutWithADecisionAndKeepsHosts()
    {
        var result = Step(Baking(0, T0), Healthy(), T0.AddHours(5), kill: true);

        result.State.Phase.ShouldBe(RolloutPhase.Halted);
        var d = result.Decisions.ShouldHaveSingleItem();
        d.Kind.ShouldBe("halt");
        d.Reason.ShouldContain("global kill switch");
    }

    [Fact]
    public void KillSwitch_PendingOrPausedRollout_HaltsToo()
    {
        RolloutReconciler.KillSwitch(Spec, new RolloutState("ro_1", RolloutPhase.Validated, 0, 0), T0).State.Phase.ShouldBe(RolloutPhase.Halted);
        var paused = new RolloutState("ro_1", RolloutPhase.Paused, 1, 4, PausedFrom: RolloutPhase.Baking);
        RolloutReconciler.KillSwitch(Spec, paused, T0).Decisions.ShouldHaveSingleItem().Kind.ShouldBe("halt");
        RolloutReconciler.KillSwitch(Spec, new RolloutState("ro_1", RolloutPhase.Completed, 2, 9), T0).Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Command_ApproveUnderTheKillSwitch_IsRefused()
    {
        var pending = new RolloutState("ro_1", RolloutPhase.Validated, 0, 0);

        var result = RolloutReconciler.Command(Spec, pending, new OperatorCommand(OperatorCommandKind.Approve, "alice"), T0, killSwitchEngaged: true);

        result.Refusal!.ShouldContain("kill switch");
        result.State.ShouldBe(pending);
    }

    [Fact]
    public void Create_Emergency_StoresPlannedBakesAndTheEngineShortensThem()
    {
        var spec = EngineInputs.Create("ro_1", "C-1", 1, true, Plan, ["7.11.18110"], []).Spec;

        spec.Plan.Rings[1].BakeTime.ShouldBe(TimeSpan.FromMinutes(60));
        spec.BakeTime(1).ShouldBe(TimeSpan.FromMinutes(15));
        spec.Emergency.ShouldBeTrue();
        spec.ValidatedAgentBuilds.ShouldBe([Ringfence.Rollouts.Fleet.FleetIds.AgentBuild("7.11.18110")]);
        spec.Plan.Rings[^1].EffectiveGate.PassWithoutControl.ShouldBeTrue();
    }

    [Fact]
    public void Create_NoRings_RunsTheEngineDefaultPlanWithCoverageComposedOverTheFleet()
    {
        var fleet = new[]
        {
            new Ringfence.Server.Storage.ConfigurationCountRow { AgentBuild = "7.11.18110", Os = "windows", OsBuild = "22631", Hosts = 10_000_000 },
            new Ringfence.Server.Storage.ConfigurationCountRow { AgentBuild = "7.16.18605", Os = "windows", OsBuild = "19045", Hosts = 500 },
        };

        var built = EngineInputs.Create("ro_1", "C-1", 1, false, null, ["7.11.18110", "7.16.18605"], fleet);

        built.DefaultPlan.ShouldBeTrue();
        built.Spec.Plan.Rings.Select(r => r.Name).ShouldBe(Ringfence.Rollouts.Rings.RolloutDefaults.Plan.Rings.Select(r => r.Name));
        var raised = built.Spec.Plan.Rings[Ringfence.Rollouts.Rings.RolloutDefaults.CoverageRing].Selection.ConfigurationOverrides.ShouldHaveSingleItem();
        (raised.AgentBuild, raised.OsBuild).ShouldBe((Ringfence.Rollouts.Fleet.FleetIds.AgentBuild("7.16.18605"), Ringfence.Rollouts.Fleet.FleetIds.OsBuild("windows", "19045")));
        // Stored as JSON and read back, the spec is the same: a running rollout never recomposes its coverage.
        var row = new Ringfence.Server.Storage.RolloutRow { Id = "ro_1", Channel = "C-1", Version = 1, SpecJson = EngineInputs.Serialize(built.Spec) };
        var read = EngineInputs.SpecOf(row, []);
        read.Plan.Rings[1].Selection.ConfigurationOverrides!.ShouldHaveSingleItem().Percent.ShouldBe(raised.Percent);
        read.BakeTime(2).ShouldBe(built.Spec.BakeTime(2));
        read.ValidatedAgentBuilds.ShouldBe(built.Spec.ValidatedAgentBuilds);
    }

    [Fact]
    public void SpecOf_LegacyEmergencyRow_DoesNotShortenItsStoredBakesAgain()
    {
        var row = new Ringfence.Server.Storage.RolloutRow { Id = "ro_1", Channel = "C-1", Version = 1, Emergency = 1, PlanJson = """[{"name":"canary","percent":5,"bakeMinutes":15},{"name":"all","percent":100,"bakeMinutes":0}]""" };

        EngineInputs.SpecOf(row, ["7.11.18110"]).BakeTime(0).ShouldBe(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public void Command_EmergencySameApproverTwice_IsRefusedAndChangesNothing()
    {
        var spec = EngineInputs.Create("ro_1", "C-1", 1, true, Plan, ["7.11.18110"], []).Spec;
        var pending = new RolloutState("ro_1", RolloutPhase.Validated, 0, 0);
        var first = RolloutReconciler.Command(spec, pending, new OperatorCommand(OperatorCommandKind.Approve, "alice"), T0, false);
        first.Decisions.ShouldHaveSingleItem().Kind.ShouldBe("approve");
        RolloutReconciler.StatusOf(first.State.Phase).ShouldBe(RolloutStatus.PendingApproval);

        var again = RolloutReconciler.Command(spec, first.State, new OperatorCommand(OperatorCommandKind.Approve, "Alice"), T0, false);

        again.Refusal!.ShouldContain("two distinct approvers");
        again.State.ShouldBe(first.State);
        again.Decisions.ShouldBeEmpty();
        var second = RolloutReconciler.Command(spec, first.State, new OperatorCommand(OperatorCommandKind.Approve, "bob"), T0, false);
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
}
