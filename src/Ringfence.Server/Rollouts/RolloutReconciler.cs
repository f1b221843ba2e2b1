using Ringfence.Protocol;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using EngineState = Ringfence.Rollouts.Reconcile.RolloutState;
using EngineEvidence = Ringfence.Rollouts.Health.GateEvidence;

namespace Ringfence.Server.Rollouts;

/// <summary>What the controller observed for a rollout's current ring, from stored state and telemetry counters.</summary>
/// <param name="RingEligibleHosts">Hosts the engine places in the current ring, of builds the content was validated for.</param>
/// <param name="RingExposedHosts">Of them, the hosts running the content.</param>
/// <param name="ExposedHosts">Every host running the content.</param>
/// <param name="ControlHosts">Hosts of validated builds not running it: the concurrent comparison group.</param>
/// <param name="Exposed">Exposed hosts' host-hours (from heartbeats), crashes, boot-loop reverts and heartbeat losses since the ring started.</param>
/// <param name="Control">The same for control hosts.</param>
/// <param name="AttributedHosts">Distinct hosts whose crash breadcrumbs, reverts or quarantines name the content.</param>
public sealed record RingObservation(
    long RingEligibleHosts,
    long RingExposedHosts,
    long ExposedHosts,
    long ControlHosts,
    GroupCounts Exposed,
    GroupCounts Control,
    long AttributedHosts);

/// <summary>A decision with its evidence, as the server stores it. The id is the engine's (<c>rollout#sequence</c>), so storing it twice is impossible.</summary>
public sealed record ReconcileDecision(string Id, string Kind, int Ring, string Reason, GateEvidence? Evidence);

/// <summary>Gate evidence as stored with a decision and shown on the dashboard.</summary>
public sealed record GateEvidence(
    string Verdict,
    string Reason,
    long TargetHosts,
    long ExposedHosts,
    long ControlHosts,
    long ExposedCrashes,
    long ControlCrashes,
    long AttributedEvents,
    double ExpectedExposedCrashes,
    /// <summary>Exposed crashes at which the sequential test would halt, given the control crashes seen so far.</summary>
    double? CrashLimit,
    double BakedMinutes,
    int BakeMinutes,
    double CrashLogLikelihoodRatio,
    double HaltThreshold,
    double ExposedHostHours,
    double ControlHostHours,
    long ExposedBootLoopReverts,
    long ControlBootLoopReverts,
    long ExposedHeartbeatLosses,
    long ControlHeartbeatLosses,
    IReadOnlyList<MetricEvidence> Metrics);

/// <summary>The outcome of one reconcile: the engine's new state and the decisions in server terms.</summary>
public sealed record ReconcileResult(EngineState State, IReadOnlyList<ReconcileDecision> Decisions, string? Refusal = null);

/// <summary>
/// The server's side of the rollout engine: it runs <see cref="Reconciler"/> (the same pure function the simulator
/// drives) on the stored spec and state and maps decisions back. Nothing here does I/O or decides anything itself,
/// so a restarted controller that reads the same row resumes exactly where it stopped.
/// </summary>
public static class RolloutReconciler
{
    /// <summary>Reconcile steps per controller pass: enough for a ring to start baking, pass, and the next to do the same.</summary>
    public const int MaxStepsPerPass = 8;

    /// <summary>The server status a phase is shown as.</summary>
    public static RolloutStatus StatusOf(RolloutPhase phase) => phase switch
    {
        RolloutPhase.Draft or RolloutPhase.Validated => RolloutStatus.PendingApproval,
        RolloutPhase.Deploying or RolloutPhase.Baking => RolloutStatus.Progressing,
        RolloutPhase.Paused => RolloutStatus.Paused,
        RolloutPhase.Halted => RolloutStatus.Halted,
        RolloutPhase.RolledBack => RolloutStatus.RolledBack,
        _ => RolloutStatus.Completed,
    };

    /// <summary>
    /// The engine state of a row written before the engine kept its own (schema v4): phases from the status, the
    /// ring start from ring_entered_at, approvers in order.
    /// </summary>
    public static EngineState FromLegacy(string id, RolloutStatus status, int ring, DateTimeOffset? ringEnteredAt, IReadOnlyList<string> approvers, string? reason)
    {
        var phase = status switch
        {
            RolloutStatus.PendingApproval => RolloutPhase.Validated,
            RolloutStatus.Progressing => RolloutPhase.Deploying,
            RolloutStatus.Paused => RolloutPhase.Paused,
            RolloutStatus.Halted => RolloutPhase.Halted,
            RolloutStatus.RolledBack => RolloutPhase.RolledBack,
            _ => RolloutPhase.Completed,
        };
        return new EngineState(id, phase, ring, 0, RingStartedAt: ringEnteredAt,
            PausedFrom: phase == RolloutPhase.Paused ? RolloutPhase.Deploying : null,
            FirstApprover: approvers.Count > 0 ? approvers[0] : null, SecondApprover: approvers.Count > 1 ? approvers[1] : null,
            Reason: phase is RolloutPhase.Halted or RolloutPhase.RolledBack or RolloutPhase.Paused ? reason : null);
    }

