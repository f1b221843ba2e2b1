using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringfence.Agent.Runtime;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Tests.AgentProcess;

/// <summary>Real agents against a real server (SQLite in a temp directory) over loopback HTTP.</summary>
public sealed class AgentAgainstServerTests : IAsyncLifetime
{
    private const string AdminKey = "rfk_test_admin_0123456789abcdef";
    private const string EnrollToken = "rfe_test_enroll_0123456789abcdef";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ringfence-agentproc-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _server = await StartServerAsync("http://127.0.0.1:0");
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

    private Task<RunningServer> StartServerAsync(string urls) => RingfenceServer.StartAsync(new RingfenceServerOptions
    {
        DataDirectory = Path.Combine(_root, "server"),
        TufKeyIterations = Fixtures.TestStorage.FastKeyIterations,
        Urls = urls,
        BootstrapAdminKey = AdminKey,
        BootstrapEnrollmentToken = EnrollToken,
        AgentRequestsPerSecond = 1000,
        OperatorRequestsPerSecond = 1000,
    }, configure: b => b.Logging.ClearProviders());

    private AgentRuntime OpenAgent(string name, Uri server, HostProfile? profile = null)
    {
        var directory = Path.Combine(_root, "agents", name);
        Directory.CreateDirectory(directory);
        return AgentRuntime.Open(new AgentRuntimeSetup
        {
            Options = new AgentRuntimeOptions
            {
                Server = server,
                EnrollmentToken = EnrollToken,
                BackoffBase = TimeSpan.FromMilliseconds(100),
                RequestTimeout = TimeSpan.FromSeconds(10),
                EventsPerCycle = 5,
            },
            Profile = profile ?? new HostProfile(name, new HostConfiguration("win-7.13.18309", "windows", "22631")),
            DataDirectory = directory,
            Http = _http,
            Catalog = ExampleCatalog.Load(),
        });
    }

    [Fact]
    public async Task CycleAsync_FirstContact_EnrollsChecksInAndServerKnowsTheHost()
    {
        var agent = OpenAgent("host-a", _server.BaseAddress);
        agent.Boot();

        await agent.CycleAsync(CancellationToken.None);

        var status = agent.Status;
        status.HostId.ShouldNotBeNull();
        status.ServerReachable.ShouldBeTrue();
        status.CheckIns.ShouldBe(1);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.BaseAddress, Routes.Fleet));
        request.Headers.Add(Routes.ApiKeyHeader, AdminKey);
        using var response = await _http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var fleet = (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.FleetOverview))!;
        fleet.Hosts.ShouldBe(1);
        fleet.Configurations.ShouldContain(c => c.AgentBuild == "win-7.13.18309" && c.OsBuild == "22631");
        // The identity survives a restart: the same host id, no second enrollment.
        var reopened = OpenAgent("host-a", _server.BaseAddress);
        reopened.Status.HostId.ShouldBe(status.HostId);
    }

    [Fact]
    public async Task CycleAsync_Heartbeats_ReachTheServerOnceEvenWhenResent()
    {
        var agent = OpenAgent("host-b", _server.BaseAddress);
        agent.Boot();

        await agent.CycleAsync(CancellationToken.None);
        await agent.CycleAsync(CancellationToken.None);

        var hostId = agent.Status.HostId!;
        agent.Status.TelemetryEventsAcknowledged.ShouldBe(2);
        (await CountTelemetryAsync(hostId)).ShouldBe(2);
        agent.State.TelemetryInFlight.ShouldBeNull();
        agent.State.TelemetryQueued.ShouldBeEmpty();
    }

    [Fact]
    public async Task CycleAsync_ServerGoesDown_AgentChangesNothingThenCatchesUpWhenItReturns()
    {
        var address = _server.BaseAddress;
        var agent = OpenAgent("host-c", address);
        agent.Boot();
        await agent.CycleAsync(CancellationToken.None);
        var hostId = agent.Status.HostId!;
        var before = File.ReadAllText(Path.Combine(_root, "agents", "host-c", AgentStateStore.StateFileName));
        var channelsBefore = agent.State.Channels.ToDictionary(kv => kv.Key, kv => kv.Value.Machine);

        await _server.DisposeAsync();
        for (var i = 0; i < 3; i++)
            await agent.CycleAsync(CancellationToken.None);

        agent.Status.ServerReachable.ShouldBeFalse();
        agent.Status.CheckInFailures.ShouldBe(3);
        agent.Status.HostId.ShouldBe(hostId);
        agent.State.Channels.ToDictionary(kv => kv.Key, kv => kv.Value.Machine).ShouldBe(channelsBefore);
        agent.State.TelemetryQueued.Count.ShouldBe(3);
        before.ShouldNotBeEmpty();

        // Same port, same database: the agent reconnects with its credential and delivers what it kept.
        _server = await StartServerAsync(address.GetLeftPart(UriPartial.Authority));
        await agent.CycleAsync(CancellationToken.None);

        agent.Status.ServerReachable.ShouldBeTrue();
        agent.State.TelemetryQueued.ShouldBeEmpty();
        (await CountTelemetryAsync(hostId)).ShouldBe(5);
    }

    private async Task<long> CountTelemetryAsync(string hostId)
    {
        await using var connection = await _server.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(count), 0) FROM telemetry_events WHERE host_id = @hostId", new { hostId });
    }
}
