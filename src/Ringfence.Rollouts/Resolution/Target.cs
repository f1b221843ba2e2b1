using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;

namespace Ringfence.Rollouts.Resolution;

/// <summary>Why a host got its target.</summary>
public enum TargetReason : byte
{
    /// <summary>No rollout applies: the fleet's baseline content.</summary>
    Baseline = 0,
    /// <summary>The content of a rollout whose exposed rings include the host.</summary>
    Rollout = 1,
    /// <summary>The host keeps what it runs (a halted or paused rollout, or the kill switch: no new exposure).</summary>
    Kept = 2,
    /// <summary>New content is waiting for the host's maintenance window; keep what it runs.</summary>
    Deferred = 3,
    /// <summary>The host's content was rolled back: go back to this (older) content now, whatever the window.</summary>
    RolledBack = 4,
}

/// <summary>The content version a host should run now.</summary>
/// <param name="ContentVersion">Version to run (0: no content).</param>
/// <param name="RolloutIndex">Index in <see cref="ResolverSnapshot.Rollouts"/> of the rollout that gave it; -1 for none.</param>
/// <param name="Reason">Why.</param>
public readonly record struct Target(long ContentVersion, int RolloutIndex, TargetReason Reason);

/// <summary>A rollout with its current state.</summary>
public sealed record RolloutEntry(RolloutSpec Spec, RolloutState State);

/// <summary>
/// Everything target resolution depends on, besides the host and the time: the rollouts of ONE content channel
/// (one resolver per channel), the customer policies, the kill switch and the baseline.
/// </summary>
/// <param name="Rollouts">Rollouts of the channel, in any order (the highest eligible version wins).</param>
/// <param name="Policies">Customer policies.</param>
/// <param name="KillSwitchEngaged">Global kill switch: no new exposure anywhere.</param>
/// <param name="BaselineVersion">Content every host may run when no rollout applies (e.g. the last fully rolled out one).</param>
public sealed record ResolverSnapshot(
    IReadOnlyList<RolloutEntry> Rollouts,
    PolicySet? Policies = null,
    bool KillSwitchEngaged = false,
    long BaselineVersion = 0);
