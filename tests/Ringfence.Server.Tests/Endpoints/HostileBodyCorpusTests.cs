using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Endpoints;

/// <summary>
/// A corpus of hostile bodies sent to EVERY route of the app (enumerated from its EndpointDataSource, so a new route is
/// covered without touching this test), with an admin key and a host credential: no answer is a 5xx, and every 4xx
/// body is ProblemDetails (application/problem+json with type, title, status and detail). The dashboard's pages are
/// for people: their 4xx may also be an HTML page.
/// </summary>
public sealed partial class HostileBodyCorpusTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static IReadOnlyList<(string Name, byte[] Body)> Corpus { get; } =
    [
        ("empty", []),
        ("malformed", Utf8("{\"a\": ")),
        ("truncated", Utf8("{\"channel\": \"1\", \"vers")),
        ("not-json", Utf8("this is not json")),
        ("null", Utf8("null")),
        ("array", Utf8("[1,2,3]")),
        ("string", Utf8("\"text\"")),
        ("number", Utf8("0")),
        ("empty-object", Utf8("{}")),
        ("wrong-types", Utf8("{\"hostId\": 5, \"idempotencyKey\": [], \"events\": \"x\", \"content\": 7, \"name\": {}, \"channel\": 1, \"version\": \"x\", \"engaged\": \"yes\", \"reason\": 3, \"enrollmentToken\": 1, \"configuration\": 2, \"role\": 9, \"rings\": 4, \"channels\": {}, \"health\": []}")),
        ("nulls", Utf8("{\"hostId\": null, \"idempotencyKey\": null, \"events\": null, \"content\": null, \"name\": null, \"channel\": null, \"version\": null, \"engaged\": null, \"reason\": null, \"enrollmentToken\": null, \"configuration\": null, \"role\": null, \"rings\": null, \"channels\": null, \"health\": null}")),
        ("null-elements", Utf8("{\"events\": [null], \"rings\": [null], \"channels\": [null], \"groups\": [null], \"declaredBuilds\": [null]}")),
        ("unknown-members", Utf8("{\"zz\": 1, \"enabled\": true, \"__proto__\": {}}")),
        ("duplicate-keys", Utf8("{\"reason\": \"a\", \"reason\": \"b\", \"engaged\": true, \"engaged\": false}")),
        ("huge-numbers", Utf8("{\"version\": 1e999, \"maxHosts\": 99999999999999999999999, \"percent\": -1e400, \"bakeMinutes\": 1e10}")),
        ("invalid-utf8", [.. Utf8("{\"reason\": \""), 0xff, 0xfe, 0xc3, .. Utf8("\", \"name\": \"\u0000\"}")]),
        ("lone-surrogate", Utf8("{\"reason\": \"\\ud800\", \"name\": \"\\udfff\"}")),
        ("deeply-nested", Utf8(string.Concat(Enumerable.Repeat("{\"a\":[", 500)) + string.Concat(Enumerable.Repeat("]}", 500)))),
        ("oversized", Utf8("{\"content\": \"" + new string('a', 70 * 1024) + "\"}")),
        ("bom", [0xef, 0xbb, 0xbf, .. Utf8("{\"reason\": \"x\"}")]),
        ("trailing-garbage", Utf8("{\"reason\": \"x\"} {}")),
        ("comments", Utf8("{/* c */ \"reason\": \"x\"}")),
    ];

    [GeneratedRegex(@"\{\*{0,2}(?<name>\w+)[^}]*\}")]
    private static partial Regex Parameter();

    private static bool IsDashboardPage(string pattern) =>
        !pattern.StartsWith("/v1", StringComparison.Ordinal) && !pattern.StartsWith("/tuf", StringComparison.Ordinal)
        && pattern is not (Routes.Health or Routes.OpenApi);

    [Fact]
    public async Task EveryRoute_HostileBodies_NoServerErrorAndProblemDetailsFor4xx()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest("""{"channel":"1","version":1}"""));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("1", 1));
        var values = new Dictionary<string, string> { ["id"] = rollout.Id, ["file"] = "timestamp.json", ["path"] = "known-bad.json", ["action"] = "approve" };

        var routes = h.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            // Server-sent events stream until the client leaves: sent without a session it is refused at once, which is still checked.
            .Distinct()
            .ToList();
        routes.Count.ShouldBeGreaterThan(25, "the app's routes were enumerated");
        routes.ShouldContain(("POST", Routes.KillSwitch + "/"));

        var failures = new List<string>();
        var sent = 0;
        foreach (var (method, pattern) in routes)
        {
            var path = Parameter().Replace(pattern, m => Uri.EscapeDataString(values.GetValueOrDefault(m.Groups["name"].Value, "x")));
            foreach (var (name, body) in Corpus)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(Routes.ApiKeyHeader, ServerHarness.AdminKey);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agent.Credential);
                // Like a real client: an oversized body waits for the server's go-ahead, which a 413 refuses.
                request.Headers.ExpectContinue = name == "oversized";
                // A route that answers without reading the body leaves the unsent body pending: start afresh after it.
                request.Headers.ConnectionClose = name == "oversized";
                HttpResponseMessage answer;
                try
                {
                    answer = await h.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                }
                catch (HttpRequestException ex)
                {
                    failures.Add($"{name} → {method} {path}: no answer ({ex.InnerException?.Message ?? ex.Message})");
                    continue;
                }
                using var response = answer;
                sent++;
                var status = (int)response.StatusCode;
                var where = $"{name} → {method} {path}: {status}";
                if (status >= 500)
                {
                    failures.Add($"{where} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }
                if (status < 400)
                    continue;
                var media = response.Content.Headers.ContentType?.MediaType;
                if (media == "text/html" && IsDashboardPage(pattern))
                    continue;
                if (media != "application/problem+json")
                {
                    failures.Add($"{where} with Content-Type {media ?? "(none)"}");
                    continue;
                }
                var text = await response.Content.ReadAsStringAsync();
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (!root.TryGetProperty("type", out var type) || !type.GetString()!.StartsWith(Routes.ProblemTypeBase, StringComparison.Ordinal)
                    || !root.TryGetProperty("title", out var title) || string.IsNullOrWhiteSpace(title.GetString())
                    || !root.TryGetProperty("status", out var st) || st.GetInt32() != status
                    || !root.TryGetProperty("detail", out var detail) || string.IsNullOrWhiteSpace(detail.GetString()))
                    failures.Add($"{where} incomplete problem {text}");
                else if (detail.GetString()!.Contains("   at ", StringComparison.Ordinal) || detail.GetString()!.Contains("Ringfence.", StringComparison.Ordinal))
                    failures.Add($"{where} leaks internals: {detail.GetString()}");
            }
        }
        failures.ShouldBeEmpty(string.Join("\n", failures));
        sent.ShouldBe(routes.Count * Corpus.Count);
    }
}
