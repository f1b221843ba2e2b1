using Ringfence.Rollouts.Fleet;

namespace Ringfence.Rollouts.Rings;

/// <summary>How many hosts of one (agent build × OS build) configuration the fleet has.</summary>
public readonly record struct ConfigurationCount(int AgentBuild, int OsBuild, long Hosts)
{
    public ConfigurationKey Key => new(AgentBuild, OsBuild);
}

/// <summary>Coverage options. Defaults and ranges in <see cref="OptionRanges"/>.</summary>
/// <param name="MinFleetHosts">m: configurations with at least this many hosts in the fleet must be covered.</param>
/// <param name="HostsPerConfiguration">k: hosts of each such configuration the coverage ring must hold.</param>
/// <param name="MissProbability">Allowed chance that bucketing leaves a configuration with fewer than k hosts.</param>
/// <param name="MaxPercent">
/// Never select more than this share of a configuration, so concurrent unexposed control hosts of the same
/// configuration remain for the health gate.
/// </param>
/// <param name="RingIndex">The ring to compose; null: the first percentage ring.</param>
public sealed record CoverageOptions(
    int MinFleetHosts = OptionRanges.DefaultCoverageMinFleetHosts,
    int HostsPerConfiguration = OptionRanges.DefaultCoverageHostsPerConfiguration,
    double MissProbability = OptionRanges.DefaultCoverageMissProbability,
    double MaxPercent = 50,
    int? RingIndex = null)
{
    public static CoverageOptions Default { get; } = new();

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        OptionRanges.Check(errors, "minFleetHosts", MinFleetHosts, 1, int.MaxValue);
        OptionRanges.Check(errors, "hostsPerConfiguration", HostsPerConfiguration, 1, 10_000);
        OptionRanges.Check(errors, "missProbability", MissProbability, 1e-15, 0.5);
        OptionRanges.Check(errors, "maxPercent", MaxPercent, 0.001, 100);
        if (RingIndex is { } r && r < 0)
        {
            errors.Add(new("ringIndex", $"must not be negative, got {r}"));
        }

        return errors;
    }
}

/// <summary>A configuration the coverage ring covers.</summary>
/// <param name="FleetHosts">Its hosts in the fleet.</param>
/// <param name="Percent">Share of them the ring selects.</param>
/// <param name="ExpectedHosts">Expected hosts in the ring.</param>
/// <param name="Raised">Whether the ring's percentage was raised for it.</param>
public sealed record CoveredConfiguration(int AgentBuild, int OsBuild, long FleetHosts, double Percent, double ExpectedHosts, bool Raised);

/// <summary>A configuration that is not covered, and why.</summary>
public sealed record UncoverableConfiguration(int AgentBuild, int OsBuild, long FleetHosts, string Reason);

/// <summary>What the coverage ring covers and what it cannot.</summary>
public sealed record CoverageReport(
    int RingIndex,
    string RingName,
    int MinFleetHosts,
    int HostsPerConfiguration,
    IReadOnlyList<CoveredConfiguration> Covered,
    IReadOnlyList<UncoverableConfiguration> Uncoverable);

/// <summary>The composed plan and its report.</summary>
public sealed record CoverageResult(RingPlan Plan, CoverageReport Report);

/// <summary>
/// Composes the early percentage ring so it covers every (agent build × OS build) configuration with at least m
/// hosts in the fleet with at least k hosts each, by raising the percentage of small configurations.
/// </summary>
/// <remarks>
/// Bucketing is uniform, so a configuration of n hosts selected at share q holds Binomial(n, q) hosts. The
/// composer picks the smallest q (not below the ring's own percentage, not above <see cref="CoverageOptions.MaxPercent"/>)
/// with P[Binomial(n, q) &lt; k] ≤ the miss probability; a configuration that needs more is reported uncoverable.
/// </remarks>
public static class CoverageComposer
{
    public static CoverageResult Compose(RingPlan plan, IEnumerable<ConfigurationCount> fleet, CoverageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(fleet);
        options ??= CoverageOptions.Default;
        var errors = new List<ValidationError>(options.Validate());
        errors.AddRange(plan.Validate().Select(e => e with { Path = "plan." + e.Path }));
        var ringIndex = options.RingIndex ?? IndexOfFirstPercentageRing(plan);
        if (ringIndex < 0 || ringIndex >= (plan.Rings?.Count ?? 0) || plan.Rings![ringIndex].Selection?.Kind != RingSelectionKind.Percentage)
        {
            errors.Add(new("ringIndex", "the plan has no percentage ring to compose at that index"));
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("cannot compose coverage: " + string.Join("; ", errors), nameof(options));
        }

        var ring = plan.Rings![ringIndex];
        var basePercent = ring.Selection.Percent;
        var covered = new List<CoveredConfiguration>();
        var uncoverable = new List<UncoverableConfiguration>();
        var overrides = new List<ConfigurationPercent>();
        var k = options.HostsPerConfiguration;

        // Merge duplicate rows and sort, so the output does not depend on input order.
        var merged = fleet.GroupBy(c => c.Key)
            .Select(g => new ConfigurationCount(g.Key.AgentBuild, g.Key.OsBuild, g.Sum(c => c.Hosts)))
            .OrderBy(c => c.AgentBuild).ThenBy(c => c.OsBuild);
        foreach (var c in merged)
        {
            if (c.Hosts < options.MinFleetHosts)
            {
                uncoverable.Add(new(c.AgentBuild, c.OsBuild, c.Hosts, $"only {c.Hosts} hosts in the fleet, fewer than m = {options.MinFleetHosts}: not required"));
                continue;
            }

            var maxShare = options.MaxPercent / 100;
            if (c.Hosts * maxShare < k || MissProbability(c.Hosts, maxShare, k) > options.MissProbability)
            {
                uncoverable.Add(new(c.AgentBuild, c.OsBuild, c.Hosts,
                    $"{k} hosts out of {c.Hosts} would need more than {options.MaxPercent}% of the configuration (the rest is its control group)"));
                continue;
            }

            var share = basePercent / 100;
            var raised = false;
            if (MissProbability(c.Hosts, share, k) > options.MissProbability)
            {
                share = SmallestShare(c.Hosts, share, maxShare, k, options.MissProbability);
                raised = true;
                overrides.Add(new ConfigurationPercent(c.AgentBuild, c.OsBuild, share * 100));
            }

            covered.Add(new(c.AgentBuild, c.OsBuild, c.Hosts, share * 100, c.Hosts * share, raised));
        }

        var existing = ring.Selection.ConfigurationOverrides ?? [];
        var composedRing = ring with { Selection = ring.Selection with { ConfigurationOverrides = [.. existing, .. overrides] } };
        var rings = plan.Rings.ToArray();
        rings[ringIndex] = composedRing;
        var report = new CoverageReport(ringIndex, ring.Name, options.MinFleetHosts, k, covered, uncoverable);
        return new CoverageResult(plan with { Rings = rings }, report);
    }

