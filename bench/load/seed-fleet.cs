#:project ../../src/Ringfence.Agent/Ringfence.Agent.csproj
#:project ../../src/Ringfence.Agent.Swarm/Ringfence.Agent.Swarm.csproj
#:property PublishAot=false
// Prepares the load benchmark: enrolls a realistic fleet, publishes a channel file and rolls it out to everyone,
// checks every host in once (to learn its ETag), and writes the request files the wrk scripts replay.
// Usage: dotnet run -c Release bench/load/seed-fleet.cs -- --server URL --admin-key KEY --token TOKEN --hosts N --out DIR [--batch N] [--examples DIR]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.Swarm;
using Ringfence.Protocol;

var options = ParseArgs(args);
var server = new Uri(options["server"]);
var hosts = int.Parse(options["hosts"], System.Globalization.CultureInfo.InvariantCulture);
var outDir = options["out"];
var batch = int.Parse(options.GetValueOrDefault("batch", "100"), System.Globalization.CultureInfo.InvariantCulture);
var adminKey = options["admin-key"];
Directory.CreateDirectory(outDir);

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    Timeout = TimeSpan.FromSeconds(60),
};
var client = new AgentApiClient(http, server);
var profiles = SimulatedFleet.Generate(hosts, seed: 2024);
var now = TimeProvider.System.GetUtcNow();

// 1. Enroll.
var clock = Stopwatch.StartNew();
var enrolled = new EnrollResponse[hosts];
await Parallel.ForAsync(0, hosts, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
{
    var p = profiles[i];
    enrolled[i] = await client.EnrollAsync(new EnrollRequest(options["token"], p.Hostname, p.Configuration, p.Groups), ct);
});
Console.WriteLine($"   enrolled {hosts} hosts in {clock.Elapsed.TotalSeconds:F1} s ({hosts / clock.Elapsed.TotalSeconds:F0}/s)");

// 2. Publish the example channel file and roll it out to everyone in one ring, so check-in answers carry a target.
var examples = options.GetValueOrDefault("examples", "examples");
var goodFile = Directory.EnumerateFiles(examples, "*.json", SearchOption.AllDirectories)
    .FirstOrDefault(f => Path.GetFileName(f).Contains("good", StringComparison.OrdinalIgnoreCase));
if (goodFile is not null)
{
    http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, adminKey);
    var publish = await http.PostAsJsonAsync(new Uri(server, Routes.ChannelFiles), new PublishChannelFileRequest(await File.ReadAllTextAsync(goodFile)),
        ProtocolJsonContext.Default.PublishChannelFileRequest);
    if (publish.IsSuccessStatusCode)
    {
        var file = (await publish.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ChannelFileDto))!;
        var created = await http.PostAsJsonAsync(new Uri(server, Routes.Rollouts),
            new CreateRolloutRequest(file.Channel, file.Version, Rings: [new RingSpec("everyone", 100, 0)], Reason: "load benchmark"),
            ProtocolJsonContext.Default.CreateRolloutRequest);
        var rollout = (await created.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.RolloutDto))!;
        if (rollout.Status == RolloutStatus.PendingApproval)
            await http.PostAsJsonAsync(new Uri(server, $"{Routes.Rollout(rollout.Id)}/approve"), new RolloutActionRequest("load benchmark"),
                ProtocolJsonContext.Default.RolloutActionRequest);
        // Wait (bounded) for the controller to expose the ring.
        for (var i = 0; i < 100 && rollout.Status is not (RolloutStatus.Completed or RolloutStatus.Progressing); i++)
        {
            await Task.Delay(200);
            rollout = (await http.GetFromJsonAsync(new Uri(server, Routes.Rollout(rollout.Id)), ProtocolJsonContext.Default.RolloutDto))!;
        }
        Console.WriteLine($"   published {file.Channel} v{file.Version}; rollout {rollout.Id} is {rollout.Status}");
    }
    else
    {
        Console.WriteLine($"   publishing {goodFile} failed ({(int)publish.StatusCode}); check-in answers will carry no target");
    }
    http.DefaultRequestHeaders.Remove(Routes.ApiKeyHeader);
}

// 3. Check every host in once: its request body, and the ETag of its answer for the steady-state run.
clock.Restart();
var lines = new string[hosts];
var telemetryLines = new string[hosts];
byte[]? sampleAnswer = null;
await Parallel.ForAsync(0, hosts, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
{
    var p = profiles[i];
    var e = enrolled[i];
    var request = new CheckInRequest(e.HostId, p.Configuration, [], new HostHealth(0, 0));
    var body = JsonSerializer.Serialize(request, ProtocolJsonContext.Default.CheckInRequest);
    using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(server, Routes.CheckIn))
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };
    message.Headers.Authorization = new("Bearer", e.Credential);
    using var response = await http.SendAsync(message, ct);
    response.EnsureSuccessStatusCode();
    var answer = await response.Content.ReadAsByteArrayAsync(ct);
    if (i == 0)
        sampleAnswer = answer;
    lines[i] = $"POST\t{Routes.CheckIn}\tBearer {e.Credential}\t{response.Headers.ETag}\t{body}";

    // An agent's backlog: heartbeats every 6 s naming the content it runs (so about ten minutes of them), one Loaded
    // event and one crash report that names no content (a crash unrelated to any rollout, so the rollout keeps going).
    var target = JsonSerializer.Deserialize(answer, ProtocolJsonContext.Default.CheckInResponse)!.Targets.FirstOrDefault();
    var events = Enumerable.Range(0, batch).Select(j =>
    {
        var at = now.AddSeconds(-6 * (batch - 1 - j));
        return j == batch - 1 ? new TelemetryEvent(TelemetryKind.Crash, at, Detail: "unrelated crash")
            : j == batch / 2 ? new TelemetryEvent(TelemetryKind.Loaded, at, target?.Channel, target?.Version, target?.Sha256)
            : new TelemetryEvent(TelemetryKind.Heartbeat, at, target?.Channel, target?.Version, target?.Sha256);
    }).ToList();
    var telemetry = JsonSerializer.Serialize(new TelemetryBatch(e.HostId, "{KEY}", events), ProtocolJsonContext.Default.TelemetryBatch);
    telemetryLines[i] = $"{Routes.Telemetry}\tBearer {e.Credential}\t{telemetry}";
});
Console.WriteLine($"   checked in {hosts} hosts in {clock.Elapsed.TotalSeconds:F1} s");

await File.WriteAllLinesAsync(Path.Combine(outDir, "requests.tsv"), lines);
await File.WriteAllLinesAsync(Path.Combine(outDir, "telemetry.tsv"), telemetryLines);
await File.WriteAllBytesAsync(Path.Combine(outDir, "answer.json"), sampleAnswer!);
return 0;

static Dictionary<string, string> ParseArgs(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
        result[args[i].TrimStart('-')] = args[i + 1];
    foreach (var required in new[] { "server", "admin-key", "token", "hosts", "out" })
    {
        if (!result.ContainsKey(required))
            throw new ArgumentException($"--{required} is required");
    }
    return result;
}
