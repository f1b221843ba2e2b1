using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Controller;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Tests.Fixtures;

/// <summary>
/// A real server on a free loopback port over the given storage, with a manual clock, known bootstrap secrets and
/// the controller driven by hand (<see cref="RunControllerAsync"/>).
/// </summary>
public sealed class ServerHarness : IAsyncDisposable
{
    public const string AdminKey = "rfk_test-admin-key-0123456789abcdef";
    public const string EnrollmentToken = "rfe_test-enrollment-token-0123456789";

    public TestStorage Storage { get; }
    public RunningServer Server { get; }
    public ManualTime Time { get; }
    public HttpClient Http { get; }

    private ServerHarness(TestStorage storage, RunningServer server, ManualTime time)
    {
        Storage = storage;
        Server = server;
        Time = time;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// Starts a server. Unless <paramref name="realValidator"/>, publishing uses the minimal inspector (a JSON file with
    /// "channel" and "version"), so API tests need no template types; the validator tests use the real one.
    /// </summary>
    public static async Task<ServerHarness> StartAsync(string provider, Func<RingfenceServerOptions, RingfenceServerOptions>? adjust = null, bool realValidator = false)
    {
        var storage = new TestStorage(provider);
        var time = new ManualTime(new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero));
        var options = storage.Options(new RingfenceServerOptions
        {
            Urls = "http://127.0.0.1:0",
            BootstrapAdminKey = AdminKey,
            BootstrapEnrollmentToken = EnrollmentToken,
            RunController = false,
            MaxRequestBodyBytes = 64 * 1024,
            OperatorRequestsPerSecond = 10_000,
            AgentRequestsPerSecond = 10_000,
        });
        if (adjust is not null)
            options = adjust(options);
        var server = await RingfenceServer.StartAsync(options, time, b =>
        {
            b.Logging.ClearProviders();
            if (!realValidator)
                b.Services.AddSingleton<Ringfence.Server.Services.IChannelFileInspector, Ringfence.Server.Services.MinimalChannelFileInspector>();
        });
        return new ServerHarness(storage, server, time);
    }

    public Database Database => (Database)Server.Services.GetService(typeof(Database))!;

    public Task RunControllerAsync() => ((RolloutController)Server.Services.GetService(typeof(RolloutController))!).RunOnceAsync(CancellationToken.None);

    public HttpRequestMessage Request(HttpMethod method, string path, string? key = null, object? body = null, string? rawJson = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
            request.Headers.Add(Routes.ApiKeyHeader, key);
        if (rawJson is not null)
            request.Content = new StringContent(rawJson, Encoding.UTF8, "application/json");
        else if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        return request;
    }

    public static readonly System.Text.Json.JsonSerializerOptions Json = new(ProtocolJsonContext.Default.Options);

    public async Task<T> SendOkAsync<T>(HttpMethod method, string path, string? key, object? body)
    {
        using var response = await Http.SendAsync(Request(method, path, key, body));
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"{method} {path}: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonSerializer.Deserialize<T>(text, Json)!;
    }

    public async Task<string> CreateKeyAsync(OperatorRole role, string? name = null) =>
        (await SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, AdminKey, new CreateApiKeyRequest(name ?? role.ToString().ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..6], role))).Key;

    public async Task<TestAgent> EnrollAsync(string agentBuild = "7.11.18110", string osBuild = "22631", string os = "windows", IReadOnlyList<string>? groups = null)
    {
        var response = await SendOkAsync<EnrollResponse>(HttpMethod.Post, Routes.Enroll, null,
            new EnrollRequest(EnrollmentToken, "host-" + Guid.NewGuid().ToString("N")[..8], new HostConfiguration(agentBuild, os, osBuild), groups));
        return new TestAgent(this, response.HostId, response.Credential, new HostConfiguration(agentBuild, os, osBuild));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Storage.Dispose();
    }
}

/// <summary>A minimal agent speaking the protocol, for endpoint tests.</summary>
public sealed class TestAgent(ServerHarness harness, string hostId, string credential, HostConfiguration configuration)
{
    public string HostId => hostId;
    public string Credential => credential;
    public HostConfiguration Configuration => configuration;
    public Dictionary<string, ChannelState> Channels { get; } = [];

    public HttpRequestMessage Request(string path, object body)
    {
        var request = harness.Request(HttpMethod.Post, path, body: body);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return request;
    }

    public CheckInRequest CheckInBody(int crashes = 0) => new(hostId, configuration, [.. Channels.Values], new HostHealth(0, crashes));

    /// <summary>Checks in, reporting <paramref name="crashes"/> crashes since the last check-in (HostHealth.CrashesSinceLastCheckIn).</summary>
    public async Task<CheckInResponse> CheckInAsync(int crashes = 0)
    {
        using var response = await harness.Http.SendAsync(Request(Routes.CheckIn, CheckInBody(crashes)));
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return System.Text.Json.JsonSerializer.Deserialize<CheckInResponse>(text, ServerHarness.Json)!;
    }

    /// <summary>Checks in and "loads" whatever the server targets, then reports it at the next check-in.</summary>
    public async Task<CheckInResponse> CheckInAndApplyAsync()
    {
        var answer = await CheckInAsync();
        foreach (var t in answer.Targets)
            Channels[t.Channel] = new ChannelState(t.Channel, t.Version, t.Sha256, Channels.TryGetValue(t.Channel, out var old) ? old.ActiveVersion : null);
        await CheckInAsync();
        return answer;
    }

    /// <summary>
    /// The heartbeats a running agent sends over <paramref name="cycles"/> check-in cycles ending now (one per cycle, naming
    /// what it runs on its first channel, as the agent runtime does), in one batch.
    /// </summary>
    public Task<TelemetryAck> SendHeartbeatsAsync(int cycles, TimeSpan interval)
    {
        var now = harness.Time.GetUtcNow();
        var first = Channels.Values.FirstOrDefault();
        var events = Enumerable.Range(0, cycles)
            .Select(i => new TelemetryEvent(TelemetryKind.Heartbeat, now - (interval * (cycles - 1 - i)), first?.Channel, first?.ActiveVersion, first?.ActiveHash))
            .ToArray();
        return SendTelemetryAsync("hb-" + Guid.NewGuid().ToString("N"), events);
    }

    public async Task<TelemetryAck> SendTelemetryAsync(string key, params TelemetryEvent[] events)
    {
        using var response = await harness.Http.SendAsync(Request(Routes.Telemetry, new TelemetryBatch(hostId, key, events)));
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return System.Text.Json.JsonSerializer.Deserialize<TelemetryAck>(text, ServerHarness.Json)!;
    }
}
