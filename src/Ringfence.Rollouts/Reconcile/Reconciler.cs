using System.Globalization;
using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Reconcile;

/// <summary>
/// Reconcile, argo-rollouts style: a pure function <c>(spec, state, inputs, now) → (state, decisions)</c>.
/// Nothing is remembered between calls, so a restarted caller that stored the state resumes exactly, and the
/// same inputs always give the same decisions (with the same ids).
/// </summary>
/// <remarks>
/// Order within one call: validation of a draft; operator commands in order; the kill switch; then one
/// automatic step of the current ring (gate, bake, promotion).
/// </remarks>
public static class Reconciler
{
    public static ReconcileResult Reconcile(RolloutSpec spec, RolloutState state, RolloutInputs inputs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!string.Equals(spec.RolloutId, state.RolloutId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"state of rollout '{state.RolloutId}' given with spec of '{spec.RolloutId}'", nameof(state));
        }

        var run = new Run(spec, state, now);
        if (run.State.Phase == RolloutPhase.Draft)
        {
            ValidateDraft(run);
        }

        foreach (var command in inputs.Commands ?? [])
        {
            Apply(run, command, inputs.KillSwitchEngaged);
        }

        if (inputs.KillSwitchEngaged && run.State.IsActive)
        {
            run.Move(DecisionKind.Halted, run.State with { Phase = RolloutPhase.Halted, StoppedAt = now, PausedFrom = null, HeldByGate = false, Reason = "global kill switch engaged" }, "global kill switch engaged");
        }

