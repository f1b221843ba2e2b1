using System.Text;
using System.Text.Json;
using Ringfence.Charts;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>
/// One rollout: its rings, the actions the operator's role allows, exposed-against-control crash and boot-loop
/// rates per ring, the gate statistic against its thresholds, the decision log with evidence and the breadcrumbs.
/// </summary>
internal static class RolloutView
{
    public static async Task<Page> RenderAsync(ViewContext ctx, string id)
    {
        var result = await ctx.GetAsync(Routes.Rollout(id), ProtocolJsonContext.Default.RolloutDto);
        if (!result.Ok)
            return new Page("Rollout", "rollouts", [new("rollout-summary", Layout.Error("Rollout " + id, result.Problem!))], result.Status);
        var r = result.Value!;
        var decisionsResult = await ctx.GetAsync(Routes.Rollout(id) + "/decisions", ProtocolJsonContext.Default.IReadOnlyListDecisionDto);
        var decisions = decisionsResult.Value ?? [];
        // Like every other read of the dashboard, through the operator API and the signed-in operator's role.
        var healthResult = await ctx.GetAsync(Routes.Rollout(id) + "/health", ProtocolJsonContext.Default.RolloutHealthDto);
        var health = healthResult.Value is { } h ? RolloutHealth.From(h) : RolloutHealth.Empty;

        var title = $"Channel {r.Channel} v{r.Version}";
        return new Page(title, "rollouts",
        [
            new("rollout-summary", Summary(r, title)),
            new("rollout-actions", Actions(ctx, r)),
            new("rollout-rings", Rings(r, ctx.Now)),
            new("rollout-gate", Gate(r, decisions, ctx.Runtime.AttributedHalt)),
            new("rollout-health", Health(r, decisions, health, ctx.Now, ctx.Runtime.HeartbeatSeconds)),
            new("rollout-decisions", Decisions(r, decisions, decisionsResult.Problem)),
            new("rollout-breadcrumbs", Breadcrumbs(health)),
        ]);
    }

