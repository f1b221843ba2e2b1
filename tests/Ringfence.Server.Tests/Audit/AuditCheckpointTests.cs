using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Cli;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;
using Ringfence.Server.Tests.Fixtures;
using Ringfence.Trust.Keys;

namespace Ringfence.Server.Tests.Audit;

/// <summary>
/// Signed checkpoints over the audit head, on a real server and database: every way of cutting or rewriting the log
/// that the bare hash chain let through (truncation, truncate-all, edit + re-chain, reorder + re-chain) now fails.
/// </summary>
public sealed class AuditCheckpointTests
{
    private static async Task AppendAsync(ServerHarness h, int count)
    {
        for (var i = 0; i < count; i++)
            await h.Database.InTransactionAsync((c, tx) => AuditLog.AppendAsync(c, tx, h.Database.Provider, h.Time.GetUtcNow().ToUnixTimeMilliseconds(),
                "operator:alice", "rollout.halt", $"ro_{Guid.NewGuid():N}", """{"ring":"1"}"""));
    }

    private static AuditCheckpointer Checkpointer(ServerHarness h) => h.Server.Services.GetRequiredService<AuditCheckpointer>();

    private static async Task<AuditChainResult> VerifyAsync(ServerHarness h, params KeptHead[] kept)
    {
        await using var c = await h.Database.OpenAsync();
        return await AuditLog.VerifyAsync(c, CancellationToken.None, kept);
    }

    private static async Task<long> LastSeqAsync(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT MAX(seq) FROM audit_log");
    }

