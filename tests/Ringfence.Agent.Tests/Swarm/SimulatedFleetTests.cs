using Ringfence.Agent.Runtime;
using Ringfence.Agent.Swarm;

namespace Ringfence.Agent.Tests.Swarm;

public sealed class SimulatedFleetTests
{
    [Fact]
    public void Generate_SameSeed_SameFleet()
    {
        var a = SimulatedFleet.Generate(500, 3);
        var b = SimulatedFleet.Generate(500, 3);
        var c = SimulatedFleet.Generate(500, 4);

        static string Describe(HostProfile h) => $"{h.Hostname}|{h.Configuration}|{string.Join(",", h.Groups ?? [])}";
        a.Select(Describe).ShouldBe(b.Select(Describe));
        a.Select(h => h.Configuration).ShouldNotBe(c.Select(h => h.Configuration));
    }

    [Fact]
    public void Generate_SmallFleet_HasEveryConfigurationOfTheMix()
    {
        var hosts = SimulatedFleet.Generate(SimulatedFleet.DefaultMix.Count, 1);

        hosts.Select(h => (h.Configuration.AgentBuild, h.Configuration.OsBuild))
            .ShouldBe(SimulatedFleet.DefaultMix.Select(m => (m.AgentBuild, m.OsBuild)));
    }

    [Fact]
    public void Generate_LargeFleet_FollowsTheMixWeights()
    {
        var hosts = SimulatedFleet.Generate(20_000, 9);
        var share = hosts.Count(h => h.Configuration.OsBuild == "22631") / 20_000.0;

        // 22631 carries 0.08 + 0.08 + 0.10 of the weight.
        share.ShouldBeInRange(0.24, 0.28);
    }
}
