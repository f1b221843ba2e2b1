using FsCheck;
using FsCheck.Fluent;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;
using static Ringfence.Rollouts.Tests.Resolution.TargetResolverTests;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Resolution;

/// <summary>
/// Property: whatever the phase, ring, policies, host, time and kill switch, a host is never moved to content it is
/// not eligible for. Eligibility is recomputed here independently of the resolver: validated for the host's build,
/// in an exposed ring, policies satisfied (channel, critical, N-1 pin, maintenance window in local time), not halted,
/// paused, killed or rolled back.
/// </summary>
public class EligibilityPropertyTests
{
    private static readonly Config Cases = Config.QuickThrowOnFailure.WithMaxTest(1500);
    private static readonly int[] AllBuilds = [7100, 7110, 7120];
    private static readonly string[] Organisations = ["Acme", "Early Bird", "Other"];

    [Fact]
    public void Resolve_AnyPoliciesAndState_NeverMovesAHostToContentItIsNotEligibleFor()
    {
        var moved = 0;
        Check.One(Cases, Prop.ForAll<int>(seed =>
        {
            var c = Case.Generate(seed);
            var target = c.Resolver.Resolve(c.Host, c.Current, c.Now);
            moved += target.ContentVersion == New && c.Current != New ? 1 : 0;
            if (target.ContentVersion == New && c.Current != New && !c.Eligible())
            {
                throw new InvalidOperationException($"seed {seed}: host moved to {New} without being eligible ({c})");
            }

            return true;
        }));

        // Not vacuous: plenty of generated hosts were moved to the new content.
        moved.ShouldBeGreaterThan(20);
    }

    [Fact]
    public void Resolve_HaltPauseKillOrRollback_NeverExposesANewHost()
    {
        Check.One(Cases, Prop.ForAll<int>(seed =>
        {
            var c = Case.Generate(seed);
            var stopped = c.Kill || c.Phase is RolloutPhase.Halted or RolloutPhase.Paused or RolloutPhase.RolledBack;
            return !stopped || c.Current == New || c.Resolver.Resolve(c.Host, c.Current, c.Now).ContentVersion != New;
        }));
    }

    [Fact]
    public void Resolve_RolledBack_EveryExposedHostLeavesTheContent()
    {
        Check.One(Cases, Prop.ForAll<int>(seed =>
        {
            var c = Case.Generate(seed) is var g && g.Phase == RolloutPhase.RolledBack ? g : Case.Generate(seed, RolloutPhase.RolledBack);
            var target = c.Resolver.Resolve(c.Host, New, c.Now);
            return target.ContentVersion == Baseline && target.Reason == TargetReason.RolledBack;
        }));
    }