    /// <summary>Operator command: one engine call without an observation. A refused command changes nothing.</summary>
    public static ReconcileResult Command(RolloutSpec spec, EngineState state, OperatorCommand command, DateTimeOffset now, bool killSwitchEngaged)
    {
        var result = Reconciler.Reconcile(spec, state, new RolloutInputs([command], KillSwitchEngaged: killSwitchEngaged), now);
        if (result.Decisions.FirstOrDefault(d => d.Kind == DecisionKind.CommandRefused) is { } refused)
            return new ReconcileResult(state, [], refused.Reason);
        return new ReconcileResult(result.State, [.. result.Decisions.Select(d => ToServer(d, state, spec, null))]);
    }

    /// <summary>
    /// One engine call for a rollout that is not deploying or baking: only the kill switch can move it (it halts every
    /// active rollout, with its decision).
    /// </summary>
    public static ReconcileResult KillSwitch(RolloutSpec spec, EngineState state, DateTimeOffset now)
    {
        var result = Reconciler.Reconcile(spec, state, new RolloutInputs(KillSwitchEngaged: true), now);
        return new ReconcileResult(result.State, [.. result.Decisions.Select(d => ToServer(d, state, spec, null))]);
    }

    /// <summary>
    /// One automatic step of the current ring with a fresh observation of it, the kill switch passed to the engine (which
    /// halts every active rollout while it is engaged). The caller repeats it (with a new observation) while it moves.
    /// </summary>
    public static ReconcileResult Step(RolloutSpec spec, EngineState state, RingObservation obs, DateTimeOffset now, bool killSwitchEngaged)
    {
        var result = Reconciler.Reconcile(spec, state, new RolloutInputs(Observation: ToEngine(state.Ring, obs), KillSwitchEngaged: killSwitchEngaged), now);
        return new ReconcileResult(result.State, [.. result.Decisions.Select(d => ToServer(d, state, spec, obs))]);
    }

    /// <summary>The engine's view of an observation, through the engine's one mapping.</summary>
    public static RolloutObservation ToEngine(int ring, RingObservation obs) =>
        Observations.Of(ring, obs.RingEligibleHosts, obs.RingExposedHosts, obs.Exposed, obs.Control, obs.AttributedHosts);

    private static ReconcileDecision ToServer(RolloutDecision d, EngineState before, RolloutSpec spec, RingObservation? obs)
    {
        // Server vocabulary: a promotion is recorded against the ring that passed, like the gate evidence it carries.
        var (kind, ring) = d.Kind switch
        {
            DecisionKind.Validated => ("validate", d.Ring),
            DecisionKind.Rejected => ("reject", d.Ring),
            DecisionKind.ApprovalRecorded => ("approve", d.Ring),
            DecisionKind.RingStarted when d.From == RolloutPhase.Validated => ("approve", d.Ring),
            DecisionKind.RingStarted => ("promote", before.Ring),
            DecisionKind.BakeStarted => ("bake", d.Ring),
            DecisionKind.Completed => ("complete", d.Ring),
            DecisionKind.Paused => ("pause", d.Ring),
            DecisionKind.Held => ("hold", d.Ring),
            DecisionKind.Resumed => ("resume", d.Ring),
            DecisionKind.Halted => ("halt", d.Ring),
            DecisionKind.RolledBack => ("rollback", d.Ring),
            _ => ("refused", d.Ring),
        };
        var evidence = d.Evidence is { } e && obs is not null ? Evidence(e, obs, before, spec, d.At) : null;
        var reason = d.Kind == DecisionKind.Halted && d.Evidence is { } failed
            ? $"health gate failed in the {spec.Plan.Rings[d.Ring].Name} ring: {failed.Reason}"
            : d.Reason;
        return new ReconcileDecision(d.Id, kind, ring, reason, evidence);
    }

    private static GateEvidence Evidence(EngineEvidence e, RingObservation obs, EngineState state, RolloutSpec spec, DateTimeOffset at)
    {
        var crash = e.Metrics.First(m => m.Metric == "crashes");
        var s = e.Sample;
        var expected = s.ControlHostHours > 0 ? s.ControlCrashes * s.ExposedHostHours / s.ControlHostHours : 0;
        var baked = state.BakeStartedAt is { } b ? (at - b).TotalMinutes : 0;
        var verdict = e.Outcome switch
        {
            GateOutcome.Fail => "failed",
            GateOutcome.Pass => "passed",
            GateOutcome.Inconclusive => "inconclusive",
            _ => "running",
        };
        var gate = spec.GateFor(state.Ring, (int)Math.Min(int.MaxValue, obs.RingEligibleHosts));
        return new GateEvidence(verdict, e.Reason, obs.RingEligibleHosts, obs.ExposedHosts, obs.ControlHosts, s.ExposedCrashes, s.ControlCrashes,
            obs.AttributedHosts, Math.Round(expected, 3), HealthGate.CrashLimit(s, gate), Math.Round(baked, 2), (int)Math.Round(spec.BakeTime(state.Ring).TotalMinutes),
            Math.Round(crash.LogLikelihoodRatio, 3), Math.Round(crash.HaltThreshold, 3), Math.Round(s.ExposedHostHours, 3), Math.Round(s.ControlHostHours, 3),
            s.ExposedBootLoopReverts, s.ControlBootLoopReverts, s.ExposedHeartbeatLosses, s.ControlHeartbeatLosses, e.Metrics);
    }
}
