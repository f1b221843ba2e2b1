using Ringfence.Charts;
using Ringfence.Rollouts.Health;

namespace Ringfence.Server.Dashboard;

/// <summary>Events per 1,000 host-hours of one group (exposed or control) in each bin, with its 95% Garwood interval.</summary>
internal sealed record RateSide(IReadOnlyList<long> Counts, IReadOnlyList<double> HostHours, IReadOnlyList<double> Rate, IReadOnlyList<double> Lower, IReadOnlyList<double> Upper);

/// <summary>
/// A ring's event rates over time since it opened, exposed against control, binned from the controller's per-minute
/// counters. <see cref="FromHeartbeats"/> says where the host-hours come from: heartbeat counts (one per host per
/// check-in interval) when both groups sent any, else hosts × bin length, the gate's own stand-in.
/// </summary>
internal sealed record RateBins(double BinMinutes, IReadOnlyList<double> X, RateSide Exposed, RateSide Control, bool FromHeartbeats)
{
    /// <summary>Rates are per this many host-hours.</summary>
    public const double PerHostHours = 1000;

    /// <summary>About this many bins over a ring's span (a nice time step, never under the counters' one minute).</summary>
    public const int TargetBins = 24;

    /// <param name="counters">The ring's counters.</param>
    /// <param name="metric">The counter kind's prefix: "crash" or "revert" (boot-loop reverts).</param>
    /// <param name="heartbeatSeconds">Host time one heartbeat stands for: the check-in interval.</param>
    public static RateBins Build(IReadOnlyList<CounterPoint> counters, string metric, DateTimeOffset from, DateTimeOffset to, double exposedHosts, double controlHosts, double heartbeatSeconds)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var span = Math.Max(1, (to - from).TotalMinutes);
        var bin = TimeAxis.Steps.FirstOrDefault(s => span / s <= TargetBins, TimeAxis.Steps[^1]);
        var n = Math.Max(1, (int)Math.Ceiling((span / bin) - 1e-9));
        var heartbeats = counters.Any(c => c.Kind == "heartbeat:exposed") && counters.Any(c => c.Kind == "heartbeat:control");
        RateSide Side(string group, double hosts)
        {
            var counts = new long[n];
            var beats = new long[n];
            foreach (var c in counters)
            {
                // A minute window that began just before the ring opened still belongs to its first bin.
                var i = Math.Clamp((int)Math.Floor((c.WindowStart - from).TotalMinutes / bin), 0, n - 1);
                if (c.WindowStart >= to)
                    continue;
                if (c.Kind == $"{metric}:{group}")
                    counts[i] += c.Count;
                else if (c.Kind == $"heartbeat:{group}")
                    beats[i] += c.Count;
            }
            var hours = new double[n];
            var rate = new double[n];
            var lower = new double[n];
            var upper = new double[n];
            for (var i = 0; i < n; i++)
            {
                // Counters are whole-minute windows, so every bin (even the last, cut short by now or the halt)
                // stands for its full width: a partial last bin would divide whole minutes by a sliver of time.
                hours[i] = heartbeats ? beats[i] * heartbeatSeconds / 3600 : Math.Max(0, hosts) * bin / 60;
                if (hours[i] <= 0)
                    continue;
                var (lo, up) = Poisson.Garwood(counts[i]);
                var per = PerHostHours / hours[i];
                rate[i] = counts[i] * per;
                lower[i] = lo * per;
                upper[i] = up * per;
            }
            return new RateSide(counts, hours, rate, lower, upper);
        }
        var x = Enumerable.Range(0, n).Select(i => i * bin).ToList();
        return new RateBins(bin, x, Side("exposed", exposedHosts), Side("control", controlHosts), heartbeats);
    }

    /// <summary>
    /// The exposed rate (per <see cref="PerHostHours"/> host-hours, over the whole ring) at which the gate's sequential
    /// test halts, given its last evaluation: the least exposed count whose log-likelihood ratio, computed by the
    /// engine's own <see cref="HealthGate.LogLikelihoodRatio"/>, reaches the halt threshold. Null without both groups.
    /// </summary>
    public static double? HaltRate(long controlCount, double exposedHostHours, double controlHostHours, double rateRatio, double haltThreshold)
    {
        if (exposedHostHours <= 0 || controlHostHours <= 0 || rateRatio <= 1 || !double.IsFinite(haltThreshold))
            return null;
        long lo = 0, hi = 1;
        while (HealthGate.LogLikelihoodRatio(hi, controlCount, exposedHostHours, controlHostHours, rateRatio) < haltThreshold)
        {
            if (hi > 1L << 40)
                return null;
            hi *= 2;
        }
        // The ratio grows with the exposed count: bisect for the least count that reaches the threshold.
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (HealthGate.LogLikelihoodRatio(mid, controlCount, exposedHostHours, controlHostHours, rateRatio) >= haltThreshold)
                hi = mid;
            else
                lo = mid;
        }
        return hi * PerHostHours / exposedHostHours;
    }
}
