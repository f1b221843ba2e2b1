using System.Collections.Frozen;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Resolution;

/// <summary>
/// Target resolution: "which content version should host h run now", a pure function of a
/// <see cref="ResolverSnapshot"/>, the host's facts, the version it runs and the time. Build one per snapshot
/// (everything per rollout and per policy is precomputed) and call <see cref="Resolve"/> from any thread.
/// </summary>
/// <remarks>
/// Rules, newest version first:
/// <list type="bullet">
/// <item>a rolled-back rollout is never a target; a host running it must leave it now, whatever its window;</item>
/// <item>content goes only to agent builds it was validated for;</item>
/// <item>a host keeps content it already runs unless that content was rolled back;</item>
/// <item>a halted or paused rollout, or the kill switch, exposes nobody new;</item>
/// <item>a deploying or baking rollout exposes hosts whose ring is at most the current ring; a completed one everybody;</item>
/// <item>policies: early channel joins the early-adopter ring, late channel waits for the last ring, critical hosts
/// wait until the rollout completed, N-1 pinning waits until it completed a set time ago;</item>
/// <item>a change waits for the host's maintenance window (except leaving rolled-back content).</item>
/// </list>
/// </remarks>
public sealed class TargetResolver
{
    /// <summary><see cref="RingOf"/> result for a critical host: served after the last ring, once completed.</summary>
    public const int AfterCompletion = int.MaxValue;

    private readonly CompiledRollout[] _byVersion;
    private readonly CompiledRollout[] _byIndex;
    private readonly FrozenDictionary<ulong, CompiledPolicy> _organisations;
    private readonly FrozenDictionary<ulong, CompiledPolicy> _groups;
    private readonly bool _hasPolicies;
    private readonly bool _killSwitch;
    private readonly long _baseline;

    private TargetResolver(ResolverSnapshot snapshot)
    {
        _byIndex = [.. snapshot.Rollouts.Select((r, i) => new CompiledRollout(r, i))];
        _byVersion = [.. _byIndex.OrderByDescending(r => r.Version).ThenBy(r => r.Index)];
        var policies = snapshot.Policies ?? PolicySet.Empty;
        _organisations = Compile(policies.Organisations);
        _groups = Compile(policies.HostGroups);
        _hasPolicies = _organisations.Count > 0 || _groups.Count > 0;
        _killSwitch = snapshot.KillSwitchEngaged;
        _baseline = snapshot.BaselineVersion;
    }

    /// <summary>Precomputes a resolver. Throws <see cref="ArgumentException"/> listing every problem of the snapshot.</summary>
    public static TargetResolver Create(ResolverSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(snapshot.Rollouts);
        var errors = new List<ValidationError>();
        for (var i = 0; i < snapshot.Rollouts.Count; i++)
        {
            var entry = snapshot.Rollouts[i];
            if (entry?.Spec is null || entry.State is null)
            {
                errors.Add(new($"rollouts[{i}]", "spec and state are required"));
                continue;
            }

            errors.AddRange(entry.Spec.Plan?.Validate().Select(e => e with { Path = $"rollouts[{i}].plan.{e.Path}" })
                ?? [new($"rollouts[{i}].plan", "is required")]);
            if (entry.State.Ring < 0 || (entry.Spec.Plan is { } plan && entry.State.Ring >= plan.Rings.Count))
            {
                errors.Add(new($"rollouts[{i}].state.ring", $"ring {entry.State.Ring} is outside the plan"));
            }
        }

        errors.AddRange(snapshot.Policies?.Validate().Select(e => e with { Path = "policies." + e.Path }) ?? []);
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid resolver snapshot: " + string.Join("; ", errors), nameof(snapshot));
        }

