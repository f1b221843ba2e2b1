using System.Text;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>The home page: every rollout with its state, ring progress, bake timer and gate verdict.</summary>
internal static class RolloutsView
{
    public static async Task<Page> RenderAsync(ViewContext ctx)
    {
        var result = await ctx.GetAsync(Routes.Rollouts, ProtocolJsonContext.Default.IReadOnlyListRolloutDto);
        if (!result.Ok)
            return new Page("Rollouts", "rollouts", [new("rollouts", Layout.Error("Rollouts", result.Problem!))], result.Status);
        var rollouts = result.Value!;
        var sb = new StringBuilder();
        sb.Append("<section class=\"card\" aria-labelledby=\"h-rollouts\"><h1 id=\"h-rollouts\">Rollouts</h1>");
        if (rollouts.Count == 0)
        {
            sb.Append("<p class=\"muted\">No rollouts yet. Publish a channel file and create a rollout with <code>ringfence rollout create</code> or the operator API.</p>");
        }
        else
        {
            sb.Append("<div class=\"scroll\"><table><caption class=\"muted\" style=\"text-align:left;caption-side:top;padding-bottom:6px\">")
              .Append(E(rollouts.Count)).Append(" rollout(s), newest first; progress counts hosts running the content against the current ring's target.</caption>")
              .Append("<thead><tr><th scope=\"col\">Rollout</th><th scope=\"col\">State</th><th scope=\"col\">Ring</th><th scope=\"col\">Progress</th>")
              .Append("<th scope=\"col\">Bake timer</th><th scope=\"col\">Gate</th><th scope=\"col\" class=\"hide-narrow\">Created</th></tr></thead><tbody>");
            foreach (var r in rollouts)
                Row(sb, r, ctx.Now);
            sb.Append("</tbody></table></div>");
        }
        sb.Append("</section>");
        return new Page("Rollouts", "rollouts", [new("rollouts", sb.ToString())]);
    }

    private static void Row(StringBuilder sb, RolloutDto r, DateTimeOffset now)
    {
        var ring = r.Rings.Count > 0 ? r.Rings[Math.Clamp(r.CurrentRing, 0, r.Rings.Count - 1)] : null;
        sb.Append("<tr data-rollout=\"").Append(E(r.Id)).Append("\"><td><a href=\"/rollouts/").Append(Uri.EscapeDataString(r.Id)).Append("\">")
          .Append("channel ").Append(E(r.Channel)).Append(" v").Append(r.Version.ToString(Inv)).Append("</a>")
          .Append(r.Emergency ? " <span class=\"badge b-wait\">emergency</span>" : "")
          .Append("<div class=\"mono muted\">").Append(E(r.Id)).Append("</div></td>");
        sb.Append("<td>").Append(Badge(r.Status)).Append("</td>");
        sb.Append("<td>").Append(ring is null ? "—" : $"{E(ring.Name)} <span class=\"muted\">({r.CurrentRing + 1} of {r.Rings.Count})</span>").Append("</td>");
        sb.Append("<td>").Append(ring is null ? "—" : Progress(ring, r.Status)).Append(RingSteps(r)).Append("</td>");
        sb.Append("<td>").Append(ring is null ? "—" : BakeTimer(ring, r.Status, now)).Append("</td>");
        sb.Append("<td>").Append(ring is null ? "—" : GateBadge(ring.Gate)).Append("</td>");
        sb.Append("<td class=\"hide-narrow\">").Append(Time(r.CreatedAt)).Append("<div class=\"muted\">by ").Append(E(r.CreatedBy)).Append("</div></td></tr>");
    }

    /// <summary>Hosts exposed against the ring's target, as text and as a bar.</summary>
    public static string Progress(RingProgress ring, RolloutStatus status)
    {
        var share = ring.TargetHosts > 0 ? Math.Min(1, (double)ring.ExposedHosts / ring.TargetHosts) : 0;
        var bad = status is RolloutStatus.Halted or RolloutStatus.RolledBack ? " bad" : "";
        return $"<div>{E(ring.ExposedHosts)} of {E(ring.TargetHosts)} hosts</div>"
            + $"<div class=\"bar{bad}\" role=\"img\" aria-label=\"{E(ring.ExposedHosts)} of {E(ring.TargetHosts)} target hosts exposed\"><span style=\"width:{(share * 100).ToString("0.#", Inv)}%\"></span></div>";
    }

    /// <summary>One small step per ring, coloured by its gate, with the names for screen readers.</summary>
    public static string RingSteps(RolloutDto r)
    {
        var label = string.Join(", ", r.Rings.Select(x => $"{x.Name} {x.Gate}"));
        var sb = new StringBuilder($"<div class=\"rings\" role=\"img\" aria-label=\"Rings: {E(label)}\">");
        foreach (var x in r.Rings)
            sb.Append($"<span class=\"{E(x.Gate)}\" title=\"{E(x.Name)} ({Percent(x.Percent)}): {E(x.Gate)}\"></span>");
        return sb.Append("</div>").ToString();
    }

    /// <summary>Minutes baked in the current ring against its bake time.</summary>
    public static string BakeTimer(RingProgress ring, RolloutStatus status, DateTimeOffset now)
    {
        if (status is not (RolloutStatus.Progressing or RolloutStatus.Paused) || ring.EnteredAt is not { } entered)
            return status == RolloutStatus.PendingApproval ? "<span class=\"muted\">waiting for approval</span>" : "<span class=\"muted\">—</span>";
        if (ring.BakeMinutes == 0)
            return "<span class=\"muted\">no bake time</span>";
        var baked = Math.Max(0, (now - entered).TotalMinutes);
        var share = Math.Min(1, baked / ring.BakeMinutes);
        var left = Math.Max(0, ring.BakeMinutes - baked);
        return $"<div>{Minutes(Math.Min(baked, ring.BakeMinutes))} of {Minutes(ring.BakeMinutes)}</div>"
            + $"<div class=\"bar\" role=\"img\" aria-label=\"baked {Minutes(baked)} of {Minutes(ring.BakeMinutes)}\"><span style=\"width:{(share * 100).ToString("0.#", Inv)}%\"></span></div>"
            + $"<div class=\"muted\">{(left > 0 ? Minutes(left) + " left" : "bake time reached")}{(status == RolloutStatus.Paused ? " · paused" : "")}</div>";
    }
}
