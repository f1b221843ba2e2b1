using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Resolution;

public class TargetResolverTests
{
    internal const long Baseline = 100;
    internal const long New = 291;

    /// <summary>Dogfood, early adopters ("Early Bird"), canary 10 %, everyone.</summary>
    internal static readonly RingPlan Plan4 = new(
    [
        new RingSpec("dogfood", RingSelection.Dogfood(), 1, TimeSpan.FromMinutes(30)),
        new RingSpec("early", RingSelection.EarlyAdopters("Early Bird"), 1, TimeSpan.FromMinutes(30)),
        new RingSpec("canary", RingSelection.ByPercent(10), 1, TimeSpan.FromMinutes(60)),
        new RingSpec("all", RingSelection.ByPercent(100), 1, TimeSpan.FromMinutes(30)),
    ]);

    internal static readonly RolloutSpec Spec291 = new("r-291", New, "C-00000291", [7110, 7120], Plan4);

    internal static HostFacts Host(int i, int agentBuild = 7110, string org = "Acme", HostTags tags = HostTags.None, string? group = null, short offset = 0) =>
        new(StableKey.Of($"host-{i}"), StableKey.Of(org), group is null ? 0 : StableKey.Of(group), OsFamily.Windows, 19045, agentBuild, offset, tags);

    internal static RolloutState State(RolloutPhase phase, int ring = 0, DateTimeOffset? completedAt = null) =>
        new("r-291", phase, ring, 5, RingStartedAt: T0, BakeStartedAt: T0, CompletedAt: completedAt);

