using System.Net;
using System.Text.RegularExpressions;

namespace Ringfence.Server.Tests.Dashboard;

/// <summary>The rollout page's rate charts read the controller's per-minute counters, with heartbeat host-hours when there are any.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class RolloutRatesHttpTests(DashboardFixture fixture)
{
    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    [GeneratedRegex("<figure class=\"chart\"[^>]*data-metric=\"crash\" data-denominator=\"(\\w+)\">(.*?)</figure>", RegexOptions.Singleline)]
    private static partial Regex CrashFigure();

    private async Task<string> RolloutPageAsync(string id)
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = fixture.BaseAddress };
        var signin = await http.GetStringAsync(new Uri("/signin", UriKind.Relative));
        var csrf = WebUtility.HtmlDecode(CsrfField().Match(signin).Groups[1].Value);
        using var form = new FormUrlEncodedContent([new("csrf", csrf), new("key", fixture.ViewerKey)]);
        (await http.PostAsync(new Uri("/signin", UriKind.Relative), form)).StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        return await http.GetStringAsync(new Uri("/rollouts/" + id, UriKind.Relative));
    }

    [Fact]
    public async Task RolloutPage_NoHeartbeatCounters_RatesOverHostsTimesTime()
    {
        // The operator-halted rollout's hosts sent crashes and reverts but no heartbeats.
        var html = await RolloutPageAsync(fixture.ResumableRolloutId);
        var crash = CrashFigure().Match(html);
        crash.Success.ShouldBeTrue("the crash rate chart of the first ring");
        crash.Groups[1].Value.ShouldBe("hosts");
        crash.Groups[2].Value.ShouldContain("estimated as hosts × time (no heartbeat counts)");
    }

    [Fact]
    public async Task RolloutPage_HeartbeatsFromExposedAndControlHosts_RatesOverHeartbeatHostHours()
    {
        // The gate-halted rollout's hosts heartbeat; the controller folds them into heartbeat counters of both groups.
        var html = await RolloutPageAsync(fixture.HaltedRolloutId);
        var crash = CrashFigure().Match(html);
        crash.Success.ShouldBeTrue("the crash rate chart of the first ring");
        crash.Groups[1].Value.ShouldBe("heartbeats");
        crash.Groups[2].Value.ShouldContain("host-hours from heartbeats");
    }

    [Fact]
    public async Task HealthRoute_Viewer_ReturnsTheGatesCountersAndBreadcrumbs()
    {
        // The dashboard's rate charts and breadcrumbs read this route, like its other reads, through the operator API.
        using var http = fixture.Client(fixture.ViewerKey);
        var health = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync(http, "/v1/rollouts/" + fixture.HaltedRolloutId + "/health",
            Ringfence.Protocol.ProtocolJsonContext.Default.RolloutHealthDto);
        health.ShouldNotBeNull();
        health.Counters.ShouldContain(c => c.Kind == "crash:exposed" && c.Count > 0);
        health.Breadcrumbs.ShouldContain(b => b.InstanceId == "ipc-42");
        health.FleetHosts.ShouldBeGreaterThan(0);
        using var missing = await http.GetAsync(new Uri("/v1/rollouts/ro_missing/health", UriKind.Relative));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
