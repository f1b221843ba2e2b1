using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Reconcile;

/// <summary>Operator commands.</summary>
public enum OperatorCommandKind
{
    /// <summary>Start a validated rollout (the fast-track needs two distinct approvers).</summary>
    Approve = 0,
    Pause = 1,
    /// <summary>Resume a pause; accept a gate hold (promote); or override a halt (re-bake the ring).</summary>
    Resume = 2,
    Halt = 3,
    Rollback = 4,
}

/// <summary>A command from a person.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Actor">Who (recorded in the decision; approvers must be distinct).</param>
/// <param name="Reason">Why, for the audit log.</param>
public sealed record OperatorCommand(OperatorCommandKind Kind, string Actor, string? Reason = null);

/// <summary>
/// What the caller saw of the current ring, aggregated since <see cref="RolloutState.RingStartedAt"/>.
/// </summary>
/// <param name="Ring">Ring the observation is about; an observation of another ring is ignored.</param>
/// <param name="RingEligibleHosts">Hosts in the ring eligible for the content; -1 when unknown.</param>
/// <param name="RingExposedHosts">Hosts in the ring that run the content.</param>
/// <param name="Health">Health of every exposed host (all rings so far) against control hosts.</param>
public sealed record RolloutObservation(int Ring, int RingEligibleHosts, int RingExposedHosts, HealthSample Health);

/// <summary>Inputs of one reconcile call besides state and time.</summary>
/// <param name="Commands">Operator commands, applied in order.</param>
/// <param name="Observation">Latest observation of the current ring, if any.</param>
/// <param name="KillSwitchEngaged">The global kill switch: every active rollout halts.</param>
public sealed record RolloutInputs(
    IReadOnlyList<OperatorCommand>? Commands = null,
    RolloutObservation? Observation = null,
    bool KillSwitchEngaged = false)
{
    public static RolloutInputs None { get; } = new();
}
