using System.Diagnostics;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Reliability;

/// <summary>Two `ringfence serve` nodes on one PostgreSQL: exactly one leads; kill it and the other leads within 30 s; no promotion twice.</summary>
public sealed class LeaderFailoverTests
{
    private static readonly Dictionary<string, string> FastLease = new()
    {
        ["ControllerPeriod"] = "00:00:00.200",
        ["LeaseDuration"] = "00:00:02",
        ["SnapshotRefreshPeriod"] = "00:00:00.200",
        // Agents here cycle as fast as the test can drive them; rate limiting is tested elsewhere.
        ["AgentRequestsPerSecond"] = "1000",
    };

    [Fact]
    public async Task KillLeader_OtherNodeLeadsWithin30Seconds_AndNoPromotionIsMadeTwice()
    {
        using var storage = new TestStorage("postgres");
        await using var a = await ServerProcess.StartAsync(storage, "node-a", FastLease);
        await using var b = await ServerProcess.StartAsync(storage, "node-b", FastLease);
        var db = storage.Database();
        async Task<string?> HolderAsync()
        {
            await using var c = await db.OpenAsync();
            return await c.ExecuteScalarAsync<string>("SELECT holder FROM leases WHERE name = 'controller' AND expires_at > 0");
        }

        var deadline = Stopwatch.StartNew();
        string? leader;
        while ((leader = await HolderAsync()) is null && deadline.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(100);
        leader.ShouldNotBeNull();

        using var apiA = new ProtocolClient(a.BaseAddress);
        using var apiB = new ProtocolClient(b.BaseAddress);
        var agents = new List<WireAgent>();
        for (var i = 0; i < 20; i++)
            agents.Add(await WireAgent.EnrollAsync(i % 2 == 0 ? apiA : apiB, new HostConfiguration("win-7.12.18210", "windows", "22631")));
        var file = await apiA.Admin<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, new PublishChannelFileRequest(await File.ReadAllTextAsync(ProtocolClient.ExamplePath("good-channel.json"))));
        var rollout = await apiB.Admin<RolloutDto>(HttpMethod.Post, Routes.Rollouts,
            new CreateRolloutRequest(file.Channel, file.Version, Rings: [new("r0", 5, 0), new("r1", 20, 0), new("r2", 40, 0), new("r3", 70, 0), new("r4", 100, 0)]));
        await apiA.Admin<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve");

        var (survivor, survivorApi, victim) = leader == "node-a" ? (b, apiB, a) : (a, apiA, b);
        // Move the rollout a little, then kill the leader mid-rollout.
        for (var round = 0; round < 2; round++)
            foreach (var agent in agents)
                await agent.CheckInAndApplyAsync(survivorApi);
        victim.Kill();
        var killedAt = Stopwatch.StartNew();
        while (await HolderAsync() != survivor.NodeId)
        {
            killedAt.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the surviving node must lead within 30 s");
            await Task.Delay(100);
        }

        var finish = Stopwatch.StartNew();
        RolloutDto state;
        while ((state = await survivorApi.Admin<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id))).Status != RolloutStatus.Completed)
        {
            finish.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"rollout completes (at ring {state.CurrentRing}, {state.Status})");
            foreach (var agent in agents)
                await agent.CheckInAndApplyAsync(survivorApi);
        }

        var decisions = await survivorApi.Admin<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions");
        var promotions = decisions.Where(d => d.Kind == "promote").Select(d => d.Ring).ToList();
        promotions.ShouldBe([0, 1, 2, 3], "each ring is promoted exactly once, in order");
        decisions.Count(d => d.Kind == "complete").ShouldBe(1);
        await using var c = await db.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'rollout.promote'")).ShouldBe(4);
    }
}
