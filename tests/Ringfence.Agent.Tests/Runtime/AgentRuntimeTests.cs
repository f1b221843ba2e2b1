using System.Net;
using System.Net.Sockets;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.StateMachine;
using Ringfence.Agent.Swarm;
using Ringfence.Content;
using Ringfence.Protocol;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class AgentRuntimeTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new();
    private readonly ManualTimeProvider _time = new(Start);

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    /// <summary>A loopback port nobody listens on: connections are refused at once, as with a server that is down.</summary>
    private static Uri DeadServer()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    private AgentRuntime Open(ISimulatedCrashes? faults = null) => AgentRuntime.Open(new AgentRuntimeSetup
    {
        Options = new AgentRuntimeOptions
        {
            Server = DeadServer(),
            BackoffBase = TimeSpan.FromSeconds(1),
            BackoffMax = TimeSpan.FromSeconds(60),
            RequestTimeout = TimeSpan.FromSeconds(5),
            EventsPerCycle = 10,
        },
        Profile = TestContent.Host,
        DataDirectory = _dir.Path,
        Http = _http,
        Catalog = TestContent.Catalog,
        Time = _time,
        SimulatedCrashes = faults,
    });

    [Fact]
    public async Task CycleAsync_ServerDown_KeepsContentKeepsEvaluatingAndBacksOff()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 17, Start);
        var agent = Open();
        agent.Boot();
        var machineBefore = agent.State.Channels["C-test"].Machine;

        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            delays.Add(await agent.CycleAsync(CancellationToken.None));
            _time.Advance(delays[^1]);
        }

        var status = agent.Status;
        status.ServerReachable.ShouldBeFalse();
        status.CheckInFailures.ShouldBe(6);
        status.EventsEvaluated.ShouldBe(60);
        status.Active["C-test"].Version.ShouldBe(17);
        status.LastError!.ShouldContain("unreachable");
        // Exponential backoff: the sixth wait is well past the first (1 s base: [0.5, 1] s, then [16, 32] s).
        delays[0].ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(1));
        delays[5].ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(16));
        // Nothing about the content changed, on disk either; the heartbeats wait for the server.
        var onDisk = new AgentStateStore(_dir.Path).Load()!;
        onDisk.Channels["C-test"].Machine.Active.ShouldBe(machineBefore.Active);
        onDisk.Channels["C-test"].Machine.LastKnownGood.ShouldBe(machineBefore.LastKnownGood);
        onDisk.Channels["C-test"].Contents.ShouldBe(agent.State.Channels["C-test"].Contents);
        onDisk.TelemetryQueued.Count(e => e.Kind == TelemetryKind.Heartbeat).ShouldBe(6);
    }

    [Fact]
    public async Task CycleAsync_ContentCrashesHostInInterpreter_RevertsAndQuarantinesWithoutNetwork()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 18, Start);
        var bad = TestContent.Channel(18).Ref;
        var faults = new FaultHook();
        faults.Arm(new DemoFault("22631", bad.Sha256));
        var agent = Open(faults);

        agent.Boot();

        agent.Status.Down.ShouldBeTrue();
        // The host is down: on disk it is still on v18, inside the interpreter (the breadcrumb).
        var down = new AgentStateStore(_dir.Path).Load()!.Channels["C-test"];
        down.Machine.Active.ShouldBe(18);
        down.BreadcrumbInstance.ShouldBe("rule-18");

        // The next cycle is the reboot: the state machine finds the breadcrumb and reverts, with the server down.
        await agent.CycleAsync(CancellationToken.None);

        var after = agent.State.Channels["C-test"];
        after.Machine.Active.ShouldBe(17);
        after.Machine.IsQuarantined(18).ShouldBeTrue();
        agent.Status.Active["C-test"].Version.ShouldBe(17);
        agent.Status.Down.ShouldBeFalse();
        agent.Status.Crashes.ShouldBe(1);
        agent.Status.Reverts.ShouldBe(1);
        agent.Status.Quarantined.ShouldBe([bad.Sha256]);
        agent.Status.EventsEvaluated.ShouldBeGreaterThan(0);
        var queued = agent.State.TelemetryQueued;
        var crash = queued.Single(e => e.Kind == TelemetryKind.Crash);
        crash.ContentVersion.ShouldBe(18);
        crash.ContentHash.ShouldBe(bad.Sha256);
        crash.InstanceId.ShouldBe("rule-18");
        queued.ShouldContain(e => e.Kind == TelemetryKind.Revert && e.ContentVersion == 18);
        queued.ShouldContain(e => e.Kind == TelemetryKind.Quarantine && e.ContentHash == bad.Sha256);
    }

    [Fact]
    public void Boot_AfterCleanStop_IsNotACrash()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 18, Start);
        var agent = Open();
        agent.Boot();
        agent.Stop();

        var restarted = Open();
        restarted.Boot();

        restarted.State.Channels["C-test"].Machine.Active.ShouldBe(18);
        restarted.State.Channels["C-test"].Machine.FailedBoots.ShouldBe((byte)0);
        restarted.Status.Reverts.ShouldBe(0);
    }

    [Fact]
    public void Boot_RepeatedUncleanStopsWhileEvaluating_RevertsAfterBootFailureLimit()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 18, Start);
        Open().Boot(); // runs v18, then the process dies (no Stop)

        var boots = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var agent = Open();
            agent.Boot();
            boots.Add(agent.State.Channels["C-test"].Machine.Active);
        }

        // Crashes outside the interpreter: K = 3 failed boots in a row before the revert.
        boots.ShouldBe([18, 18, 17]);
        new AgentStateStore(_dir.Path).Load()!.Channels["C-test"].Machine.IsQuarantined(18).ShouldBeTrue();
    }

    [Fact]
    public void Open_CorruptStateFile_ThrowsAgentStateException()
    {
        File.WriteAllText(Path.Combine(_dir.Path, AgentStateStore.StateFileName), "{\"hostname\": \"x\", \"configuration\": ");

        Should.Throw<AgentStateException>(() => Open()).Message.ShouldContain(AgentStateStore.StateFileName);
    }

    [Fact]
    public async Task CycleAsync_NewHostServerDown_StaysUnenrolledWithNoContent()
    {
        var agent = Open();
        agent.Boot();

        await agent.CycleAsync(CancellationToken.None);

        agent.Status.HostId.ShouldBeNull();
        agent.Status.Active.ShouldBeEmpty();
        agent.Status.CheckInFailures.ShouldBe(1);
        new AgentStateStore(_dir.Path).Load()!.HostId.ShouldBeNull();
    }

    /// <summary>A file of three rules, so a breadcrumb naming the first one is visibly wrong.</summary>
    private static (ContentRef Ref, byte[] Bytes) ThreeRules(long version)
    {
        var file = new ChannelFile("C-test", "proc", version,
        [
            new TemplateInstance("rule-a", "detect", Severity.High, [Criterion.Glob(@"C:\a\*"), Criterion.Wildcard, Criterion.Wildcard]),
            new TemplateInstance("rule-b", "detect", Severity.High, [Criterion.Glob(@"C:\b\*"), Criterion.Wildcard, Criterion.Wildcard]),
            new TemplateInstance("rule-c", "detect", Severity.High, [Criterion.Glob(@"C:\c\*"), Criterion.Wildcard, Criterion.Wildcard]),
        ]);
        var bytes = ChannelFileBinary.Write(file);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        return (new ContentRef("C-test", version, sha, $"channels/C-test/C-test-{version:D6}.rfc"), bytes);
    }

    /// <summary>Seeds v17 proven and a three-rule v18 under evaluation.</summary>
    private ContentRef SeedThreeRuleRelease()
    {
        var state = TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 17, Start);
        var next = ThreeRules(18);
        var store = new AgentStateStore(_dir.Path);
        store.SaveContent(next.Ref.Sha256, next.Bytes);
        var doc = state.Channels["C-test"];
        store.Save(state with
        {
            Channels = new(StringComparer.Ordinal)
            {
                ["C-test"] = doc with { Machine = AgentMachine.Offer(doc.Machine, 18, Start, AgentOptions.Default).State, Contents = [.. doc.Contents, next.Ref] },
            },
        });
        return next.Ref;
    }

    [Fact]
    public async Task Boot_CrashInInterpreterOnSecondRule_BreadcrumbNamesThatRuleNotTheFirst()
    {
        var bad = SeedThreeRuleRelease();
        var faults = new FaultHook();
        faults.Arm(new DemoFault("22631", bad.Sha256, InstanceId: "rule-b"));
        var agent = Open(faults);

        agent.Boot();
        await agent.CycleAsync(CancellationToken.None); // the reboot

        var crash = agent.State.TelemetryQueued.Single(e => e.Kind == TelemetryKind.Crash);
        crash.InstanceId.ShouldBe("rule-b");
        crash.ContentVersion.ShouldBe(18);
        crash.ContentHash.ShouldBe(bad.Sha256);
        crash.Detail!.ShouldContain("inside the interpreter");
        agent.State.Channels["C-test"].Machine.IsQuarantined(18).ShouldBeTrue();
    }

    /// <summary>Goes down outside the interpreter at the first cycle it is asked, once.</summary>
    private sealed class CrashOnce : ISimulatedCrashes
    {
        public bool Armed { get; set; } = true;

        public int? CrashInInterpreter(HostProfile host, ContentRef content, ChannelFile file) => null;

        public bool CrashOutsideInterpreter(HostProfile host, IReadOnlyCollection<ContentRef> running, DateTimeOffset now)
        {
            var crash = Armed;
            Armed = false;
            return crash;
        }
    }

    [Fact]
    public async Task CycleAsync_CrashOutsideInterpreterOnProvenContent_ReportedWithWhatItRanAndNoBreadcrumb()
    {
        var proven = TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 17, Start);
        var faults = new CrashOnce { Armed = false };
        var agent = Open(faults);
        agent.Boot();
        await agent.CycleAsync(CancellationToken.None); // a first cycle: the boot completed
        faults.Armed = true;

        await agent.CycleAsync(CancellationToken.None); // goes down
        agent.Status.Down.ShouldBeTrue();
        await agent.CycleAsync(CancellationToken.None); // the reboot

        // Before: a crash with no breadcrumb was never reported. Now every crash is, with the content it ran.
        var crash = agent.State.TelemetryQueued.Single(e => e.Kind == TelemetryKind.Crash);
        crash.Channel.ShouldBe("C-test");
        crash.ContentVersion.ShouldBe(17);
        crash.ContentHash.ShouldBe(proven.Channels["C-test"].Find(17)!.Sha256);
        crash.InstanceId.ShouldBeNull();
        crash.BootCrash.ShouldBeFalse();
        crash.Detail!.ShouldContain("outside the interpreter");
        agent.Status.Crashes.ShouldBe(1);
        agent.State.CrashesSinceCheckIn.ShouldBe(1); // the server was down: the next check-in's health carries it
        // Proven content is not reverted for a crash outside the interpreter.
        agent.State.Channels["C-test"].Machine.Active.ShouldBe(17);
        agent.Status.Reverts.ShouldBe(0);
    }

    [Fact]
    public void Boot_ProcessDiedBeforeItsFirstCycle_ReportsAFailedBootPerBoot()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 18, Start);
        Open().Boot(); // the process dies before its first cycle

        var second = Open();
        second.Boot(); // dies again

        var third = Open();
        third.Boot();

        // Two crashed boots: two failed-boot reports, each naming the content under evaluation (v18).
        var crashes = third.State.TelemetryQueued.Where(e => e.Kind == TelemetryKind.Crash).ToList();
        crashes.Count.ShouldBe(2);
        crashes.ShouldAllBe(e => e.BootCrash && e.ContentVersion == 18 && e.InstanceId == null);
        third.State.CrashesSinceCheckIn.ShouldBe(2);
    }

    [Fact]
    public void Boot_HostWithNoContentCrashed_StillReportsTheCrash()
    {
        var agent = Open();
        agent.Boot(); // a new host, no content; the process dies

        var restarted = Open();
        restarted.Boot();

        var crash = restarted.State.TelemetryQueued.Single(e => e.Kind == TelemetryKind.Crash);
        crash.Channel.ShouldBeNull();
        crash.Detail!.ShouldContain("no content");
    }

    [Fact]
    public void Boot_AfterCleanStop_ReportsNoCrash()
    {
        TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 17, Start);
        var agent = Open();
        agent.Boot();
        agent.Stop();

        var restarted = Open();
        restarted.Boot();

        restarted.State.TelemetryQueued.ShouldNotContain(e => e.Kind == TelemetryKind.Crash);
        restarted.State.CrashesSinceCheckIn.ShouldBe(0);
    }

    [Fact]
    public void Boot_ActiveBlobCorruptOnDisk_IsNotQuarantinedNorReverted()
    {
        var state = TestContent.SeedEnrolledHost(_dir.Path, lastKnownGood: 17, active: 18, Start);
        var sha = state.Channels["C-test"].Find(18)!.Sha256;
        var blob = Path.Combine(_dir.Path, "content", sha + ".bin");
        var bytes = File.ReadAllBytes(blob);
        bytes[bytes.Length / 2] ^= 0x01; // one flipped bit
        File.WriteAllBytes(blob, bytes);
        var agent = Open();

        agent.Boot();

        var machine = agent.State.Channels["C-test"].Machine;
        machine.Active.ShouldBe(18);
        machine.IsQuarantined(18).ShouldBeFalse();
        agent.Status.Reverts.ShouldBe(0);
        agent.Status.Quarantines.ShouldBe(0);
        agent.State.TelemetryQueued.ShouldNotContain(e => e.Kind == TelemetryKind.Revert || e.Kind == TelemetryKind.Quarantine);
        agent.Status.LastError!.ShouldContain("corrupt");
        File.Exists(blob).ShouldBeFalse(); // the rotten copy is gone: it will be fetched again
    }
}
