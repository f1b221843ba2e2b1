using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Reconcile;

/// <summary>Kinds of decisions.</summary>
public enum DecisionKind
{
    Validated = 0,
    Rejected = 1,
    ApprovalRecorded = 2,
    /// <summary>A ring opened (ring 0 on approval, the next ring after a pass).</summary>
    RingStarted = 3,
    BakeStarted = 4,
    Completed = 5,
    Paused = 6,
    /// <summary>The gate was inconclusive (or a ring could not fill): held for a human.</summary>
    Held = 7,
    Resumed = 8,
    Halted = 9,
    RolledBack = 10,
    /// <summary>A command that does not apply in the current phase; recorded, nothing changed.</summary>
    CommandRefused = 11,
}

/// <summary>
/// One decision, with a deterministic id (<c>rolloutId#sequence</c>) so a store can refuse a duplicate and a
/// replayed reconcile produces the same ids.
/// </summary>
public sealed record RolloutDecision(
    string Id,
    string RolloutId,
    long Sequence,
    DateTimeOffset At,
    DecisionKind Kind,
    RolloutPhase From,
    RolloutPhase To,
    int Ring,
    string Reason,
    string? Actor = null,
    GateEvidence? Evidence = null);

/// <summary>Result of reconcile: the new state and the decisions taken, in order.</summary>
public sealed record ReconcileResult(RolloutState State, IReadOnlyList<RolloutDecision> Decisions);
