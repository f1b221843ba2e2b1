using Dapper;
using Ringfence.Cli;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Reliability;

/// <summary>Invariant 5: controller state survives a crash of its process; no decision is taken twice; acknowledged telemetry is kept.</summary>
public sealed class CrashRestartTests
{
    private static readonly Dictionary<string, string> FastController = new()
    {
        ["ControllerPeriod"] = "00:00:00.200",
        ["LeaseDuration"] = "00:00:01",
        ["SnapshotRefreshPeriod"] = "00:00:00.200",
        // Agents here cycle as fast as the test can drive them; rate limiting is tested elsewhere.
        ["AgentRequestsPerSecond"] = "1000",
    };

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{what} within {limit}: last value {value}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task KillDashNine_MidRollout_RestartResumesAtSameRingWithoutRepeatingDecisionsOrLosingTelemetry()
    {
        using var storage = new TestStorage("sqlite");
        var first = await ServerProcess.StartAsync(storage, "node-a", FastController);
        string rolloutId;
        long acknowledgedEvents = 0;
        try
        {
            using var api = new ProtocolClient(first.BaseAddress);
            var agents = new List<WireAgent>();
            for (var i = 0; i < 30; i++)
                agents.Add(await WireAgent.EnrollAsync(api, new HostConfiguration("win-7.11.18110", "windows", "22631")));
            var file = await api.Admin<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, new PublishChannelFileRequest(await File.ReadAllTextAsync(ProtocolClient.ExamplePath("good-channel.json"))));
            var rollout = await api.Admin<RolloutDto>(HttpMethod.Post, Routes.Rollouts,
                new CreateRolloutRequest(file.Channel, file.Version, Rings: [new("dogfood", 1, 0), new("canary", 50, 600), new("general", 100, 0)]));
            rolloutId = rollout.Id;
            await api.Admin<RolloutDto>(HttpMethod.Post, Routes.Rollout(rolloutId) + "/approve");
            await PollAsync(async () =>
            {
                foreach (var a in agents)
                    await a.CheckInAndApplyAsync(api);
                return (await api.Admin<RolloutDto>(HttpMethod.Get, Routes.Rollout(rolloutId))).CurrentRing;
            }, ring => ring == 1, TimeSpan.FromSeconds(30), "the controller promotes ring 0");

            // Telemetry acknowledged before the crash must survive it.
            for (var i = 0; i < agents.Count; i++)
            {
                var ack = await agents[i].SendAsync(api, $"hb-{i}", new TelemetryEvent(TelemetryKind.Heartbeat, DateTimeOffset.UnixEpoch.AddDays(20000)),
                    new TelemetryEvent(TelemetryKind.Loaded, DateTimeOffset.UnixEpoch.AddDays(20000), file.Channel, file.Version, file.Sha256));
                acknowledgedEvents += ack.Accepted;
            }
            acknowledgedEvents += agents.Sum(a => a.HeartbeatsAcknowledged);
        }
        finally
        {
            first.Kill();
        }

        await using var second = await ServerProcess.StartAsync(storage, "node-b", FastController);
        using var api2 = new ProtocolClient(second.BaseAddress);
        var db = storage.Database();
        // Node b can lead only once node a's lease has expired; wait until it has run controller passes.
        await PollAsync(async () =>
        {
            await using var c = await db.OpenAsync();
            return await c.ExecuteScalarAsync<string>("SELECT holder FROM leases WHERE name = 'controller'");
        }, holder => holder == "node-b", TimeSpan.FromSeconds(30), "node b takes the lease");
        await PollAsync(async () =>
        {
            await using var c = await db.OpenAsync();
            return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_events WHERE aggregated = 0");
        }, n => n == 0, TimeSpan.FromSeconds(30), "node b aggregates the telemetry received before the crash");

        var resumed = await api2.Admin<RolloutDto>(HttpMethod.Get, Routes.Rollout(rolloutId));
        resumed.Status.ShouldBe(RolloutStatus.Progressing);
        resumed.CurrentRing.ShouldBe(1);
        var decisions = await api2.Admin<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rolloutId) + "/decisions");
        decisions.Count(d => d.Kind == "promote").ShouldBe(1);
        decisions.Select(d => d.Id).Distinct().Count().ShouldBe(decisions.Count);
        await using (var c = await db.OpenAsync())
        {
            (await c.ExecuteScalarAsync<long>("SELECT SUM(count) FROM telemetry_events")).ShouldBe(acknowledgedEvents);
            (await c.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(count), 0) FROM telemetry_counters WHERE rollout_id = @rolloutId", new { rolloutId })).ShouldBe(acknowledgedEvents);
        }
        (acknowledgedEvents - 60).ShouldBeGreaterThan(0, "the wire agents' heartbeats (one per cycle) are acknowledged telemetry too");

        // The chain written by both processes verifies with the CLI.
        second.Kill();
        var output = new StringWriter();
        var exit = CliApp.Run(["audit", "verify", "--data", storage.DataDirectory], new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output });
        exit.ShouldBe(0, output.ToString());
        output.ToString().ShouldContain("audit log intact");
    }
}
