namespace Ringfence.Rollouts.Health;

/// <summary>
/// Health gate options of one ring. Defaults and ranges in <see cref="OptionRanges"/>.
/// </summary>
/// <param name="FalseHaltBound">
/// Bound on the probability that healthy content is halted, over the whole sequential test (all looks, all three
/// metrics together; each metric gets a third).
/// </param>
/// <param name="MissBound">Bound on the probability of missing a real rate increase of the given ratio.</param>
/// <param name="CrashRateRatio">Rate ratio (exposed / control) of crashes the test is tuned to detect.</param>
/// <param name="BootLoopRevertRatio">Rate ratio of boot-loop reverts the test is tuned to detect.</param>
/// <param name="HeartbeatLossRatio">Rate ratio of heartbeat losses the test is tuned to detect.</param>
/// <param name="AttributionHosts">Crash breadcrumbs naming the content from this many distinct hosts halt at once.</param>
/// <param name="MinExposedHostHours">Exposure needed before a gate may pass (below: inconclusive).</param>
/// <param name="SuspicionFraction">
/// At the end of the bake, a log-likelihood ratio above this fraction of the halt threshold is suspicious:
/// the gate is inconclusive and holds for a human instead of passing.
/// </param>
/// <param name="PassWithoutControl">
/// For a ring that covers the whole fleet: once every host runs the content no control hosts remain, so a bake that
/// is over with no failed metric passes instead of holding for a human. Attribution by breadcrumbs still halts.
/// </param>
public sealed record HealthGateOptions(
    double FalseHaltBound = OptionRanges.DefaultFalseHaltBound,
    double MissBound = OptionRanges.DefaultMissBound,
    double CrashRateRatio = OptionRanges.DefaultCrashRateRatio,
    double BootLoopRevertRatio = OptionRanges.DefaultCrashRateRatio,
    double HeartbeatLossRatio = OptionRanges.DefaultCrashRateRatio,
    int AttributionHosts = OptionRanges.DefaultAttributionHosts,
    double MinExposedHostHours = OptionRanges.DefaultMinExposedHostHours,
    double SuspicionFraction = OptionRanges.DefaultSuspicionFraction,
    bool PassWithoutControl = false)
{
    public static HealthGateOptions Default { get; } = new();

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        OptionRanges.Check(errors, "falseHaltBound", FalseHaltBound, OptionRanges.MinFalseHaltBound, OptionRanges.MaxFalseHaltBound);
        OptionRanges.Check(errors, "missBound", MissBound, OptionRanges.MinFalseHaltBound, 0.5);
        OptionRanges.Check(errors, "crashRateRatio", CrashRateRatio, OptionRanges.MinRateRatio, OptionRanges.MaxRateRatio);
        OptionRanges.Check(errors, "bootLoopRevertRatio", BootLoopRevertRatio, OptionRanges.MinRateRatio, OptionRanges.MaxRateRatio);
        OptionRanges.Check(errors, "heartbeatLossRatio", HeartbeatLossRatio, OptionRanges.MinRateRatio, OptionRanges.MaxRateRatio);
        OptionRanges.Check(errors, "attributionHosts", AttributionHosts, 1, OptionRanges.MaxAttributionHosts);
        OptionRanges.Check(errors, "minExposedHostHours", MinExposedHostHours, 0, 1e12);
        OptionRanges.Check(errors, "suspicionFraction", SuspicionFraction, 0, 1);
        return errors;
    }
}
