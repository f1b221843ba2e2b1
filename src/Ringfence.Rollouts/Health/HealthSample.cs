namespace Ringfence.Rollouts.Health;

/// <summary>
/// Aggregated telemetry the gate judges, over one window (normally since the current ring started): hosts
/// exposed to the content against concurrent unexposed control hosts of the same configurations.
/// The caller (simulator or server) aggregates; the gate only does arithmetic.
/// </summary>
/// <param name="ExposedHostHours">Host-hours observed on exposed hosts.</param>
/// <param name="ExposedCrashes">Crashes on exposed hosts.</param>
/// <param name="ExposedBootLoopReverts">Boot-loop reverts (self-healing agents reverting content) on exposed hosts.</param>
/// <param name="ExposedHeartbeatLosses">Exposed hosts whose heartbeat stopped while they were expected online.</param>
/// <param name="ControlHostHours">Host-hours observed on control hosts.</param>
/// <param name="ControlCrashes">Crashes on control hosts.</param>
/// <param name="ControlBootLoopReverts">Boot-loop reverts on control hosts.</param>
/// <param name="ControlHeartbeatLosses">Heartbeat losses on control hosts.</param>
/// <param name="AttributedCrashHosts">Distinct hosts whose crash breadcrumbs name this content.</param>
public readonly record struct HealthSample(
    double ExposedHostHours,
    long ExposedCrashes,
    long ExposedBootLoopReverts,
    long ExposedHeartbeatLosses,
    double ControlHostHours,
    long ControlCrashes,
    long ControlBootLoopReverts,
    long ControlHeartbeatLosses,
    long AttributedCrashHosts)
{
    /// <summary>Both samples' counts added (to merge shards of a fleet).</summary>
    public static HealthSample operator +(HealthSample a, HealthSample b) => new(
        a.ExposedHostHours + b.ExposedHostHours,
        a.ExposedCrashes + b.ExposedCrashes,
        a.ExposedBootLoopReverts + b.ExposedBootLoopReverts,
        a.ExposedHeartbeatLosses + b.ExposedHeartbeatLosses,
        a.ControlHostHours + b.ControlHostHours,
        a.ControlCrashes + b.ControlCrashes,
        a.ControlBootLoopReverts + b.ControlBootLoopReverts,
        a.ControlHeartbeatLosses + b.ControlHeartbeatLosses,
        a.AttributedCrashHosts + b.AttributedCrashHosts);
}
