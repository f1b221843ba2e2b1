using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.StateMachine;
using Ringfence.Content;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Tests.AgentProcess;

/// <summary>
/// A real agent directory against a real server (SQLite, loopback HTTP, its signed TUF repository): a state directory
/// restored from a snapshot (issue 13, reproduction 3) and a content blob that rots on disk (reproduction 4).
/// </summary>
public sealed class AgentRestoreAndIntegrityTests : IAsyncLifetime
{
    private const string AdminKey = "rfk_test_admin_0123456789abcdef";
    private const string EnrollToken = "rfe_test_enroll_0123456789abcdef";
    private static readonly HostProfile Host = new("restored-host", new HostConfiguration("win-7.13.18309", "windows", "22631"));
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ringfence-restore-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _server = await RingfenceServer.StartAsync(new RingfenceServerOptions
        {
            DataDirectory = Path.Combine(_root, "server"),
            TufKeyIterations = Fixtures.TestStorage.FastKeyIterations,
            Urls = "http://127.0.0.1:0",
            BootstrapAdminKey = AdminKey,
            BootstrapEnrollmentToken = EnrollToken,
            AgentRequestsPerSecond = 1000,
            OperatorRequestsPerSecond = 1000,
        }, configure: b => b.Logging.ClearProviders());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private string AgentDirectory => Path.Combine(_root, "agent");

    private AgentRuntime OpenAgent(ISimulatedCrashes? crashes = null) => AgentRuntime.Open(new AgentRuntimeSetup
    {
        Options = new AgentRuntimeOptions
        {
            Server = _server.BaseAddress,
            EnrollmentToken = EnrollToken,
            BackoffBase = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromSeconds(10),
            EventsPerCycle = 5,
            DurableWrites = false,
        },
        Profile = Host,
        DataDirectory = AgentDirectory,
        Http = _http,
        Catalog = ExampleCatalog.Load(),
        SimulatedCrashes = crashes,
    });

    private static string GoodChannel(long? version = null)
    {
        var json = File.ReadAllText(Path.Combine(ExampleCatalog.FindExamples(), "good-channel.json"));
        if (version is not { } v)
            return json;
        var node = JsonNode.Parse(json)!.AsObject();
        node["version"] = v;
        return node.ToJsonString();
    }

    private static ContentRef Ref(string json)
    {
        var file = ContentJson.ReadChannelFile(json).GetValueOrThrow();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
        return new ContentRef(file.Id, file.Version, sha, $"channels/{file.Id}/{file.Id}-{file.Version:D6}.json");
    }

    /// <summary>Crashes the host inside the interpreter when it first evaluates the armed content.</summary>
    private sealed class CrashOn(string sha256) : ISimulatedCrashes
    {
        public int? CrashInInterpreter(HostProfile host, ContentRef content, ChannelFile file) => content.Sha256 == sha256 ? 0 : null;

        public bool CrashOutsideInterpreter(HostProfile host, IReadOnlyCollection<ContentRef> running, DateTimeOffset now) => false;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private async Task<List<(string Kind, long? Version)>> EventsAsync(string hostId)
    {
        await using var connection = await _server.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync<(string, long?)>(
            "SELECT kind, content_version FROM telemetry_events WHERE host_id = @hostId ORDER BY received_at, idx", new { hostId });
        return [.. rows];
    }

    [Fact]
    public async Task CycleAsync_StateRestoredFromSnapshot_RevertAndQuarantineReachTheServer()
    {
        // A host with proven v17 and v18 under evaluation (both held locally), enrolled over HTTP.
        var good = GoodChannel();
        var next = GoodChannel(18);
        var (goodRef, nextRef) = (Ref(good), Ref(next));
        var store = new AgentStateStore(AgentDirectory, durable: false);
        store.SaveContent(goodRef.Sha256, Encoding.UTF8.GetBytes(good));
        store.SaveContent(nextRef.Sha256, Encoding.UTF8.GetBytes(next));
        var machine = AgentMachine.Offer(AgentState.Initial(17), 18, TimeProvider.System.GetUtcNow(), AgentOptions.Default).State;
        store.Save(new AgentStateDocument
        {
            Hostname = Host.Hostname,
            Configuration = Host.Configuration,
            Channels = new(StringComparer.Ordinal) { [goodRef.Channel] = new ChannelDocument { Machine = machine, Contents = [goodRef, nextRef] } },
        });
        var agent = OpenAgent();
        agent.Boot();
        await agent.CycleAsync(CancellationToken.None);
        await agent.CycleAsync(CancellationToken.None);
        var hostId = agent.State.HostId!;
        var snapshot = Path.Combine(_root, "snapshot");
        CopyDirectory(AgentDirectory, snapshot);
        await agent.CycleAsync(CancellationToken.None);
        await agent.CycleAsync(CancellationToken.None);
        agent.State.TelemetrySequence.ShouldBe(4);

        // The VM is rolled back to the snapshot; v18 now crashes the host inside the interpreter.
        Directory.Delete(AgentDirectory, recursive: true);
        CopyDirectory(snapshot, AgentDirectory);
        var restored = OpenAgent(new CrashOn(nextRef.Sha256));
        restored.State.TelemetrySequence.ShouldBe(2); // its keys will repeat the server's 3 and 4
        restored.Boot(); // goes down in v18
        for (var i = 0; i < 3; i++)
            await restored.CycleAsync(CancellationToken.None); // the reboot reverts; then telemetry flows

        restored.Status.Reverts.ShouldBe(1);
        restored.State.TelemetryInFlight.ShouldBeNull();
        restored.State.TelemetryQueued.ShouldBeEmpty();
        restored.State.TelemetrySequence.ShouldBeGreaterThan(4);
        var events = await EventsAsync(hostId);
        events.ShouldContain(("Revert", 18L));
        events.ShouldContain(("Quarantine", 18L));
        events.ShouldContain(e => e.Kind == "Crash" && e.Version == 18);
    }

