using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Rollouts;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Rings;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;
using RingSpec = Ringfence.Protocol.RingSpec;

namespace Ringfence.Server.Rollouts;

/// <summary>
/// Turns what the server stores into the rollout engine's inputs (host facts, specs, policies). It only maps: every
/// rule (buckets, rings, coverage, bakes, gates) is the engine's.
/// </summary>
public static class EngineInputs
{
    /// <summary>
    /// Customer policies of the fleet. Hosts have no organisation or policy yet, so this is empty; when they do, it is
    /// the one place to fill in, and every resolver and census gets it.
    /// </summary>
    public static PolicySet Policies => PolicySet.Empty;

    /// <summary>Dogfood when the host enrolled with one of the configured dogfood groups (case-insensitive).</summary>
    public static HostTags TagsOf(IEnumerable<string> groups, IReadOnlyList<string> dogfoodGroups) =>
        groups.Any(g => dogfoodGroups.Contains(g, StringComparer.OrdinalIgnoreCase)) ? HostTags.Dogfood : HostTags.None;

    public static HostTags TagsOf(string groupsJson, IReadOnlyList<string> dogfoodGroups) =>
        TagsOf(JsonSerializer.Deserialize(groupsJson, ServerJsonContext.Default.ListString) ?? [], dogfoodGroups);

    public static HostFacts Facts(string hostId, HostConfiguration configuration, HostTags tags) =>
        HostFacts.FromIds(hostId, configuration.AgentBuild, configuration.Os, configuration.OsBuild, tags);

    public static HostFacts Facts(HostPlacementRow row, IReadOnlyList<string> dogfoodGroups) =>
        HostFacts.FromIds(row.HostId, row.AgentBuild, row.Os, row.OsBuild, TagsOf(row.GroupsJson, dogfoodGroups));

    /// <summary>The engine's numbers of the agent builds a channel file passed validation for.</summary>
    public static int[] ValidatedBuilds(IEnumerable<string> builds) => [.. builds.Select(FleetIds.AgentBuild).Distinct()];

    /// <summary>
    /// The spec of a new rollout, by the engine's builder: the default plan or the request's rings (through
    /// <see cref="RolloutSpecs.PercentPlan"/>), planned bakes (the engine shortens them on the fast-track), and coverage
    /// composed over the fleet's configurations now; it is stored with the rollout and never recomputed.
    /// </summary>
    public static BuiltRolloutSpec Create(string id, string channel, long version, bool emergency, IReadOnlyList<RingSpec>? rings,
        IEnumerable<string> validatedBuilds, IEnumerable<ConfigurationCountRow> fleet) =>
        RolloutSpecs.Build(new RolloutSpecRequest(id, version, channel, ValidatedBuilds(validatedBuilds),
            rings is null ? null : RolloutSpecs.PercentPlan(rings.Select(r => new PercentRing(r.Name, r.Percent, TimeSpan.FromMinutes(r.BakeMinutes)))),
            Emergency: emergency,
            Fleet: Counts(fleet)));

    /// <summary>The fleet's configurations in engine numbers.</summary>
    public static IEnumerable<ConfigurationCount> Counts(IEnumerable<ConfigurationCountRow> fleet) =>
        fleet.Select(f => new ConfigurationCount(FleetIds.AgentBuild(f.AgentBuild), FleetIds.OsBuild(f.Os, f.OsBuild), f.Hosts));

    /// <summary>
    /// The spec a rollout was created with; for a row written before v6, the spec its stored rings describe (built the
    /// same way, without coverage; those rows stored fast-track bakes already shortened, so they are not shortened again).
    /// </summary>
    public static RolloutSpec SpecOf(RolloutRow row, IEnumerable<string> validatedBuilds)
    {
        if (row.SpecJson is { } json && JsonSerializer.Deserialize(json, ServerJsonContext.Default.RolloutSpec) is { } stored)
            return stored;
        var plan = JsonSerializer.Deserialize(row.PlanJson, ServerJsonContext.Default.ListRingSpec) ?? [];
        var options = row.Emergency != 0 ? RolloutDefaults.Options with { FastTrackBakeFactor = 1, FastTrackMinimumBake = TimeSpan.Zero } : null;
        return RolloutSpecs.Build(new RolloutSpecRequest(row.Id, row.Version, row.Channel, ValidatedBuilds(validatedBuilds),
            RolloutSpecs.PercentPlan(plan.Select(r => new PercentRing(r.Name, r.Percent, TimeSpan.FromMinutes(r.BakeMinutes)))),
            Emergency: row.Emergency != 0, Options: options)).Spec;
    }

    /// <summary>The engine state stored with a rollout, or the one its v4 status columns describe.</summary>
    public static RolloutState StateOf(RolloutRow row)
    {
        if (row.EngineStateJson is { } json && JsonSerializer.Deserialize(json, ServerJsonContext.Default.RolloutState) is { } stored)
            return stored;
        var approvers = JsonSerializer.Deserialize(row.ApproversJson, ServerJsonContext.Default.ListString) ?? [];
        return RolloutReconciler.FromLegacy(row.Id, Enum.Parse<RolloutStatus>(row.Status), (int)row.CurrentRing,
            row.RingEnteredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, approvers, row.StatusReason);
    }

    public static string Serialize(RolloutSpec spec) => JsonSerializer.Serialize(spec, ServerJsonContext.Default.RolloutSpec);

    /// <summary>The protocol's view of a ring: its cumulative percentage (0 for dogfood and early-adopter rings) and effective bake.</summary>
    public static (string Name, double Percent, int BakeMinutes) Describe(RolloutSpec spec, int ring)
    {
        var r = spec.Plan.Rings[ring];
        var percent = r.Selection.Kind == RingSelectionKind.Percentage ? r.Selection.Percent : 0;
        return (r.Name, percent, (int)Math.Round(spec.BakeTime(ring).TotalMinutes));
    }
}
