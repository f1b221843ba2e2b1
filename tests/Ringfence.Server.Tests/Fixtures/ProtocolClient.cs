using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ringfence.Protocol;

namespace Ringfence.Server.Tests.Fixtures;

/// <summary>Agent and operator calls against any base address (in-process or child-process servers).</summary>
public sealed class ProtocolClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public static string ExamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", name);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"examples/{name} not found above {AppContext.BaseDirectory}");
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? apiKey = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
            request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: ServerHarness.Json);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, ServerHarness.Json)!;
    }

    public Task<T> Admin<T>(HttpMethod method, string path, object? body = null) => SendAsync<T>(method, path, body, ServerHarness.AdminKey);

    public void Dispose() => _http.Dispose();
}

/// <summary>A protocol-level agent that loads whatever it is told to (no TUF, no interpreter): enough to move rollouts.</summary>
public sealed class WireAgent(string hostId, string credential, HostConfiguration configuration)
{
    public string HostId => hostId;
    public Dictionary<string, ChannelState> Channels { get; } = [];

    public static async Task<WireAgent> EnrollAsync(ProtocolClient client, HostConfiguration configuration)
    {
        var r = await client.SendAsync<EnrollResponse>(HttpMethod.Post, Routes.Enroll,
            new EnrollRequest(ServerHarness.EnrollmentToken, "host-" + Guid.NewGuid().ToString("N")[..8], configuration));
        return new WireAgent(r.HostId, r.Credential, configuration);
    }

    public async Task CheckInAndApplyAsync(ProtocolClient client)
    {
        var answer = await client.SendAsync<CheckInResponse>(HttpMethod.Post, Routes.CheckIn,
            new CheckInRequest(hostId, configuration, [.. Channels.Values], new HostHealth(0, 0)), bearer: credential);
        foreach (var t in answer.Targets)
            Channels[t.Channel] = new ChannelState(t.Channel, t.Version, t.Sha256, null);
        await client.SendAsync<CheckInResponse>(HttpMethod.Post, Routes.CheckIn,
            new CheckInRequest(hostId, configuration, [.. Channels.Values], new HostHealth(0, 0)), bearer: credential);
        // One heartbeat per cycle naming what it runs, as the agent runtime sends: the host-hours the gate compares.
        var first = Channels.Values.FirstOrDefault();
        var ack = await SendAsync(client, $"hb-cycle-{_cycles++}",
            new TelemetryEvent(TelemetryKind.Heartbeat, TimeProvider.System.GetUtcNow(), first?.Channel, first?.ActiveVersion, first?.ActiveHash));
        HeartbeatsAcknowledged += ack.Accepted;
    }

    private int _cycles;

    /// <summary>Heartbeats the server acknowledged (one per <see cref="CheckInAndApplyAsync"/>).</summary>
    public long HeartbeatsAcknowledged { get; private set; }

    public Task<TelemetryAck> SendAsync(ProtocolClient client, string key, params TelemetryEvent[] events) =>
        client.SendAsync<TelemetryAck>(HttpMethod.Post, Routes.Telemetry, new TelemetryBatch(hostId, key, events), bearer: credential);
}
