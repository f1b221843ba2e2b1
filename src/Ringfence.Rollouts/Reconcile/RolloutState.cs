namespace Ringfence.Rollouts.Reconcile;

/// <summary>Phases of a rollout.</summary>
public enum RolloutPhase
{
    Draft = 0,
    Validated = 1,
    /// <summary>Ring <see cref="RolloutState.Ring"/> is open: its hosts may fetch the content.</summary>
    Deploying = 2,
    /// <summary>Ring <see cref="RolloutState.Ring"/> reached its minimum size and bakes under its gate.</summary>
    Baking = 3,
    Completed = 4,
    /// <summary>Stopped by an operator or held by the gate for a human; no new exposure.</summary>
    Paused = 5,
    /// <summary>Stopped: no new exposure; exposed hosts keep the content until a rollback.</summary>
    Halted = 6,
    /// <summary>Every exposed host goes back to its last-known-good content.</summary>
    RolledBack = 7,
}

/// <summary>
/// The stored state of one rollout: a flat, immutable record of scalars, so it round-trips through
/// System.Text.Json and compares by value. Reconcile is a function of it; a restarted controller resumes from it.
/// </summary>
/// <param name="RolloutId">The rollout.</param>
/// <param name="Phase">Current phase.</param>
/// <param name="Ring">Current ring index (deploying, baking, or where it paused/halted).</param>
/// <param name="Sequence">Sequence number of the last decision taken (0 before the first).</param>
/// <param name="RingStartedAt">When the current ring started deploying.</param>
/// <param name="BakeStartedAt">When the current ring started baking.</param>
/// <param name="CompletedAt">When the last ring passed (for N-1 pinning).</param>
/// <param name="StoppedAt">When it halted or rolled back.</param>
/// <param name="PausedFrom">The phase a pause interrupted.</param>
/// <param name="HeldByGate">The pause is a hold by an inconclusive gate (or a ring that cannot fill).</param>
/// <param name="FirstApprover">First approver (the emergency fast-track needs a second, distinct one).</param>
/// <param name="SecondApprover">Second approver.</param>
/// <param name="Reason">Reason of the last stop, hold or rejection.</param>
public sealed record RolloutState(
    string RolloutId,
    RolloutPhase Phase,
    int Ring,
    long Sequence,
    DateTimeOffset? RingStartedAt = null,
    DateTimeOffset? BakeStartedAt = null,
    DateTimeOffset? CompletedAt = null,
    DateTimeOffset? StoppedAt = null,
    RolloutPhase? PausedFrom = null,
    bool HeldByGate = false,
    string? FirstApprover = null,
    string? SecondApprover = null,
    string? Reason = null)
{
    /// <summary>The initial state of a new rollout.</summary>
    public static RolloutState Create(string rolloutId) => new(rolloutId, RolloutPhase.Draft, 0, 0);

    /// <summary>Whether the rollout can still change what hosts run (not finished, halted or rolled back).</summary>
    public bool IsActive => Phase is RolloutPhase.Validated or RolloutPhase.Deploying or RolloutPhase.Baking or RolloutPhase.Paused;
}
