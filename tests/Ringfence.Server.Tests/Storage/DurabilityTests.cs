using Dapper;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Storage;

/// <summary>What is acknowledged is synced: the pragmas in force on real connections, and PostgreSQL's settings.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task SqliteConnection_Default_SyncsEveryCommitInWal()
    {
        using var storage = new TestStorage("sqlite");
        var db = storage.Database();
        await using var c = await db.OpenAsync();
        (await c.ExecuteScalarAsync<long>("PRAGMA synchronous")).ShouldBe(2, "2 = FULL");
        (await c.ExecuteScalarAsync<string>("PRAGMA journal_mode")).ShouldBe("wal");
        (await db.DurabilityWarningsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task SqliteConnection_Normal_IsInForceAndWarned()
    {
        using var storage = new TestStorage("sqlite");
        var db = Database.FromOptions(storage.Options() with { SqliteSynchronous = SqliteSynchronous.Normal });
        await using var c = await db.OpenAsync();
        (await c.ExecuteScalarAsync<long>("PRAGMA synchronous")).ShouldBe(1, "1 = NORMAL");
        (await db.DurabilityWarningsAsync()).ShouldHaveSingleItem().ShouldContain("synchronous=1");
    }

    [Fact]
    public async Task RunningServer_TransactionConnections_AreFull()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var mode = await h.Database.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("PRAGMA synchronous", transaction: tx));
        mode.ShouldBe(2);
    }

    [Fact]
    public async Task Postgres_TestCluster_SynchronousCommitOnAndOnlyFsyncWarned()
    {
        // The test cluster runs with fsync=off for speed (Fixtures/PostgresCluster.cs): the server would warn about
        // it at start. synchronous_commit is on, as the server expects of a production cluster.
        using var storage = new TestStorage("postgres");
        var db = storage.Database();
        await using (var c = await db.OpenAsync())
            (await c.ExecuteScalarAsync<string>("SHOW synchronous_commit")).ShouldBe("on");
        var warnings = await db.DurabilityWarningsAsync();
        warnings.ShouldHaveSingleItem().ShouldContain("fsync=off");
    }
}

public sealed class UnsyncedTransactionTests
{
    [Fact]
    public async Task InUnsyncedTransaction_IsNormalOnlyForItself()
    {
        using var storage = new TestStorage("sqlite");
        var db = storage.Database();
        (await db.InUnsyncedTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("PRAGMA synchronous", transaction: tx))).ShouldBe(1);
        // The pooled connection comes back synced.
        (await db.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("PRAGMA synchronous", transaction: tx))).ShouldBe(2);
        await using var again = await db.OpenAsync();
        (await again.ExecuteScalarAsync<long>("PRAGMA synchronous")).ShouldBe(2);
    }
}
