using Ringfence.Protocol;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Services;

namespace Ringfence.Server.Tests.Services;

public sealed class TargetSnapshotTests
{
    private static readonly DateTimeOffset Now = new(2024, 7, 19, 4, 0, 0, TimeSpan.Zero);
    private static readonly ContentTarget Baseline = new("291", 1, new string('a', 64), "a.bin", 10, ["7.11", "7.16"]);
    private static readonly ContentTarget Next = new("291", 2, new string('b', 64), "b.bin", 10, ["7.16"]);

    private static RolloutSpec Spec(string id, long version, params string[] builds) => RolloutSpecs.Build(new RolloutSpecRequest(id, version, "291",
        EngineInputs.ValidatedBuilds(builds), RolloutSpecs.PercentPlan([new("canary", 50, TimeSpan.FromMinutes(10)), new("all", 100, TimeSpan.Zero)]))).Spec;

    /// <summary>v1 completed (the settled content), v2 in its 50 % canary, or in <paramref name="phase"/>.</summary>
    private static TargetSnapshot Snapshot(RolloutPhase phase = RolloutPhase.Deploying, bool kill = false)
    {
        var entries = new[]
        {
            new RolloutEntry(Spec("r0", 1, "7.11", "7.16"), new RolloutState("r0", RolloutPhase.Completed, 1, 9, CompletedAt: Now.AddDays(-1))),
            new RolloutEntry(Spec("r1", 2, "7.16"), new RolloutState("r1", phase, 0, 3, RingStartedAt: Now)),
        };
        var resolver = TargetResolver.Create(new ResolverSnapshot(entries, EngineInputs.Policies, kill));
        var placement = new ChannelPlacement("291", resolver, [new PlacedRollout(null, Baseline), new PlacedRollout("r1", Next)],
            new Dictionary<long, ContentTarget> { [1] = Baseline, [2] = Next });
        return new TargetSnapshot([placement], [], 3, 7, kill);
    }

    private static HostConfiguration Build(string agentBuild, string osBuild = "22631") => new(agentBuild, "windows", osBuild);

    private static bool InCanary(string hostId) => StableBucket.Of(hostId, "r1") < StableBucket.Threshold(50);

    private static string Host(bool inCanary, int skip = 0) =>
        Enumerable.Range(0, 1000).Select(i => "h_" + i).Where(h => InCanary(h) == inCanary).Skip(skip).First();

    private static CheckInAnswer Answer(TargetSnapshot snap, string hostId, HostConfiguration cfg, long? running = null) =>
        snap.Answer(EngineInputs.Facts(hostId, cfg, HostTags.None), cfg, running is { } v ? [new ChannelState("291", v, null, null)] : [], Now, 60);

    [Fact]
    public void Answer_HostsResolvingToTheSameContent_ShareOneSerialisedAnswer()
    {
        var snap = Snapshot();
        var a = Answer(snap, Host(inCanary: true), Build("7.16"));
        var b = Answer(snap, Host(inCanary: true, skip: 1), Build("7.16", "19045"));

        b.ShouldBeSameAs(a);
        var target = a.Response.Targets.ShouldHaveSingleItem();
        (target.Version, target.RolloutId).ShouldBe((2, "r1"));
        System.Text.Json.JsonSerializer.Deserialize(a.Json, ProtocolJsonContext.Default.CheckInResponse)!.Targets.Single().Sha256.ShouldBe(Next.Sha256);
    }

    [Fact]
    public void Answer_OutsideTheEnginesRingOrOnAnUnvalidatedBuild_GetsTheSettledContentWithAnotherETag()
    {
        var snap = Snapshot();
        var inRing = Answer(snap, Host(inCanary: true), Build("7.16"));
        var outside = Answer(snap, Host(inCanary: false), Build("7.16"));
        var unvalidated = Answer(snap, Host(inCanary: true), Build("7.11"));

        var settled = outside.Response.Targets.ShouldHaveSingleItem();
        (settled.Version, settled.RolloutId).ShouldBe((1, null));
        unvalidated.Response.Targets.Single().Version.ShouldBe(1);
        outside.ETag.ShouldNotBe(inRing.ETag);
        // Equal answers, equal tags.
        unvalidated.ETag.ShouldBe(outside.ETag);
        unvalidated.Json.ShouldBe(outside.Json);
    }

    [Fact]
    public void Answer_NewSnapshot_ResolvesAgainInsteadOfReusingTheOldAnswer()
    {
        var host = Host(inCanary: true);
        var before = Answer(Snapshot(), host, Build("7.16"));
        var knownBad = Snapshot() with { KnownBad = [Next.Sha256], KnownBadVersion = 4 };

        var after = Answer(knownBad, host, Build("7.16"));

        after.Response.Targets.ShouldBeEmpty("known-bad content is never named, and the host cannot be moved back while it may keep it");
        after.Response.KnownBadListVersion.ShouldBe(4);
        after.ETag.ShouldNotBe(before.ETag);
    }

    [Fact]
    public void Answer_HaltedRollout_HostsRunningItKeepItAndNobodyNewGetsIt()
    {
        var snap = Snapshot(RolloutPhase.Halted);

        Answer(snap, Host(inCanary: true), Build("7.16"), running: 2).Response.Targets.Single().Version.ShouldBe(2);
        Answer(snap, Host(inCanary: true, skip: 1), Build("7.16"), running: 1).Response.Targets.Single().Version.ShouldBe(1);
    }

    [Fact]
    public void Answer_RolledBack_HostsRunningItAreSentBackToTheSettledContent()
    {
        var target = Answer(Snapshot(RolloutPhase.RolledBack), Host(inCanary: true), Build("7.16"), running: 2).Response.Targets.Single();

        (target.Version, target.RolloutId).ShouldBe((1, null));
    }

    [Fact]
    public void Answer_KillSwitch_ExposesNobodyNewAndTellsTheAgent()
    {
        var answer = Answer(Snapshot(kill: true), Host(inCanary: true), Build("7.16"), running: 1);

        answer.Response.Targets.Single().Version.ShouldBe(1);
        answer.Response.KillSwitchEngaged.ShouldBeTrue();
    }
}
