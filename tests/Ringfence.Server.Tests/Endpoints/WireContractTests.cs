using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Dapper;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Endpoints;

/// <summary>
/// Every route that reads a body, with a valid body and, derived from it, every missing required member, an unknown
/// member, a null element in every array and a duplicate key: each mutation is a 400 naming its JSON path, nothing is
/// stored, and the valid body itself is accepted (so the mutation is what was refused).
/// </summary>
public sealed class WireContractTests
{
    /// <summary>A route that reads a body, with a valid body for it.</summary>
    private sealed record Case(string Path, bool Agent, JsonTypeInfo Type, string ValidJson);

    private static async Task<(ServerHarness H, TestAgent Agent, string RolloutId)> StartAsync()
    {
        var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest("""{"channel":"1","version":1}"""));
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest("""{"channel":"9","version":1}"""));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("9", 1));
        return (h, agent, rollout.Id);
    }

    private static string Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    /// <summary>One valid body per request type; a new body-reading route with a new type must add one here.</summary>
    private static Dictionary<Type, Func<TestAgent, string, Case>> Samples(DateTimeOffset now) => new()
    {
        [typeof(EnrollRequest)] = (_, _) => new(Routes.Enroll, false, ProtocolJsonContext.Default.EnrollRequest,
            Json(new EnrollRequest(ServerHarness.EnrollmentToken, "host-new", new HostConfiguration("7.11.18110", "windows", "22631"), ["dc-1"]), ProtocolJsonContext.Default.EnrollRequest)),
        [typeof(CheckInRequest)] = (a, _) => new(Routes.CheckIn, true, ProtocolJsonContext.Default.CheckInRequest,
            Json(new CheckInRequest(a.HostId, a.Configuration, [new ChannelState("1", 1, null, null)], new HostHealth(0, 0, [])), ProtocolJsonContext.Default.CheckInRequest)),
        [typeof(TelemetryBatch)] = (a, _) => new(Routes.Telemetry, true, ProtocolJsonContext.Default.TelemetryBatch,
            Json(new TelemetryBatch(a.HostId, "valid-1", [new TelemetryEvent(TelemetryKind.Heartbeat, now, "1", 1)]), ProtocolJsonContext.Default.TelemetryBatch)),
        [typeof(PublishChannelFileRequest)] = (_, _) => new(Routes.ChannelFiles, false, ProtocolJsonContext.Default.PublishChannelFileRequest,
            Json(new PublishChannelFileRequest("""{"channel":"2","version":1}""", ["7.11.18110"]), ProtocolJsonContext.Default.PublishChannelFileRequest)),
        [typeof(CreateRolloutRequest)] = (_, _) => new(Routes.Rollouts, false, ProtocolJsonContext.Default.CreateRolloutRequest,
            Json(new CreateRolloutRequest("1", 1, false, [new RingSpec("all", 100, 0)], "why"), ProtocolJsonContext.Default.CreateRolloutRequest)),
        [typeof(RolloutActionRequest)] = (_, id) => new(Routes.Rollout(id) + "/approve", false, ProtocolJsonContext.Default.RolloutActionRequest,
            Json(new RolloutActionRequest("why"), ProtocolJsonContext.Default.RolloutActionRequest)),
        [typeof(KillSwitchRequest)] = (_, _) => new(Routes.KillSwitch, false, ProtocolJsonContext.Default.KillSwitchRequest,
            Json(new KillSwitchRequest(true, "why"), ProtocolJsonContext.Default.KillSwitchRequest)),
        [typeof(CreateApiKeyRequest)] = (_, _) => new(Routes.ApiKeys, false, ProtocolJsonContext.Default.CreateApiKeyRequest,
            Json(new CreateApiKeyRequest("k", OperatorRole.Viewer), ProtocolJsonContext.Default.CreateApiKeyRequest)),
        [typeof(CreateEnrollmentTokenRequest)] = (_, _) => new(Routes.EnrollmentTokens, false, ProtocolJsonContext.Default.CreateEnrollmentTokenRequest,
            Json(new CreateEnrollmentTokenRequest("t", 5), ProtocolJsonContext.Default.CreateEnrollmentTokenRequest)),
    };

    public static TheoryData<string> RequestTypes => [.. Samples(DateTimeOffset.UnixEpoch).Keys.Select(t => t.Name)];

    [Fact]
    public async Task EveryBodyReadingRoute_HasAValidSample()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var samples = Samples(DateTimeOffset.UnixEpoch);
        var missing = h.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .SelectMany(e => e.Metadata.OfType<IAcceptsMetadata>().Select(a => (Endpoint: e.DisplayName, a.RequestType)))
            .Where(x => x.RequestType is not null && !samples.ContainsKey(x.RequestType))
            .Select(x => $"{x.Endpoint} reads {x.RequestType!.Name}")
            .ToList();
        missing.ShouldBeEmpty("add a valid sample body to WireContractTests.Samples");
        samples.Count.ShouldBeGreaterThanOrEqualTo(9);
    }

    /// <summary>Each mutation of the valid body, with the line the 400's detail must contain.</summary>
    private static List<(string What, string Body, string Expected)> Mutations(string validJson, JsonTypeInfo type)
    {
        var list = new List<(string, string, string)>();
        var root = JsonNode.Parse(validJson)!.AsObject();
        Walk(root, type, "$", root, list);
        list.Add(("unknown member", Mutate(root, o => o["zzUnknown"] = 1), "$.zzUnknown: unknown member"));
        // Duplicate: the first member once more, textually (a JsonObject cannot hold a key twice).
        var first = root.First();
        var text = root.ToJsonString();
        list.Add(("duplicate key", "{" + JsonSerializer.Serialize(first.Key) + ":" + (first.Value?.ToJsonString() ?? "null") + "," + text[1..], $"$.{first.Key}: duplicate member"));
        return list;
    }

    private static void Walk(JsonObject node, JsonTypeInfo type, string path, JsonObject root, List<(string, string, string)> list)
    {
        foreach (var property in type.Properties)
        {
            var memberPath = path + "." + property.Name;
            if (property.IsRequired)
                list.Add(($"missing {memberPath}", WithChange(root, node, n => n.Remove(property.Name)), $"{memberPath}: required"));
            if (!node.TryGetPropertyValue(property.Name, out var value) || value is null)
                continue;
            var memberType = type.Options.GetTypeInfo(property.PropertyType);
            if (value is JsonArray array)
            {
                list.Add(($"null element in {memberPath}", WithChange(root, node, n => n[property.Name] = new JsonArray((JsonNode?)null)), $"{memberPath}[0]: null is not allowed here"));
                if (array.Count > 0 && array[0] is JsonObject element && memberType.ElementType is { } elementType)
                    Walk(element, type.Options.GetTypeInfo(elementType), memberPath + "[0]", root, list);
            }
            else if (value is JsonObject child && memberType.Kind == JsonTypeInfoKind.Object)
            {
                Walk(child, memberType, memberPath, root, list);
            }
        }
    }

    /// <summary>The whole body with <paramref name="change"/> applied to one node of it (on a copy).</summary>
    private static string WithChange(JsonObject root, JsonObject node, Action<JsonObject> change)
    {
        var copy = root.DeepClone().AsObject();
        var target = Find(copy, root, node) ?? throw new InvalidOperationException("node not found");
        change(target);
        return copy.ToJsonString();
    }

    private static JsonObject? Find(JsonNode copy, JsonNode original, JsonObject wanted)
    {
        if (ReferenceEquals(original, wanted))
            return copy.AsObject();
        switch (original)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                    if (v is not null && Find(copy.AsObject()[k]!, v, wanted) is { } found)
                        return found;
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (a[i] is { } v && Find(copy.AsArray()[i]!, v, wanted) is { } found)
                        return found;
                break;
        }
        return null;
    }

    private static string Mutate(JsonObject root, Action<JsonObject> change)
    {
        var copy = root.DeepClone().AsObject();
        change(copy);
        return copy.ToJsonString();
    }

    private static HttpRequestMessage Post(string path, string body, TestAgent agent, bool asAgent)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (asAgent)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agent.Credential);
        else
            request.Headers.Add(Routes.ApiKeyHeader, ServerHarness.AdminKey);
        return request;
    }

    [Theory]
    [MemberData(nameof(RequestTypes))]
    public async Task Route_MissingUnknownNullElementOrDuplicate_Returns400NamingPathAndStoresNothing(string requestType)
    {
        var (h, agent, rolloutId) = await StartAsync();
        await using var _ = h;
        var sample = Samples(h.Time.GetUtcNow()).Single(s => s.Key.Name == requestType).Value(agent, rolloutId);
        var strictType = StrictJson.Options.GetTypeInfo(sample.Type.Type);
        var mutations = Mutations(sample.ValidJson, strictType);
        mutations.Count.ShouldBeGreaterThanOrEqualTo(2);
        var before = await BadInputTests.SnapshotAsync(h);

        var failures = new List<string>();
        foreach (var (what, body, expected) in mutations)
        {
            using var response = await h.Http.SendAsync(Post(sample.Path, body, agent, sample.Agent));
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode != 400 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{what}: {(int)response.StatusCode} {text}");
                continue;
            }
            var detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
            if (!detail.Contains(expected, StringComparison.Ordinal))
                failures.Add($"{what}: detail '{detail}' does not contain '{expected}'");
        }
        failures.ShouldBeEmpty();
        (await BadInputTests.SnapshotAsync(h)).ShouldBe(before, "nothing was stored");

        using var valid = await h.Http.SendAsync(Post(sample.Path, sample.ValidJson, agent, sample.Agent));
        ((int)valid.StatusCode).ShouldBeInRange(200, 299, $"the valid body of {requestType}: {await valid.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task KillSwitch_TypoWhileEngaged_Returns400AndStaysEngaged()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await h.SendOkAsync<KillSwitchDto>(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, new KillSwitchRequest(true, "incident"));
        using var typo = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, rawJson: """{"enabled": true, "reason": "typo"}"""));
        ((int)typo.StatusCode).ShouldBe(400);
        JsonDocument.Parse(await typo.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain("$.enabled: unknown member");
        (await h.SendOkAsync<KillSwitchDto>(HttpMethod.Get, Routes.KillSwitch, ServerHarness.AdminKey, null)).Engaged.ShouldBeTrue();
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'kill-switch.release'")).ShouldBe(0);
    }

    [Fact]
    public async Task Telemetry_EmptyEvent_Returns400AndStoresNothing()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        using var response = await h.Http.SendAsync(Post(Routes.Telemetry, $$"""{"hostId":"{{agent.HostId}}","idempotencyKey":"k1","events":[{}]}""", agent, true));
        ((int)response.StatusCode).ShouldBe(400);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain("$.events[0].kind: required");
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_events")).ShouldBe(0);
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_batches")).ShouldBe(0);
    }

    [Fact]
    public async Task CreateApiKey_MissingRole_Returns400NotAViewer()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, rawJson: """{"name": "ops"}"""));
        ((int)response.StatusCode).ShouldBe(400);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain("$.role: required");
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE name = 'ops'")).ShouldBe(0);
    }

    [Fact]
    public async Task CreateRollout_NullRing_Returns400()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest("""{"channel":"1","version":1}"""));
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, rawJson: """{"channel":"1","version":1,"rings":[null]}"""));
        ((int)response.StatusCode).ShouldBe(400);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!.ShouldContain("$.rings[0]: null is not allowed here");
        (await h.SendOkAsync<IReadOnlyList<RolloutDto>>(HttpMethod.Get, Routes.Rollouts, ServerHarness.AdminKey, null)).ShouldBeEmpty();
    }

    [Fact]
    public async Task CheckIn_SameChannelTwice_Returns400NamingTheDuplicate()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        var body = new CheckInRequest(agent.HostId, agent.Configuration, [new ChannelState("x", 1), new ChannelState("x", 2)], new HostHealth(0, 0));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // The agent retries: each retry is the same clear 400, never a 500.
            using var response = await h.Http.SendAsync(agent.Request(Routes.CheckIn, body));
            ((int)response.StatusCode).ShouldBe(400);
            JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()
                .ShouldBe("$.channels[1].channel: duplicate channel 'x'");
        }
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels")).ShouldBe(0);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("chan nel")]
    public async Task Publish_ChannelIdNotATargetPath_Returns422AndStoresNothing(string channel)
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var before = await BadInputTests.SnapshotAsync(h) + ",tuf=" + await CountTufFilesAsync(h);
        var content = JsonSerializer.Serialize(new Dictionary<string, object> { ["channel"] = channel, ["version"] = 1 });
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(content)));
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBe(422, text);
        JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!.ShouldContain("$.content: channel id");
        (await BadInputTests.SnapshotAsync(h) + ",tuf=" + await CountTufFilesAsync(h)).ShouldBe(before, "nothing stored, nothing signed");
    }

    private static async Task<long> CountTufFilesAsync(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM tuf_files");
    }

    [Fact]
    public async Task Publish_ChannelIdNotATargetPath_RealValidatorRejectsAtId()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", realValidator: true);
        var file = File.ReadAllText(ProtocolClient.ExamplePath("good-channel.json"));
        var node = JsonNode.Parse(file)!.AsObject();
        node["id"] = "../../etc";
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(node.ToJsonString())));
        ((int)response.StatusCode).ShouldBe(422);
        var findings = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("findings");
        findings.EnumerateArray().ShouldContain(f => f.GetProperty("location").GetString()!.Contains("$.id", StringComparison.Ordinal));
        (await h.SendOkAsync<IReadOnlyList<ChannelFileDto>>(HttpMethod.Get, Routes.ChannelFiles, ServerHarness.AdminKey, null)).ShouldBeEmpty();
    }
}