    private sealed record Case(
        RolloutPhase Phase, int Ring, DateTimeOffset? CompletedAt, bool Kill, CustomerPolicy OrgPolicy, CustomerPolicy? GroupPolicy,
        HostFacts Host, string Organisation, bool InGroup, long Current, DateTimeOffset Now, TargetResolver Resolver)
    {
        public static Case Generate(int seed, RolloutPhase? phase = null)
        {
            var r = new Random(seed);
            var p = phase ?? (RolloutPhase)r.Next(8);
            var ring = r.Next(4);
            DateTimeOffset? completed = p == RolloutPhase.Completed || r.Next(2) == 0 ? T0.AddHours(-r.Next(0, 96)) : null;
            var kill = r.Next(10) == 0;
            var org = RandomPolicy(r);
            var group = r.Next(3) == 0 ? RandomPolicy(r) : null;
            var organisation = Organisations[r.Next(Organisations.Length)];
            var inGroup = r.Next(2) == 0;
            var tags = (r.Next(8) == 0 ? HostTags.Critical : HostTags.None) | (r.Next(8) == 0 ? HostTags.Dogfood : HostTags.None);
            var build = AllBuilds[r.Next(AllBuilds.Length)];
            var host = new HostFacts(StableKey.Of($"host-{r.Next(1_000_000)}"), StableKey.Of(organisation), inGroup ? StableKey.Of("g") : 0,
                OsFamily.Windows, 19045, build, (short)r.Next(-720, 841), tags);
            long[] currents = Spec291.ValidatedAgentBuilds.Contains(build) ? [Baseline, New, 42] : [Baseline, 42];
            var current = currents[r.Next(currents.Length)];
            var now = T0.AddMinutes(r.Next(0, 5 * 24 * 60));
            var policies = new PolicySet(
                new Dictionary<string, CustomerPolicy> { [organisation] = org },
                group is null ? null : new Dictionary<string, CustomerPolicy> { ["g"] = group });
            var state = new RolloutState("r-291", p, ring, 3, T0, T0, completed);
            var resolver = TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(Spec291, state)], policies, kill, Baseline));
            return new Case(p, ring, completed, kill, org, group, host, organisation, inGroup, current, now, resolver);
        }

        private static CustomerPolicy RandomPolicy(Random r) => new(
            (ReleaseChannel)r.Next(3),
            r.Next(3) == 0 ? TimeSpan.FromHours(r.Next(0, 72)) : null,
            r.Next(2) == 0 ? null : [new MaintenanceWindow((DayOfWeek)r.Next(7), new TimeOnly(r.Next(24), r.Next(60)), TimeSpan.FromMinutes(r.Next(1, 3 * 24 * 60)))],
            r.Next(6) == 0);

        /// <summary>The independent eligibility oracle.</summary>
        public bool Eligible()
        {
            if (Kill || Phase is not (RolloutPhase.Deploying or RolloutPhase.Baking or RolloutPhase.Completed)
                || !Spec291.ValidatedAgentBuilds.Contains(Host.AgentBuild))
            {
                return false;
            }

            var policy = InGroup && GroupPolicy is not null ? GroupPolicy : OrgPolicy;
            var critical = policy.Critical || Host.Tags.HasFlag(HostTags.Critical);
            bool exposed;
            if (Phase == RolloutPhase.Completed)
            {
                exposed = policy.PinDelay is not { } pin || Now >= CompletedAt!.Value + pin;
            }
            else
            {
                exposed = !critical && policy.PinDelay is null && OracleRing(policy) <= Ring;
            }

            return exposed && InWindow(policy);
        }

        private int OracleRing(CustomerPolicy policy)
        {
            if (policy.Channel == ReleaseChannel.Late)
            {
                return 3;
            }

            if (Host.Tags.HasFlag(HostTags.Dogfood))
            {
                return 0;
            }

            if (Organisation == "Early Bird" || policy.Channel == ReleaseChannel.Early)
            {
                return 1;
            }

            return StableBucket.Of(Host.HostKey, StableKey.Of("r-291")) < StableBucket.Threshold(10) ? 2 : 3;
        }

        private bool InWindow(CustomerPolicy policy)
        {
            if (policy.MaintenanceWindows is not { Count: > 0 } windows)
            {
                return true;
            }

            var local = Now.ToOffset(TimeSpan.FromMinutes(Host.UtcOffsetMinutes)).DateTime;
            foreach (var w in windows)
            {
                var daysBack = ((int)local.DayOfWeek - (int)w.Day + 7) % 7;
                var start = local.Date.AddDays(-daysBack).Add(w.Start.ToTimeSpan());
                if (start > local)
                {
                    start = start.AddDays(-7);
                }

                if (local < start + w.Duration)
                {
                    return true;
                }
            }

            return false;
        }

        public override string ToString() =>
            $"phase {Phase}, ring {Ring}, kill {Kill}, org {Organisation} {OrgPolicy}, group {GroupPolicy}, build {Host.AgentBuild}, tags {Host.Tags}, offset {Host.UtcOffsetMinutes}, current {Current}, now {Now:O}";
    }
}
