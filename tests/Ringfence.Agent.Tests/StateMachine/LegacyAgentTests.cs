using Ringfence.Agent.StateMachine;

namespace Ringfence.Agent.Tests.StateMachine;

public class LegacyAgentTests
{
    private const long Good = 290;
    private const long Bad = 291;
    private const long Fix = 292;
    private static readonly DateTimeOffset T0 = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly AgentOptions Legacy = AgentOptions.Legacy;

    private static AgentState RunningBad()
    {
        var booted = AgentMachine.Boot(AgentState.Initial(Good), T0, default, Legacy).State;
        return AgentMachine.Offer(booted, Bad, T0, Legacy).State;
    }

    /// <summary>Crash on load and boot again, <paramref name="boots"/> times.</summary>
    private static (AgentState State, List<AgentStep> Boots) BootLoop(AgentState state, int boots, BootEnvironment environment, AgentOptions options)
    {
        var steps = new List<AgentStep>();
        for (var i = 0; i < boots && state.Active == Bad; i++)
        {
            state = AgentMachine.Crash(state, inContentEvaluation: true, options).State;
            var step = AgentMachine.Boot(state, T0.AddMinutes(2 * (i + 1)), environment, options);
            steps.Add(step);
            state = step.State;
        }

        return (state, steps);
    }

    [Fact]
    public void Boot_LegacyAgentCrashingOnLoad_BootLoopsForeverWithoutAFix()
    {
        var (state, boots) = BootLoop(RunningBad(), 50, new BootEnvironment(0, true, 0), Legacy);

        boots.Count.ShouldBe(50);
        boots.ShouldAllBe(b => b.Effects == AgentEffects.LoadContent && b.State.Active == Bad);
        state.IsQuarantined(Bad).ShouldBeFalse();
    }

    [Fact]
    public void Boot_LegacyWithFixButNoNetwork_StillLoopsEvenWithRecoveryChannel()
    {
        var (state, _) = BootLoop(RunningBad(), 30, new BootEnvironment(Fix, false, 0), Legacy with { QuickMachineRecovery = true });

        state.Active.ShouldBe(Bad);
    }

    [Fact]
    public void Boot_LegacyWinningTheRace_LoadsTheFetchedFix()
    {
        var crashed = AgentMachine.Crash(RunningBad(), true, Legacy).State;

        var lucky = AgentMachine.Boot(crashed, T0.AddMinutes(2), new BootEnvironment(Fix, true, 0.05), Legacy);
        var unlucky = AgentMachine.Boot(crashed, T0.AddMinutes(2), new BootEnvironment(Fix, true, 0.5), Legacy);

        lucky.State.Active.ShouldBe(Fix);
        lucky.Effects.ShouldBe(AgentEffects.LoadContent | AgentEffects.FixFetchedAtBoot);
        lucky.Subject.ShouldBe(Bad);
        unlucky.State.Active.ShouldBe(Bad);
        unlucky.Effects.ShouldBe(AgentEffects.LoadContent);
    }

    [Fact]
    public void Boot_LegacyFleetRacingForTheFix_MostRecoverWithinFifteenReboots()
    {
        // Seeded race draws: with the default 10 % per boot, 1 - 0.9^15 ≈ 79 % are back within 15 reboots.
        var random = new Random(7);
        var recovered = 0;
        const int hosts = 4000;
        for (var h = 0; h < hosts; h++)
        {
            var state = RunningBad();
            for (var boot = 0; boot < 15 && state.Active == Bad; boot++)
            {
                state = AgentMachine.Crash(state, true, Legacy).State;
                state = AgentMachine.Boot(state, T0, new BootEnvironment(Fix, true, random.NextDouble()), Legacy).State;
            }

            recovered += state.Active == Fix ? 1 : 0;
        }

        ((double)recovered / hosts).ShouldBe(1 - Math.Pow(0.9, 15), 0.03);
    }

    [Fact]
    public void Boot_LegacyWithRecoveryChannel_RecoversAfterTheConfiguredFailedBoots()
    {
        var options = Legacy with { QuickMachineRecovery = true, RecoveryAfterFailedBoots = 4, FixFetchProbability = 0 };

        var (state, boots) = BootLoop(RunningBad(), 20, new BootEnvironment(Fix, true, 0.99), options);

        boots.Count.ShouldBe(4);
        boots[^1].Effects.ShouldBe(AgentEffects.LoadContent | AgentEffects.RecoveredByRecoveryChannel);
        state.Active.ShouldBe(Fix);
        state.FailedBoots.ShouldBe((byte)0);
    }

    [Fact]
    public void Boot_LegacyWithoutRecoveryChannel_DoesNotUseIt()
    {
        var (state, _) = BootLoop(RunningBad(), 20, new BootEnvironment(Fix, true, 0.99), Legacy with { FixFetchProbability = 0 });

        state.Active.ShouldBe(Bad);
    }

    [Fact]
    public void ManualRepair_Legacy_RunsTheFixAndBooksTechnicianTime()
    {
        var (looping, _) = BootLoop(RunningBad(), 5, default, Legacy);

        var step = AgentMachine.ManualRepair(looping, Fix, Legacy);
        var booted = AgentMachine.Boot(step.State, T0.AddHours(3), default, Legacy);

        step.Effects.ShouldBe(AgentEffects.RepairedManually);
        step.Subject.ShouldBe(Bad);
        booted.State.Active.ShouldBe(Fix);
        booted.State.FailedBoots.ShouldBe((byte)0);
        Legacy.EffectiveManualRepairTime.ShouldBe(TimeSpan.FromMinutes(15));
        (Legacy with { ManualRepairTime = TimeSpan.FromMinutes(40) }).EffectiveManualRepairTime.ShouldBe(TimeSpan.FromMinutes(40));
    }

    [Fact]
    public void ManualRepair_LegacyBeforeAnyFix_RunsWithoutContent()
    {
        AgentMachine.ManualRepair(RunningBad(), 0, Legacy).State.Active.ShouldBe(0);
    }

    [Fact]
    public void ManualRepair_SelfHealingAgent_QuarantinesAndReturnsToLastKnownGood()
    {
        var options = AgentOptions.Default;
        var state = AgentMachine.Offer(AgentMachine.Boot(AgentState.Initial(Good), T0, default, options).State, Bad, T0, options).State;

        var step = AgentMachine.ManualRepair(state, 0, options);

        step.State.Active.ShouldBe(Good);
        step.State.IsQuarantined(Bad).ShouldBeTrue();
    }

    [Fact]
    public void Tick_LegacyStayingUpPastTheWindow_ResetsTheFailedBootCount()
    {
        var (looping, _) = BootLoop(RunningBad(), 2, default, Legacy);
        looping.FailedBoots.ShouldBe((byte)2);

        AgentMachine.Tick(looping, T0.AddMinutes(10), Legacy).State.FailedBoots.ShouldBe((byte)2);
        AgentMachine.Tick(looping, T0.AddHours(2), Legacy).State.FailedBoots.ShouldBe((byte)0);
    }

    [Fact]
    public void Rollback_LegacyOnline_ReplacesTheBadFile()
    {
        var step = AgentMachine.Rollback(RunningBad(), Bad, Good, Legacy);

        step.State.Active.ShouldBe(Good);
        step.Effects.ShouldBe(AgentEffects.LoadContent);
    }

    [Fact]
    public void Offer_Legacy_HasNoQuarantineOrEvaluation()
    {
        var state = RunningBad();

        state.IsEvaluating.ShouldBeFalse();
        state.Breadcrumb.ShouldBe(0);
        state.LastKnownGood.ShouldBe(Bad);
    }
}
