using System.Globalization;
using Ringfence.Protocol;
using Ringfence.Rollouts;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Rings;
using RingSpec = Ringfence.Protocol.RingSpec;
using EngineState = Ringfence.Rollouts.Reconcile.RolloutState;
using EngineEvidence = Ringfence.Rollouts.Health.GateEvidence;

namespace Ringfence.Server.Rollouts;

/// <summary>What the controller observed for a rollout's current ring, from stored state and telemetry counters.</summary>
/// <param name="TargetHosts">Hosts the current (cumulative) ring targets, of builds the content was validated for.</param>
/// <param name="ExposedHosts">Hosts running the content.</param>
/// <param name="ControlHosts">Hosts not running it: the concurrent comparison group.</param>
/// <param name="ObservedHours">Hours the ring has been observed: since it started, plus one check-in interval (a check-in reports on the interval before it).</param>
/// <param name="AttributedHosts">Distinct hosts whose crash breadcrumbs, reverts or quarantines name the content.</param>
public sealed record RingObservation(
    long TargetHosts,
    long ExposedHosts,
    long ControlHosts,
    long ExposedCrashes,
    long ControlCrashes,
    long ExposedReverts,
    long ControlReverts,
    long ExposedSilentHosts,
    long ControlSilentHosts,
    double ObservedHours,
    long AttributedHosts);

/// <summary>The server's gate settings, with defaults in one place; the statistics are <see cref="HealthGateOptions"/>.</summary>
public sealed record GateOptions
{
    /// <summary>Least share of a ring's target hosts that must run the content before its bake starts.</summary>
    public double MinExposedShare { get; init; } = 0.5;

    /// <summary>
    /// The engine's gate: the sequential test per metric (crashes, boot-loop reverts, heartbeat losses) and the
    /// attribution limit. Halting on two attributed hosts suits a control plane that sees every breadcrumb.
    /// </summary>
    public HealthGateOptions Statistics { get; init; } = HealthGateOptions.Default with { AttributionHosts = 2 };

    /// <summary>Distinct hosts whose breadcrumbs name the content that halt at once.</summary>
    public int AttributedHalt => Statistics.AttributionHosts;
}

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
/// The server's side of the rollout engine: it maps a stored rollout to a <see cref="RolloutSpec"/>, runs
/// <see cref="Reconciler"/> (the same pure function the simulator drives) and maps decisions back. Nothing here
/// does I/O, so a restarted controller that reads the same row resumes exactly where it stopped.
/// </summary>
public static class RolloutReconciler
{
    /// <summary>Reconcile steps per controller pass: enough for a ring to start baking, pass, and the next to do the same.</summary>
    public const int MaxStepsPerPass = 8;

    /// <summary>The engine spec of a stored rollout. Bakes are stored already shortened for the emergency fast-track.</summary>
    public static RolloutSpec Spec(string id, string channel, long version, bool emergency, IReadOnlyList<RingSpec> plan, GateOptions gate, RingObservation? observation = null, int ring = -1)
    {
        var rings = new List<Ringfence.Rollouts.Rings.RingSpec>(plan.Count);
        for (var i = 0; i < plan.Count; i++)
        {
            var bake = TimeSpan.FromMinutes(plan[i].BakeMinutes);
            var stats = gate.Statistics;
            if (i == ring && observation is not null)
            {
                // A ring cannot be asked for more exposure than its hosts can give over its bake: small fleets and
                // empty rings pass on what they have, large ones need the configured host-hours.
                var reachable = Math.Ceiling(observation.TargetHosts * gate.MinExposedShare) * bake.TotalHours;
                stats = stats with { MinExposedHostHours = Math.Min(stats.MinExposedHostHours, reachable) };
            }
            // The last ring covers everyone: when it is done there is no control group left to wait for.
            if (i == plan.Count - 1)
                stats = stats with { PassWithoutControl = true };
            // The minimum size is given per observation (RingEligibleHosts), as a share of the ring's target.
            rings.Add(new Ringfence.Rollouts.Rings.RingSpec(plan[i].Name, RingSelection.ByPercent(plan[i].Percent), OptionRanges.MaxRingMinimumHosts, bake, stats));
        }
        // The content passed the fleet-aware validator at publish (the builds are strings the engine does not need);
        // one placeholder build satisfies the spec. Bakes are stored shortened, so the fast-track factor is 1.
        return new RolloutSpec(id, version, channel, [1], new RingPlan(rings), emergency,
            new RolloutOptions(FastTrackBakeFactor: 1, FastTrackMinimumBake: TimeSpan.Zero, AutoRollbackOnFail: false));
    }

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
    public static ReconcileResult Command(RolloutSpec spec, EngineState state, OperatorCommand command, DateTimeOffset now, IReadOnlyList<RingSpec> plan)
    {
        var result = Reconciler.Reconcile(spec, state, new RolloutInputs([command]), now);
        if (result.Decisions.FirstOrDefault(d => d.Kind == DecisionKind.CommandRefused) is { } refused)
            return new ReconcileResult(state, [], refused.Reason);
        return new ReconcileResult(result.State, [.. result.Decisions.Select(d => ToServer(d, state, plan, null))]);
    }

