using System.Runtime.CompilerServices;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Agent.StateMachine;

namespace Ringfence.Agent.Tests.StateMachine;

public class AgentMachineTests
{
    private const long Good = 290;
    private const long Bad = 291;
    private static readonly DateTimeOffset T0 = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly AgentOptions Options = AgentOptions.Default;
    private static readonly BootEnvironment Offline = new();

    /// <summary>An agent on proven content <see cref="Good"/> that just loaded <see cref="Bad"/>.</summary>
    private static AgentState Evaluating()
    {
        var booted = AgentMachine.Boot(AgentState.Initial(Good), T0, Offline, Options).State;
        return AgentMachine.Offer(booted, Bad, T0, Options).State;
    }

    [Fact]
    public void Offer_NewContent_LoadsItUnderEvaluationNamedByTheBreadcrumb()
    {
        var step = AgentMachine.Offer(AgentMachine.Boot(AgentState.Initial(Good), T0, Offline, Options).State, Bad, T0, Options);

        step.Effects.ShouldBe(AgentEffects.LoadContent);
        step.State.Active.ShouldBe(Bad);
        step.State.LastKnownGood.ShouldBe(Good);
        step.State.Breadcrumb.ShouldBe(Bad);
        step.State.EvaluationStartedTicks.ShouldBe(T0.UtcTicks);
    }

    [Fact]
    public void Offer_SameContentAgain_DoesNothing()
    {
        var state = Evaluating();

        var step = AgentMachine.Offer(state, Bad, T0.AddMinutes(1), Options);

        step.Effects.ShouldBe(AgentEffects.None);
        step.State.ShouldBe(state);
    }

    [Fact]
    public void Offer_LastKnownGoodAgain_LoadsWithoutEvaluation()
    {
        var step = AgentMachine.Offer(Evaluating(), Good, T0.AddMinutes(1), Options);

        step.State.Active.ShouldBe(Good);
        step.State.IsEvaluating.ShouldBeFalse();
    }

    [Fact]
    public void Tick_BeforeHealthWindow_KeepsEvaluating()
    {
        var step = AgentMachine.Tick(Evaluating(), T0.AddMinutes(29), Options);

        step.Effects.ShouldBe(AgentEffects.None);
        step.State.IsEvaluating.ShouldBeTrue();
    }

    [Fact]
    public void Tick_AfterHealthWindow_NewContentBecomesLastKnownGood()
    {
        var step = AgentMachine.Tick(Evaluating(), T0.AddMinutes(30), Options);

        step.Effects.ShouldBe(AgentEffects.PromotedLastKnownGood);
        step.Subject.ShouldBe(Bad);
        step.State.LastKnownGood.ShouldBe(Bad);
        step.State.Breadcrumb.ShouldBe(0);
    }

    [Fact]
    public void Boot_AfterCrashInsideContentEvaluation_RevertsQuarantinesAndReportsWithoutNetwork()
    {
        var crashed = AgentMachine.Crash(Evaluating(), inContentEvaluation: true, Options).State;

        var step = AgentMachine.Boot(crashed, T0.AddMinutes(2), Offline, Options);

        step.State.Active.ShouldBe(Good);
        step.State.IsQuarantined(Bad).ShouldBeTrue();
        step.State.IsEvaluating.ShouldBeFalse();
        step.Effects.ShouldBe(AgentEffects.LoadContent | AgentEffects.ReportRevert | AgentEffects.ReportCrashBreadcrumb);
        step.Subject.ShouldBe(Bad);
        step.Reason.ShouldBe(RevertReason.CrashBreadcrumb);
    }

