using Dapper;
using Ringfence.Server.Storage;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Storage;

public sealed class MigrationTests
{
    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Migrate_FromV1WithData_UpgradesInPlaceKeepingRows(string provider)
    {
        using var storage = new TestStorage(provider);
        var db = storage.Database();
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        (await db.MigrateAsync(time, targetVersion: 1)).ShouldBe(1);
        await using (var c = await db.OpenAsync())
        {
            await c.ExecuteAsync("INSERT INTO hosts (host_id, hostname, credential_hash, agent_build, os, os_build, bucket, enrolled_at, last_seen) VALUES ('h1', 'pc', 'x', 'b', 'windows', '1', 42, 1, 1)");
            await c.ExecuteAsync("INSERT INTO telemetry_batches (host_id, idempotency_key, received_at, event_count) VALUES ('h1', 'k', 1, 1)");
            await c.ExecuteAsync("INSERT INTO telemetry_events (host_id, idempotency_key, idx, kind, at, boot_crash, received_at) VALUES ('h1', 'k', 0, 'Crash', 5, 1, 6)");
        }

        (await db.MigrateAsync(time)).ShouldBe(Database.LatestVersion);
        Database.LatestVersion.ShouldBeGreaterThan(1);
        await using (var c = await db.OpenAsync())
        {
            (await c.ExecuteScalarAsync<string>("SELECT hostname FROM hosts WHERE host_id = 'h1'")).ShouldBe("pc");
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_events WHERE aggregated = 0")).ShouldBe(1, "the v2 column defaults old rows to not yet aggregated");
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_counters")).ShouldBe(0);
            (await c.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ShouldBe([.. Enumerable.Range(1, Database.LatestVersion).Select(v => (long)v)]);
        }
        // Running it again changes nothing.
        (await db.MigrateAsync(time)).ShouldBe(Database.LatestVersion);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Migrate_V5HostWithStoredBucket_DropsTheBucketAndKeepsTheHost(string provider)
    {
        using var storage = new TestStorage(provider);
        var db = storage.Database();
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        (await db.MigrateAsync(time, targetVersion: 5)).ShouldBe(5);
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO hosts (host_id, hostname, credential_hash, agent_build, os, os_build, bucket, enrolled_at, last_seen) VALUES ('h1', 'pc', 'x', 'b', 'windows', '1', 42, 1, 1)");

        (await db.MigrateAsync(time)).ShouldBe(Database.LatestVersion);

        await using (var c = await db.OpenAsync())
        {
            (await c.QuerySingleAsync<(string, long, long)>("SELECT agent_build, crashes_reported, crashes_counted FROM hosts WHERE host_id = 'h1'")).ShouldBe(("b", 0L, 0L));
            // The bucket is computed by the engine per host and rollout; no stored copy can disagree with it.
            await Should.ThrowAsync<Exception>(() => c.ExecuteScalarAsync<long>("SELECT bucket FROM hosts"));
        }
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Migrate_V4RolloutInProgress_EngineResumesItsRingFromTheStatusColumns(string provider)
    {
        using var storage = new TestStorage(provider);
        var db = storage.Database();
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        (await db.MigrateAsync(time, targetVersion: 4)).ShouldBe(4);
        await using (var c = await db.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                INSERT INTO rollouts (id, channel, version, sha256, emergency, status, current_ring, ring_entered_at, plan_json, approvers_json, created_at, created_by, status_reason, updated_at)
                VALUES ('ro_old', '291', 3, 'abc', 1, 'Progressing', 2, 120000, '[]', '["alice","bob"]', 1, 'admin', NULL, 1)
                """);
        }

        (await db.MigrateAsync(time)).ShouldBe(Database.LatestVersion);

        await using (var c = await db.OpenAsync())
        {
            var row = await c.QuerySingleAsync<RolloutRow>("SELECT * FROM rollouts WHERE id = 'ro_old'");
            row.EngineStateJson.ShouldBeNull();
            var state = Ringfence.Server.Rollouts.EngineInputs.StateOf(row);
            state.Phase.ShouldBe(Ringfence.Rollouts.Reconcile.RolloutPhase.Deploying);
            state.Ring.ShouldBe(2);
            state.RingStartedAt.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(120000));
            (state.FirstApprover, state.SecondApprover).ShouldBe(("alice", "bob"));
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attributed_hosts")).ShouldBe(0);
        }
    }
}
