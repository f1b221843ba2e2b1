using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Dashboard;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Dashboard;

public sealed class DashboardQueriesTests
{
    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task RolloutHealth_CountersOfSeveralBuilds_SummedPerRingWindowAndKind(string provider)
    {
        using var storage = new TestStorage(provider);
        var db = storage.Database();
        await db.MigrateAsync(new ManualTime(DateTimeOffset.UnixEpoch));
        await using (var c = await db.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                INSERT INTO telemetry_counters (rollout_id, ring, agent_build, os_build, window_start, kind, count) VALUES
                ('r1', 0, '7.11', '22631', 60000, 'crash:exposed', 2), ('r1', 0, '7.16', '19045', 60000, 'crash:exposed', 3),
                ('r1', 0, '7.11', '22631', 60000, 'heartbeat:control', 40), ('r1', 1, '7.11', '22631', 120000, 'crash:exposed', 1),
                ('r2', 0, '7.11', '22631', 60000, 'crash:exposed', 9)
                """);
        }
        var rollout = new RolloutDto("r1", "291", 1, new string('a', 64), false, RolloutStatus.Progressing, 1, [], [], DateTimeOffset.UnixEpoch, "test", null);

        var health = await new DashboardQueries(db).RolloutHealthAsync(rollout, CancellationToken.None);

        health.Truncated.ShouldBeFalse();
        health.Counters.ShouldBe(
        [
            new CounterPoint(0, DateTimeOffset.FromUnixTimeMilliseconds(60000), "crash:exposed", 5),
            new CounterPoint(0, DateTimeOffset.FromUnixTimeMilliseconds(60000), "heartbeat:control", 40),
            new CounterPoint(1, DateTimeOffset.FromUnixTimeMilliseconds(120000), "crash:exposed", 1),
        ]);
    }
}
