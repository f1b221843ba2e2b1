using Dapper;
using Ringfence.Cli;
using Ringfence.Server.Audit;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Audit;

public sealed class AuditLogTests
{
    private static async Task<Ringfence.Server.Storage.Database> WithEntriesAsync(TestStorage storage, int count)
    {
        var db = storage.Database();
        await db.MigrateAsync(new ManualTime(DateTimeOffset.UnixEpoch));
        for (var i = 0; i < count; i++)
            await db.InTransactionAsync((c, tx) => AuditLog.AppendAsync(c, tx, storage.Provider, 1000 + i, "operator:alice", "rollout.halt", $"ro_{i}", $$"""{"ring":"{{i}}"}"""));
        return db;
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Verify_IntactChain_IsValid(string provider)
    {
        using var storage = new TestStorage(provider);
        var db = await WithEntriesAsync(storage, 5);
        await using var c = await db.OpenAsync();
        var result = await AuditLog.VerifyAsync(c);
        result.Valid.ShouldBeTrue(result.Problem);
        result.EntriesChecked.ShouldBe(5);
        result.LastCheckpoint.ShouldBeNull();
        result.UnsignedEntries.ShouldBe(5, "nothing is signed yet");
    }

    [Theory]
    [InlineData("UPDATE audit_log SET subject = 'ro_x' WHERE seq = 3", 3L, "edited")]
    [InlineData("DELETE FROM audit_log WHERE seq = 2", 3L, "removed")]
    [InlineData("UPDATE audit_log SET details_json = NULL WHERE seq = 5", 5L, "edited")]
    public async Task Verify_TamperedEntry_NamesFirstBrokenEntry(string tamper, long broken, string why)
    {
        using var storage = new TestStorage("sqlite");
        var db = await WithEntriesAsync(storage, 5);
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync(tamper);
        var result = await AuditLog.VerifyAsync(c);
        result.Valid.ShouldBeFalse();
        result.FirstBrokenSeq.ShouldBe(broken);
        result.Problem!.ShouldContain(why);
    }

    [Fact]
    public async Task AuditVerifyCommand_IntactThenTampered_Exits0Then1WithOneLine()
    {
        using var storage = new TestStorage("sqlite");
        var db = await WithEntriesAsync(storage, 3);
        var output = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output, GetVariable = _ => null };
        CliApp.Run(["audit", "verify", "--data", storage.DataDirectory], env).ShouldBe(0);
        output.ToString().ShouldContain("intact: 3 entries; no signed checkpoint yet");

        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = 2");
        output.GetStringBuilder().Clear();
        CliApp.Run(["audit", "verify", "--data", storage.DataDirectory], env).ShouldBe(1);
        output.ToString().Trim().Split('\n').Length.ShouldBe(1);
        output.ToString().ShouldContain("entry 2");
    }

    [Fact]
    public void AuditVerifyCommand_NoDatabase_Exits2WithOneLine()
    {
        var output = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output, GetVariable = _ => null };
        CliApp.Run(["audit", "verify", "--data", Path.Combine(Path.GetTempPath(), "ringfence-none-" + Guid.NewGuid().ToString("N"))], env).ShouldBe(2);
        output.ToString().ShouldStartWith("error: ");
    }
}
