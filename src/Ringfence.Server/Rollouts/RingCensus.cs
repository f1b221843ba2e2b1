using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Rollouts;

/// <summary>
/// How many stored hosts the engine places in each ring of one rollout, and how many of them run its content. Ring
/// membership is the engine's (<see cref="TargetResolver.RingOf"/>); this only counts.
/// </summary>
/// <param name="Eligible">Per ring: hosts placed in it, of builds the content was validated for.</param>
/// <param name="Exposed">Per ring: of them, the hosts running the content.</param>
/// <param name="ExposedHosts">Every host running the content.</param>
/// <param name="ControlHosts">Hosts of validated builds not running it.</param>
/// <param name="AfterCompletion">Critical hosts, served once the rollout completed.</param>
public sealed record RingCensus(long[] Eligible, long[] Exposed, long ExposedHosts, long ControlHosts, long AfterCompletion)
{
    public static RingCensus Take(RolloutSpec spec, RolloutState state, IEnumerable<HostPlacementRow> hosts,
        IReadOnlyDictionary<string, string?> activeHashes, string sha256, IReadOnlyList<string> dogfoodGroups)
    {
        var resolver = TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(spec, state)], EngineInputs.Policies));
        var rings = spec.Plan.Rings.Count;
        var eligible = new long[rings];
        var exposed = new long[rings];
        long exposedHosts = 0, control = 0, after = 0;
        foreach (var h in hosts)
        {
            var facts = EngineInputs.Facts(h, dogfoodGroups);
            var runs = activeHashes.TryGetValue(h.HostId, out var hash) && string.Equals(hash, sha256, StringComparison.Ordinal);
            if (runs)
                exposedHosts++;
            var ring = resolver.RingOf(facts, 0);
            if (ring < 0)
                continue;
            if (!runs)
                control++;
            if (ring == TargetResolver.AfterCompletion)
            {
                after++;
                continue;
            }
            eligible[ring]++;
            if (runs)
                exposed[ring]++;
        }
        return new RingCensus(eligible, exposed, exposedHosts, control, after);
    }

    /// <summary>Hosts of rings 0..<paramref name="ring"/> (what the rollout exposes while that ring deploys).</summary>
    public long EligibleUpTo(int ring) => Eligible.Take(ring + 1).Sum();
}
