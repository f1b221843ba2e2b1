using Ringfence.Agent.Runtime;
using Ringfence.Agent.StateMachine;
using Ringfence.Protocol;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class AgentStateStoreTests
{
    private static readonly DateTimeOffset Now = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_AfterSave_ReturnsEqualState(bool durable)
    {
        using var dir = new TempDirectory();
        var saved = TestContent.SeedEnrolledHost(dir.Path, lastKnownGood: 17, active: 18, Now) with
        {
            TelemetrySequence = 42,
            TelemetryInFlight = new PendingBatch("h_test-42", [new TelemetryEvent(TelemetryKind.Crash, Now, "C-test", 18, new string('a', 64), "rule-18", BootCrash: true)]),
            TelemetryQueued = [new TelemetryEvent(TelemetryKind.Heartbeat, Now)],
            KnownBadVersion = 3,
        };
        var store = new AgentStateStore(dir.Path, durable);
        store.Save(saved);

        var loaded = new AgentStateStore(dir.Path).Load()!;

        File.Exists(store.StatePath + ".tmp").ShouldBeFalse();
        File.Exists(store.AlternateStatePath + ".tmp").ShouldBeFalse();
        loaded.HostId.ShouldBe("h_test");
        loaded.Channels["C-test"].Machine.ShouldBe(saved.Channels["C-test"].Machine);
        loaded.Channels["C-test"].Machine.IsEvaluating.ShouldBeTrue();
        loaded.Channels["C-test"].Contents.ShouldBe(saved.Channels["C-test"].Contents);
        loaded.TelemetrySequence.ShouldBe(42);
        loaded.TelemetryInFlight!.IdempotencyKey.ShouldBe("h_test-42");
        loaded.TelemetryInFlight.Events.ShouldBe(saved.TelemetryInFlight!.Events);
        loaded.TelemetryQueued.ShouldBe(saved.TelemetryQueued);
        loaded.KnownBadVersion.ShouldBe(3);
    }

    [Fact]
    public void Save_SameStateTwice_WritesOnceAndAChangeIsWritten()
    {
        using var dir = new TempDirectory();
        var state = TestContent.SeedEnrolledHost(dir.Path, lastKnownGood: 17, active: 18, Now);
        var store = new AgentStateStore(dir.Path, durable: false);
        store.Save(state);
        var slots = (File.ReadAllBytes(store.StatePath), File.ReadAllBytes(store.AlternateStatePath));

        store.Save(state);
        // An identical save writes neither slot (a write would have sealed one with the next sequence number).
        File.ReadAllBytes(store.StatePath).ShouldBe(slots.Item1);
        File.ReadAllBytes(store.AlternateStatePath).ShouldBe(slots.Item2);

        store.Save(state with { KnownBadVersion = 9 });
        new AgentStateStore(dir.Path).Load()!.KnownBadVersion.ShouldBe(9);
    }

    [Fact]
    public void AtomicFileWrite_MissingDirectory_CreatesItAndWrites()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "a", "b", "file.bin");
        AtomicFile.Write(path, [1, 2, 3], flushToDisk: false);
        AtomicFile.Write(path, [4, 5], flushToDisk: false);
        File.ReadAllBytes(path).ShouldBe(new byte[] { 4, 5 });
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void Load_EmptyDirectory_ReturnsNull()
    {
        using var dir = new TempDirectory();

        new AgentStateStore(dir.Path).Load().ShouldBeNull();
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsOneLineNamingFileAndPosition()
    {
        using var dir = new TempDirectory();
        TestContent.SeedEnrolledHost(dir.Path, 17, 17, Now);
        var path = Path.Combine(dir.Path, AgentStateStore.StateFileName);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Should.Throw<AgentStateException>(() => new AgentStateStore(dir.Path).Load());

        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("corrupt at $");
        ex.Message.ShouldContain("line ");
        ex.Message.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[1,2,3]")]
    [InlineData("\u0000\u0001garbage")]
    [InlineData("{\"hostname\":\"x\"}")]
    [InlineData("{\"hostname\":\"x\",\"configuration\":{\"agentBuild\":\"b\",\"os\":\"windows\",\"osBuild\":\"1\"},\"surprise\":1}")]
    public void Load_MalformedFile_ThrowsAgentStateException(string content)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, AgentStateStore.StateFileName), content);

        var ex = Should.Throw<AgentStateException>(() => new AgentStateStore(dir.Path).Load());

        ex.Message.ShouldStartWith("agent state ");
        ex.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Load_SlotNamesVersionWithoutContent_ThrowsInconsistent()
    {
        using var dir = new TempDirectory();
        var state = TestContent.SeedEnrolledHost(dir.Path, 17, 17, Now);
        var broken = state with
        {
            Channels = new(StringComparer.Ordinal) { ["C-test"] = state.Channels["C-test"] with { Machine = AgentState.Initial(99) } },
        };
        new AgentStateStore(dir.Path).Save(broken);

        var ex = Should.Throw<AgentStateException>(() => new AgentStateStore(dir.Path).Load());

        ex.Message.ShouldContain("$.channels.C-test.machine.active names version 99");
    }

    [Fact]
    public void Load_CredentialWithoutHostId_ThrowsInconsistent()
    {
        using var dir = new TempDirectory();
        var state = TestContent.SeedEnrolledHost(dir.Path, 17, 17, Now) with { HostId = null };
        new AgentStateStore(dir.Path).Save(state);

        Should.Throw<AgentStateException>(() => new AgentStateStore(dir.Path).Load()).Message.ShouldContain("$.hostId");
    }

    [Fact]
    public void Load_OversizedFile_ThrowsBeforeReading()
    {
        using var dir = new TempDirectory();
        using (var f = File.Create(Path.Combine(dir.Path, AgentStateStore.StateFileName)))
            f.SetLength(17 * 1024 * 1024);

        Should.Throw<AgentStateException>(() => new AgentStateStore(dir.Path).Load()).Message.ShouldContain("over the");
    }

    [Fact]
    public void Load_LeftoverTempFileFromInterruptedWrite_KeepsPreviousStateAndRemovesTemp()
    {
        using var dir = new TempDirectory();
        TestContent.SeedEnrolledHost(dir.Path, 17, 17, Now);
        var path = Path.Combine(dir.Path, AgentStateStore.StateFileName);
        // A writer that died after writing half of its temp file, before the rename.
        File.WriteAllText(path + ".tmp", "{\"hostname\":");

        var loaded = new AgentStateStore(dir.Path).Load()!;

        loaded.Channels["C-test"].Machine.Active.ShouldBe(17);
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void Load_NewestSlotTornByACrash_ReturnsThePreviousState()
    {
        using var dir = new TempDirectory();
        TestContent.SeedEnrolledHost(dir.Path, 17, 17, Now);
        var store = new AgentStateStore(dir.Path, durable: false);
        var state = store.Load()!;
        store.Save(state with { KnownBadVersion = 5 });
        store.Save(state with { KnownBadVersion = 6 });
        // The crash hit the in-place write of version 6, in the first slot.
        var bytes = File.ReadAllBytes(store.StatePath);
        File.WriteAllBytes(store.StatePath, bytes[..(bytes.Length / 3)]);

        new AgentStateStore(dir.Path).Load()!.KnownBadVersion.ShouldBe(5);
    }

    [Fact]
    public void LoadContent_BlobAlteredOnDisk_ReturnsNullAndDeletesIt()
    {
        using var dir = new TempDirectory();
        var store = new AgentStateStore(dir.Path);
        var (content, bytes) = TestContent.Channel(17);
        store.SaveContent(content.Sha256, bytes);
        var blob = Path.Combine(store.ContentDirectory, content.Sha256 + ".bin");
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(blob, bytes);

        store.LoadContent(content.Sha256).ShouldBeNull();
        File.Exists(blob).ShouldBeFalse();
    }
}
