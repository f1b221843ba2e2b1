using System.Text;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>The fleet: agent build × OS build with host counts, the rings that cover each cell, uncovered cells flagged.</summary>
internal static class FleetView
{
    public static async Task<Page> RenderAsync(ViewContext ctx)
    {
        var result = await ctx.GetAsync(Routes.Fleet, ProtocolJsonContext.Default.FleetOverview);
        if (!result.Ok)
            return new Page("Fleet", "fleet", [new("fleet", Layout.Error("Fleet", result.Problem!))], result.Status);
        var fleet = result.Value!;
        return new Page("Fleet", "fleet", [new("fleet-summary", Summary(fleet)), new("fleet-matrix", Matrix(fleet))]);
    }

    private static string Summary(FleetOverview fleet)
    {
        var uncovered = fleet.Configurations.Where(c => c.UncoveredEarly).ToList();
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-fleet\"><h1 id=\"h-fleet\">Fleet</h1>");
        sb.Append($"<p>{E(fleet.Hosts)} hosts enrolled, {E(fleet.HostsSeenLastHour)} seen in the last hour, in {E(fleet.Configurations.Count)} configurations (agent build × OS build).</p>");
        if (uncovered.Count > 0)
        {
            sb.Append($"<div class=\"error\" role=\"alert\" id=\"uncovered-summary\"><strong>{uncovered.Count} configuration(s) not covered by an early ring</strong> — new content would reach them only in a wide wave:<ul>");
            foreach (var c in uncovered)
                sb.Append($"<li>agent {E(c.AgentBuild)} on {E(c.Os)} {E(c.OsBuild)} ({E(c.Hosts)} hosts)</li>");
            sb.Append("</ul></div>");
        }
        else if (fleet.Configurations.Count > 0)
        {
            sb.Append("<p class=\"flash ok\">Every configuration is covered by an early ring.</p>");
        }
        sb.Append("<h2 style=\"margin-top:14px\">Ring coverage (default plan)</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Ring</th><th scope=\"col\" class=\"num\">Hosts</th><th scope=\"col\" class=\"num\">Configurations covered</th></tr></thead><tbody>");
        foreach (var ring in fleet.Rings)
            sb.Append($"<tr><th scope=\"row\">{E(ring.Ring)}</th><td class=\"num\">{E(ring.Hosts)}</td><td class=\"num\">{ring.ConfigurationsCovered} of {ring.ConfigurationsTotal}</td></tr>");
        return sb.Append("</tbody></table></div></section>").ToString();
    }

    private static string Matrix(FleetOverview fleet)
    {
        var builds = fleet.Configurations.Select(c => c.AgentBuild).Distinct().Order(StringComparer.Ordinal).ToList();
        var systems = fleet.Configurations.Select(c => (c.Os, c.OsBuild)).Distinct().OrderBy(x => x.Os, StringComparer.Ordinal).ThenBy(x => x.OsBuild, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-matrix\"><h2 id=\"h-matrix\">Configurations: agent build × OS build</h2>");
        if (builds.Count == 0)
            return sb.Append("<p class=\"muted\">No hosts have enrolled yet.</p></section>").ToString();
        sb.Append("<p class=\"muted\">Each cell: hosts, and the rings that include at least one of them. Hatched red cells have no host in an early ring.</p>");
        sb.Append("<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th scope=\"col\">Agent build</th>");
        foreach (var (os, osBuild) in systems)
            sb.Append($"<th scope=\"col\">{E(os)} {E(osBuild)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var build in builds)
        {
            sb.Append($"<tr><th scope=\"row\" class=\"mono\">{E(build)}</th>");
            foreach (var (os, osBuild) in systems)
            {
                var cell = fleet.Configurations.FirstOrDefault(c => c.AgentBuild == build && c.Os == os && c.OsBuild == osBuild);
                if (cell is null)
                {
                    sb.Append("<td class=\"cell empty\" aria-label=\"no hosts\">·</td>");
                    continue;
                }
                var cls = cell.UncoveredEarly ? "uncovered" : "covered";
                sb.Append($"<td class=\"cell {cls}\" data-config=\"{E(build)}|{E(os)}|{E(osBuild)}\"><div class=\"count\">{E(cell.Hosts)}</div>")
                  .Append($"<div class=\"ringlist\">{(cell.CoveredByRings.Count == 0 ? "no ring" : E(string.Join(", ", cell.CoveredByRings)))}</div>")
                  .Append(cell.UncoveredEarly ? "<div class=\"flag\">⚠ no early ring</div>" : "")
                  .Append("</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table></div></section>").ToString();
    }
}
