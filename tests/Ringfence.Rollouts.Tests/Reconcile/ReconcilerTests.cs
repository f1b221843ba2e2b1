using System.Text.Json;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Reconcile;

public class ReconcilerTests
{
    private static readonly RolloutSpec Spec3 = Spec();

    [Fact]
    public void Reconcile_DraftWithValidSpec_BecomesValidated()
    {
        var result = Reconciler.Reconcile(Spec3, RolloutState.Create("r-291"), RolloutInputs.None, T0);

        result.State.Phase.ShouldBe(RolloutPhase.Validated);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.Validated);
        result.Decisions.Single().Id.ShouldBe("r-291#1");
    }

    [Fact]
    public void Reconcile_DraftWithoutValidatedBuilds_StaysDraftAndRejectsOnlyOnce()
    {
        var spec = Spec3 with { ValidatedAgentBuilds = [] };

        var first = Reconciler.Reconcile(spec, RolloutState.Create("r-291"), RolloutInputs.None, T0);
        var second = Reconciler.Reconcile(spec, first.State, RolloutInputs.None, T0.AddMinutes(1));

        first.State.Phase.ShouldBe(RolloutPhase.Draft);
        first.Decisions.Single().Kind.ShouldBe(DecisionKind.Rejected);
        first.Decisions.Single().Reason.ShouldContain("validatedAgentBuilds");
        second.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Reconcile_DraftApproved_CommandRefusedUntilValidated()
    {
        var spec = Spec3 with { ValidatedAgentBuilds = [] };

        var result = Reconciler.Reconcile(spec, RolloutState.Create("r-291"), With(Cmd(OperatorCommandKind.Approve)), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Draft);
        result.Decisions.Select(d => d.Kind).ShouldBe([DecisionKind.Rejected, DecisionKind.CommandRefused]);
    }

    [Fact]
    public void Reconcile_ValidatedApproved_StartsRingZero()
    {
        var result = Reconciler.Reconcile(Spec3, Validated(Spec3), With(Cmd(OperatorCommandKind.Approve, "bob")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.State.Ring.ShouldBe(0);
        result.State.RingStartedAt.ShouldBe(T0);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.RingStarted);
        result.Decisions.Single().Actor.ShouldBe("bob");
    }

    [Fact]
    public void Reconcile_EmergencyWithOneApprover_OnlyRecordsTheApproval()
    {
        var spec = Spec(emergency: true);

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Validated);
        result.State.FirstApprover.ShouldBe("alice");
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.ApprovalRecorded);
    }

    [Fact]
    public void Reconcile_EmergencyApprovedTwiceBySamePerson_IsRefused()
    {
        var spec = Spec(emergency: true);

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice"), Cmd(OperatorCommandKind.Approve, "ALICE")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Validated);
        result.Decisions.Last().Kind.ShouldBe(DecisionKind.CommandRefused);
        result.Decisions.Last().Reason.ShouldContain("two distinct approvers");
    }

    [Fact]
    public void Reconcile_EmergencyWithTwoDistinctApprovers_StartsRingZeroStillRingByRing()
    {
        var spec = Spec(emergency: true);

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice"), Cmd(OperatorCommandKind.Approve, "bob")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.State.Ring.ShouldBe(0);
        (result.State.FirstApprover, result.State.SecondApprover).ShouldBe(("alice", "bob"));
    }

    [Fact]
    public void Reconcile_RequiresTwoApprovalsWithOneApprover_OnlyRecordsTheApproval()
    {
        var spec = Spec3 with { RequiresTwoApprovals = true };

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Validated);
        result.State.FirstApprover.ShouldBe("alice");
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.ApprovalRecorded);
    }

    [Fact]
    public void Reconcile_RequiresTwoApprovalsSamePersonTwice_IsRefused()
    {
        var spec = Spec3 with { RequiresTwoApprovals = true };

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice"), Cmd(OperatorCommandKind.Approve, "Alice")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Validated);
        result.Decisions.Last().Kind.ShouldBe(DecisionKind.CommandRefused);
        result.Decisions.Last().Reason.ShouldContain("two distinct approvers");
    }

    [Fact]
    public void Reconcile_RequiresTwoApprovalsWithTwoDistinctApprovers_StartsRingZeroWithFullBakes()
    {
        var spec = Spec3 with { RequiresTwoApprovals = true };

        var result = Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve, "alice"), Cmd(OperatorCommandKind.Approve, "bob")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        (result.State.FirstApprover, result.State.SecondApprover).ShouldBe(("alice", "bob"));
        spec.Emergency.ShouldBeFalse();
        Enumerable.Range(0, spec.Plan.Rings.Count).Select(spec.BakeTime).ShouldBe(spec.Plan.Rings.Select(r => r.BakeTime), "not the fast-track: bakes are not shortened");
    }

    [Fact]
    public void Reconcile_DeployingBelowMinimumSize_KeepsDeploying()
    {
        var result = Reconciler.Reconcile(Spec3, Deploying(Spec3), With(Observe(0, exposed: 1)), T0.AddMinutes(5));

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Reconcile_DeployingAtMinimumSize_StartsBaking()
    {
        var result = Reconciler.Reconcile(Spec3, Deploying(Spec3), With(Observe(0, exposed: 2)), T0.AddMinutes(5));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.BakeStartedAt.ShouldBe(T0.AddMinutes(5));
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.BakeStarted);
    }

    [Fact]
    public void Reconcile_DeployingRingSmallerThanMinimum_BakesWhenAllEligibleHostsRunIt()
    {
        var result = Reconciler.Reconcile(Spec3, Deploying(Spec3), With(Observe(0, exposed: 1, eligible: 1)), T0.AddMinutes(5));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
    }

    [Fact]
    public void Reconcile_DeployingPastTimeout_HoldsForAHuman()
    {
        var result = Reconciler.Reconcile(Spec3, Deploying(Spec3), With(Observe(0, exposed: 1)), T0.AddHours(25));

        result.State.Phase.ShouldBe(RolloutPhase.Paused);
        result.State.HeldByGate.ShouldBeTrue();
        result.State.PausedFrom.ShouldBe(RolloutPhase.Deploying);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.Held);
    }

    [Fact]
    public void Reconcile_HeldDeployingResumed_BakesTheSmallRing()
    {
        var held = Reconciler.Reconcile(Spec3, Deploying(Spec3), With(Observe(0, exposed: 1)), T0.AddHours(25)).State;

        var result = Reconciler.Reconcile(Spec3, held, With(Cmd(OperatorCommandKind.Resume)), T0.AddHours(26));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.BakeStartedAt.ShouldBe(T0.AddHours(26));
    }

    [Fact]
    public void Reconcile_BakingBeforeBakeTime_ContinuesEvenWhenHealthy()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1)), T0.AddMinutes(59));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.Ring.ShouldBe(1);
        result.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Reconcile_BakingWithoutObservation_NeverPromotes()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), RolloutInputs.None, T0.AddDays(3));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Reconcile_BakingObservationOfAnotherRing_IsIgnored()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(0)), T0.AddHours(2));

        result.State.ShouldBe(Baking(1, T0));
    }

    [Fact]
    public void Reconcile_BakeElapsedAndHealthy_StartsNextRingWithEvidence()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1)), T0.AddMinutes(60));

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.State.Ring.ShouldBe(2);
        result.State.RingStartedAt.ShouldBe(T0.AddMinutes(60));
        var decision = result.Decisions.Single();
        decision.Kind.ShouldBe(DecisionKind.RingStarted);
        decision.Evidence!.Outcome.ShouldBe(GateOutcome.Pass);
        decision.Evidence.Sample.ExposedHostHours.ShouldBe(1000);
    }

    [Fact]
    public void Reconcile_LastRingPasses_Completes()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(2, T0), With(Observe(2)), T0.AddMinutes(30));

        result.State.Phase.ShouldBe(RolloutPhase.Completed);
        result.State.CompletedAt.ShouldBe(T0.AddMinutes(30));
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.Completed);
    }

    [Fact]
    public void Reconcile_CompletedWithObservations_DoesNothing()
    {
        var completed = Reconciler.Reconcile(Spec3, Baking(2, T0), With(Observe(2)), T0.AddMinutes(30)).State;

        var result = Reconciler.Reconcile(Spec3, completed, With(Observe(2, health: Healthy with { AttributedCrashHosts = 50 })), T0.AddHours(1));

        result.State.ShouldBe(completed);
        result.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Reconcile_AttributedCrashesWhileBaking_HaltsAndRollsBackAtOnce()
    {
        var health = Healthy with { AttributedCrashHosts = 3 };

        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1, health: health)), T0.AddMinutes(2));

        result.State.Phase.ShouldBe(RolloutPhase.RolledBack);
        result.State.StoppedAt.ShouldBe(T0.AddMinutes(2));
        result.Decisions.Select(d => d.Kind).ShouldBe([DecisionKind.Halted, DecisionKind.RolledBack]);
        result.Decisions[0].Evidence!.Outcome.ShouldBe(GateOutcome.Fail);
        result.Decisions[0].Reason.ShouldContain("3 distinct hosts");
    }

    [Fact]
    public void Reconcile_AttributedCrashesWhileDeploying_HaltsAtOnce()
    {
        var spec = Spec(options: new RolloutOptions(AutoRollbackOnFail: false));
        var health = Healthy with { AttributedCrashHosts = 4 };

        var result = Reconciler.Reconcile(spec, Deploying(spec), With(Observe(0, exposed: 1, health: health)), T0.AddMinutes(1));

        result.State.Phase.ShouldBe(RolloutPhase.Halted);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.Halted);
    }

    [Fact]
    public void Reconcile_BakeElapsedWithTooLittleExposure_HoldsForAHuman()
    {
        var thin = Healthy with { ExposedHostHours = 3 };

        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1, health: thin)), T0.AddMinutes(60));

        result.State.Phase.ShouldBe(RolloutPhase.Paused);
        result.State.HeldByGate.ShouldBeTrue();
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.Held);
        result.Decisions.Single().Evidence!.Outcome.ShouldBe(GateOutcome.Inconclusive);
    }

    [Fact]
    public void Reconcile_HeldGateResumed_HumanAcceptsAndNextRingStarts()
    {
        var held = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1, health: Healthy with { ExposedHostHours = 3 })), T0.AddMinutes(60)).State;

        var result = Reconciler.Reconcile(Spec3, held, With(Cmd(OperatorCommandKind.Resume, "carol")), T0.AddMinutes(70));

        result.State.Phase.ShouldBe(RolloutPhase.Deploying);
        result.State.Ring.ShouldBe(2);
        result.Decisions.Single().Actor.ShouldBe("carol");
    }

    [Theory]
    [InlineData(RolloutPhase.Deploying)]
    [InlineData(RolloutPhase.Baking)]
    public void Reconcile_PausedThenResumed_ReturnsToThePausedPhase(RolloutPhase phase)
    {
        var state = Baking(1, T0) with { Phase = phase };

        var paused = Reconciler.Reconcile(Spec3, state, With(Cmd(OperatorCommandKind.Pause)), T0.AddMinutes(5));
        var resumed = Reconciler.Reconcile(Spec3, paused.State, With(Cmd(OperatorCommandKind.Resume)), T0.AddMinutes(6));

        paused.State.Phase.ShouldBe(RolloutPhase.Paused);
        paused.State.PausedFrom.ShouldBe(phase);
        resumed.State.Phase.ShouldBe(phase);
        resumed.State.Ring.ShouldBe(1);
        resumed.Decisions.Single().Kind.ShouldBe(DecisionKind.Resumed);
    }

    [Fact]
    public void Reconcile_PausedWithHealthyObservations_DoesNotPromote()
    {
        var paused = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Cmd(OperatorCommandKind.Pause)), T0.AddMinutes(5)).State;

        var result = Reconciler.Reconcile(Spec3, paused, With(Observe(1)), T0.AddHours(5));

        result.State.ShouldBe(paused);
    }

    [Fact]
    public void Reconcile_ValidatedPausedAndResumed_IsValidatedAgain()
    {
        var paused = Reconciler.Reconcile(Spec3, Validated(Spec3), With(Cmd(OperatorCommandKind.Pause)), T0).State;

        var resumed = Reconciler.Reconcile(Spec3, paused, With(Cmd(OperatorCommandKind.Resume)), T0);

        resumed.State.Phase.ShouldBe(RolloutPhase.Validated);
    }

    [Theory]
    [InlineData(RolloutPhase.Validated)]
    [InlineData(RolloutPhase.Deploying)]
    [InlineData(RolloutPhase.Baking)]
    [InlineData(RolloutPhase.Paused)]
    public void Reconcile_HaltCommand_HaltsAnyActiveRollout(RolloutPhase phase)
    {
        var state = Baking(1, T0) with { Phase = phase };

        var result = Reconciler.Reconcile(Spec3, state, With(Cmd(OperatorCommandKind.Halt, "dave")), T0.AddMinutes(3));

        result.State.Phase.ShouldBe(RolloutPhase.Halted);
        result.State.StoppedAt.ShouldBe(T0.AddMinutes(3));
        result.Decisions.Single().Actor.ShouldBe("dave");
    }

    [Fact]
    public void Reconcile_HaltedResumed_RebakesTheSameRing()
    {
        var halted = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Cmd(OperatorCommandKind.Halt)), T0.AddMinutes(3)).State;

        var result = Reconciler.Reconcile(Spec3, halted, With(Cmd(OperatorCommandKind.Resume)), T0.AddMinutes(10));

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.State.Ring.ShouldBe(1);
        result.State.BakeStartedAt.ShouldBe(T0.AddMinutes(10));
    }

    [Theory]
    [InlineData(RolloutPhase.Deploying)]
    [InlineData(RolloutPhase.Baking)]
    [InlineData(RolloutPhase.Paused)]
    [InlineData(RolloutPhase.Halted)]
    [InlineData(RolloutPhase.Completed)]
    public void Reconcile_RollbackCommand_RollsBack(RolloutPhase phase)
    {
        var state = Baking(1, T0) with { Phase = phase };

        var result = Reconciler.Reconcile(Spec3, state, With(Cmd(OperatorCommandKind.Rollback)), T0.AddMinutes(3));

        result.State.Phase.ShouldBe(RolloutPhase.RolledBack);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.RolledBack);
    }

    [Theory]
    [InlineData(RolloutPhase.Validated, OperatorCommandKind.Rollback)]
    [InlineData(RolloutPhase.Validated, OperatorCommandKind.Resume)]
    [InlineData(RolloutPhase.Baking, OperatorCommandKind.Approve)]
    [InlineData(RolloutPhase.Completed, OperatorCommandKind.Halt)]
    [InlineData(RolloutPhase.RolledBack, OperatorCommandKind.Resume)]
    [InlineData(RolloutPhase.RolledBack, OperatorCommandKind.Rollback)]
    [InlineData(RolloutPhase.RolledBack, OperatorCommandKind.Approve)]
    [InlineData(RolloutPhase.Halted, OperatorCommandKind.Pause)]
    public void Reconcile_CommandThatDoesNotApply_IsRefusedAndChangesNothing(RolloutPhase phase, OperatorCommandKind kind)
    {
        var state = Baking(1, T0) with { Phase = phase };

        var result = Reconciler.Reconcile(Spec3, state, With(Cmd(kind)), T0.AddMinutes(3));

        result.Decisions.Single().Kind.ShouldBe(DecisionKind.CommandRefused);
        result.State.ShouldBe(state with { Sequence = state.Sequence + 1 });
    }

    [Fact]
    public void Reconcile_CommandWithoutActor_IsRefused()
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0), With(new OperatorCommand(OperatorCommandKind.Halt, " ")), T0);

        result.State.Phase.ShouldBe(RolloutPhase.Baking);
        result.Decisions.Single().Kind.ShouldBe(DecisionKind.CommandRefused);
    }

    [Theory]
    [InlineData(RolloutPhase.Validated)]
    [InlineData(RolloutPhase.Deploying)]
    [InlineData(RolloutPhase.Baking)]
    [InlineData(RolloutPhase.Paused)]
    public void Reconcile_KillSwitchEngaged_HaltsEveryActiveRollout(RolloutPhase phase)
    {
        var result = Reconciler.Reconcile(Spec3, Baking(1, T0) with { Phase = phase }, new RolloutInputs(KillSwitchEngaged: true), T0.AddMinutes(1));

        result.State.Phase.ShouldBe(RolloutPhase.Halted);
        result.State.Reason!.ShouldContain("kill switch");
    }

    [Fact]
    public void Reconcile_KillSwitchEngaged_RefusesApproveAndResume()
    {
        var validated = Validated(Spec3);

        var approve = Reconciler.Reconcile(Spec3, validated, new RolloutInputs([Cmd(OperatorCommandKind.Approve)], null, true), T0);
        var resume = Reconciler.Reconcile(Spec3, approve.State, new RolloutInputs([Cmd(OperatorCommandKind.Resume)], null, true), T0);

        approve.Decisions[0].Kind.ShouldBe(DecisionKind.CommandRefused);
        approve.State.Phase.ShouldBe(RolloutPhase.Halted);
        resume.Decisions.Single().Kind.ShouldBe(DecisionKind.CommandRefused);
        resume.State.Phase.ShouldBe(RolloutPhase.Halted);
    }

    [Fact]
    public void Reconcile_KillSwitchOnCompletedRollout_LeavesItCompleted()
    {
        var completed = Baking(2, T0) with { Phase = RolloutPhase.Completed, CompletedAt = T0 };

        var result = Reconciler.Reconcile(Spec3, completed, new RolloutInputs(KillSwitchEngaged: true), T0.AddMinutes(1));

        result.State.ShouldBe(completed);
    }

    [Fact]
    public void Reconcile_FastTrack_BakesShorterButStillOneRingAtATime()
    {
        var spec = Spec(emergency: true);

        var before = Reconciler.Reconcile(spec, Baking(1, T0), With(Observe(1)), T0.AddMinutes(14));
        var after = Reconciler.Reconcile(spec, Baking(1, T0), With(Observe(1)), T0.AddMinutes(15));
        var normal = Reconciler.Reconcile(Spec3, Baking(1, T0), With(Observe(1)), T0.AddMinutes(15));

        spec.BakeTime(1).ShouldBe(TimeSpan.FromMinutes(15));
        before.State.Phase.ShouldBe(RolloutPhase.Baking);
        after.State.Phase.ShouldBe(RolloutPhase.Deploying);
        after.State.Ring.ShouldBe(2);
        normal.State.Phase.ShouldBe(RolloutPhase.Baking);
    }

    [Fact]
    public void Reconcile_MismatchedSpecAndState_Throws()
    {
        Should.Throw<ArgumentException>(() => Reconciler.Reconcile(Spec3, RolloutState.Create("other"), RolloutInputs.None, T0));
    }

    [Fact]
    public void RolloutState_JsonRoundTrip_IsEqual()
    {
        var state = Baking(1, T0) with { Phase = RolloutPhase.Paused, PausedFrom = RolloutPhase.Baking, HeldByGate = true, SecondApprover = "bob", Reason = "x" };

        var json = JsonSerializer.Serialize(state);
        var back = JsonSerializer.Deserialize<RolloutState>(json);

        back.ShouldBe(state);
    }

    [Fact]
    public void RolloutSpec_JsonRoundTrip_KeepsEveryField()
    {
        var spec = Spec(emergency: true, options: new RolloutOptions(0.5, TimeSpan.FromMinutes(3)), plan: Ringfence.Rollouts.Rings.CoverageComposer.Compose(
            Plan3(HealthGateOptions.Default with { AttributionHosts = 5 }), [new Ringfence.Rollouts.Rings.ConfigurationCount(7110, 1, 60)], new Ringfence.Rollouts.Rings.CoverageOptions(10, 5)).Plan);

        var json = JsonSerializer.Serialize(spec);
        var back = JsonSerializer.Deserialize<RolloutSpec>(json)!;

        JsonSerializer.Serialize(back).ShouldBe(json);
        back.Plan.Rings[1].Selection.ConfigurationOverrides!.Count.ShouldBe(1);
        back.Plan.Rings[0].EffectiveGate.AttributionHosts.ShouldBe(5);
        back.BakeTime(1).ShouldBe(spec.BakeTime(1));
    }

    [Fact]
    public void Reconcile_RestartedFromStoredJsonEveryStep_TakesTheSameDecisions()
    {
        var script = Script();

        var continuous = Drive(script, roundTrip: false);
        var restarted = Drive(script, roundTrip: true);

        restarted.Select(d => (d.Id, d.Kind, d.To, d.Ring, d.At)).ShouldBe(continuous.Select(d => (d.Id, d.Kind, d.To, d.Ring, d.At)));
        continuous.Last().Kind.ShouldBe(DecisionKind.Completed);
        continuous.Select(d => d.Sequence).ShouldBe(Enumerable.Range(1, continuous.Count).Select(i => (long)i));
        continuous.Select(d => d.Id).Distinct().Count().ShouldBe(continuous.Count);
    }

    [Fact]
    public void Reconcile_SameInputsTwice_SameDecisionIdsSoAStoreCanRefuseDuplicates()
    {
        var state = Baking(1, T0);

        var first = Reconciler.Reconcile(Spec3, state, With(Observe(1)), T0.AddHours(1));
        var second = Reconciler.Reconcile(Spec3, state, With(Observe(1)), T0.AddHours(1));

        second.Decisions.Select(d => d.Id).ShouldBe(first.Decisions.Select(d => d.Id));
        second.State.ShouldBe(first.State);
    }

    private static List<(DateTimeOffset At, RolloutInputs Inputs)> Script()
    {
        var script = new List<(DateTimeOffset, RolloutInputs)> { (T0, RolloutInputs.None), (T0, With(Cmd(OperatorCommandKind.Approve))) };
        for (var minute = 1; minute <= 400; minute += 7)
        {
            // Ring index follows what the previous state asks for; Drive fills it in.
            script.Add((T0.AddMinutes(minute), new RolloutInputs(null, Observe(-1))));
        }

        return script;
    }

    private static List<RolloutDecision> Drive(List<(DateTimeOffset At, RolloutInputs Inputs)> script, bool roundTrip)
    {
        var state = RolloutState.Create("r-291");
        var decisions = new List<RolloutDecision>();
        foreach (var (at, inputs) in script)
        {
            var effective = inputs.Observation is { } o ? inputs with { Observation = o with { Ring = state.Ring } } : inputs;
            var result = Reconciler.Reconcile(Spec3, state, effective, at);
            decisions.AddRange(result.Decisions);
            state = roundTrip ? JsonSerializer.Deserialize<RolloutState>(JsonSerializer.Serialize(result.State))! : result.State;
        }

        return decisions;
    }
}