    /// <summary>What an attacker with the database does after an edit: recompute every later hash (twelve lines of script).</summary>
    private static async Task RechainAsync(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        var entries = (await c.QueryAsync<AuditEntry>("SELECT seq, at, actor, action, subject, details_json AS DetailsJson, prev_hash AS PrevHash, hash FROM audit_log ORDER BY seq")).AsList();
        var prev = AuditLog.GenesisHash;
        foreach (var e in entries)
        {
            var hash = AuditLog.ComputeHash(prev, AuditLog.Canonical(e.Seq, e.At, e.Actor, e.Action, e.Subject, e.DetailsJson));
            await c.ExecuteAsync("UPDATE audit_log SET prev_hash = @prev, hash = @hash WHERE seq = @seq", new { prev, hash, seq = e.Seq });
            prev = hash;
        }
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Verify_CheckpointedLog_ValidAndCountsTheUnsignedTail(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await AppendAsync(h, 4);
        var checkpoint = await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None);
        checkpoint.ShouldNotBeNull();
        checkpoint.Seq.ShouldBe(await LastSeqAsync(h));
        await AppendAsync(h, 2);

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeTrue(result.Problem);
        result.LastCheckpoint.ShouldBe(checkpoint);
        result.UnsignedEntries.ShouldBe(2);
        result.CheckpointsChecked.ShouldBe(2, "the stored checkpoint and the copy in the TUF metadata");
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Verify_NewestEntriesDeleted_ReportsTruncation(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await AppendAsync(h, 5);
        var checkpoint = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("DELETE FROM audit_log WHERE seq > @keep", new { keep = checkpoint.Seq - 3 });

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.FirstBrokenSeq.ShouldBe(checkpoint.Seq - 2);
        result.Problem!.ShouldContain($"the log ends at entry {checkpoint.Seq - 3}");
        result.Problem!.ShouldContain("truncated");
    }

    [Fact]
    public async Task Verify_AllEntriesDeleted_ReportsTruncation()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 3);
        var checkpoint = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("DELETE FROM audit_log");

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.Problem!.ShouldContain("the log is empty");
        result.Problem!.ShouldContain($"covers {checkpoint.Seq} entries");
    }

    [Fact]
    public async Task Verify_AllEntriesAndCheckpointsDeleted_TufCopyReportsTruncation()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 3);
        await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None);
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("DELETE FROM audit_log; DELETE FROM audit_checkpoints;");

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.Problem!.ShouldContain("the log is empty but the TUF targets metadata's checkpoint");
    }

    [Fact]
    public async Task Verify_EntryEditedAndChainRecomputed_ReportsRewrite()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 5);
        var checkpoint = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = @seq", new { seq = checkpoint.Seq - 2 });
        await RechainAsync(h);

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.FirstBrokenSeq.ShouldBe(1L, "nothing was signed before this checkpoint, so the rewrite may start at entry 1");
        result.Problem!.ShouldContain($"entries 1..{checkpoint.Seq} were rewritten and re-chained");
    }

    [Fact]
    public async Task Verify_EntriesReorderedAndChainRecomputed_ReportsRewriteAfterTheLastGoodCheckpoint()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 2);
        var first = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        await AppendAsync(h, 3);
        var second = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        // Swap the contents of two entries after the first checkpoint, keep their numbers, and re-hash.
        await using (var c = await h.Database.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE audit_log SET seq = -1 WHERE seq = @a", new { a = first.Seq + 1 });
            await c.ExecuteAsync("UPDATE audit_log SET seq = @a WHERE seq = @b", new { a = first.Seq + 1, b = first.Seq + 2 });
            await c.ExecuteAsync("UPDATE audit_log SET seq = @b WHERE seq = -1", new { b = first.Seq + 2 });
        }
        var unhashed = await VerifyAsync(h);
        unhashed.FirstBrokenSeq.ShouldBe(first.Seq + 1, "without re-hashing, the chain itself shows the reorder");
        await RechainAsync(h);

        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.FirstBrokenSeq.ShouldBe(first.Seq + 1);
        result.Problem!.ShouldContain($"entries {first.Seq + 1}..{second.Seq} were rewritten and re-chained");
    }

    [Theory]
    [InlineData("UPDATE audit_log SET subject = 'ro_x' WHERE seq = 3", 3L, "edited")]
    [InlineData("DELETE FROM audit_log WHERE seq = 2", 3L, "removed")]
    public async Task Verify_TamperedWithoutRechaining_NamesTheEntry(string tamper, long broken, string why)
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 5);
        await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None);
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync(tamper);
        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.FirstBrokenSeq.ShouldBe(broken);
        result.Problem!.ShouldContain(why);
    }

    [Fact]
    public async Task Verify_CheckpointSignatureEdited_ReportsForgery()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 3);
        var checkpoint = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        // Move the stored checkpoint to match a shortened log: the signature no longer covers it.
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("UPDATE audit_checkpoints SET seq = seq - 1, head_hash = (SELECT hash FROM audit_log WHERE seq = @s) WHERE seq = @t",
                new { s = checkpoint.Seq - 1, t = checkpoint.Seq });
        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.Problem!.ShouldContain("the signature does not verify");
    }

    [Fact]
    public async Task Verify_AuditKeyReplacedAndCheckpointsResigned_TufCopyShowsTheOldKey()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 3);
        await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None);
        await using (var c = await h.Database.OpenAsync())
        {
            await c.ExecuteAsync("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)");
            using var forged = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
            await c.ExecuteAsync("UPDATE tuf_keys SET key_id = @id, encrypted_base64 = @enc WHERE role = 'audit'",
                new { id = forged.KeyId, enc = Convert.ToBase64String(KeyEncryption.Encrypt(forged, "audit", "attacker-passphrase", KeyEncryption.MinimumIterations)) });
            var (seq, hash, at) = await c.QuerySingleAsync<(long, string, long)>("SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1");
            var resigned = AuditCheckpoint.Sign(seq, hash, at, forged);
            await c.ExecuteAsync("DELETE FROM audit_checkpoints");
            await c.ExecuteAsync("INSERT INTO audit_checkpoints (seq, head_hash, at, key_id, signature) VALUES (@Seq, @HeadHash, @At, @KeyId, @Signature)", resigned);
        }
        var result = await VerifyAsync(h);
        result.Valid.ShouldBeFalse();
        result.Problem!.ShouldContain("the TUF targets metadata's checkpoint");
        result.Problem!.ShouldContain("not this server's audit key");
    }

    [Fact]
    public async Task Verify_UnsignedTailAndItsCheckpointRemoved_OnlyAKeptHeadShowsIt()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 2);
        var first = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        string oldTargets;
        await using (var c = await h.Database.OpenAsync())
            oldTargets = await c.QuerySingleAsync<string>("SELECT content_base64 FROM tuf_files WHERE path = 'metadata/targets.json'");
        await AppendAsync(h, 3);
        await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None);
        // An operator saved the newest checkpoint; an agent holds the newest targets.json.
        using var saved = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.AuditCheckpoint, ServerHarness.AdminKey));
        saved.StatusCode.ShouldBe(HttpStatusCode.OK);
        var headFile = Path.Combine(h.Storage.DataDirectory, "kept-head.json");
        await File.WriteAllBytesAsync(headFile, await saved.Content.ReadAsByteArrayAsync());
        // As an agent keeps it: its trusted-metadata store, a slot file with a trailer.
        var agentTuf = new Ringfence.Agent.Updates.FileTrustedMetadataStore(Path.Combine(h.Storage.DataDirectory, "agent-state", "tuf"));
        agentTuf.Save("targets", await h.Http.GetByteArrayAsync("/tuf/metadata/targets.json"));
        var agentTargets = Path.Combine(agentTuf.Directory, "targets.json");

        // The attacker removes the newest entries, the checkpoint over them, and puts back the older signed targets.json.
        await using (var c = await h.Database.OpenAsync())
        {
            await c.ExecuteAsync("DELETE FROM audit_log WHERE seq > @s; DELETE FROM audit_checkpoints WHERE seq > @s", new { s = first.Seq });
            await c.ExecuteAsync("UPDATE tuf_files SET content_base64 = @oldTargets WHERE path = 'metadata/targets.json'", new { oldTargets });
        }
        (await VerifyAsync(h)).Valid.ShouldBeTrue("the database alone cannot show a cut that took its own checkpoints with it");

        foreach (var kept in new[] { headFile, agentTargets })
        {
            var output = new StringWriter();
            var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output, GetVariable = _ => null };
            CliApp.Run(["audit", "verify", "--data", h.Storage.DataDirectory, "--expect-head", kept], env).ShouldBe(1, output.ToString());
            output.ToString().ShouldContain($"the log ends at entry {first.Seq}");
            output.ToString().ShouldContain("truncated");
            output.ToString().Trim().Split('\n').Length.ShouldBe(1);
        }
    }

    [Fact]
    public async Task VerifyEndpoint_TruncatedLog_ReportsBrokenWithCheckpoint()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 3);
        var ok = await h.SendOkAsync<AuditCheckpointDto>(HttpMethod.Post, Routes.AuditCheckpoint, ServerHarness.AdminKey, null);
        var before = await h.SendOkAsync<AuditVerification>(HttpMethod.Get, Routes.AuditVerify, ServerHarness.AdminKey, null);
        before.Valid.ShouldBeTrue(before.Problem);
        before.LastCheckpoint!.Sequence.ShouldBe(ok.Sequence);
        await using (var c = await h.Database.OpenAsync())
            await c.ExecuteAsync("DELETE FROM audit_log WHERE seq = @s", new { s = ok.Sequence });
        var after = await h.SendOkAsync<AuditVerification>(HttpMethod.Get, Routes.AuditVerify, ServerHarness.AdminKey, null);
        after.Valid.ShouldBeFalse();
        after.Problem!.ShouldContain("truncated");
    }

    [Fact]
    public async Task Checkpoint_PublishedInTufTargets_WitnessedByWhatAgentsFetch()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await AppendAsync(h, 2);
        var checkpoint = (await Checkpointer(h).CheckpointAsync(force: true, CancellationToken.None))!;
        var targets = await h.Http.GetByteArrayAsync("/tuf/metadata/targets.json");
        AuditCheckpoint.ParseKeptHead(targets).ShouldBe(checkpoint);
        // The signed targets metadata carries it, verified by the repository's own keys.
        var repository = await h.Server.Services.GetRequiredService<Ringfence.Server.Tuf.ServerTufRepository>().OpenAsync(CancellationToken.None);
        repository.Targets.Signed.Targets[AuditCheckpoint.TargetPath].Custom!["sequence"]!.GetValue<long>().ShouldBe(checkpoint.Seq);
    }

    [Fact]
    public async Task CheckpointAsync_EveryAndPeriod_SignsOnlyWhenDue()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { AuditCheckpointEvery = 5, AuditCheckpointPeriod = TimeSpan.FromMinutes(10) });
        var checkpointer = Checkpointer(h);
        await checkpointer.CheckpointAsync(force: true, CancellationToken.None); // sign the bootstrap entries
        await AppendAsync(h, 4);
        (await checkpointer.CheckpointAsync(force: false, CancellationToken.None)).ShouldBeNull("4 unsigned entries, the oldest 0 minutes old");
        await AppendAsync(h, 1);
        (await checkpointer.CheckpointAsync(force: false, CancellationToken.None))!.Seq.ShouldBe(await LastSeqAsync(h));

        await AppendAsync(h, 1);
        h.Time.Advance(TimeSpan.FromMinutes(9));
        (await checkpointer.CheckpointAsync(force: false, CancellationToken.None)).ShouldBeNull();
        h.Time.Advance(TimeSpan.FromMinutes(1));
        (await checkpointer.CheckpointAsync(force: false, CancellationToken.None))!.Seq.ShouldBe(await LastSeqAsync(h));
        (await checkpointer.CheckpointAsync(force: true, CancellationToken.None)).ShouldBeNull("nothing is unsigned");
    }

    [Fact]
    public async Task AuditSigner_Restart_SameKeyEncryptedInTufKeys()
    {
        var storage = new TestStorage("sqlite");
        var options = storage.Options(new RingfenceServerOptions { Urls = "http://127.0.0.1:0", RunController = false, BootstrapAdminKey = ServerHarness.AdminKey });
        string keyId;
        await using (var first = await RingfenceServer.StartAsync(options, new ManualTime(DateTimeOffset.UnixEpoch.AddYears(55)), b => b.Logging.ClearProviders()))
            keyId = first.Services.GetRequiredService<AuditSigner>().Key.KeyId;
        await using (var second = await RingfenceServer.StartAsync(options, new ManualTime(DateTimeOffset.UnixEpoch.AddYears(55)), b => b.Logging.ClearProviders()))
            second.Services.GetRequiredService<AuditSigner>().Key.KeyId.ShouldBe(keyId);
        await using (var c = await storage.Database().OpenAsync())
        {
            var stored = await c.QuerySingleAsync<string>("SELECT encrypted_base64 FROM tuf_keys WHERE role = 'audit'");
            var bytes = Convert.FromBase64String(stored);
            Should.Throw<KeyDecryptionException>(() => KeyEncryption.Decrypt(bytes, "not-the-passphrase", "audit"));
            System.Text.Encoding.UTF8.GetString(bytes).ShouldContain("aes-256-gcm");
        }
        storage.Dispose();
    }

    [Fact]
    public async Task AuditCheckpointService_CleanStop_SignsTheUnsignedTail()
    {
        using var storage = new TestStorage("sqlite");
        var options = storage.Options(new RingfenceServerOptions { Urls = "http://127.0.0.1:0", RunController = true, BootstrapAdminKey = ServerHarness.AdminKey });
        var time = new ManualTime(new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero));
        long last;
        await using (var server = await RingfenceServer.StartAsync(options, time, b => b.Logging.ClearProviders()))
        {
            var db = server.Services.GetRequiredService<Database>();
            for (var i = 0; i < 3; i++)
                await db.InTransactionAsync((c, tx) => AuditLog.AppendAsync(c, tx, db.Provider, 1, "operator:alice", "rollout.halt", "ro_1", null));
            await using var c = await db.OpenAsync();
            last = await c.ExecuteScalarAsync<long>("SELECT MAX(seq) FROM audit_log");
        }
        await using var check = await storage.Database().OpenAsync();
        var result = await AuditLog.VerifyAsync(check);
        result.Valid.ShouldBeTrue(result.Problem);
        result.LastCheckpoint!.Seq.ShouldBe(last);
        result.UnsignedEntries.ShouldBe(0);
    }

    [Theory]
    [InlineData(0, 60, "AuditCheckpointEvery")]
    [InlineData(1_000_001, 60, "AuditCheckpointEvery")]
    [InlineData(10, 0, "AuditCheckpointPeriod")]
    [InlineData(10, 90_000, "AuditCheckpointPeriod")]
    public void Options_AuditCheckpointOutOfRange_NamesTheOption(int every, int periodSeconds, string option)
    {
        var errors = new RingfenceServerOptions { AuditCheckpointEvery = every, AuditCheckpointPeriod = TimeSpan.FromSeconds(periodSeconds) }.Validate();
        errors.ShouldHaveSingleItem().ShouldStartWith(option + ":");
    }

    [Fact]
    public void ParseKeptHead_NotACheckpoint_SaysWhy()
    {
        Should.Throw<FormatException>(() => AuditCheckpoint.ParseKeptHead("[1]"u8)).Message.ShouldContain("expected an object");
        Should.Throw<FormatException>(() => AuditCheckpoint.ParseKeptHead("""{"signed":{"_type":"targets","targets":{}}}"""u8)).Message.ShouldContain("no audit checkpoint");
        Should.Throw<FormatException>(() => AuditCheckpoint.ParseKeptHead("""{"sequence":0}"""u8)).Message.ShouldContain("required");
    }
}