    [Fact]
    public void Boot_CrashesOutsideTheInterpreter_ReloadsUntilKInARowThenReverts()
    {
        var state = Evaluating();
        var boots = new List<AgentStep>();
        for (var i = 0; i < 3; i++)
        {
            state = AgentMachine.Crash(state, inContentEvaluation: false, Options).State;
            var step = AgentMachine.Boot(state, T0.AddMinutes(i + 1), Offline, Options);
            boots.Add(step);
            state = step.State;
        }

        boots[0].State.Active.ShouldBe(Bad);
        boots[1].State.Active.ShouldBe(Bad);
        boots[2].State.Active.ShouldBe(Good);
        boots[2].Reason.ShouldBe(RevertReason.BootLoop);
        boots[2].Has(AgentEffects.ReportRevert).ShouldBeTrue();
        boots[2].Has(AgentEffects.ReportCrashBreadcrumb).ShouldBeFalse();
        state.IsQuarantined(Bad).ShouldBeTrue();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Boot_ConfiguredBootFailureLimit_RevertsAfterExactlyKFailures(int k)
    {
        var options = Options with { BootFailureLimit = k };
        var state = Evaluating();
        var failures = 0;
        while (state.Active == Bad)
        {
            state = AgentMachine.Crash(state, false, options).State;
            failures++;
            state = AgentMachine.Boot(state, T0, Offline, options).State;
        }

        failures.ShouldBe(k);
    }

    [Fact]
    public void Boot_UncleanStopWhileInInterpreter_IsInferredAsAContentCrash()
    {
        // The real agent does not call Crash: the flags it persisted tell the story at the next boot.
        var state = AgentMachine.EnterInterpreter(Evaluating());

        var step = AgentMachine.Boot(state, T0.AddMinutes(2), Offline, Options);

        step.Reason.ShouldBe(RevertReason.CrashBreadcrumb);
        step.State.Active.ShouldBe(Good);
    }

    [Fact]
    public void Boot_UncleanStopOutsideInterpreter_CountsOneFailedBoot()
    {
        var state = AgentMachine.LeaveInterpreter(AgentMachine.EnterInterpreter(Evaluating()));

        var step = AgentMachine.Boot(state, T0.AddMinutes(2), Offline, Options);

        step.State.Active.ShouldBe(Bad);
        step.State.FailedBoots.ShouldBe((byte)1);
    }

    [Fact]
    public void Boot_AfterCleanShutdown_CountsNoFailure()
    {
        var step = AgentMachine.Boot(AgentMachine.Shutdown(Evaluating()), T0.AddMinutes(2), Offline, Options);

        step.State.Active.ShouldBe(Bad);
        step.State.FailedBoots.ShouldBe((byte)0);
        step.Effects.ShouldBe(AgentEffects.LoadContent);
    }

    [Fact]
    public void Crash_OfProvenContent_NeverReverts()
    {
        var state = AgentMachine.Tick(Evaluating(), T0.AddHours(1), Options).State;
        for (var i = 0; i < 10; i++)
        {
            state = AgentMachine.Boot(AgentMachine.Crash(state, true, Options).State, T0.AddHours(2), Offline, Options).State;
        }

        state.Active.ShouldBe(Bad);
        state.IsQuarantined(Bad).ShouldBeFalse();
    }

    [Fact]
    public void Offer_QuarantinedContent_IsRefused()
    {
        var reverted = AgentMachine.Boot(AgentMachine.Crash(Evaluating(), true, Options).State, T0, Offline, Options).State;

        var step = AgentMachine.Offer(reverted, Bad, T0.AddMinutes(5), Options);

        step.Effects.ShouldBe(AgentEffects.RefusedQuarantined);
        step.Subject.ShouldBe(Bad);
        step.State.Active.ShouldBe(Good);
    }

    [Fact]
    public void Activate_StagedContentQuarantinedMeanwhile_IsNotLoaded()
    {
        var staged = AgentMachine.Stage(AgentState.Initial(Good), Bad).State;

        var step = AgentMachine.Activate(staged.Quarantine(Bad), T0, Options);

        step.Has(AgentEffects.LoadContent).ShouldBeFalse();
        step.State.Staged.ShouldBe(0);
        step.State.Active.ShouldBe(Good);
    }

    [Fact]
    public void Activate_QuarantinedContentForcedIntoTheStagedSlot_IsRefused()
    {
        var forced = AgentState.Initial(Good).Quarantine(Bad) with { Staged = Bad };

        var step = AgentMachine.Activate(forced, T0, Options);

        step.Effects.ShouldBe(AgentEffects.RefusedQuarantined);
        step.State.Active.ShouldBe(Good);
    }

    [Fact]
    public void Quarantine_OfLastKnownGood_RemovesItAsARevertTarget()
    {
        AgentState.Initial(Good).Quarantine(Good).LastKnownGood.ShouldBe(0);
    }

    [Fact]
    public void Quarantine_KeepsTheTwoMostRecent()
    {
        var state = AgentState.Initial(Good).Quarantine(1).Quarantine(2).Quarantine(3);

        state.IsQuarantined(3).ShouldBeTrue();
        state.IsQuarantined(2).ShouldBeTrue();
        state.IsQuarantined(1).ShouldBeFalse();
        state.IsQuarantined(0).ShouldBeFalse();
    }

    [Fact]
    public void Rollback_ContentUnderEvaluation_GoesBackToLastKnownGood()
    {
        var step = AgentMachine.Rollback(Evaluating(), Bad, Good, Options);

        step.State.Active.ShouldBe(Good);
        step.State.IsQuarantined(Bad).ShouldBeTrue();
        step.Effects.ShouldBe(AgentEffects.LoadContent | AgentEffects.ReportRevert);
        step.Reason.ShouldBe(RevertReason.ServerRollback);
    }

    [Fact]
    public void Rollback_ContentAlreadyLastKnownGood_UnloadsItAndFetchesTheFallback()
    {
        var promoted = AgentMachine.Tick(Evaluating(), T0.AddHours(1), Options).State;

        var step = AgentMachine.Rollback(promoted, Bad, Good, Options);

        step.State.Active.ShouldBe(0);
        step.Has(AgentEffects.RequestFetch).ShouldBeTrue();
        step.Fetch.ShouldBe(Good);
        AgentMachine.Offer(step.State, Good, T0.AddHours(2), Options).State.Active.ShouldBe(Good);
    }

    [Fact]
    public void Rollback_OfOtherContent_OnlyQuarantinesIt()
    {
        var state = Evaluating();

        var step = AgentMachine.Rollback(state, 999, Good, Options);

        step.Effects.ShouldBe(AgentEffects.None);
        step.State.Active.ShouldBe(Bad);
        step.State.IsQuarantined(999).ShouldBeTrue();
    }

    [Fact]
    public void AgentState_JsonRoundTripAndCompactSize()
    {
        var state = AgentMachine.Crash(Evaluating(), true, Options).State.Quarantine(7);

        JsonSerializer.Deserialize<AgentState>(JsonSerializer.Serialize(state)).ShouldBe(state);
        Unsafe.SizeOf<AgentState>().ShouldBeLessThanOrEqualTo(56);
    }

    [Fact]
    public void Validate_BadOptions_ReturnsEveryError()
    {
        var errors = new AgentOptions((AgentModel)9, 0, TimeSpan.Zero, TimeSpan.FromDays(2), false, 0, 1.5).Validate();

        errors.Count.ShouldBe(6);
        AgentOptions.Default.Validate().ShouldBeEmpty();
        AgentOptions.Legacy.Validate().ShouldBeEmpty();
    }

    [Fact]
    public void SelfHealing_AnyEventSequence_NeverRunsQuarantinedContentNorExceedsKCrashesOnIt()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll<int>(seed =>
        {
            var random = new Random(seed);
            var state = AgentMachine.Boot(AgentState.Initial(Good), T0, Offline, Options).State;
            var now = T0;
            var crashesOnActive = 0;
            for (var step = 0; step < 200; step++)
            {
                now = now.AddMinutes(random.Next(1, 20));
                var before = state.Active;
                state = random.Next(6) switch
                {
                    0 => AgentMachine.Offer(state, random.Next(1, 6), now, Options).State,
                    1 => AgentMachine.Boot(AgentMachine.Crash(state, random.Next(2) == 0, Options).State, now, Offline, Options).State,
                    2 => AgentMachine.Tick(state, now, Options).State,
                    3 => AgentMachine.Rollback(state, random.Next(1, 6), Good, Options).State,
                    4 => AgentMachine.Boot(AgentMachine.Shutdown(state), now, Offline, Options).State,
                    _ => AgentMachine.Boot(AgentMachine.Crash(state, false, Options).State, now, Offline, Options).State,
                };
                if (state.IsQuarantined(state.Active))
                {
                    throw new InvalidOperationException($"seed {seed}: running quarantined content {state.Active}");
                }

                // Crashes on content under evaluation are bounded by K before it is reverted.
                crashesOnActive = state.IsEvaluating && state.Active == before ? state.FailedBoots : 0;
                if (crashesOnActive > Options.BootFailureLimit)
                {
                    throw new InvalidOperationException($"seed {seed}: {crashesOnActive} crashes on {state.Active}");
                }
            }

            return true;
        }));
    }
}
