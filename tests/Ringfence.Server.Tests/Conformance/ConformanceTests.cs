using System.Diagnostics;
using Ringfence.Protocol;
using Ringfence.Simulation.Scenarios;
using Shouldly;
using Xunit.Abstractions;

namespace Ringfence.Server.Tests.Conformance;

/// <summary>
/// One engine, two hosts: each scenario runs through the real server (SQLite, loopback HTTP, 2,000 wire hosts on a
/// virtual clock) and then through the simulator over the very same hosts (by id) and rollout id, and the two must agree
/// on placement and on the decisions (DESIGN.md, safety invariant 7).
/// </summary>
[Collection(ConformanceCollection.Name)]
public sealed class ConformanceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HealthyContent_BothHosts_SameRingForEveryHostAndCompleteWithoutHalt()
    {
        var (server, sim) = await RunBothAsync(new ConformanceScenario { Name = "healthy" });

        AssertSamePlacement(server, sim);
        sim.Completed.ShouldBeTrue(sim.Describe());
        sim.HaltedRing.ShouldBeNull(sim.Describe());
        server.Final.Status.ShouldBe(RolloutStatus.Completed, server.Describe());
        server.HaltedRing.ShouldBeNull(server.Describe());

        // Completed: the server served every host, each in its ring; the simulator placed each in the same one.
        server.Hosts.ShouldAllBe(x => x.FirstServedRing != null);
        sim.Exposed.Count.ShouldBe(server.Hosts.Count);
    }

    [Fact]
    public async Task CrashOnLoad_BothHosts_HaltInSameRingAndExposeNoHostBeyondIt()
    {
        var (server, sim) = await RunBothAsync(new ConformanceScenario
        {
            Name = "crash-on-load",
            Fault = new ConformanceFault(FaultKinds.CrashOnLoad, OsBuild: "22631"),
        });

        AssertSamePlacement(server, sim);
        sim.HaltedRing.ShouldNotBeNull(sim.Describe());
        server.HaltedRing.ShouldNotBeNull(server.Describe());
        server.HaltedRing.ShouldBe(sim.HaltedRing, $"{server.Describe()}\n{sim.Describe()}");
        AssertNoExposureBeyond(server, sim, server.HaltedRing!.Value);
    }

    [Fact]
    public async Task TimeBombOutsideInterpreter_Server_HaltsAtMostOneRingAfterSimulator()
    {
        var (server, sim) = await RunBothAsync(new ConformanceScenario
        {
            Name = "time-bomb",
            Fault = new ConformanceFault(FaultKinds.TimeBomb, OsBuild: "19045", DelayMinutes: 60),
        });

        AssertSamePlacement(server, sim);
        AssertHaltedWithinOneRing(server, sim);
        AssertNoExposureBeyond(server, sim, server.HaltedRing!.Value);
    }

    [Fact]
    public async Task CrashRateRegression_Server_HaltsAtMostOneRingAfterSimulator()
    {
        var (server, sim) = await RunBothAsync(new ConformanceScenario
        {
            Name = "crash-rate-x10",
            Fault = new ConformanceFault(FaultKinds.CrashRate, OsBuild: "19045", Factor: 10),
        });

        AssertSamePlacement(server, sim);
        AssertHaltedWithinOneRing(server, sim);
        AssertNoExposureBeyond(server, sim, server.HaltedRing!.Value);
    }

    private async Task<(ServerOutcome Server, SimulatorOutcome Sim)> RunBothAsync(ConformanceScenario scenario)
    {
        var clock = Stopwatch.StartNew();
        var server = await ServerRun.RunAsync(scenario);
        var serverSeconds = clock.Elapsed.TotalSeconds;
        var sim = SimulatorRun.Run(scenario, [.. server.Hosts.Select(x => (x.HostId, x.Configuration))], server.RolloutId);
        output.WriteLine($"{scenario.Name}: {scenario.Hosts} hosts, {server.Hosts.Select(x => x.Configuration).Distinct().Count()} configurations; "
            + $"server {serverSeconds:0.0} s real, simulator {clock.Elapsed.TotalSeconds - serverSeconds:0.0} s real");
        output.WriteLine(server.Describe());
        output.WriteLine(sim.Describe());
        return (server, sim);
    }

    /// <summary>Every host the server served was served in the ring the simulator placed it in, and configurations reach each ring alike.</summary>
    private static void AssertSamePlacement(ServerOutcome server, SimulatorOutcome sim)
    {
        var served = server.Hosts.Where(x => x.FirstServedRing is not null).ToList();
        served.ShouldNotBeEmpty(server.Describe());
        var wrong = served.Where(x => sim.RingOf[x.HostId] != x.FirstServedRing).ToList();
        wrong.ShouldBeEmpty($"{wrong.Count} of {served.Count} served hosts are in another ring on the server than in the simulator, e.g. "
            + string.Join(", ", wrong.Take(5).Select(x => $"{x.HostId}: server ring {x.FirstServedRing}, simulator ring {sim.RingOf[x.HostId]}")));

        // Coverage: the configurations each ring reaches (with the rings before it) are the same set on both.
        var lastRing = served.Max(x => x.FirstServedRing!.Value);
        for (var ring = 0; ring <= lastRing; ring++)
        {
            var r = ring;
            var onServer = served.Where(x => x.FirstServedRing <= r).Select(x => x.Configuration).ToHashSet();
            var inSim = server.Hosts.Where(x => sim.RingOf[x.HostId] <= r).Select(x => x.Configuration).ToHashSet();
            onServer.SetEquals(inSim).ShouldBeTrue($"ring {r}: server covers {onServer.Count} configurations, simulator {inSim.Count}");
        }
    }

    private static void AssertHaltedWithinOneRing(ServerOutcome server, SimulatorOutcome sim)
    {
        sim.HaltedRing.ShouldNotBeNull(sim.Describe());
        server.HaltedRing.ShouldNotBeNull($"the real server did not halt it\n{server.Describe()}\n{sim.Describe()}");
        server.HaltedRing!.Value.ShouldBeLessThanOrEqualTo(sim.HaltedRing!.Value + 1, $"{server.Describe()}\n{sim.Describe()}");
    }

    /// <summary>No host placed after the halted ring was ever exposed, on either host; the halt stopped exposure within one check-in.</summary>
    private static void AssertNoExposureBeyond(ServerOutcome server, SimulatorOutcome sim, int haltedRing)
    {
        server.Hosts.Where(x => x.FirstServedRing is not null && sim.RingOf[x.HostId] > haltedRing)
            .Select(x => x.HostId).ShouldBeEmpty("the server exposed hosts beyond the halted ring");
        sim.Exposed.Where(id => sim.RingOf[id] > (sim.HaltedRing ?? haltedRing)).ShouldBeEmpty("the simulator exposed hosts beyond the halted ring");
        server.ServedAfterHalt.ShouldBe(0, "hosts were first served more than one check-in interval after the halt");
    }
}

/// <summary>The conformance runs each load the machine; they run one at a time, not beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConformanceCollection
{
    public const string Name = "Conformance";
}