        Step(run, inputs.Observation);
        return new ReconcileResult(run.State, run.Decisions);
    }

    private static void ValidateDraft(Run run)
    {
        var errors = run.Spec.Validate();
        if (errors.Count == 0)
        {
            run.Move(DecisionKind.Validated, run.State with { Phase = RolloutPhase.Validated, Reason = null },
                $"validated for agent builds {string.Join(", ", run.Spec.ValidatedAgentBuilds)}");
            return;
        }

        var reason = string.Join("; ", errors);
        if (!string.Equals(reason, run.State.Reason, StringComparison.Ordinal))
        {
            // Recorded once per distinct set of errors, not at every call.
            run.Move(DecisionKind.Rejected, run.State with { Reason = reason }, reason);
        }
    }

    private static string TwoApprovalsFor(RolloutSpec spec) => spec.Emergency ? "the emergency fast-track" : "this rollout";

    private static void Apply(Run run, OperatorCommand command, bool killSwitch)
    {
        var s = run.State;
        var now = run.Now;
        var actor = command.Actor;
        var why = string.IsNullOrWhiteSpace(command.Reason) ? "" : $": {command.Reason}";
        if (string.IsNullOrWhiteSpace(actor))
        {
            run.Refuse(command, "a command needs an actor");
            return;
        }

        switch (command.Kind)
        {
            case OperatorCommandKind.Approve when s.Phase == RolloutPhase.Validated && killSwitch:
                run.Refuse(command, "the global kill switch is engaged");
                break;
            case OperatorCommandKind.Approve when s.Phase == RolloutPhase.Validated && run.Spec.NeedsTwoApprovers && s.FirstApprover is null:
                run.Move(DecisionKind.ApprovalRecorded, s with { FirstApprover = actor }, $"first of two approvals for {TwoApprovalsFor(run.Spec)}{why}", actor);
                break;
            case OperatorCommandKind.Approve when s.Phase == RolloutPhase.Validated && run.Spec.NeedsTwoApprovers
                                                  && string.Equals(s.FirstApprover, actor, StringComparison.OrdinalIgnoreCase):
                run.Refuse(command, $"{TwoApprovalsFor(run.Spec)} needs two distinct approvers; {actor} already approved");
                break;
            case OperatorCommandKind.Approve when s.Phase == RolloutPhase.Validated:
                var started = run.Spec.NeedsTwoApprovers
                    ? s with { SecondApprover = actor }
                    : s with { FirstApprover = actor };
                run.Move(DecisionKind.RingStarted, StartRing(started, 0, now),
                    $"approved{(run.Spec.Emergency ? " (emergency fast-track, shortened bakes)" : "")}; ring 0 '{run.Spec.Plan.Rings[0].Name}' deploying{why}", actor);
                break;

            case OperatorCommandKind.Pause when s.Phase is RolloutPhase.Validated or RolloutPhase.Deploying or RolloutPhase.Baking:
                run.Move(DecisionKind.Paused, s with { Phase = RolloutPhase.Paused, PausedFrom = s.Phase, HeldByGate = false, Reason = $"paused by {actor}{why}" }, $"paused{why}", actor);
                break;

            case OperatorCommandKind.Resume when killSwitch && s.Phase is RolloutPhase.Paused or RolloutPhase.Halted:
                run.Refuse(command, "the global kill switch is engaged");
                break;
            case OperatorCommandKind.Resume when s.Phase == RolloutPhase.Paused && s.HeldByGate:
                // A human accepts what the gate could not decide.
                if (s.PausedFrom == RolloutPhase.Deploying)
                {
                    run.Move(DecisionKind.BakeStarted, s with { Phase = RolloutPhase.Baking, BakeStartedAt = now, PausedFrom = null, HeldByGate = false, Reason = null },
                        $"ring {s.Ring} accepted below its minimum size; baking{why}", actor);
                }
                else
                {
                    Promote(run, s with { PausedFrom = null, HeldByGate = false, Reason = null }, $"inconclusive gate accepted{why}", null, actor);
                }

                break;
            case OperatorCommandKind.Resume when s.Phase == RolloutPhase.Paused:
                run.Move(DecisionKind.Resumed, s with { Phase = s.PausedFrom ?? RolloutPhase.Validated, PausedFrom = null, Reason = null }, $"resumed{why}", actor);
                break;
            case OperatorCommandKind.Resume when s.Phase == RolloutPhase.Halted:
                // Override of a (false) halt: the ring bakes again from now, under its gate.
                run.Move(DecisionKind.Resumed, s with { Phase = RolloutPhase.Baking, BakeStartedAt = now, StoppedAt = null, Reason = null },
                    $"halt overridden; ring {s.Ring} bakes again{why}", actor);
                break;

            case OperatorCommandKind.Halt when s.IsActive:
                run.Move(DecisionKind.Halted, s with { Phase = RolloutPhase.Halted, StoppedAt = now, PausedFrom = null, HeldByGate = false, Reason = $"halted by {actor}{why}" }, $"halted{why}", actor);
                break;

            case OperatorCommandKind.Rollback when s.Phase is RolloutPhase.Deploying or RolloutPhase.Baking or RolloutPhase.Paused or RolloutPhase.Halted or RolloutPhase.Completed:
                run.Move(DecisionKind.RolledBack, s with { Phase = RolloutPhase.RolledBack, StoppedAt = s.StoppedAt ?? now, PausedFrom = null, HeldByGate = false, Reason = $"rolled back by {actor}{why}" },
                    $"rolled back: every exposed host returns to its last-known-good content{why}", actor);
                break;

            default:
                run.Refuse(command, $"{command.Kind} does not apply to a rollout that is {s.Phase}");
                break;
        }
    }

    private static void Step(Run run, RolloutObservation? observation)
    {
        var s = run.State;
        if (s.Phase is not (RolloutPhase.Deploying or RolloutPhase.Baking) || observation is null || observation.Ring != s.Ring)
        {
            // Time alone moves nothing: every automatic step needs a fresh observation of the current ring.
            if (s.Phase == RolloutPhase.Deploying && s.RingStartedAt is { } started && run.Now - started >= run.Spec.EffectiveOptions.EffectiveDeployTimeout)
            {
                Hold(run, s, RolloutPhase.Deploying, $"ring {s.Ring} did not reach its minimum size within {run.Spec.EffectiveOptions.EffectiveDeployTimeout}", null);
            }

            return;
        }

        var ring = run.Spec.Plan.Rings[s.Ring];
        var gateOptions = run.Spec.GateFor(s.Ring, observation.RingEligibleHosts);
        var bakeElapsed = s.Phase == RolloutPhase.Baking && s.BakeStartedAt is { } bakeStart && run.Now - bakeStart >= run.Spec.BakeTime(s.Ring);
        var evidence = HealthGate.Evaluate(observation.Health, gateOptions, bakeElapsed);

        if (evidence.Outcome == GateOutcome.Fail)
        {
            var halted = s with { Phase = RolloutPhase.Halted, StoppedAt = run.Now, Reason = $"gate failed in ring {s.Ring}: {evidence.Reason}" };
            run.Move(DecisionKind.Halted, halted, halted.Reason!, null, evidence);
            if (run.Spec.EffectiveOptions.AutoRollbackOnFail)
            {
                run.Move(DecisionKind.RolledBack, halted with { Phase = RolloutPhase.RolledBack },
                    "rolled back automatically after the failed gate: every exposed host returns to its last-known-good content", null, evidence);
            }

            return;
        }

        if (s.Phase == RolloutPhase.Deploying)
        {
            var needed = run.Spec.MinimumExposedHosts(s.Ring, observation.RingEligibleHosts);
            if (observation.RingExposedHosts >= needed)
            {
                run.Move(DecisionKind.BakeStarted, s with { Phase = RolloutPhase.Baking, BakeStartedAt = run.Now },
                    $"ring {s.Ring} '{ring.Name}' has {observation.RingExposedHosts} hosts on the content (needed {needed}); baking for {run.Spec.BakeTime(s.Ring)}", null, evidence);
            }
            else if (s.RingStartedAt is { } started && run.Now - started >= run.Spec.EffectiveOptions.EffectiveDeployTimeout)
            {
                Hold(run, s, RolloutPhase.Deploying, $"ring {s.Ring} has {observation.RingExposedHosts} of {needed} hosts after {run.Spec.EffectiveOptions.EffectiveDeployTimeout}", evidence);
            }

            return;
        }

        switch (evidence.Outcome)
        {
            case GateOutcome.Pass:
                Promote(run, s, $"gate passed in ring {s.Ring} '{ring.Name}'", evidence, null);
                break;
            case GateOutcome.Inconclusive:
                Hold(run, s, RolloutPhase.Baking, $"gate inconclusive in ring {s.Ring}: {evidence.Reason}", evidence);
                break;
            default:
                break;
        }
    }

    private static void Hold(Run run, RolloutState s, RolloutPhase from, string reason, GateEvidence? evidence) =>
        run.Move(DecisionKind.Held, s with { Phase = RolloutPhase.Paused, PausedFrom = from, HeldByGate = true, Reason = reason }, $"{reason}; held for a human", null, evidence);

    private static void Promote(Run run, RolloutState s, string reason, GateEvidence? evidence, string? actor)
    {
        var next = s.Ring + 1;
        if (next >= run.Spec.Plan.Rings.Count)
        {
            run.Move(DecisionKind.Completed, s with { Phase = RolloutPhase.Completed, CompletedAt = run.Now }, $"{reason}; every ring done", actor, evidence);
        }
        else
        {
            run.Move(DecisionKind.RingStarted, StartRing(s, next, run.Now),
                string.Create(CultureInfo.InvariantCulture, $"{reason}; ring {next} '{run.Spec.Plan.Rings[next].Name}' deploying"), actor, evidence);
        }
    }

    private static RolloutState StartRing(RolloutState s, int ring, DateTimeOffset now) =>
        s with { Phase = RolloutPhase.Deploying, Ring = ring, RingStartedAt = now, BakeStartedAt = null, PausedFrom = null, HeldByGate = false, Reason = null };

    /// <summary>One reconcile call's accumulating state and decisions.</summary>
    private sealed class Run(RolloutSpec spec, RolloutState state, DateTimeOffset now)
    {
        public RolloutSpec Spec { get; } = spec;

        public RolloutState State { get; private set; } = state;

        public DateTimeOffset Now { get; } = now;

        public List<RolloutDecision> Decisions { get; } = [];

        public void Move(DecisionKind kind, RolloutState next, string reason, string? actor = null, GateEvidence? evidence = null)
        {
            var sequence = State.Sequence + 1;
            Decisions.Add(new RolloutDecision(
                string.Create(CultureInfo.InvariantCulture, $"{Spec.RolloutId}#{sequence}"),
                Spec.RolloutId, sequence, Now, kind, State.Phase, next.Phase, next.Ring, reason, actor, evidence));
            State = next with { Sequence = sequence };
        }

        public void Refuse(OperatorCommand command, string reason) =>
            Move(DecisionKind.CommandRefused, State, $"{command.Kind} refused: {reason}", command.Actor);
    }
}