    [Fact]
    public async Task Telemetry_SameKeyDifferentContent_409WithHighestSequenceAndSameContentIsADuplicate()
    {
        var agent = OpenAgent();
        agent.Boot();
        await agent.CycleAsync(CancellationToken.None);
        var (hostId, credential) = (agent.State.HostId!, agent.State.Credential!);
        var client = new AgentApiClient(_http, _server.BaseAddress);
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var first = new TelemetryBatch(hostId, $"{hostId}-7", [new TelemetryEvent(TelemetryKind.Heartbeat, at)], 7);

        (await client.SendTelemetryAsync(credential, first, CancellationToken.None)).Duplicate.ShouldBeFalse();
        (await client.SendTelemetryAsync(credential, first, CancellationToken.None)).Duplicate.ShouldBeTrue();
        var other = first with { Events = [new TelemetryEvent(TelemetryKind.Revert, at, "C-00000301", 18)] };
        var refused = await Should.ThrowAsync<AgentApiException>(() => client.SendTelemetryAsync(credential, other, CancellationToken.None));

        refused.Status.ShouldBe(System.Net.HttpStatusCode.Conflict);
        refused.HighestSequence.ShouldBe(7);
        refused.ProblemType!.ShouldEndWith(TelemetryConflict.Code);
        (await EventsAsync(hostId)).ShouldNotContain(("Revert", 18L));
    }

    [Fact]
    public async Task CycleAsync_StoredBlobHasOneFlippedByte_FetchedAgainThroughTufAndNeverQuarantined()
    {
        var json = GoodChannel();
        using var publish = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.BaseAddress, Routes.ChannelFiles))
        {
            Content = JsonContent.Create(new PublishChannelFileRequest(json), ProtocolJsonContext.Default.PublishChannelFileRequest),
        };
        publish.Headers.Add(Routes.ApiKeyHeader, AdminKey);
        using var published = await _http.SendAsync(publish);
        published.EnsureSuccessStatusCode();
        var file = (await published.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ChannelFileDto))!;
        // The agent enrolled earlier and got this content then: seed its state as that left it.
        var agent = OpenAgent();
        agent.Boot();
        await agent.CycleAsync(CancellationToken.None);
        agent.Stop();
        var held = new ContentRef(file.Channel, file.Version, file.Sha256, file.TargetName);
        var store = new AgentStateStore(AgentDirectory, durable: false);
        var bytes = Encoding.UTF8.GetBytes(json);
        Convert.ToHexStringLower(SHA256.HashData(bytes)).ShouldBe(file.Sha256);
        store.SaveContent(file.Sha256, bytes);
        var state = store.Load()!;
        store.Save(state with { Channels = new(StringComparer.Ordinal) { [file.Channel] = new ChannelDocument { Machine = AgentState.Initial(file.Version), Contents = [held] } } });
        var blob = Path.Combine(store.ContentDirectory, file.Sha256 + ".bin");
        var rotten = File.ReadAllBytes(blob);
        rotten[rotten.Length / 2] ^= 0x20;
        File.WriteAllBytes(blob, rotten);

        var rebooted = OpenAgent();
        rebooted.Boot();
        rebooted.Status.LastError!.ShouldContain("corrupt");
        await rebooted.CycleAsync(CancellationToken.None);
        rebooted.Status.EventsEvaluated.ShouldBe(0); // nothing ran while the blob could not be verified
        await rebooted.CycleAsync(CancellationToken.None);
        rebooted.Status.EventsEvaluated.ShouldBeGreaterThan(0); // then the refetched content runs

        rebooted.Status.Active[file.Channel].Sha256.ShouldBe(file.Sha256);
        rebooted.Status.Quarantined.ShouldBeEmpty();
        rebooted.Status.Reverts.ShouldBe(0);
        rebooted.State.Channels[file.Channel].Machine.IsQuarantined(file.Version).ShouldBeFalse();
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(blob))).ShouldBe(file.Sha256);
        await using var connection = await _server.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        var details = (await connection.QueryAsync<(string Kind, string? Detail)>(
            "SELECT kind, detail FROM telemetry_events WHERE host_id = @hostId", new { hostId = rebooted.State.HostId })).ToList();
        details.ShouldContain(e => e.Kind == "Loaded" && e.Detail != null && e.Detail.StartsWith("CorruptBlobRefetched", StringComparison.Ordinal));
        details.ShouldNotContain(e => e.Kind == "Revert" || e.Kind == "Quarantine");
    }
}