    internal static TargetResolver Resolver(RolloutState state, PolicySet? policies = null, bool kill = false) =>
        TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(Spec291, state)], policies, kill, Baseline));

    private static Target Resolve(TargetResolver resolver, HostFacts host, long current = Baseline, DateTimeOffset? at = null) =>
        resolver.Resolve(host, current, at ?? T0.AddHours(1));

    [Theory]
    [InlineData(RolloutPhase.Draft)]
    [InlineData(RolloutPhase.Validated)]
    public void Resolve_RolloutNotStarted_GivesBaseline(RolloutPhase phase)
    {
        var target = Resolve(Resolver(State(phase)), Host(1, tags: HostTags.Dogfood));

        target.ShouldBe(new Target(Baseline, -1, TargetReason.Baseline));
    }

    [Fact]
    public void Resolve_RingZeroDeploying_OnlyDogfoodHostsGetTheContent()
    {
        var resolver = Resolver(State(RolloutPhase.Deploying, 0));

        Resolve(resolver, Host(1, tags: HostTags.Dogfood)).ShouldBe(new Target(New, 0, TargetReason.Rollout));
        Enumerable.Range(0, 2000).Count(i => Resolve(resolver, Host(i)).ContentVersion == New).ShouldBe(0);
    }

    [Fact]
    public void Resolve_EarlyRing_ListedOrganisationAndEarlyChannelGetIt()
    {
        var policies = new PolicySet(new Dictionary<string, CustomerPolicy> { ["Keen Bank"] = new(ReleaseChannel.Early) });
        var resolver = Resolver(State(RolloutPhase.Baking, 1), policies);

        Resolve(resolver, Host(1, org: "Early Bird")).ContentVersion.ShouldBe(New);
        Resolve(resolver, Host(2, org: "Keen Bank")).ContentVersion.ShouldBe(New);
        Enumerable.Range(0, 2000).Count(i => Resolve(resolver, Host(i)).ContentVersion == New).ShouldBe(0);
    }

    [Fact]
    public void Resolve_CanaryRing_ExposesAboutItsPercentage()
    {
        var resolver = Resolver(State(RolloutPhase.Baking, 2));

        var exposed = Enumerable.Range(0, 20_000).Count(i => Resolve(resolver, Host(i)).ContentVersion == New);

        (exposed / 20_000.0).ShouldBe(0.10, 0.01);
    }

    [Fact]
    public void Resolve_CanaryRing_ExposedHostsAreExactlyThoseWhoseRingIsAtMostTheCurrentOne()
    {
        var resolver = Resolver(State(RolloutPhase.Deploying, 2));

        for (var i = 0; i < 3000; i++)
        {
            var host = Host(i);
            (Resolve(resolver, host).ContentVersion == New).ShouldBe(resolver.RingOf(host, 0) <= 2);
        }
    }

    [Fact]
    public void Resolve_Completed_EveryValidatedHostGetsIt()
    {
        var resolver = Resolver(State(RolloutPhase.Completed, 3, T0));

        Enumerable.Range(0, 500).ShouldAllBe(i => Resolve(resolver, Host(i, 7120, "Acme", HostTags.Critical, null, 0)).ContentVersion == New);
    }

    [Theory]
    [InlineData(7100)]
    [InlineData(0)]
    public void Resolve_BuildNotValidated_NeverGetsTheContentEvenWhenCompleted(int build)
    {
        var resolver = Resolver(State(RolloutPhase.Completed, 3, T0));

        Resolve(resolver, Host(1, build, tags: HostTags.Dogfood)).ShouldBe(new Target(Baseline, -1, TargetReason.Baseline));
        resolver.RingOf(Host(1, build), 0).ShouldBe(-1);
    }

    [Fact]
    public void Resolve_Halted_StopsNewExposureButExposedHostsKeepIt()
    {
        var resolver = Resolver(State(RolloutPhase.Halted, 3));

        Enumerable.Range(0, 1000).ShouldAllBe(i => Resolve(resolver, Host(i, 7110, "Acme", HostTags.Dogfood, null, 0), Baseline, null).ContentVersion == Baseline);
        Resolve(resolver, Host(1), New).ShouldBe(new Target(New, 0, TargetReason.Kept));
    }

    [Fact]
    public void Resolve_Paused_StopsNewExposure()
    {
        var resolver = Resolver(State(RolloutPhase.Paused, 3));

        Resolve(resolver, Host(1, tags: HostTags.Dogfood)).ContentVersion.ShouldBe(Baseline);
        Resolve(resolver, Host(1), New).Reason.ShouldBe(TargetReason.Kept);
    }

    [Fact]
    public void Resolve_RolledBack_EveryExposedHostGoesBackEvenOutsideItsWindow()
    {
        var closed = new CustomerPolicy(MaintenanceWindows: [new MaintenanceWindow(DayOfWeek.Sunday, new TimeOnly(2, 0), TimeSpan.FromHours(1))]);
        var resolver = Resolver(State(RolloutPhase.RolledBack, 2), new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = closed }));

        for (var i = 0; i < 500; i++)
        {
            Resolve(resolver, Host(i), New).ShouldBe(new Target(Baseline, -1, TargetReason.RolledBack));
            Resolve(resolver, Host(i, tags: HostTags.Dogfood), Baseline).ContentVersion.ShouldBe(Baseline);
        }
    }

    [Fact]
    public void Resolve_RolledBackNewerOverCompletedOlder_GoesBackToTheOlderRollout()
    {
        var older = new RolloutEntry(Spec291 with { RolloutId = "r-290", ContentVersion = 290 }, State(RolloutPhase.Completed, 3, T0.AddDays(-1)) with { RolloutId = "r-290" });
        var newer = new RolloutEntry(Spec291, State(RolloutPhase.RolledBack, 2));
        var resolver = TargetResolver.Create(new ResolverSnapshot([newer, older], null, false, Baseline));

        resolver.Resolve(Host(1), New, T0).ShouldBe(new Target(290, 1, TargetReason.RolledBack));
    }

    [Fact]
    public void Resolve_KillSwitch_NoNewExposureAnywhere()
    {
        var resolver = Resolver(State(RolloutPhase.Completed, 3, T0), kill: true);

        Resolve(resolver, Host(1), Baseline).ShouldBe(new Target(Baseline, -1, TargetReason.Baseline));
        Resolve(resolver, Host(1), 42).ShouldBe(new Target(42, -1, TargetReason.Kept));
        Resolve(resolver, Host(1), New).ShouldBe(new Target(New, 0, TargetReason.Kept));
    }

    [Fact]
    public void Resolve_LateChannel_OnlyInTheLastRing()
    {
        var policies = new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = new(ReleaseChannel.Late) });

        var inCanary = Enumerable.Range(0, 2000).Count(i => Resolve(Resolver(State(RolloutPhase.Baking, 2), policies), Host(i)).ContentVersion == New);
        var inLast = Enumerable.Range(0, 200).Count(i => Resolve(Resolver(State(RolloutPhase.Deploying, 3), policies), Host(i)).ContentVersion == New);

        inCanary.ShouldBe(0);
        inLast.ShouldBe(200);
    }

    [Fact]
    public void Resolve_CriticalHostsOrGroups_ServedOnlyAfterCompletion()
    {
        var policies = new PolicySet(HostGroups: new Dictionary<string, CustomerPolicy> { ["icu"] = new(Critical: true) });
        var lastRing = Resolver(State(RolloutPhase.Baking, 3), policies);
        var completed = Resolver(State(RolloutPhase.Completed, 3, T0), policies);

        Resolve(lastRing, Host(1, tags: HostTags.Critical)).ContentVersion.ShouldBe(Baseline);
        Resolve(lastRing, Host(2, group: "icu")).ContentVersion.ShouldBe(Baseline);
        Resolve(lastRing, Host(3)).ContentVersion.ShouldBe(New);
        Resolve(completed, Host(1, tags: HostTags.Critical)).ContentVersion.ShouldBe(New);
        Resolve(completed, Host(2, group: "icu")).ContentVersion.ShouldBe(New);
        lastRing.RingOf(Host(1, tags: HostTags.Critical), 0).ShouldBe(TargetResolver.AfterCompletion);
    }

    [Fact]
    public void Resolve_NMinusOnePin_OnlyAfterCompletedForTheDelay()
    {
        var policies = new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = new(PinDelay: TimeSpan.FromDays(2)) });
        var completed = Resolver(State(RolloutPhase.Completed, 3, T0), policies);

        Resolve(Resolver(State(RolloutPhase.Deploying, 3), policies), Host(1)).ContentVersion.ShouldBe(Baseline);
        Resolve(completed, Host(1), Baseline, T0.AddDays(2).AddMinutes(-1)).ContentVersion.ShouldBe(Baseline);
        Resolve(completed, Host(1), Baseline, T0.AddDays(2)).ContentVersion.ShouldBe(New);
    }

    [Fact]
    public void Resolve_GroupPolicy_ReplacesTheOrganisationPolicy()
    {
        var policies = new PolicySet(
            new Dictionary<string, CustomerPolicy> { ["Acme"] = new(ReleaseChannel.Late) },
            new Dictionary<string, CustomerPolicy> { ["pilots"] = new(ReleaseChannel.Early) });
        var resolver = Resolver(State(RolloutPhase.Baking, 1), policies);

        Resolve(resolver, Host(1, group: "pilots")).ContentVersion.ShouldBe(New);
        Resolve(resolver, Host(1)).ContentVersion.ShouldBe(Baseline);
    }

    [Theory]
    [InlineData(0, "2024-07-20T01:30:00Z", true)]    // Saturday 01:30 local, window Sat 01:00-03:00
    [InlineData(0, "2024-07-20T03:00:00Z", false)]   // window just ended
    [InlineData(600, "2024-07-19T15:30:00Z", true)]  // Sydney (+10): Saturday 01:30 local
    [InlineData(-240, "2024-07-20T01:30:00Z", false)] // New York: Friday 21:30 local
    [InlineData(-240, "2024-07-20T05:59:00Z", true)]  // New York: Saturday 01:59 local
    public void Resolve_MaintenanceWindow_InTheHostsLocalTime(int offset, string utc, bool delivered)
    {
        var window = new CustomerPolicy(MaintenanceWindows: [new MaintenanceWindow(DayOfWeek.Saturday, new TimeOnly(1, 0), TimeSpan.FromHours(2))]);
        var resolver = Resolver(State(RolloutPhase.Completed, 3, T0), new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = window }));

        var target = resolver.Resolve(Host(1, offset: (short)offset), Baseline, DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));

        target.ShouldBe(delivered ? new Target(New, 0, TargetReason.Rollout) : new Target(Baseline, -1, TargetReason.Deferred));
    }

    [Fact]
    public void Resolve_WindowAcrossMidnightIntoNextWeek_IsOpen()
    {
        var window = new CustomerPolicy(MaintenanceWindows: [new MaintenanceWindow(DayOfWeek.Saturday, new TimeOnly(23, 0), TimeSpan.FromHours(26))]);
        var resolver = Resolver(State(RolloutPhase.Completed, 3, T0), new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = window }));

        // Saturday 23:00 + 26 h ends Monday 01:00, across the Sunday 00:00 week boundary of the encoding.
        resolver.Resolve(Host(1), Baseline, new DateTimeOffset(2024, 7, 21, 22, 0, 0, TimeSpan.Zero)).ContentVersion.ShouldBe(New);
        resolver.Resolve(Host(1), Baseline, new DateTimeOffset(2024, 7, 22, 0, 30, 0, TimeSpan.Zero)).ContentVersion.ShouldBe(New);
        resolver.Resolve(Host(1), Baseline, new DateTimeOffset(2024, 7, 22, 1, 30, 0, TimeSpan.Zero)).ContentVersion.ShouldBe(Baseline);
        resolver.Resolve(Host(1), Baseline, new DateTimeOffset(2024, 7, 20, 22, 30, 0, TimeSpan.Zero)).ContentVersion.ShouldBe(Baseline);
    }

    [Fact]
    public void Resolve_NewerInProgressOverCompletedOlder_HostsOutsideTheRingGetTheOlder()
    {
        var older = new RolloutEntry(Spec291 with { RolloutId = "r-290", ContentVersion = 290 }, State(RolloutPhase.Completed, 3, T0.AddDays(-1)) with { RolloutId = "r-290" });
        var newer = new RolloutEntry(Spec291, State(RolloutPhase.Deploying, 0));
        var resolver = TargetResolver.Create(new ResolverSnapshot([older, newer], null, false, Baseline));

        resolver.Resolve(Host(1), Baseline, T0).ShouldBe(new Target(290, 0, TargetReason.Rollout));
        resolver.Resolve(Host(1, tags: HostTags.Dogfood), 290, T0).ShouldBe(new Target(New, 1, TargetReason.Rollout));
    }

    [Fact]
    public void Create_InvalidSnapshot_ListsEveryProblem()
    {
        var bad = new RolloutEntry(Spec291 with { Plan = new RingPlan([]) }, State(RolloutPhase.Deploying, 7));
        var policies = new PolicySet(new Dictionary<string, CustomerPolicy> { ["Acme"] = new(PinDelay: TimeSpan.FromDays(-1)) });

        var e = Should.Throw<ArgumentException>(() => TargetResolver.Create(new ResolverSnapshot([bad], policies)));

        e.Message.ShouldContain("rollouts[0].plan.rings");
        e.Message.ShouldContain("rollouts[0].state.ring");
        e.Message.ShouldContain("policies.organisations['Acme'].pinDelay");
    }

    [Fact]
    public void Resolve_CoverageOverride_RaisesTheShareOfThatConfigurationOnly()
    {
        var plan = Plan4 with { Rings = [.. Plan4.Rings.Select((r, i) => i == 2 ? r with { Selection = r.Selection with { ConfigurationOverrides = [new ConfigurationPercent(7120, 19045, 50)] } } : r)] };
        var resolver = TargetResolver.Create(new ResolverSnapshot([new RolloutEntry(Spec291 with { Plan = plan }, State(RolloutPhase.Baking, 2))], null, false, Baseline));

        var small = Enumerable.Range(0, 4000).Count(i => resolver.Resolve(Host(i, 7120), Baseline, T0).ContentVersion == New) / 4000.0;
        var other = Enumerable.Range(0, 4000).Count(i => resolver.Resolve(Host(i, 7110), Baseline, T0).ContentVersion == New) / 4000.0;

        small.ShouldBe(0.5, 0.03);
        other.ShouldBe(0.1, 0.02);
    }
}
