using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Endpoints;

/// <summary>Every POST endpoint × malformed JSON, wrong types, truncated and oversized bodies, wrong content type: a 4xx ProblemDetails naming where, and nothing stored.</summary>
public sealed class BadInputTests
{
    private static readonly string[] Tables =
        ["api_keys", "enrollment_tokens", "hosts", "host_channels", "channel_files", "rollouts", "decisions", "telemetry_batches", "telemetry_events", "known_bad", "audit_log", "kill_switch"];

    internal static async Task<string> SnapshotAsync(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        var parts = new List<string>();
        foreach (var t in Tables)
            parts.Add($"{t}={await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {t}")}");
        parts.Add("kill=" + await c.ExecuteScalarAsync<long>("SELECT engaged FROM kill_switch"));
        return string.Join(",", parts);
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "malformed", "{\"hostId\": " },
        { "not-json", "this is not json" },
        { "wrong-types", "{\"hostId\": 5, \"idempotencyKey\": [], \"events\": \"x\", \"content\": 7, \"name\": {}, \"channel\": 1, \"version\": \"x\", \"engaged\": \"yes\", \"reason\": 3, \"enrollmentToken\": 1, \"configuration\": 2, \"role\": 9}" },
        { "array", "[1,2,3]" },
        { "null", "null" },
        { "empty", "" },
        { "oversized", "{\"content\": \"" + new string('a', 70 * 1024) + "\"}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryPostEndpoint_BadBody_Returns4xxProblemAndStoresNothing(string kind, string body)
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest("""{"channel":"1","version":1}"""));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("1", 1));
        var before = await SnapshotAsync(h);

        var targets = new List<(string Path, bool Agent)>
        {
            (Routes.Enroll, false), (Routes.CheckIn, true), (Routes.Telemetry, true),
            (Routes.ChannelFiles, false), (Routes.Rollouts, false), (Routes.KillSwitch, false), (Routes.ApiKeys, false), (Routes.EnrollmentTokens, false),
        };
        // Rollout actions take an optional body: an empty one is a valid "no reason", so they are not bad input.
        if (kind != "empty")
            targets.AddRange(new[] { "approve", "pause", "resume", "halt", "rollback" }.Select(a => (Routes.Rollout(rollout.Id) + "/" + a, false)));

        var failures = new List<string>();
        foreach (var (path, isAgent) in targets)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (isAgent)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agent.Credential);
            else
                request.Headers.Add(Routes.ApiKeyHeader, ServerHarness.AdminKey);
            // With Expect: 100-continue the server refuses an oversized body before it is sent, as real clients should do.
            request.Headers.ExpectContinue = kind == "oversized";
            using var response = await h.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status is < 400 or >= 500)
            {
                failures.Add($"{kind} → POST {path}: {status} {text[..Math.Min(200, text.Length)]}");
                continue;
            }
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{kind} → {path}");
            using var doc = JsonDocument.Parse(text);
            doc.RootElement.GetProperty("type").GetString()!.ShouldStartWith(Routes.ProblemTypeBase);
            doc.RootElement.GetProperty("detail").GetString()!.ShouldNotContain("   at ", Case.Sensitive, "no stack traces");
        }
        failures.ShouldBeEmpty();
        (await SnapshotAsync(h)).ShouldBe(before, "nothing was stored");
    }

    [Fact]
    public async Task MalformedJson_ProblemNamesPathLineAndByte()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, rawJson: "{\"channel\": \"1\",\n \"version\": \"seven\"}"));
        ((int)response.StatusCode).ShouldBe(400);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        detail.ShouldContain("$.version");
        detail.ShouldContain("line 2");
    }

    [Fact]
    public async Task WrongContentType_Returns415Problem()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var request = new HttpRequestMessage(HttpMethod.Post, Routes.Enroll) { Content = new StringContent("{}", Encoding.UTF8, "text/plain") };
        using var response = await h.Http.SendAsync(request);
        ((int)response.StatusCode).ShouldBe(415);
    }

    [Fact]
    public async Task OtherHostsId_InCheckInOrTelemetry_Returns403AndStoresNothing()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var a = await h.EnrollAsync();
        var b = await h.EnrollAsync();
        var before = await SnapshotAsync(h);
        using var checkIn = await h.Http.SendAsync(a.Request(Routes.CheckIn, b.CheckInBody()));
        ((int)checkIn.StatusCode).ShouldBe(403);
        using var telemetry = await h.Http.SendAsync(a.Request(Routes.Telemetry, new TelemetryBatch(b.HostId, "k1", [new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow())])));
        ((int)telemetry.StatusCode).ShouldBe(403);
        (await SnapshotAsync(h)).ShouldBe(before);
    }

    [Fact]
    public async Task UnknownRouteAndMethod_ReturnProblemDetails()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var missing = await h.Http.GetAsync("/v1/nothing-here");
        ((int)missing.StatusCode).ShouldBe(404);
        missing.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        using var unknownRollout = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.Rollout("ro_nope"), ServerHarness.AdminKey));
        ((int)unknownRollout.StatusCode).ShouldBe(404);
        JsonDocument.Parse(await unknownRollout.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString().ShouldBe(Routes.ProblemTypeBase + "not-found");
    }
}
