using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Reconcile;

/// <summary>A ring given only by its name, cumulative percentage and bake (the server protocol's ring).</summary>
public sealed record PercentRing(string Name, double Percent, TimeSpan Bake);

/// <summary>What a rollout is built from.</summary>
/// <param name="RolloutId">Unique id (the salt of the bucketing).</param>
/// <param name="ContentVersion">Version shipped.</param>
/// <param name="ContentName">Content name (a channel or file name).</param>
/// <param name="ValidatedAgentBuilds">Engine agent build numbers the content passed validation for (<see cref="Fleet.FleetIds.AgentBuild"/>).</param>
/// <param name="Plan">The rings; null: <see cref="RolloutDefaults.Plan"/>.</param>
/// <param name="Gate">A gate for every ring; null keeps each ring's own (the default plan's: <see cref="RolloutDefaults.Gate"/>).</param>
/// <param name="Emergency">Emergency fast-track.</param>
/// <param name="Options">Engine options; null: <see cref="RolloutDefaults.Options"/>.</param>
/// <param name="Fleet">The fleet's configurations and host counts; when given, the coverage ring is composed over them.</param>
/// <param name="Coverage">Coverage options; null: <see cref="RolloutDefaults.Coverage"/> (for a plan of the caller's: its first percentage ring).</param>
public sealed record RolloutSpecRequest(
    string RolloutId,
    long ContentVersion,
    string ContentName,
    IReadOnlyList<int> ValidatedAgentBuilds,
    RingPlan? Plan = null,
    HealthGateOptions? Gate = null,
    bool Emergency = false,
    RolloutOptions? Options = null,
    IEnumerable<ConfigurationCount>? Fleet = null,
    CoverageOptions? Coverage = null);

/// <summary>A built spec, with what coverage composed and whether the default plan was used.</summary>
public sealed record BuiltRolloutSpec(RolloutSpec Spec, CoverageReport? Coverage, bool DefaultPlan);

/// <summary>
/// The one place a <see cref="RolloutSpec"/> is built, for the server and the simulator alike: the plan (default or
/// given), a gate on every ring with the last ring passing without control hosts (a fully updated fleet has none
/// left), and the coverage ring composed over the fleet's configurations at creation, so it never changes under a
/// running rollout.
/// </summary>
public static class RolloutSpecs
{
    public static BuiltRolloutSpec Build(RolloutSpecRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var plan = request.Plan ?? RolloutDefaults.Plan;
        var last = plan.Rings.Count - 1;
        var rings = plan.Rings.Select((ring, i) =>
        {
            var gate = request.Gate ?? ring.Gate ?? RolloutDefaults.Gate;
            return ring with { Gate = i == last ? gate with { PassWithoutControl = true } : gate };
        }).ToArray();
        plan = new RingPlan(rings);

        CoverageReport? report = null;
        if (request.Fleet is { } fleet)
        {
            var coverage = request.Coverage ?? (request.Plan is null ? RolloutDefaults.Coverage : RolloutDefaults.Coverage with { RingIndex = null });
            var index = coverage.RingIndex ?? Array.FindIndex(rings, r => r.Selection?.Kind == RingSelectionKind.Percentage);
            if (index >= 0 && index < rings.Length && rings[index].Selection?.Kind == RingSelectionKind.Percentage && plan.Validate().Count == 0)
            {
                var composed = CoverageComposer.Compose(plan, fleet, coverage with { RingIndex = index });
                plan = composed.Plan;
                report = composed.Report;
            }
        }

        var spec = new RolloutSpec(request.RolloutId, request.ContentVersion, request.ContentName, request.ValidatedAgentBuilds, plan,
            request.Emergency, request.Options ?? RolloutDefaults.Options);
        return new BuiltRolloutSpec(spec, report, request.Plan is null);
    }

    /// <summary>A plan of percentage rings (the server protocol's rings), each needing <see cref="RolloutDefaults.MinimumHosts"/> hosts.</summary>
    public static RingPlan PercentPlan(IEnumerable<PercentRing> rings)
    {
        ArgumentNullException.ThrowIfNull(rings);
        return new RingPlan([.. rings.Select(r => new RingSpec(r.Name, RingSelection.ByPercent(r.Percent), RolloutDefaults.MinimumHosts, r.Bake))]);
    }
}
