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
    public async Task DefaultPlan_HealthyContent_SameDogfoodAndCoverageRingsOnBoth()
    {
        // The server's default plan (no rings given): internal dogfood hosts, then the canary composed to cover every
        // configuration. Bakes are 1 and 2 hours, so hosts check in every 30 minutes, and the run stops once the rollout
        // is in its third ring (1 %): the dogfood ring and the coverage ring are then complete on both hosts.
        var (server, sim) = await RunBothAsync(new ConformanceScenario
        {
            Name = "default-plan",
            Rings = null,
            DogfoodHosts = 40,
            CheckInMinutes = 30,
            StopInRing = 2,
            DurationHours = 10,
        });

        AssertSamePlacement(server, sim);
        server.HaltedRing.ShouldBeNull(server.Describe());
        server.Final.CurrentRing.ShouldBe(2, server.Describe());
        sim.HaltedRing.ShouldBeNull(sim.Describe());
        sim.Result.Decisions.ShouldContain(d => d.Kind == "RingStarted" && d.Ring == 2, sim.Describe());
        server.Hosts.Where(x => x.FirstServedRing == 0).ShouldAllBe(x => x.Dogfood, "the internal ring is the dogfood hosts");
        server.Hosts.Count(x => x.FirstServedRing == 0).ShouldBe(40);
        server.Hosts.Where(x => x.FirstServedRing == 1).Select(x => x.Configuration).Distinct().Count().ShouldBeGreaterThan(1, "the canary covers several configurations");
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
            // Host ids are random per run, so the canary differs each time: the fault must show within the canary's bake
            // with near certainty on both hosts. At ×10 over ~100 canary hosts the simulator's gate sometimes ended
            // inconclusive (held for a human) instead of halting.
            Name = "crash-rate-x25",
            Fault = new ConformanceFault(FaultKinds.CrashRate, OsBuild: "19045", Factor: 25),
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
        var sim = SimulatorRun.Run(scenario, [.. server.Hosts.Select(x => (x.HostId, x.Configuration, x.Dogfood))], server.RolloutId,
            scenario.StopInRing is null ? scenario.DurationHours : server.VirtualMinutes / 60);
        output.WriteLine($"{scenario.Name}: {scenario.Hosts} hosts, {server.Hosts.Select(x => x.Configuration).Distinct().Count()} configurations; "
            + $"server {serverSeconds:0.0} s real, simulator {clock.Elapsed.TotalSeconds - serverSeconds:0.0} s real");
        output.WriteLine(server.Describe());
        output.WriteLine(sim.Describe());
        return (server, sim);
    }

    /// <summary>
    /// Every host the server served was served in the ring the simulator placed it in; and every ring the server went
    /// through to the end (rings before the current one, all of them once completed) holds the same hosts, hence the
    /// same configurations, on both: the coverage sets are the same.
    /// </summary>
    private static void AssertSamePlacement(ServerOutcome server, SimulatorOutcome sim)
    {
        var served = server.Hosts.Where(x => x.FirstServedRing is not null).ToList();
        served.ShouldNotBeEmpty(server.Describe());
        var wrong = served.Where(x => sim.RingOf[x.HostId] != x.FirstServedRing).ToList();
        wrong.ShouldBeEmpty($"{wrong.Count} of {served.Count} served hosts are in another ring on the server than in the simulator, e.g. "
            + string.Join(", ", wrong.Take(5).Select(x => $"{x.HostId}: server ring {x.FirstServedRing}, simulator ring {sim.RingOf[x.HostId]}")));

        var finished = server.Final.Status == RolloutStatus.Completed ? server.Final.Rings.Count : server.Final.CurrentRing;
        for (var ring = 0; ring < finished; ring++)
        {
            var r = ring;
            var onServer = served.Where(x => x.FirstServedRing == r).ToList();
            var inSim = server.Hosts.Where(x => sim.RingOf[x.HostId] == r).ToList();
            onServer.Select(x => x.HostId).ToHashSet().SetEquals(inSim.Select(x => x.HostId)).ShouldBeTrue(
                $"ring {r} ({server.Final.Rings[r].Name}): the server served {onServer.Count} hosts in it, the simulator placed {inSim.Count}, {onServer.Intersect(inSim).Count()} in common");
            onServer.Select(x => x.Configuration).ToHashSet().SetEquals(inSim.Select(x => x.Configuration)).ShouldBeTrue($"ring {r}: configurations differ");
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
