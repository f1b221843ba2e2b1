using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Rings;

/// <summary>How a ring picks its hosts.</summary>
public enum RingSelectionKind
{
    /// <summary>The vendor's internal dogfood hosts (tagged <c>Dogfood</c>) and the listed organisations.</summary>
    Dogfood = 0,
    /// <summary>Organisations that opted in early: the listed ones and every organisation on the early channel.</summary>
    EarlyAdopters = 1,
    /// <summary>A cumulative percentage of eligible hosts by stable bucketing (plus per-configuration overrides).</summary>
    Percentage = 2,
}

/// <summary>A per-configuration percentage that raises a ring's selection so small configurations are covered.</summary>
/// <param name="AgentBuild">Agent build of the configuration.</param>
/// <param name="OsBuild">OS build of the configuration.</param>
/// <param name="Percent">Percentage of that configuration's hosts selected by the ring.</param>
public sealed record ConfigurationPercent(int AgentBuild, int OsBuild, double Percent);

/// <summary>
/// Selection of one ring. A host belongs to the first ring that selects it; the last ring selects everyone.
/// </summary>
/// <param name="Kind">How hosts are picked.</param>
/// <param name="Percent">For <see cref="RingSelectionKind.Percentage"/>: cumulative percentage of eligible hosts.</param>
/// <param name="Organisations">Organisation names picked explicitly (dogfood or early-adopter rings).</param>
/// <param name="ConfigurationOverrides">Higher percentages for small configurations (see <see cref="CoverageComposer"/>).</param>
public sealed record RingSelection(
    RingSelectionKind Kind,
    double Percent = 0,
    IReadOnlyList<string>? Organisations = null,
    IReadOnlyList<ConfigurationPercent>? ConfigurationOverrides = null)
{
    public static RingSelection Dogfood(params string[] organisations) => new(RingSelectionKind.Dogfood, 0, organisations);

    public static RingSelection EarlyAdopters(params string[] organisations) => new(RingSelectionKind.EarlyAdopters, 0, organisations);

    public static RingSelection ByPercent(double percent) => new(RingSelectionKind.Percentage, percent);
}

/// <summary>One ring of a plan.</summary>
/// <param name="Name">Display name, e.g. "dogfood", "canary", "wave-1".</param>
/// <param name="Selection">Which hosts the ring adds.</param>
/// <param name="MinimumHosts">Hosts that must run the content before the bake starts.</param>
/// <param name="BakeTime">How long the ring bakes before its gate may pass.</param>
/// <param name="Gate">Health gate of the ring; null uses <see cref="HealthGateOptions.Default"/>.</param>
public sealed record RingSpec(
    string Name,
    RingSelection Selection,
    int MinimumHosts,
    TimeSpan BakeTime,
    HealthGateOptions? Gate = null)
{
    public HealthGateOptions EffectiveGate => Gate ?? HealthGateOptions.Default;
}

/// <summary>An ordered list of rings. The last ring must select every host (100 %).</summary>
public sealed record RingPlan(IReadOnlyList<RingSpec> Rings)
{
    /// <summary>The one default plan of server and simulator: <see cref="RolloutDefaults.Plan"/>.</summary>
    public static RingPlan Default => RolloutDefaults.Plan;

    /// <summary>Every problem with the plan, with its path (e.g. <c>rings[2].bakeTime</c>); empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (Rings is null || Rings.Count == 0)
        {
            errors.Add(new("rings", "a plan needs at least one ring"));
            return errors;
        }

        if (Rings.Count > OptionRanges.MaxRings)
        {
            errors.Add(new("rings", $"at most {OptionRanges.MaxRings} rings, got {Rings.Count}"));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var previousPercent = 0.0;
        for (var i = 0; i < Rings.Count; i++)
        {
            var ring = Rings[i];
            var path = $"rings[{i}]";
            if (ring is null)
            {
                errors.Add(new(path, "ring is missing"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(ring.Name))
            {
                errors.Add(new($"{path}.name", "must not be empty"));
            }
            else if (!names.Add(ring.Name))
            {
                errors.Add(new($"{path}.name", $"duplicate ring name '{ring.Name}'"));
            }

            OptionRanges.Check(errors, $"{path}.minimumHosts", ring.MinimumHosts, 1, OptionRanges.MaxRingMinimumHosts);
            OptionRanges.Check(errors, $"{path}.bakeTime", ring.BakeTime, TimeSpan.Zero, OptionRanges.MaxBakeTime);
            if (ring.Selection is null)
            {
                errors.Add(new($"{path}.selection", "is required"));
            }
            else
            {
                var s = ring.Selection;
                if (s.Kind == RingSelectionKind.Percentage)
                {
                    if (!OptionRanges.Check(errors, $"{path}.selection.percent", s.Percent, 0, 100))
                    {
                        // reported
                    }
                    else if (s.Percent < previousPercent)
                    {
                        errors.Add(new($"{path}.selection.percent", $"percentages are cumulative and must not shrink ({s.Percent} after {previousPercent})"));
                    }
                    else
                    {
                        previousPercent = s.Percent;
                    }
                }
                else if (!Enum.IsDefined(s.Kind))
                {
                    errors.Add(new($"{path}.selection.kind", $"unknown selection kind {(int)s.Kind}"));
                }

                for (var j = 0; j < (s.ConfigurationOverrides?.Count ?? 0); j++)
                {
                    var o = s.ConfigurationOverrides![j];
                    OptionRanges.Check(errors, $"{path}.selection.configurationOverrides[{j}].percent", o.Percent, 0, 100);
                }
            }

            foreach (var e in ring.EffectiveGate.Validate())
            {
                errors.Add(e with { Path = $"{path}.gate.{e.Path}" });
            }
        }

        var last = Rings[^1];
        if (last?.Selection is { } ls && (ls.Kind != RingSelectionKind.Percentage || ls.Percent < 100))
        {
            errors.Add(new($"rings[{Rings.Count - 1}].selection", "the last ring must select every host (percentage 100)"));
        }

        return errors;
    }
}