    /// <summary>
    /// One automatic step of the current ring with a fresh observation of it. A ring must reach
    /// <see cref="GateOptions.MinExposedShare"/> of its target before it bakes. Under the kill switch only a halt is
    /// kept: promotion freezes, protection does not. The caller repeats it (with a new observation) while it moves.
    /// </summary>
    public static ReconcileResult Step(GateOptions gate, RolloutSpec spec, EngineState state, RingObservation obs, DateTimeOffset now, IReadOnlyList<RingSpec> plan, bool killSwitchEngaged)
    {
        if (state.Phase is not (RolloutPhase.Deploying or RolloutPhase.Baking))
            return new ReconcileResult(state, []);
        var needed = (int)Math.Min(int.MaxValue, (long)Math.Ceiling(obs.TargetHosts * gate.MinExposedShare));
        var result = Reconciler.Reconcile(spec, state, new RolloutInputs(Observation: ToEngine(state.Ring, obs, needed)), now);
        if (killSwitchEngaged && !result.Decisions.Any(d => d.Kind == DecisionKind.Halted))
            return new ReconcileResult(state, []);
        return new ReconcileResult(result.State, [.. result.Decisions.Select(d => ToServer(d, state, plan, obs))]);
    }

    /// <summary>The engine's view of an observation: host counts × observed hours stand in for host-hours.</summary>
    public static RolloutObservation ToEngine(int ring, RingObservation obs, int needed) => new(
        ring,
        needed,
        (int)Math.Min(int.MaxValue, obs.ExposedHosts),
        new HealthSample(
            obs.ExposedHosts * obs.ObservedHours, obs.ExposedCrashes, obs.ExposedReverts, obs.ExposedSilentHosts,
            obs.ControlHosts * obs.ObservedHours, obs.ControlCrashes, obs.ControlReverts, obs.ControlSilentHosts,
            obs.AttributedHosts));

    private static ReconcileDecision ToServer(RolloutDecision d, EngineState before, IReadOnlyList<RingSpec> plan, RingObservation? obs)
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
        var evidence = d.Evidence is { } e && obs is not null ? Evidence(e, obs, before, plan, d.At) : null;
        var reason = d.Kind == DecisionKind.Halted && d.Evidence is { } failed
            ? $"health gate failed in the {plan[d.Ring].Name} ring: {failed.Reason}"
            : d.Reason;
        return new ReconcileDecision(d.Id, kind, ring, reason, evidence);
    }

    private static GateEvidence Evidence(EngineEvidence e, RingObservation obs, EngineState state, IReadOnlyList<RingSpec> plan, DateTimeOffset at)
    {
        var crash = e.Metrics.First(m => m.Metric == "crashes");
        var reverts = e.Metrics.First(m => m.Metric == "bootLoopReverts");
        var losses = e.Metrics.First(m => m.Metric == "heartbeatLosses");
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
        return new GateEvidence(verdict, e.Reason, obs.TargetHosts, obs.ExposedHosts, obs.ControlHosts, obs.ExposedCrashes, obs.ControlCrashes,
            obs.AttributedHosts, Math.Round(expected, 3), CrashLimit(s, crash.RateRatio, crash.HaltThreshold), Math.Round(baked, 2), plan[state.Ring].BakeMinutes,
            Math.Round(crash.LogLikelihoodRatio, 3), Math.Round(crash.HaltThreshold, 3), Math.Round(s.ExposedHostHours, 3), Math.Round(s.ControlHostHours, 3),
            s.ExposedBootLoopReverts, s.ControlBootLoopReverts, s.ExposedHeartbeatLosses, s.ControlHeartbeatLosses, e.Metrics);
    }

    /// <summary>The least exposed crash count whose log-likelihood ratio reaches the halt threshold (none without both groups).</summary>
    private static double? CrashLimit(HealthSample s, double ratio, double halt)
    {
        if (s.ExposedHostHours <= 0 || s.ControlHostHours <= 0)
            return null;
        var p0 = s.ExposedHostHours / (s.ExposedHostHours + s.ControlHostHours);
        var p1 = ratio * s.ExposedHostHours / ((ratio * s.ExposedHostHours) + s.ControlHostHours);
        return Math.Ceiling((halt - (s.ControlCrashes * Math.Log((1 - p1) / (1 - p0)))) / Math.Log(p1 / p0));
    }
}