    private static string Summary(RolloutDto r, string title)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-rollout\">");
        sb.Append($"<p><a href=\"/\">← All rollouts</a></p><h1 id=\"h-rollout\">{E(title)} {Badge(r.Status)}{(r.Emergency ? " <span class=\"badge b-wait\">emergency</span>" : "")}</h1>");
        if (r.StatusReason is { Length: > 0 } why)
            sb.Append($"<p class=\"{(r.Status is RolloutStatus.Halted or RolloutStatus.RolledBack ? "error" : "muted")}\"><strong>Why:</strong> {E(why)}</p>");
        sb.Append("<dl class=\"kv\">")
          .Append($"<dt>Rollout</dt><dd class=\"mono\">{E(r.Id)}</dd>")
          .Append($"<dt>Content SHA-256</dt><dd class=\"mono\" title=\"{E(r.Sha256)}\">{E(ShortHash(r.Sha256))}</dd>")
          .Append($"<dt>Created</dt><dd>{Time(r.CreatedAt)} by {E(r.CreatedBy)}</dd>")
          .Append($"<dt>Approvers</dt><dd>{(r.Approvers.Count == 0 ? "none yet" : E(string.Join(", ", r.Approvers)))}{(r.Emergency ? " (emergency: two distinct approvers)" : "")}</dd>")
          .Append("</dl></section>");
        return sb.ToString();
    }

    private static string Actions(ViewContext ctx, RolloutDto r)
    {
        // Viewers and publishers get no buttons at all; the operator API refuses their forged posts anyway.
        if (!ctx.Session.Can(OperatorRole.Approver))
            return "";
        var forms = new List<string>();
        var id = r.Id;
        switch (r.Status)
        {
            case RolloutStatus.PendingApproval:
                if (r.Approvers.Contains(ctx.Session.Name))
                    forms.Add($"<p class=\"muted\">You approved this rollout. An emergency rollout needs a second, different approver ({r.Approvers.Count} of 2).</p>");
                else
                    forms.Add(ActionForm(ctx, id, "approve", "Approve", r.Emergency
                        ? $"Emergency fast-track: two distinct approvers are needed ({r.Approvers.Count} of 2 so far). Bakes are shorter but still staged."
                        : "Starts the rollout at its first ring.", danger: false));
                forms.Add(ActionForm(ctx, id, "halt", "Halt", "Stops new exposure and puts this content on the known-bad list.", danger: true));
                break;
            case RolloutStatus.Progressing:
                forms.Add(ActionForm(ctx, id, "pause", "Pause", "Freezes promotion; exposed hosts keep the content.", danger: false));
                forms.Add(ActionForm(ctx, id, "halt", "Halt", "Stops new exposure at once and puts this content on the known-bad list.", danger: true));
                forms.Add(ActionForm(ctx, id, "rollback", "Roll back", "Sends every exposed host back to its last-known-good content.", danger: true));
                break;
            case RolloutStatus.Paused:
                forms.Add(ActionForm(ctx, id, "resume", "Resume", "Continues from the current ring.", danger: false));
                forms.Add(ActionForm(ctx, id, "halt", "Halt", "Stops new exposure and puts this content on the known-bad list.", danger: true));
                forms.Add(ActionForm(ctx, id, "rollback", "Roll back", "Sends every exposed host back to its last-known-good content.", danger: true));
                break;
            case RolloutStatus.Halted:
                forms.Add(ActionForm(ctx, id, "resume", "Resume", "Overrides the halt: takes the content off the known-bad list and restarts the current ring's bake. Only if the evidence is wrong.", danger: false));
                forms.Add(ActionForm(ctx, id, "rollback", "Roll back", "Sends every exposed host back to its last-known-good content.", danger: true));
                break;
            default:
                forms.Add("<p class=\"muted\">No actions: this rollout is finished.</p>");
                break;
        }
        return "<section class=\"card\" aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">Actions</h2><div class=\"actions\">" + string.Concat(forms) + "</div></section>";
    }

    /// <summary>A disclosure with a reason field, an explicit confirmation box and the confirm button: nothing happens on one click.</summary>
    private static string ActionForm(ViewContext ctx, string id, string action, string label, string explanation, bool danger) =>
        $"""
        <details class="act{(danger ? " danger" : "")}"><summary>{E(label)}…</summary>
        <form method="post" action="/actions/rollouts/{Uri.EscapeDataString(id)}/{action}">{ctx.CsrfField}
        <p class="muted" style="margin:0">{E(explanation)}</p>
        <label for="reason-{action}">Reason (recorded in the audit log)</label>
        <input type="text" id="reason-{action}" name="reason" maxlength="1024" autocomplete="off">
        <label class="check"><input type="checkbox" name="confirm" value="yes" required> I confirm: {E(label.ToLowerInvariant())} this rollout</label>
        <button type="submit"{(danger ? " class=\"danger\"" : "")}>Confirm {E(label.ToLowerInvariant())}</button>
        </form></details>
        """;

    private static string Rings(RolloutDto r, DateTimeOffset now)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-rings\"><h2 id=\"h-rings\">Rings</h2><div class=\"scroll\"><table>");
        sb.Append("<thead><tr><th scope=\"col\">Ring</th><th scope=\"col\" class=\"num\">Share</th><th scope=\"col\">Exposed / target</th><th scope=\"col\">Bake timer</th><th scope=\"col\">Gate</th></tr></thead><tbody>");
        foreach (var ring in r.Rings)
        {
            var current = ring.Index == r.CurrentRing;
            sb.Append(current ? "<tr aria-current=\"step\">" : "<tr>")
              .Append($"<th scope=\"row\">{E(ring.Name)}{(current ? " <span class=\"muted\">(current)</span>" : "")}</th>")
              .Append($"<td class=\"num\">{Percent(ring.Percent)}</td>")
              .Append($"<td>{(current ? RolloutsView.Progress(ring, r.Status) : ring.Gate == "passed" ? "<span class=\"muted\">passed</span>" : $"<span class=\"muted\">target {E(ring.TargetHosts)}</span>")}</td>")
              .Append($"<td>{(current ? RolloutsView.BakeTimer(ring, r.Status, now) : Minutes(ring.BakeMinutes) + " bake")}</td>")
              .Append($"<td>{GateBadge(ring.Gate)}</td></tr>");
        }
        return sb.Append("</tbody></table></div></section>").ToString();
    }

    /// <summary>Reads a number from decision evidence whatever its JSON casing.</summary>
    private static double? Number(JsonElement? evidence, string name)
    {
        if (evidence is not { ValueKind: JsonValueKind.Object } e)
            return null;
        foreach (var p in e.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Number)
                return p.Value.GetDouble();
        return null;
    }

    private static string? Text(JsonElement? evidence, string name)
    {
        if (evidence is not { ValueKind: JsonValueKind.Object } e)
            return null;
        foreach (var p in e.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                return p.Value.GetString();
        return null;
    }

    private static string Gate(RolloutDto r, IReadOnlyList<DecisionDto> decisions, int attributedHalt)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-gate\"><h2 id=\"h-gate\">Health gate</h2>");
        var evaluated = decisions.Where(d => Number(d.Evidence, "exposedCrashes") is not null)
            .GroupBy(d => d.Ring).Select(g => g.OrderBy(d => d.At).Last()).OrderBy(d => d.Ring).ToList();
        if (evaluated.Count == 0)
        {
            sb.Append("<p class=\"muted\">No gate evaluation recorded yet: the controller records one with its evidence when a ring passes or fails.</p></section>");
            return sb.ToString();
        }
        sb.Append("<p class=\"muted\">The gate halts when attributed events (crash breadcrumbs, reverts, quarantines naming this content) reach their threshold, or when the sequential test on crash counts (exposed against control hosts, the same SPRT as the simulator's gate) reaches its halt threshold. The limit shown is the exposed crash count at which it would, given the control crashes so far.</p><div class=\"grid2\">");
        foreach (var d in evaluated)
        {
            var ringName = d.Ring >= 0 && d.Ring < r.Rings.Count ? r.Rings[d.Ring].Name : $"ring {d.Ring}";
            var crashes = Number(d.Evidence, "exposedCrashes") ?? 0;
            var limitValue = Number(d.Evidence, "crashLimit");
            var limit = limitValue ?? 0;
            var limitText = limitValue is { } l ? l.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) : "none (no control hosts)";
            var expected = Number(d.Evidence, "expectedExposedCrashes") ?? 0;
            var attributed = Number(d.Evidence, "attributedEvents") ?? 0;
            var verdict = Text(d.Evidence, "verdict") ?? d.Kind;
            var chart = new BarChart(
                $"Gate statistic, {ringName}",
                $"Ring {ringName}: {crashes:0} crashes among exposed hosts against a limit of {limitText} (expected {expected:0.##} from the control rate); {attributed:0} attributed events against a threshold of {attributedHalt}. Verdict: {verdict}.",
                ["observed", "halt threshold"],
                [
                    new Bar("Exposed crashes", [crashes, limit]),
                    new Bar("Attributed events", [attributed, attributedHalt]),
                ],
                "count")
            {
                Subtitle = $"Verdict: {verdict}. A bar reaching its threshold halts the rollout.",
                Scale = ScaleKind.Linear,
                Colors = ["#0072B2", "#b42318"],
                Size = new ChartSize(Width: 600, Height: 200),
            };
            sb.Append("<figure class=\"chart\" style=\"margin:0\">").Append(SvgRenderer.Render(chart))
              .Append($"<figcaption>{E(ringName)}: verdict {GateBadge(verdict)} · exposed crashes {crashes:0} vs limit {E(limitText)} (expected {expected:0.##}) · attributed {attributed:0} vs threshold {attributedHalt} · {Time(d.At)}</figcaption></figure>");
        }
        return sb.Append("</div></section>").ToString();
    }

    private static string Health(RolloutDto r, IReadOnlyList<DecisionDto> decisions, RolloutHealth health, DateTimeOffset now, double heartbeatSeconds)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-health\"><h2 id=\"h-health\">Crash and boot-loop rates, exposed against control</h2>");
        sb.Append("<p class=\"muted\">Per ring, over time since it opened: events per 1,000 host-hours among hosts running this content (exposed) and hosts that are not (control), from the per-minute counters the gate reads. Shaded: 95% Poisson (Garwood) intervals. Dashed: the exposed rate over the ring at which the gate halts, from its last evaluation.</p>");
        if (r.Status == RolloutStatus.PendingApproval)
            return sb.Append("<p class=\"muted\">Not started yet.</p></section>").ToString();
        if (health.Truncated)
            sb.Append($"<p class=\"muted\">Showing the first {E(DashboardQueries.MaxCounterRows)} counter rows only.</p>");

        // Ring k opened at the promotion out of ring k-1 (ring 0 at the last approval); the current ring runs until now or its halt.
        var starts = new List<DateTimeOffset> { decisions.Where(d => d.Kind == "approve").Select(d => d.At).DefaultIfEmpty(r.CreatedAt).Max() };
        for (var k = 0; k < r.CurrentRing; k++)
            starts.Add(decisions.Where(d => d.Kind == "promote" && d.Ring == k).Select(d => d.At).DefaultIfEmpty(starts[^1]).Max());
        // A stopped rollout's current ring ends at the stop, so its chart does not stretch on forever.
        var stoppedAt = r.Status is RolloutStatus.Halted or RolloutStatus.RolledBack or RolloutStatus.Completed
            ? decisions.Where(d => d.Kind is "halt" or "rollback" or "complete").Select(d => (DateTimeOffset?)d.At).Max()
            : null;
        var end = stoppedAt is { } stop && stop > starts[^1] ? stop.AddMinutes(1) : now;
        sb.Append("<div class=\"grid2\">");
        for (var k = 0; k <= r.CurrentRing && k < r.Rings.Count; k++)
        {
            var from = starts[k];
            var to = k < r.CurrentRing ? starts[k + 1] : end;
            var ring = r.Rings[k];
            var evidence = decisions.Where(d => d.Ring == k && Number(d.Evidence, "exposedHosts") is not null).OrderBy(d => d.At).LastOrDefault()?.Evidence;
            var exposedHosts = Math.Max(1, Number(evidence, "exposedHosts") ?? (k == r.CurrentRing ? ring.ExposedHosts : ring.TargetHosts));
            var controlHosts = Math.Max(1, Number(evidence, "controlHosts") ?? Math.Max(0, health.FleetHosts - exposedHosts));
            var counters = health.Counters.Where(c => c.Ring == k).ToList();
            sb.Append(RateChart(ring.Name, "Crash rate", "crash", "crashes", from, to, counters, exposedHosts, controlHosts, heartbeatSeconds, evidence));
            sb.Append(RateChart(ring.Name, "Boot-loop rate", "revert", "bootLoopReverts", from, to, counters, exposedHosts, controlHosts, heartbeatSeconds, evidence));
        }
        return sb.Append("</div></section>").ToString();
    }

    /// <summary>The metric's entry in the evidence's "metrics" list (the engine's per-metric statistic).</summary>
    private static JsonElement? Metric(JsonElement? evidence, string name)
    {
        if (evidence is not { ValueKind: JsonValueKind.Object } e)
            return null;
        foreach (var p in e.EnumerateObject())
        {
            if (!string.Equals(p.Name, "metrics", StringComparison.OrdinalIgnoreCase) || p.Value.ValueKind != JsonValueKind.Array)
                continue;
            foreach (var m in p.Value.EnumerateArray())
                if (Text(m, "metric") == name)
                    return m;
        }
        return null;
    }

    private static string RateChart(string ring, string what, string kind, string metric, DateTimeOffset from, DateTimeOffset to, List<CounterPoint> counters,
        double exposedHosts, double controlHosts, double heartbeatSeconds, JsonElement? evidence)
    {
        var bins = RateBins.Build(counters, kind, from, to, exposedHosts, controlHosts, heartbeatSeconds);
        var m = Metric(evidence, metric);
        var halt = m is null ? null : RateBins.HaltRate((long)(Number(m, "controlCount") ?? 0), Number(evidence, "exposedHostHours") ?? 0,
            Number(evidence, "controlHostHours") ?? 0, Number(m, "rateRatio") ?? 0, Number(m, "haltThreshold") ?? double.NaN);
        var events = kind == "crash" ? "crashes" : "boot-loop reverts";
        var exposedTotal = bins.Exposed.Counts.Sum();
        var controlTotal = bins.Control.Counts.Sum();
        var denominator = bins.FromHeartbeats ? "host-hours from heartbeats" : "host-hours estimated as hosts × time (no heartbeat counts)";
        var subtitle = $"{exposedTotal:N0} {events} on exposed hosts, {controlTotal:N0} on control, in {bins.BinMinutes:0}-minute bins; {denominator}."
            + (halt is { } h ? $" The gate halts at {Ticks.Readable(h)} per 1,000 host-hours." : " No gate evaluation with both groups yet.");
        var chart = new SeriesChart(
            $"{what}, {ring}",
            $"{what} per 1,000 host-hours in {bins.BinMinutes:0}-minute bins since ring {ring} opened: exposed peak {bins.Exposed.Rate.DefaultIfEmpty(0).Max():0.##}, control peak {bins.Control.Rate.DefaultIfEmpty(0).Max():0.##}"
                + (halt is { } hr ? $"; the gate halts at {hr:0.##}" : "") + $"; {denominator}.",
            bins.X,
            [
                new Series("exposed", bins.Exposed.Rate, Palette.At(1)) { Lower = bins.Exposed.Lower, Upper = bins.Exposed.Upper },
                new Series("control", bins.Control.Rate, Palette.At(0)) { Lower = bins.Control.Lower, Upper = bins.Control.Upper },
            ],
            XLabel: "time since the ring opened",
            YLabel: "per 1,000 host-hours",
            Style: SeriesStyle.Step)
        {
            Subtitle = subtitle,
            XKind = XKind.Minutes,
            BinWidth = bins.BinMinutes,
            Thresholds = halt is { } t ? [new Threshold(t, "gate halts", "#b42318")] : [],
            Size = new ChartSize(Width: 600, Height: 300),
        };
        return $"<figure class=\"chart\" style=\"margin:0\" data-metric=\"{E(kind)}\" data-denominator=\"{(bins.FromHeartbeats ? "heartbeats" : "hosts")}\">{SvgRenderer.Render(chart)}</figure>";
    }

    private static string Decisions(RolloutDto r, IReadOnlyList<DecisionDto> decisions, string? problem)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-decisions\"><h2 id=\"h-decisions\">Decision log</h2>");
        if (problem is not null)
            return sb.Append($"<p class=\"error\">{E(problem)}</p></section>").ToString();
        if (decisions.Count == 0)
            return sb.Append("<p class=\"muted\">No decisions yet.</p></section>").ToString();
        sb.Append("<ol class=\"decisions\" reversed style=\"padding-left:1.4em\">");
        foreach (var d in decisions.OrderByDescending(d => d.At).ThenByDescending(d => d.Id, StringComparer.Ordinal))
        {
            var ringName = d.Ring >= 0 && d.Ring < r.Rings.Count ? r.Rings[d.Ring].Name : $"ring {d.Ring}";
            var bad = d.Kind is "halt" or "rollback";
            sb.Append($"<li class=\"decision\" data-kind=\"{E(d.Kind)}\" style=\"margin-bottom:10px\"><div><span class=\"badge {(bad ? "b-bad" : d.Kind is "promote" or "complete" or "approve" or "resume" ? "b-ok" : "b-idle")}\">{E(d.Kind)}</span> ")
              .Append($"<strong>{E(ringName)}</strong> · {Time(d.At)} · {E(d.Actor)}</div><div>{E(d.Reason)}</div>");
            if (d.Evidence is { ValueKind: JsonValueKind.Object } evidence)
            {
                sb.Append("<details open><summary>Evidence</summary><dl class=\"kv evidence\">");
                foreach (var (key, value) in Flatten(evidence, ""))
                    sb.Append($"<dt>{E(key)}</dt><dd>{E(value)}</dd>");
                sb.Append("</dl></details>");
            }
            sb.Append("</li>");
        }
        return sb.Append("</ol></section>").ToString();
    }

    /// <summary>Evidence as "key: value" lines whatever its shape (nested objects get dotted keys).</summary>
    internal static IEnumerable<(string Key, string Value)> Flatten(JsonElement element, string prefix)
    {
        foreach (var p in element.EnumerateObject())
        {
            var key = prefix + p.Name;
            if (p.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in Flatten(p.Value, key + "."))
                    yield return inner;
            }
            else
            {
                yield return (key, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText());
            }
        }
    }

    private static string Breadcrumbs(RolloutHealth health)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-crumbs\"><h2 id=\"h-crumbs\">Attributed crash breadcrumbs</h2>");
        sb.Append("<p class=\"muted\">Reports that name this content: the agent writes a breadcrumb with the rule it is evaluating, so a crash after reboot arrives with its cause; reverts and quarantines are the agent healing itself.</p>");
        if (health.Breadcrumbs.Count == 0)
            return sb.Append("<p class=\"muted\">None: no host has reported a crash, revert or quarantine naming this content.</p></section>").ToString();
        sb.Append("<div class=\"scroll\"><table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Event</th><th scope=\"col\">Rule (instance)</th><th scope=\"col\">Host</th><th scope=\"col\">Agent build / OS build</th><th scope=\"col\" class=\"hide-narrow\">Detail</th></tr></thead><tbody>");
        foreach (var b in health.Breadcrumbs)
        {
            var kind = b.Kind == "Crash" ? (b.BootCrash ? "crash during boot (boot loop)" : "crash") : b.Kind.ToLowerInvariant();
            sb.Append($"<tr><td>{Time(b.At)}</td><td>{E(kind)}</td><td class=\"mono\">{E(b.InstanceId ?? "—")}</td><td class=\"mono\">{E(b.HostId)}</td>")
              .Append($"<td>{E(b.AgentBuild)} / {E(b.OsBuild)}</td><td class=\"hide-narrow\">{E(b.Detail ?? "")}</td></tr>");
        }
        return sb.Append("</tbody></table></div></section>").ToString();
    }
}
