using Ringfence.Rollouts.Reconcile;

namespace Ringfence.Rollouts.Health;

/// <summary>What one group of hosts (exposed or control) showed since the current ring started.</summary>
/// <param name="HostHours">Online host-hours, counted from heartbeats and check-ins (see <see cref="Observations.HostHours"/>).</param>
/// <param name="Crashes">Crashes, each counted once (inside or outside the interpreter).</param>
/// <param name="BootLoopReverts">Boot-loop reverts by self-healing agents.</param>
/// <param name="HeartbeatLosses">Hosts whose heartbeat stopped.</param>
public readonly record struct GroupCounts(double HostHours, long Crashes, long BootLoopReverts, long HeartbeatLosses);

/// <summary>
/// The one mapping from what a host (server or simulator) observed of a rollout to what the engine judges:
/// <see cref="RolloutObservation"/> and its <see cref="HealthSample"/>.
/// </summary>
public static class Observations
{
    /// <summary>The observation of ring <paramref name="ring"/>.</summary>
    /// <param name="ring">The current ring.</param>
    /// <param name="ringEligibleHosts">Hosts of that ring (only) eligible for the content; -1 when unknown.</param>
    /// <param name="ringExposedHosts">Hosts of that ring that run the content.</param>
    /// <param name="exposed">Every exposed host (all rings so far) since the ring started.</param>
    /// <param name="control">Unexposed hosts over the same window.</param>
    /// <param name="attributedCrashHosts">Distinct hosts whose breadcrumbs name the content.</param>
    public static RolloutObservation Of(int ring, long ringEligibleHosts, long ringExposedHosts, GroupCounts exposed, GroupCounts control, long attributedCrashHosts) => new(
        ring,
        ringEligibleHosts < 0 ? -1 : (int)Math.Min(int.MaxValue, ringEligibleHosts),
        (int)Math.Min(int.MaxValue, Math.Max(0, ringExposedHosts)),
        Sample(exposed, control, attributedCrashHosts));

    /// <summary>The health sample of two groups.</summary>
    public static HealthSample Sample(GroupCounts exposed, GroupCounts control, long attributedCrashHosts) => new(
        Math.Max(0, exposed.HostHours), exposed.Crashes, exposed.BootLoopReverts, exposed.HeartbeatLosses,
        Math.Max(0, control.HostHours), control.Crashes, control.BootLoopReverts, control.HeartbeatLosses,
        attributedCrashHosts);

    /// <summary>
    /// Online host-hours of a group from its heartbeats: each heartbeat stands for one heartbeat interval of a host
    /// being up (an agent sends one per check-in cycle), so hosts that are off or boot-looping add nothing.
    /// </summary>
    public static double HostHours(long heartbeats, TimeSpan heartbeatInterval) => Math.Max(0, heartbeats) * heartbeatInterval.TotalHours;
}
