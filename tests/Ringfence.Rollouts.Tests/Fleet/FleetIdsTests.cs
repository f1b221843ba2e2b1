using Ringfence.Rollouts.Fleet;

namespace Ringfence.Rollouts.Tests.Fleet;

public class FleetIdsTests
{
    [Fact]
    public void Facts_StringIds_AreStableAndKeyedByStableKey()
    {
        var a = HostFacts.FromIds("h_1", "7.11.18110", "windows", "22631", HostTags.Dogfood);
        var b = FleetIds.Facts("h_1", "7.11.18110", "windows", "22631", HostTags.Dogfood);

        a.ShouldBe(b);
        a.HostKey.ShouldBe(StableKey.Of("h_1"));
        a.Os.ShouldBe(OsFamily.Windows);
        a.AgentBuild.ShouldBe(FleetIds.AgentBuild("7.11.18110"));
        a.OsBuild.ShouldBe(FleetIds.OsBuild("windows", "22631"));
        a.Tags.ShouldBe(HostTags.Dogfood);
        a.OrganisationKey.ShouldBe(0UL);
    }

    [Fact]
    public void AgentBuild_DistinctBuilds_GetDistinctPositiveNumbers()
    {
        var builds = new[] { "7.10.18090", "7.11.18110", "7.11.18111", "7.16.18605", "6.58.16404" };
        var numbers = builds.Select(FleetIds.AgentBuild).ToArray();

        numbers.Distinct().Count().ShouldBe(builds.Length);
        numbers.ShouldAllBe(n => n > 0);
    }

    [Fact]
    public void OsBuild_SameBuildOfAnotherFamily_IsAnotherConfiguration()
    {
        FleetIds.OsBuild("windows", "100").ShouldNotBe(FleetIds.OsBuild("linux", "100"));
        FleetIds.OsBuild("Windows", "100").ShouldBe(FleetIds.OsBuild("windows", "100"));
        FleetIds.Configuration("7.11.18110", "windows", "22631").ShouldBe(FleetIds.Facts("x", "7.11.18110", "windows", "22631").Configuration);
    }
}
