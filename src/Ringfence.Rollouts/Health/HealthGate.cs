namespace Ringfence.Rollouts.Health;

/// <summary>Outcome of one gate evaluation (argo-rollouts' analysis phases).</summary>
public enum GateOutcome
{
    /// <summary>Keep baking: nothing wrong yet, bake not over.</summary>
    Continue = 0,
    /// <summary>Bake over, enough exposure, nothing suspicious: the next ring may start.</summary>
    Pass = 1,
    /// <summary>Halt: a metric crossed its sequential threshold or attributed crashes reached the limit.</summary>
    Fail = 2,
    /// <summary>Bake over but too little exposure or a suspicious metric: hold for a human.</summary>
    Inconclusive = 3,
}

/// <summary>Statistic of one metric: counts, rates and the sequential log-likelihood ratio.</summary>
/// <param name="Metric">crashes, bootLoopReverts or heartbeatLosses.</param>
/// <param name="ExposedCount">Events on exposed hosts.</param>
/// <param name="ControlCount">Events on control hosts.</param>
/// <param name="ExposedRatePerHostHour">Exposed events per host-hour.</param>
/// <param name="ControlRatePerHostHour">Control events per host-hour.</param>
/// <param name="RateRatio">Rate ratio under the alternative hypothesis.</param>
/// <param name="LogLikelihoodRatio">log of P(data | ratio = RateRatio) / P(data | ratio = 1).</param>
/// <param name="HaltThreshold">The log-likelihood ratio at which the metric halts.</param>
public sealed record MetricEvidence(
    string Metric,
    long ExposedCount,
    long ControlCount,
    double ExposedRatePerHostHour,
    double ControlRatePerHostHour,
    double RateRatio,
    double LogLikelihoodRatio,
    double HaltThreshold);

/// <summary>Everything a gate decision was based on: counts, statistics and thresholds.</summary>
public sealed record GateEvidence(
    GateOutcome Outcome,
    string Reason,
    HealthSample Sample,
    IReadOnlyList<MetricEvidence> Metrics,
    int AttributionThreshold,
    double SuspicionThreshold,
    double MinExposedHostHours,
    bool BakeElapsed);

/// <summary>
/// The health gate: exposed hosts against concurrent control hosts, with a sequential probability ratio test
/// (Wald's SPRT) per metric suited to rare counts, plus direct attribution by crash breadcrumbs.
/// </summary>
/// <remarks>
/// Conditioned on the total number of events n = x + y, the exposed count x is binomial with
/// p = r·Te / (r·Te + Tc), where Te and Tc are the exposed and control host-hours and r is the rate ratio.
/// H0: r = 1, H1: r = the configured ratio. The log-likelihood ratio
/// x·ln(p1/p0) + y·ln((1 − p1)/(1 − p0)) is compared with Wald's bound ln((1 − β)/(α/3)): crossing it halts, and
/// the chance that healthy content ever crosses it, however often the gate looks, is at most α/3 per metric.
/// Zero-inflated series are no problem: zero events give a ratio of 0.
/// </remarks>
public static class HealthGate
{
    private static readonly string[] MetricNames = ["crashes", "bootLoopReverts", "heartbeatLosses"];

    /// <summary>The log-likelihood ratio at which a metric halts.</summary>
    public static double HaltThreshold(HealthGateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Math.Log((1 - options.MissBound) / (options.FalseHaltBound / MetricNames.Length));
    }

