using Ringfence.Agent.Runtime;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class RuntimeOptionsAndFleetTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() =>
        new AgentRuntimeOptions { Server = new Uri("http://127.0.0.1:5080/") }.Validate().ShouldBeEmpty();

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryErrorAtOnce()
    {
        var options = new AgentRuntimeOptions
        {
            Server = new Uri("ftp://example/"),
            EnrollmentToken = "",
            CheckInInterval = TimeSpan.Zero,
            CheckInJitter = 2,
            BackoffBase = TimeSpan.FromHours(2),
            EventsPerCycle = -1,
            TelemetryBatchSize = 0,
            HeartbeatFlushCycles = 0,
        };

        var errors = options.Validate();

        errors.Count.ShouldBeGreaterThanOrEqualTo(8);
        errors.ShouldContain(e => e.Contains("ftp://"));
        errors.ShouldContain(e => e.Contains("check-in jitter"));
    }

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