    /// <summary>
    /// How a (composed) plan covers one configuration of a new rollout: per ring (cumulative), the expected hosts of the
    /// configuration in it and whether it holds at least k of them but for the miss probability (a dogfood ring: whether
    /// any of its hosts is a dogfood host). Once a ring covers it, every later ring does.
    /// </summary>
    /// <param name="plan">The plan, composed by <see cref="Compose"/>.</param>
    /// <param name="configuration">The configuration and its fleet hosts.</param>
    /// <param name="dogfoodHosts">Its hosts tagged dogfood.</param>
    /// <param name="options">Coverage options (k and the miss probability).</param>
    public static IReadOnlyList<(double ExpectedHosts, bool Covered)> CoverageByRing(RingPlan plan, ConfigurationCount configuration, long dogfoodHosts, CoverageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= CoverageOptions.Default;
        var result = new (double, bool)[plan.Rings.Count];
        var covered = false;
        for (var i = 0; i < plan.Rings.Count; i++)
        {
            var selection = plan.Rings[i].Selection;
            double expected;
            if (selection.Kind == RingSelectionKind.Percentage)
            {
                var raised = selection.ConfigurationOverrides?.Where(o => o.AgentBuild == configuration.AgentBuild && o.OsBuild == configuration.OsBuild)
                    .Select(o => o.Percent).DefaultIfEmpty(0).Max() ?? 0;
                var share = Math.Min(1, Math.Max(selection.Percent, raised) / 100);
                expected = configuration.Hosts * share;
                covered |= (share >= 1 && configuration.Hosts > 0)
                    || MissProbability(configuration.Hosts, share, options.HostsPerConfiguration) <= options.MissProbability;
            }
            else
            {
                expected = dogfoodHosts;
                covered |= selection.Kind == RingSelectionKind.Dogfood && dogfoodHosts > 0;
            }

            result[i] = (expected, covered);
        }

        return result;
    }

    /// <summary>P[Binomial(n, q) &lt; k], summed in log space so large n does not overflow.</summary>
    public static double MissProbability(long n, double q, int k)
    {
        if (q <= 0)
        {
            return 1;
        }

        if (q >= 1)
        {
            return n >= k ? 0 : 1;
        }

        double total = 0, logChoose = 0;
        var logQ = Math.Log(q);
        var log1mQ = Math.Log(1 - q);
        for (var i = 0; i < k && i <= n; i++)
        {
            if (i > 0)
            {
                logChoose += Math.Log(n - i + 1) - Math.Log(i);
            }

            total += Math.Exp(logChoose + (i * logQ) + ((n - i) * log1mQ));
        }

        return Math.Min(1, total);
    }

    private static double SmallestShare(long n, double low, double high, int k, double miss)
    {
        // Bisection: the miss probability falls as the share grows.
        for (var i = 0; i < 60; i++)
        {
            var mid = (low + high) / 2;
            if (MissProbability(n, mid, k) > miss)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        // Round up to the bucket resolution (one part per million) so bucketing never rounds below it.
        return Math.Min(1, Math.Ceiling(high * StableBucket.Buckets) / StableBucket.Buckets);
    }

    private static int IndexOfFirstPercentageRing(RingPlan plan)
    {
        for (var i = 0; i < (plan.Rings?.Count ?? 0); i++)
        {
            if (plan.Rings![i]?.Selection?.Kind == RingSelectionKind.Percentage)
            {
                return i;
            }
        }

        return -1;
    }
}
