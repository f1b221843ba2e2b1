using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Reconcile;

/// <summary>
/// What to roll out and how: immutable once created (the state changes, the spec does not).
/// </summary>
/// <param name="RolloutId">Unique id; also the salt of the stable bucketing.</param>
/// <param name="ContentVersion">Version of the channel content this rollout ships (higher is newer).</param>
/// <param name="ContentName">Name of the content item, e.g. "C-00000291"; breadcrumbs name it.</param>
/// <param name="ValidatedAgentBuilds">Agent builds the content passed validation for; no other build ever gets it.</param>
/// <param name="Plan">The rings.</param>
/// <param name="Emergency">Emergency fast-track: two distinct approvers, shorter bakes, still ring by ring.</param>
/// <param name="Options">Engine options; null uses <see cref="RolloutOptions.Default"/>.</param>
public sealed record RolloutSpec(
    string RolloutId,
    long ContentVersion,
    string ContentName,
    IReadOnlyList<int> ValidatedAgentBuilds,
    RingPlan Plan,
    bool Emergency = false,
    RolloutOptions? Options = null)
{
    public RolloutOptions EffectiveOptions => Options ?? RolloutOptions.Default;

    /// <summary>
    /// Two distinct approvers are needed before ring 0 starts, without the fast-track's shorter bakes: for content whose
    /// effect is drastic however healthy it looks, such as a channel file that retires its channel (removes every detection).
    /// </summary>
    public bool RequiresTwoApprovals { get; init; }

    /// <summary>Whether ring 0 waits for a second, distinct approver: the emergency fast-track or <see cref="RequiresTwoApprovals"/>.</summary>
    public bool NeedsTwoApprovers => Emergency || RequiresTwoApprovals;

    /// <summary>Bake time of ring <paramref name="ring"/>, shortened on the emergency fast-track.</summary>
    public TimeSpan BakeTime(int ring)
    {
        var bake = Plan.Rings[ring].BakeTime;
        if (!Emergency)
        {
            return bake;
        }

        var o = EffectiveOptions;
        var shortened = TimeSpan.FromTicks((long)(bake.Ticks * o.FastTrackBakeFactor));
        var floor = o.EffectiveFastTrackMinimumBake;
        return shortened >= floor ? shortened : (bake < floor ? bake : floor);
    }

    /// <summary>
    /// Minimum ring size: hosts of ring <paramref name="ring"/> that must run the content before it bakes, given its
    /// <paramref name="eligibleHosts"/> (-1 when unknown): min(MinimumHosts, ⌈MinimumExposedShare × eligible⌉).
    /// </summary>
    public int MinimumExposedHosts(int ring, int eligibleHosts)
    {
        var minimum = Plan.Rings[ring].MinimumHosts;
        return eligibleHosts < 0 ? minimum : (int)Math.Min(minimum, Math.Ceiling(EffectiveOptions.MinimumExposedShare * eligibleHosts));
    }

    /// <summary>
    /// The gate of ring <paramref name="ring"/> with <paramref name="eligibleHosts"/> eligible hosts: the ring's gate, but
    /// never asking for more exposed host-hours than the minimum share of its hosts can give over its (possibly
    /// shortened) bake, so a small fleet or ring passes on what it has and a large one needs the configured exposure.
    /// A ring without bake asks for neither exposure nor control hosts.
    /// </summary>
    public HealthGateOptions GateFor(int ring, int eligibleHosts)
    {
        var gate = Plan.Rings[ring].EffectiveGate;
        if (BakeTime(ring) <= TimeSpan.Zero)
        {
            // A ring without bake has no window to observe: nothing to ask of exposure or control hosts; a failed metric
            // or attributed breadcrumbs seen by then still halt.
            return gate with { MinExposedHostHours = 0, PassWithoutControl = true };
        }

        if (eligibleHosts < 0)
        {
            return gate;
        }

        var reachable = Math.Ceiling(EffectiveOptions.MinimumExposedShare * eligibleHosts) * BakeTime(ring).TotalHours;
        return reachable < gate.MinExposedHostHours ? gate with { MinExposedHostHours = reachable } : gate;
    }

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(RolloutId))
        {
            errors.Add(new("rolloutId", "must not be empty"));
        }

        if (ContentVersion <= 0)
        {
            errors.Add(new("contentVersion", $"must be positive, got {ContentVersion}"));
        }

        if (string.IsNullOrWhiteSpace(ContentName))
        {
            errors.Add(new("contentName", "must not be empty"));
        }

        if (ValidatedAgentBuilds is null || ValidatedAgentBuilds.Count == 0)
        {
            errors.Add(new("validatedAgentBuilds", "the content has not passed validation for any agent build"));
        }

        if (Plan is null)
        {
            errors.Add(new("plan", "is required"));
        }
        else
        {
            errors.AddRange(Plan.Validate().Select(e => e with { Path = "plan." + e.Path }));
        }

        errors.AddRange(EffectiveOptions.Validate().Select(e => e with { Path = "options." + e.Path }));
        return errors;
    }
}