    /// <summary>Judges one sample. <paramref name="bakeElapsed"/> says whether the ring's bake time is over.</summary>
    public static GateEvidence Evaluate(in HealthSample sample, HealthGateOptions options, bool bakeElapsed)
    {
        ArgumentNullException.ThrowIfNull(options);
        var halt = HaltThreshold(options);
        var suspicion = halt * options.SuspicionFraction;
        var metrics = new MetricEvidence[]
        {
            Metric(MetricNames[0], sample.ExposedCrashes, sample.ControlCrashes, sample, options.CrashRateRatio, halt),
            Metric(MetricNames[1], sample.ExposedBootLoopReverts, sample.ControlBootLoopReverts, sample, options.BootLoopRevertRatio, halt),
            Metric(MetricNames[2], sample.ExposedHeartbeatLosses, sample.ControlHeartbeatLosses, sample, options.HeartbeatLossRatio, halt),
        };

        GateOutcome outcome;
        string reason;
        if (sample.AttributedCrashHosts >= options.AttributionHosts)
        {
            outcome = GateOutcome.Fail;
            reason = $"crash breadcrumbs from {sample.AttributedCrashHosts} distinct hosts name this content (limit {options.AttributionHosts})";
        }
        else if (Array.Find(metrics, m => m.LogLikelihoodRatio >= halt) is { } failed)
        {
            outcome = GateOutcome.Fail;
            reason = $"{failed.Metric}: log-likelihood ratio {failed.LogLikelihoodRatio:0.###} >= {halt:0.###} ({failed.ExposedCount} exposed vs {failed.ControlCount} control events)";
        }
        else if (!bakeElapsed)
        {
            outcome = GateOutcome.Continue;
            reason = "baking";
        }
        else if (sample.ExposedHostHours < options.MinExposedHostHours || (sample.ControlHostHours <= 0 && !options.PassWithoutControl))
        {
            outcome = GateOutcome.Inconclusive;
            reason = sample.ControlHostHours <= 0
                ? "no control hosts to compare with"
                : $"too little exposure: {sample.ExposedHostHours:0.#} host-hours < {options.MinExposedHostHours:0.#}";
        }
        else if (Array.Find(metrics, m => m.LogLikelihoodRatio > suspicion) is { } suspicious)
        {
            outcome = GateOutcome.Inconclusive;
            reason = $"{suspicious.Metric} suspicious: log-likelihood ratio {suspicious.LogLikelihoodRatio:0.###} > {suspicion:0.###}";
        }
        else
        {
            outcome = GateOutcome.Pass;
            reason = sample.ControlHostHours <= 0
                ? "bake elapsed, no control hosts left to compare with (the ring covers the whole fleet), nothing attributed"
                : "bake elapsed, no metric above the suspicion threshold";
        }

        return new GateEvidence(outcome, reason, sample, metrics, options.AttributionHosts, suspicion, options.MinExposedHostHours, bakeElapsed);
    }

    /// <summary>
    /// The "crash limit" shown as evidence: the least exposed crash count at which the crash test would halt, given the
    /// control crashes and host-hours of <paramref name="sample"/>; null without host-hours in both groups.
    /// </summary>
    public static double? CrashLimit(in HealthSample sample, HealthGateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (sample.ExposedHostHours <= 0 || sample.ControlHostHours <= 0)
        {
            return null;
        }

        var ratio = options.CrashRateRatio;
        var p0 = sample.ExposedHostHours / (sample.ExposedHostHours + sample.ControlHostHours);
        var p1 = ratio * sample.ExposedHostHours / ((ratio * sample.ExposedHostHours) + sample.ControlHostHours);
        return Math.Ceiling((HaltThreshold(options) - (sample.ControlCrashes * Math.Log((1 - p1) / (1 - p0)))) / Math.Log(p1 / p0));
    }

    /// <summary>Conditional-binomial log-likelihood ratio of a rate ratio <paramref name="ratio"/> against 1.</summary>
    public static double LogLikelihoodRatio(long exposed, long control, double exposedHostHours, double controlHostHours, double ratio)
    {
        if (exposedHostHours <= 0 || controlHostHours <= 0 || (exposed == 0 && control == 0))
        {
            return 0;
        }

        var p0 = exposedHostHours / (exposedHostHours + controlHostHours);
        var p1 = ratio * exposedHostHours / ((ratio * exposedHostHours) + controlHostHours);
        return (exposed * Math.Log(p1 / p0)) + (control * Math.Log((1 - p1) / (1 - p0)));
    }

    private static MetricEvidence Metric(string name, long exposed, long control, in HealthSample s, double ratio, double halt) => new(
        name,
        exposed,
        control,
        s.ExposedHostHours > 0 ? exposed / s.ExposedHostHours : 0,
        s.ControlHostHours > 0 ? control / s.ControlHostHours : 0,
        ratio,
        LogLikelihoodRatio(exposed, control, s.ExposedHostHours, s.ControlHostHours, ratio),
        halt);
}
