using System.Globalization;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Conformance;

/// <summary>What the real server did with a scenario.</summary>
/// <param name="RolloutId">The server's rollout id (it keys the buckets).</param>
/// <param name="Hosts">Every enrolled host, with its first-served ring.</param>
/// <param name="Final">The rollout when the run ended.</param>
/// <param name="HaltedRing">The ring the rollout was in when it halted (or rolled back); null when it did not.</param>
/// <param name="ServedAfterHalt">Hosts first served the content more than one check-in interval after the halt.</param>
/// <param name="Decisions">Every decision, for failure messages.</param>
/// <param name="VirtualMinutes">Virtual time the run took.</param>
internal sealed record ServerOutcome(
    string RolloutId,
    IReadOnlyList<WireHost> Hosts,
    RolloutDto Final,
    int? HaltedRing,
    int ServedAfterHalt,
    IReadOnlyList<DecisionDto> Decisions,
    double VirtualMinutes)
{
    public string Describe() =>
        $"server: {Final.Status} in ring {Final.CurrentRing} after {VirtualMinutes} virtual min; decisions: "
        + string.Join(" | ", Decisions.Select(d => $"{d.Kind} ring {d.Ring} at {d.At:HH:mm}: {d.Reason}"));
}

/// <summary>
/// Runs a scenario through the real server (SQLite, real loopback HTTP, the real controller) with wire hosts, in lockstep
/// virtual time: each virtual minute the due hosts check in and report, then the controller runs once. Nothing waits on
/// the wall clock, so a run is as fast as the machine and the same seed gives the same run.
/// </summary>
internal static class ServerRun
{
    public const string Channel = "conformance";

    /// <summary>The instance a crash-on-load breadcrumb names.</summary>
    public const string Instance = "instance-1";

    /// <summary>Virtual minute 0: the release time of the simulator's scenario too.</summary>
    public static readonly DateTimeOffset Start = new(2024, 7, 19, 4, 0, 0, TimeSpan.Zero);

    public static async Task<ServerOutcome> RunAsync(ConformanceScenario scenario)
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { CheckInIntervalSeconds = (int)(scenario.CheckInMinutes * 60) });
        var time = h.Time;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = h.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        // Enroll the fleet at minute 0; each host's first check-in falls somewhere in the first interval.
        var fleet = scenario.Fleet();
        var phases = new Random(scenario.Seed + 1);
        var phase = fleet.Select(_ => Math.Floor(phases.NextDouble() * scenario.CheckInMinutes)).ToArray();
        var hosts = new WireHost[fleet.Count];
        await Parallel.ForAsync(0, fleet.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            hosts[i] = await WireHost.EnrollAsync(http, fleet[i], "conf-" + i.ToString("D5", CultureInfo.InvariantCulture), phase[i], (scenario.Seed * 7919) + i, i < scenario.DogfoodHosts));

        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey,
            new PublishChannelFileRequest($$"""{"channel":"{{Channel}}","version":1,"note":"{{scenario.Name}}"}"""));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey,
            new CreateRolloutRequest(Channel, file.Version, Rings: scenario.Rings, Reason: "conformance: " + scenario.Name));
        if (rollout.Status == RolloutStatus.PendingApproval)
            rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest("conformance"));
        await h.RunControllerAsync();
        rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);

        // Minute 0 is the release. Each minute: faults, the due hosts' check-ins and reports, one controller pass.
        double? endedAt = null;
        double? stoppedInRingAt = null;
        int? haltedRing = null;
        var minute = 0.0;
        for (; minute <= scenario.DurationHours * 60; minute++)
        {
            var now = time.GetUtcNow();
            var ring = rollout.CurrentRing;
            var at = minute;
            foreach (var host in hosts)
                host.Live(at, scenario, now);
            await Parallel.ForEachAsync(hosts, new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (host, _) => await host.CycleAsync(http, at, now, scenario, rollout.Id, ring, Instance));
            await h.RunControllerAsync();
            rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
            if (endedAt is null && rollout.Status is RolloutStatus.Completed or RolloutStatus.Halted or RolloutStatus.RolledBack)
            {
                endedAt = minute;
                if (rollout.Status is RolloutStatus.Halted or RolloutStatus.RolledBack)
                    haltedRing = rollout.CurrentRing;
            }
            // Keep going for two check-in intervals after the end: a halt must stop exposure within one.
            if (endedAt is { } end && minute >= end + (2 * scenario.CheckInMinutes))
                break;
            if (scenario.StopInRing is { } stop && rollout.CurrentRing >= stop)
            {
                stoppedInRingAt ??= minute;
                if (minute >= stoppedInRingAt + (2 * scenario.CheckInMinutes))
                    break;
            }
            time.Advance(TimeSpan.FromMinutes(1));
        }
        var decisions = await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null);
        var servedAfterHalt = haltedRing is null ? 0 : hosts.Count(x => x.FirstServedAt > endedAt + scenario.CheckInMinutes);
        return new ServerOutcome(rollout.Id, hosts, rollout, haltedRing, servedAfterHalt, decisions, minute);
    }

}