        return new TargetResolver(snapshot);
    }

    /// <summary>The content version host <paramref name="host"/> should run at <paramref name="now"/>.</summary>
    /// <param name="host">The host's facts.</param>
    /// <param name="currentVersion">The version it runs now (0 when none).</param>
    /// <param name="now">The time.</param>
    public Target Resolve(in HostFacts host, long currentVersion, DateTimeOffset now)
    {
        var policy = PolicyOf(host);
        var mustLeave = false;
        foreach (var r in _byVersion)
        {
            if (r.Phase == RolloutPhase.RolledBack)
            {
                mustLeave |= currentVersion == r.Version;
                continue;
            }

            if (r.Phase is RolloutPhase.Draft or RolloutPhase.Validated || !r.Validated.Contains(host.AgentBuild))
            {
                continue;
            }

            if (currentVersion == r.Version)
            {
                return new Target(r.Version, r.Index, r.Phase is RolloutPhase.Halted or RolloutPhase.Paused || _killSwitch ? TargetReason.Kept : TargetReason.Rollout);
            }

            if (_killSwitch || r.Phase is RolloutPhase.Halted or RolloutPhase.Paused || !IsExposed(r, host, policy, now))
            {
                continue;
            }

            // New content for this host: wait for its maintenance window unless it must leave rolled-back content.
            if (!mustLeave && !policy.InWindow(now, host.UtcOffsetMinutes))
            {
                return new Target(currentVersion, -1, TargetReason.Deferred);
            }

            return new Target(r.Version, r.Index, mustLeave ? TargetReason.RolledBack : TargetReason.Rollout);
        }

        if (mustLeave)
        {
            return new Target(_baseline, -1, TargetReason.RolledBack);
        }

        if (_killSwitch || currentVersion == _baseline)
        {
            return new Target(currentVersion, -1, currentVersion == _baseline ? TargetReason.Baseline : TargetReason.Kept);
        }

        return policy.InWindow(now, host.UtcOffsetMinutes)
            ? new Target(_baseline, -1, TargetReason.Baseline)
            : new Target(currentVersion, -1, TargetReason.Deferred);
    }

    /// <summary>
    /// The ring host <paramref name="host"/> belongs to in rollout <paramref name="rolloutIndex"/>, with its policies
    /// applied; <see cref="AfterCompletion"/> for critical hosts; -1 when the content was not validated for its build.
    /// Simulators use it to count the hosts of a ring.
    /// </summary>
    public int RingOf(in HostFacts host, int rolloutIndex)
    {
        var r = _byIndex[rolloutIndex];
        if (!r.Validated.Contains(host.AgentBuild))
        {
            return -1;
        }

        var policy = PolicyOf(host);
        return policy.Critical || (host.Tags & HostTags.Critical) != 0 ? AfterCompletion : r.RingOf(host, policy.Channel);
    }

    /// <summary>The stable bucket of a host in rollout <paramref name="rolloutIndex"/> (see <see cref="StableBucket"/>).</summary>
    public int BucketOf(in HostFacts host, int rolloutIndex) => StableBucket.Of(host.HostKey, _byIndex[rolloutIndex].Key);

    private bool IsExposed(CompiledRollout r, in HostFacts host, in CompiledPolicy policy, DateTimeOffset now)
    {
        var critical = policy.Critical || (host.Tags & HostTags.Critical) != 0;
        if (r.Phase == RolloutPhase.Completed)
        {
            return policy.PinTicks < 0 || now.UtcTicks - r.CompletedTicks >= policy.PinTicks;
        }

        // Deploying or baking: critical hosts and pinned hosts wait for completion.
        if (critical || policy.PinTicks >= 0)
        {
            return false;
        }

        return r.IsInFirstRings(host, policy.Channel, r.Ring);
    }

    private CompiledPolicy PolicyOf(in HostFacts host)
    {
        if (!_hasPolicies)
        {
            return CompiledPolicy.Default;
        }

        if (host.GroupKey != 0 && _groups.TryGetValue(host.GroupKey, out var g))
        {
            return g;
        }

        return _organisations.TryGetValue(host.OrganisationKey, out var o) ? o : CompiledPolicy.Default;
    }

    private static FrozenDictionary<ulong, CompiledPolicy> Compile(IReadOnlyDictionary<string, CustomerPolicy>? policies) =>
        (policies ?? new Dictionary<string, CustomerPolicy>()).ToFrozenDictionary(p => StableKey.Of(p.Key), p => new CompiledPolicy(p.Value));

    /// <summary>A policy reduced to numbers.</summary>
    private readonly struct CompiledPolicy
    {
        private const int MinutesPerWeek = 7 * 24 * 60;
        private readonly (int Start, int Length)[]? _windows;

        public CompiledPolicy(CustomerPolicy policy)
        {
            Channel = policy.Channel;
            PinTicks = policy.PinDelay?.Ticks ?? -1;
            Critical = policy.Critical;
            _windows = policy.MaintenanceWindows is { Count: > 0 } ws
                ? [.. ws.Select(w => (((int)w.Day * 1440) + (w.Start.Hour * 60) + w.Start.Minute, (int)Math.Ceiling(w.Duration.TotalMinutes)))]
                : null;
        }

        public static CompiledPolicy Default { get; } = new(CustomerPolicy.Default);

        public ReleaseChannel Channel { get; }

        public long PinTicks { get; }

        public bool Critical { get; }

        public bool InWindow(DateTimeOffset now, short offsetMinutes)
        {
            if (_windows is null)
            {
                return true;
            }

            // Minute of the week in local time, Sunday 00:00 = 0 (day 0 of DateTime ticks is a Monday).
            var minute = (int)((((now.UtcTicks / TimeSpan.TicksPerMinute) + offsetMinutes + 1440) % MinutesPerWeek + MinutesPerWeek) % MinutesPerWeek);
            foreach (var (start, length) in _windows)
            {
                if (((minute - start + MinutesPerWeek) % MinutesPerWeek) < length)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A rollout reduced to what resolution reads.</summary>
    private sealed class CompiledRollout
    {
        private readonly CompiledRing[] _rings;

        public CompiledRollout(RolloutEntry entry, int index)
        {
            Index = index;
            Version = entry.Spec.ContentVersion;
            Key = StableKey.Of(entry.Spec.RolloutId);
            Phase = entry.State.Phase;
            Ring = entry.State.Ring;
            CompletedTicks = entry.State.CompletedAt?.UtcTicks ?? long.MaxValue;
            Validated = entry.Spec.ValidatedAgentBuilds.ToFrozenSet();
            _rings = [.. entry.Spec.Plan.Rings.Select(r => new CompiledRing(r.Selection))];
        }

        public int Index { get; }

        public long Version { get; }

        public ulong Key { get; }

        public RolloutPhase Phase { get; }

        public int Ring { get; }

        public long CompletedTicks { get; }

        public FrozenSet<int> Validated { get; }

        /// <summary>First ring that selects the host (the last ring selects everyone).</summary>
        public int RingOf(in HostFacts host, ReleaseChannel channel) => FirstRing(host, channel, _rings.Length - 1);

        /// <summary>Whether the host's ring is at most <paramref name="upTo"/>; hashes only when a percentage ring decides.</summary>
        public bool IsInFirstRings(in HostFacts host, ReleaseChannel channel, int upTo) =>
            upTo >= _rings.Length - 1 || FirstRing(host, channel, upTo + 1) <= upTo;

        /// <summary>First ring below <paramref name="stop"/> that selects the host; otherwise the last ring.</summary>
        private int FirstRing(in HostFacts host, ReleaseChannel channel, int stop)
        {
            var last = _rings.Length - 1;
            if (channel == ReleaseChannel.Late)
            {
                return last;
            }

            var bucket = -1;
            for (var i = 0; i < stop; i++)
            {
                var ring = _rings[i];
                switch (ring.Kind)
                {
                    case RingSelectionKind.Dogfood when (host.Tags & HostTags.Dogfood) != 0 || ring.HasOrganisation(host.OrganisationKey):
                    case RingSelectionKind.EarlyAdopters when channel == ReleaseChannel.Early || ring.HasOrganisation(host.OrganisationKey):
                        return i;
                    case RingSelectionKind.Percentage:
                        if (bucket < 0)
                        {
                            bucket = StableBucket.Of(host.HostKey, Key);
                        }

                        if (bucket < ring.ThresholdFor(host))
                        {
                            return i;
                        }

                        break;
                    default:
                        break;
                }
            }

            return last;
        }
    }

    private sealed class CompiledRing
    {
        private readonly FrozenSet<ulong>? _organisations;
        private readonly FrozenDictionary<long, int>? _overrides;
        private readonly int _threshold;

        public CompiledRing(RingSelection selection)
        {
            Kind = selection.Kind;
            _threshold = StableBucket.Threshold(selection.Percent);
            _organisations = selection.Organisations is { Count: > 0 } orgs ? orgs.Select(StableKey.Of).ToFrozenSet() : null;
            _overrides = selection.ConfigurationOverrides is { Count: > 0 } o
                ? o.GroupBy(c => new ConfigurationKey(c.AgentBuild, c.OsBuild).Packed)
                    .ToFrozenDictionary(g => g.Key, g => StableBucket.Threshold(g.Max(c => c.Percent)))
                : null;
        }

        public RingSelectionKind Kind { get; }

        public bool HasOrganisation(ulong organisation) => _organisations?.Contains(organisation) == true;

        public int ThresholdFor(in HostFacts host) =>
            _overrides is not null && _overrides.TryGetValue(host.Configuration.Packed, out var t) && t > _threshold ? t : _threshold;
    }
}
