using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Rings;

/// <summary>
/// The default plan, gate and coverage of a rollout, defined once: the server uses them for every rollout created
/// without its own rings, and the simulator's Ringfence strategies run them unless a scenario overrides them.
/// </summary>
public static class RolloutDefaults
{
    /// <summary>Index of the coverage ring in <see cref="Plan"/> (the canary).</summary>
    public const int CoverageRing = 1;

    /// <summary>
    /// The gate of every ring: at most 0.1 % false halts per ring, tuned to a threefold rate; three distinct hosts
    /// with breadcrumbs naming the content halt at once.
    /// </summary>
    public static HealthGateOptions Gate { get; } = new(FalseHaltBound: 0.001, AttributionHosts: 3);

    /// <summary>
    /// Internal dogfood hosts for an hour, a 0.05 % canary composed to cover every configuration for two hours, then
    /// 1 %, 10 % and 50 % for four hours each, then everyone. Every ring needs 10 exposed hosts (or
    /// <see cref="RolloutOptions.MinimumExposedShare"/> of a smaller ring) before it bakes; the last ring passes without
    /// control hosts, because once it is done none are left.
    /// </summary>
    public static RingPlan Plan { get; } = new(
    [
        new RingSpec("internal", RingSelection.Dogfood(), 10, TimeSpan.FromMinutes(60), Gate),
        new RingSpec("canary", RingSelection.ByPercent(0.05), 10, TimeSpan.FromMinutes(120), Gate),
        new RingSpec("early", RingSelection.ByPercent(1), 10, TimeSpan.FromMinutes(240), Gate),
        new RingSpec("wave-1", RingSelection.ByPercent(10), 10, TimeSpan.FromMinutes(240), Gate),
        new RingSpec("wave-2", RingSelection.ByPercent(50), 10, TimeSpan.FromMinutes(240), Gate),
        new RingSpec("all", RingSelection.ByPercent(100), 10, TimeSpan.Zero, Gate with { PassWithoutControl = true }),
    ]);

    /// <summary>Coverage of the canary: every (agent build × OS build) with at least 100 hosts gets 20 hosts in it.</summary>
    public static CoverageOptions Coverage { get; } = new(MinFleetHosts: 100, HostsPerConfiguration: 20, RingIndex: CoverageRing);

    /// <summary>Engine options: fast-track bakes a quarter as long (at least 5 minutes), a failed gate rolls back.</summary>
    public static RolloutOptions Options { get; } = RolloutOptions.Default;

    /// <summary>Minimum hosts of a ring given only by percentage (the protocol's rings).</summary>
    public const int MinimumHosts = 10;
}
