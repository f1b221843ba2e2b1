using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Server.Storage;

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
        var html = await RolloutPageAsync(fixture.HaltedRolloutId);
        var crash = CrashFigure().Match(html);
        crash.Success.ShouldBeTrue("the crash rate chart of the first ring");
        crash.Groups[1].Value.ShouldBe("hosts");
        crash.Groups[2].Value.ShouldContain("estimated as hosts × time (no heartbeat counts)");
    }

    [Fact]
    public async Task RolloutPage_HeartbeatCountersOfBothGroups_RatesOverHeartbeatHostHours()
    {
        // Two exposed and 45 control heartbeats in the minute the two exposed crashes were counted in.
        var db = fixture.Server.Services.GetRequiredService<Database>();
        await using (var c = await db.OpenAsync())
        {
            var window = await c.ExecuteScalarAsync<long>(
                "SELECT MIN(window_start) FROM telemetry_counters WHERE rollout_id = @id AND kind = 'crash:exposed'", new { id = fixture.ResumableRolloutId });
            await c.ExecuteAsync(
                """
                INSERT INTO telemetry_counters (rollout_id, ring, agent_build, os_build, window_start, kind, count)
                VALUES (@id, 0, 'test', 'test', @window, 'heartbeat:exposed', 2), (@id, 0, 'test', 'test', @window, 'heartbeat:control', 45)
                """, new { id = fixture.ResumableRolloutId, window });
        }

        var html = await RolloutPageAsync(fixture.ResumableRolloutId);
        var crash = CrashFigure().Match(html);
        crash.Success.ShouldBeTrue("the crash rate chart of the first ring");
        crash.Groups[1].Value.ShouldBe("heartbeats");
        crash.Groups[2].Value.ShouldContain("host-hours from heartbeats");
        // 2 crashes over 2 heartbeats of 60 s (1/30 host-hour): 60,000 per 1,000 host-hours.
        crash.Groups[2].Value.ShouldContain("exposed peak 60000");
    }
}
