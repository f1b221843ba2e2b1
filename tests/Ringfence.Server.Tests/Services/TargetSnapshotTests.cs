using Ringfence.Protocol;
using Ringfence.Server.Services;

namespace Ringfence.Server.Tests.Services;

public sealed class TargetSnapshotTests
{
    private static readonly ContentTarget Baseline = new("291", 1, new string('a', 64), "a.bin", 10, ["7.11", "7.16"]);
    private static readonly ContentTarget Next = new("291", 2, new string('b', 64), "b.bin", 10, ["7.16"]);

    private static TargetSnapshot Snapshot(int bucketLimit) => TargetSnapshot.Empty with
    {
        Baselines = new Dictionary<string, ContentTarget> { ["291"] = Baseline },
        Active = new Dictionary<string, ActiveRollout> { ["291"] = new("r1", Next, 1, bucketLimit) },
        KnownBadVersion = 3,
    };

    private static HostConfiguration Build(string agentBuild, string osBuild = "22631") => new(agentBuild, "windows", osBuild);

    [Fact]
    public void Answer_HostsInTheSameRingsOnTheSameBuild_ShareOneSerialisedAnswer()
    {
        var snap = Snapshot(bucketLimit: 500);
        var a = snap.Answer(10, Build("7.16"), 60);
        var b = snap.Answer(499, Build("7.16", "19045"), 60);
        b.ShouldBeSameAs(a);
        a.Response.Targets.ShouldHaveSingleItem().Version.ShouldBe(2);
        System.Text.Json.JsonSerializer.Deserialize(a.Json, ProtocolJsonContext.Default.CheckInResponse)!.Targets.Single().Sha256.ShouldBe(Next.Sha256);
    }

    [Fact]
    public void Answer_OutsideTheRingOrOnAnUnvalidatedBuild_GetsTheBaselineWithAnotherETag()
    {
        var snap = Snapshot(bucketLimit: 500);
        var inRing = snap.Answer(10, Build("7.16"), 60);
        var outside = snap.Answer(500, Build("7.16"), 60);
        var unvalidated = snap.Answer(10, Build("7.11"), 60);
        outside.Response.Targets.Single().Version.ShouldBe(1);
        unvalidated.Response.Targets.Single().Version.ShouldBe(1);
        outside.ETag.ShouldNotBe(inRing.ETag);
        // Equal answers, equal tags, even though they were cached under different keys.
        unvalidated.ETag.ShouldBe(outside.ETag);
        unvalidated.Json.ShouldBe(outside.Json);
    }

    [Fact]
    public void Answer_NewSnapshot_ResolvesAgainInsteadOfReusingTheOldAnswer()
    {
        var before = Snapshot(bucketLimit: 500).Answer(10, Build("7.16"), 60);
        var halted = Snapshot(bucketLimit: 500) with { KnownBad = [Next.Sha256], KnownBadVersion = 4 };
        var after = halted.Answer(10, Build("7.16"), 60);
        after.Response.Targets.Single().Version.ShouldBe(1);
        after.Response.KnownBadListVersion.ShouldBe(4);
        after.ETag.ShouldNotBe(before.ETag);
    }
}
