using System.Text;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>Published channel files with their validation findings, and the known-bad list.</summary>
internal static class ContentView
{
    public static async Task<Page> RenderAsync(ViewContext ctx)
    {
        var files = await ctx.GetAsync(Routes.ChannelFiles, ProtocolJsonContext.Default.IReadOnlyListChannelFileDto);
        var bad = await ctx.GetAsync(Routes.KnownBad, ProtocolJsonContext.Default.KnownBadListDto);
        return new Page("Content", "content",
        [
            new("content-files", files.Ok ? Files(files.Value!) : Layout.Error("Channel files", files.Problem!)),
            new("content-known-bad", bad.Ok ? KnownBad(bad.Value!) : Layout.Error("Known-bad list", bad.Problem!)),
        ]);
    }

    private static string Files(IReadOnlyList<ChannelFileDto> files)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-files\"><h1 id=\"h-files\">Published channel files</h1>");
        if (files.Count == 0)
            return sb.Append("<p class=\"muted\">Nothing published yet.</p></section>").ToString();
        sb.Append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Channel file</th><th scope=\"col\">SHA-256</th><th scope=\"col\">Published</th><th scope=\"col\">Validated for agent builds</th><th scope=\"col\">Findings</th></tr></thead><tbody>");
        foreach (var f in files)
        {
            sb.Append($"<tr><th scope=\"row\">channel {E(f.Channel)} v{f.Version.ToString(Inv)}<div class=\"mono muted\">{E(f.TargetName)} · {E(f.Length)} bytes</div></th>")
              .Append($"<td class=\"mono\" title=\"{E(f.Sha256)}\">{E(ShortHash(f.Sha256))}</td>")
              .Append($"<td>{Time(f.PublishedAt)}<div class=\"muted\">by {E(f.PublishedBy)}</div></td>")
              .Append($"<td class=\"mono\">{E(string.Join(", ", f.ValidatedBuilds))}</td><td>");
            if (f.Findings.Count == 0)
                sb.Append("<span class=\"badge b-ok\">none</span>");
            else
                sb.Append(Findings(f.Findings));
            sb.Append("</td></tr>");
        }
        return sb.Append("</tbody></table></div></section>").ToString();
    }

    /// <summary>Each finding with its code, severity, location and the agent builds (with host counts) it affects.</summary>
    internal static string Findings(IReadOnlyList<ValidationFinding> findings)
    {
        var sb = new StringBuilder("<ul class=\"findings\" style=\"margin:0;padding-left:1.1em\">");
        foreach (var f in findings)
        {
            sb.Append($"<li><span class=\"badge {(f.Severity == "error" ? "b-bad" : "b-wait")}\">{E(f.Severity)}</span> <code>{E(f.Code)}</code>")
              .Append(f.Location is { Length: > 0 } at ? $" at <code>{E(at)}</code>" : "")
              .Append($": {E(f.Message)}");
            if (f.AffectedBuilds is { Count: > 0 } builds)
                sb.Append("<div class=\"muted\">Affects " + E(string.Join(", ", builds.Select(b => $"{b.AgentBuild} ({b.Hosts:N0} hosts)"))) + "</div>");
            sb.Append("</li>");
        }
        return sb.Append("</ul>").ToString();
    }

    private static string KnownBad(KnownBadListDto list)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-bad\"><h2 id=\"h-bad\">Known-bad list</h2>");
        sb.Append($"<p class=\"muted\">Version {list.Version.ToString(Inv)}. Agents refuse to load any content listed here, even if it is correctly signed.</p>");
        if (list.Entries.Count == 0)
            return sb.Append("<p class=\"muted\">Empty.</p></section>").ToString();
        sb.Append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Content</th><th scope=\"col\">SHA-256</th><th scope=\"col\">Reason</th><th scope=\"col\">Added</th></tr></thead><tbody>");
        foreach (var e in list.Entries)
            sb.Append($"<tr><th scope=\"row\">channel {E(e.Channel)} v{e.Version.ToString(Inv)}</th><td class=\"mono\" title=\"{E(e.Sha256)}\">{E(ShortHash(e.Sha256))}</td><td>{E(e.Reason)}</td><td>{Time(e.AddedAt)}</td></tr>");
        return sb.Append("</tbody></table></div></section>").ToString();
    }
}
