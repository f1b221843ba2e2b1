using Ringfence.Content;

namespace Ringfence.Content.Tests.Model;

public class FleetManifestTests
{
    [Fact]
    public void TargetedBuilds_OsAndVersionTarget_OnlyBuildsCompilingTheTypeInRange()
    {
        var file = TestContent.Channel291(Criterion.Wildcard);

        var ids = TestContent.Fleet.TargetedBuilds(file).Select(b => b.BuildId).ToList();

        ids.ShouldBe(["win-7.11", "win-7.13", "win-7.16"]);
    }

    [Fact]
    public void HostCount_SumsEveryOsBuildRow() => TestContent.Fleet.HostCount("win-7.11").ShouldBe(1_500_000);

    [Fact]
    public void Merge_LearnedBuildWithSmallerContract_KeepsTheSmallerCount()
    {
        var learned = new FleetManifest("learned",
            [
                new AgentBuild("win-7.16", AgentOs.Windows, AgentVersion.Parse("7.16.18605"), [new TemplateContract("ipc", 20), new TemplateContract("dns", 4)]),
                new AgentBuild("lin-7.14", AgentOs.Linux, AgentVersion.Parse("7.14"), [new TemplateContract("proc", 3)]),
            ],
            [new HostPopulation("win-7.16", "Windows 11 24H2", 2_000), new HostPopulation("lin-7.14", "RHEL 9", 50)]);

        var merged = TestContent.Fleet.Merge(learned);

        merged.FindBuild("win-7.16")!.SuppliedValues("ipc").ShouldBe(20);
        merged.FindBuild("win-7.16")!.SuppliedValues("dns").ShouldBe(4);
        merged.FindBuild("lin-7.14").ShouldNotBeNull();
        merged.HostCount("win-7.16").ShouldBe(4_000); // same hosts seen twice are not double counted
        merged.HostCount("lin-7.14").ShouldBe(50);
    }

    [Fact]
    public void ValueList_SameItems_AreEqual()
    {
        ValueList<int> a = [1, 2, 3];
        ValueList<int> b = new[] { 1, 2, 3 };

        a.ShouldBe(b);
        (a == b).ShouldBeTrue();
        a.GetHashCode().ShouldBe(b.GetHashCode());
        (a == (ValueList<int>)[1, 2]).ShouldBeFalse();
    }
}
