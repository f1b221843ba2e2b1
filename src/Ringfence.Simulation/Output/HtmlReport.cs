using System.Globalization;
using System.Net;
using System.Text;
using Ringfence.Charts;

namespace Ringfence.Simulation.Output;

/// <summary>
/// A self-contained HTML report with inline SVG charts (no scripts, no external files). It leads with the
/// comparison the report exists for (hosts crashed, needing manual repair and down, per strategy) on axes that
/// keep a 9-host line readable next to a 90,000-host one, and says in a sentence what each chart shows.
/// </summary>
public static class HtmlReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Minutes shown by the "first hours" charts, where the strategies differ.</summary>
    public const double EarlyMinutes = 12 * 60;

    /// <summary>Minutes shown by the per-sector charts.</summary>
    public const double SectorMinutes = 48 * 60;

    public static string Render(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append(Inv, $"<title>Ringfence simulation: {E(report.Scenario)}</title>\n");
        sb.Append("<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#555}code{background:#f4f4f4;padding:1px 3px}p.headline{font-size:1.25em;font-weight:bold;margin:0.6em 0}.pair{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.pair figure{margin:0;flex:0 0 auto;max-width:520px}.pair table{margin:0;font-size:0.8em}.pair td,.pair th{padding:3px 6px}p.noise{color:#555;margin:0.4em 0}svg{max-width:100%;height:auto}</style>\n");
        sb.Append("</head>\n<body>\n");
        sb.Append(Inv, $"<h1>Ringfence simulation: {E(report.Scenario)}</h1>\n<p>{E(report.Description)}</p>\n");
        sb.Append(Inv, $"<p>Release {report.ReleaseUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC · {report.HostsInFleet:N0} hosts (scale {report.Scale.ToString(Inv)}) · seed {report.Seed} · {report.DurationHours.ToString(Inv)} hours simulated · content {(report.ContentFaulty ? "faulty" : "healthy")}</p>\n");

        if (report.Validator is { } v)
        {
            sb.Append(Inv, $"<h2>First line of defence</h2>\n<p>Validator / interpreter verdict on the channel file: <strong>{E(v.Verdict)}</strong>.</p>\n<ul>\n");
            foreach (var f in v.Findings)
                sb.Append(Inv, $"<li>{E(f)}</li>\n");
            sb.Append("</ul>\n<p>The strategies below assume the fault got past this check, as it did in 2024.</p>\n");
        }

        sb.Append("<h2 id=\"outcome\">Outcome by strategy</h2>\n");
        if (report.Strategies.Count > 0)
        {
            sb.Append(Inv, $"<p class=\"headline\" id=\"headline\">{E(Headline(report))}</p>\n");
            Figure(sb, SvgRenderer.Render(HeadlineChart(report)), "Crashed, manual repair and peak down per strategy; each bar is labelled with its count.");
        }
        sb.Append("<table>\n<tr><th>Strategy</th><th>Exposed</th><th>Crashed</th><th>Manual repair</th><th>Peak down</th><th>Downtime (host-hours)</th><th>Repair (person-hours)</th><th>Release → halt (min)</th><th>False halt</th></tr>\n");
        foreach (var s in report.Strategies)
        {
            sb.Append(Inv, $"<tr><td>{E(s.Name)}</td><td>{s.HostsExposed:N0}</td><td>{s.HostsCrashed:N0}</td><td>{s.HostsNeedingManualRepair:N0}</td><td>{s.PeakHostsDown:N0}</td><td>{s.DowntimeHostHours:N0}</td><td>{s.ManualRepairPersonHours:N0}</td><td>{(s.MinutesReleaseToHalt is { } m ? m.ToString("0", Inv) : "never")}</td><td>{(s.FalseHalt ? "yes" : "no")}</td></tr>\n");
        }
        sb.Append("</table>\n");

        if (report.Strategies.Count > 0)
        {
            sb.Append("<h2 id=\"over-time\">Over time</h2>\n");
            Figure(sb, SvgRenderer.Render(OverTime(report, "Hosts down, first 12 hours", "Hosts down (crashed or boot-looping, not yet repaired) per strategy, every strategy on one axis.", s => s.TimeSeries.Down, EarlyMinutes)), "Hosts down per strategy, first 12 hours.");
            Figure(sb, SvgRenderer.Render(OverTime(report, "Hosts crashed (cumulative), first 12 hours", "Hosts the content crashed at least once, cumulative, per strategy.", s => s.TimeSeries.Crashed, EarlyMinutes)), "Hosts crashed by the content.");
            Figure(sb, SvgRenderer.Render(OverTime(report, "Hosts exposed (cumulative), first 12 hours", "Hosts that loaded the content, cumulative: how far each strategy let it spread.", s => s.TimeSeries.Exposed, EarlyMinutes)), "Hosts exposed to the content.");
            Figure(sb, SvgRenderer.Render(OverTime(report, "Hosts down, whole run", "Hosts down per strategy over the whole simulated period: how long recovery takes.", s => s.TimeSeries.Down, double.MaxValue)), "Hosts down per strategy over the whole run.");

            sb.Append("<h2 id=\"by-sector\">By sector</h2>\n<p>Hosts down per sector as a share of that sector's hosts, for the strategies under which the content did the harm. Where the content crashed fewer hosts than background crashes (unrelated to the content) in the same period, the per-sector counts are noise and are not charted.</p>\n");
            foreach (var s in report.Strategies)
                Sector(sb, report, s);

            var events = report.Strategies.SelectMany(s => s.Decisions.Where(d => d.Kind is not ("Validated" or "ApprovalRecorded"))
                .Select(d => new TimelineEvent(d.Minute, s.Name, Short(d)))).ToList();
            var maxX = Math.Max(60, events.Count == 0 ? 60 : events.Max(e => e.X) * 1.05);
            var timeline = new TimelineChart("Decision timeline", "Every control-plane decision per strategy, in minutes after release.", events, "time after release")
            {
                Subtitle = "Each dot is a control-plane decision (ring opened, bake, halt, rollback) per strategy; hover for the exact time.",
                XMin = 0,
                XMax = maxX,
                Origin = report.ReleaseUtc,
                Size = new ChartSize(1000, 90 + (report.Strategies.Count * 64)),
            };
            sb.Append("<h2 id=\"timeline\">Decision timeline</h2>\n");
            Figure(sb, SvgRenderer.Render(timeline), "Decision timeline.");
        }

        sb.Append("<h2>Decisions</h2>\n");
        foreach (var s in report.Strategies)
        {
            sb.Append(Inv, $"<h3>{E(s.Name)}</h3>\n<table>\n<tr><th>Minute</th><th>Decision</th><th>Ring</th><th>Reason</th></tr>\n");
            foreach (var d in s.Decisions)
                sb.Append(Inv, $"<tr><td>{d.Minute.ToString("0", Inv)}</td><td>{E(d.Kind)}</td><td>{d.Ring}</td><td style=\"text-align:left\">{E(d.Reason)}</td></tr>\n");
            sb.Append("</table>\n");
        }
        if (report.Strategies.Any(s => s.Plan is not null))
        {
            sb.Append("<h2>Plans</h2>\n<ul>\n");
            foreach (var s in report.Strategies.Where(s => s.Plan is not null))
                sb.Append(Inv, $"<li>{E(s.Name)}: {E(s.Plan!)}</li>\n");
            sb.Append("</ul>\n");
        }
        if (report.CoverageReport.Count > 0)
        {
            sb.Append("<h2>Canary coverage</h2>\n<ul>\n");
            foreach (var line in report.CoverageReport)
                sb.Append(Inv, $"<li>{E(line)}</li>\n");
            sb.Append("</ul>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The one sentence the report exists for: the worst strategy against the best Ringfence one (or the best
    /// other one), e.g. "global-push: 8.4 M crashed, 6.9 M needing manual repair; ringfence: 383 crashed, 0 needing manual repair."
    /// </summary>
    public static string Headline(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var worst = report.Strategies.OrderByDescending(s => s.HostsCrashed).ThenBy(s => s.Name, StringComparer.Ordinal).First();
        var others = report.Strategies.Where(s => s != worst).ToList();
        static string Part(StrategyResult s) => $"{s.Name}: {Ticks.Readable(s.HostsCrashed)} crashed, {Ticks.Readable(s.HostsNeedingManualRepair)} needing manual repair";
        if (others.Count == 0)
            return Part(worst) + ".";
        var best = others.Where(s => s.Name.StartsWith("ringfence", StringComparison.OrdinalIgnoreCase)).DefaultIfEmpty(others[0])
            .OrderBy(s => s.HostsCrashed).ThenBy(s => s.Name, StringComparer.Ordinal).First();
        var ratio = best.HostsCrashed > 0 && worst.HostsCrashed >= 10 * best.HostsCrashed
            ? $" ({Ticks.Readable(TwoDigits((double)worst.HostsCrashed / best.HostsCrashed))}× fewer crashed)"
            : "";
        return $"{Part(worst)}; {Part(best)}{ratio}.";
    }

    /// <summary>Crashed, needing manual repair and peak down per strategy: one bar group per strategy, log axis when they differ by orders of magnitude.</summary>
    public static BarChart HeadlineChart(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var worst = report.Strategies.Max(s => s.HostsCrashed);
        var least = report.Strategies.Select(s => s.HostsCrashed).Where(c => c > 0).DefaultIfEmpty(worst).Min();
        var log = ValueScale.NeedsLog([worst, least]);
        return new BarChart("Hosts crashed, needing manual repair and down at the peak",
            "Per strategy: hosts the content crashed, hosts that needed a person to repair them, and the most hosts down at once.",
            ["crashed", "manual repair", "peak down"],
            [.. report.Strategies.Select(s => new Bar(s.Name, [s.HostsCrashed, s.HostsNeedingManualRepair, s.PeakHostsDown]))],
            "hosts")
        {
            Subtitle = log
                ? $"Counts differ up to {Ticks.Readable(TwoDigits((double)worst / least))}×, so the axis is logarithmic: each gridline is 10× the one before; 0 sits on its own baseline."
                : "Hosts per strategy on one linear axis.",
            Colors = ["#D55E00", "#CC79A7", "#0072B2"],
            Size = new ChartSize(1000, 90 + (report.Strategies.Count * 58)),
        };
    }

    /// <summary>One count over time per strategy (first <paramref name="maxMinutes"/>), on a log axis when the strategies differ by more than 100×.</summary>
    public static SeriesChart OverTime(SimulationReport report, string title, string subtitle, Func<StrategyResult, IReadOnlyList<long>> pick, double maxMinutes)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(pick);
        var x = Cut(report.Strategies[0].TimeSeries.Minutes, maxMinutes);
        var series = report.Strategies.Select((s, i) => new Series(s.Name, pick(s).Take(x.Count).Select(v => (double)v).ToList(), Palette.At(i))).ToList();
        var log = ValueScale.NeedsLog([.. series.Select(s => s.Values.Count == 0 ? 0 : s.Values.Max())]);
        var lasts = report.Strategies.Select(s => $"{s.Name} {Ticks.Readable(pick(s).Take(x.Count).DefaultIfEmpty(0).Max())}");
        // Identical lines hide each other: say which ones coincide, so a reader does not look for a missing line.
        var same = series.Select((s, i) => (s, i)).GroupBy(t => string.Join(",", t.s.Values)).Where(g => g.Count() > 1)
            .Select(g => string.Join(" and ", g.Select(t => t.s.Name))).ToList();
        return new SeriesChart(title, $"{subtitle} Peaks: {string.Join(", ", lasts)}.", x, series, "time after release", "hosts")
        {
            Subtitle = subtitle + (log ? " Log axis (each gridline 10×), 0 on its own baseline, so small and large strategies are both readable." : "")
                + (same.Count > 0 ? $" Lines that coincide: {string.Join("; ", same)}." : ""),
            XKind = XKind.Minutes,
            Origin = report.ReleaseUtc,
            Size = new ChartSize(1000, 360),
        };
    }

    /// <summary>
    /// Whether the content, not background crashes, shaped a strategy's per-sector counts: it crashed more hosts than
    /// background crashes (at the run's average background rate) would in the same window, or it kept hosts down
    /// well above the background level, i.e. hosts down peaked above both twice the run's median and the median plus
    /// five Poisson standard deviations (background crashes reboot in minutes, so the median is their level).
    /// </summary>
    public static bool ContentCausedHarm(SimulationReport report, StrategyResult s, double windowMinutes = SectorMinutes)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(s);
        if (s.HostsCrashed <= 0)
            return false;
        var (typical, peak) = DownLevels(s);
        return s.HostsCrashed > ExpectedBackground(report, s, windowMinutes)
            || peak > Math.Max(2 * typical, typical + (5 * Math.Sqrt(Math.Max(1, typical))));
    }

    /// <summary>The median and the peak of hosts down over the whole run.</summary>
    private static (double Typical, double Peak) DownLevels(StrategyResult s)
    {
        var down = s.TimeSeries.Down.Order().ToList();
        return down.Count == 0 ? (0, 0) : (down[down.Count / 2], down[^1]);
    }

    private static double ExpectedBackground(SimulationReport report, StrategyResult s, double windowMinutes)
    {
        var runMinutes = Math.Max(1, report.DurationHours * 60);
        return s.BackgroundCrashes * Math.Min(1, windowMinutes / runMinutes);
    }

    private static void Sector(StringBuilder sb, SimulationReport report, StrategyResult s)
    {
        if (!ContentCausedHarm(report, s))
        {
            var where = s.BySector.Where(b => b.Crashed > 0).OrderByDescending(b => b.Crashed).Select(b => $"{b.Sector} {b.Crashed:N0}").ToList();
            var background = ExpectedBackground(report, s, SectorMinutes);
            var (typical, peakDown) = DownLevels(s);
            sb.Append(Inv, $"<p class=\"noise\" data-strategy=\"{E(s.Name)}\"><strong>{E(s.Name)}:</strong> the content crashed {s.HostsCrashed:N0} host{(s.HostsCrashed == 1 ? "" : "s")}{(where.Count > 0 ? $" ({E(string.Join(", ", where))})" : "")}, fewer than the about {background:N0} background crashes in the first {SectorMinutes / 60:0} hours, and hosts down peaked at {peakDown:N0} against a typical {typical:N0} from background crashes: its per-sector hosts-down counts are background noise, so they are not charted.</p>\n");
            return;
        }
        var x = Cut(s.TimeSeries.Minutes, SectorMinutes);
        var hosts = s.BySector.ToDictionary(b => b.Sector, b => Math.Max(1, b.Hosts));
        var shares = s.TimeSeries.DownBySector
            .Select(kv => (Sector: kv.Key, Values: kv.Value.Take(x.Count).Select(v => 100.0 * v / hosts.GetValueOrDefault(kv.Key, 1)).ToList()))
            .OrderByDescending(t => t.Values.DefaultIfEmpty(0).Max()).ThenBy(t => t.Sector, StringComparer.Ordinal).ToList();
        // Eight lines at most (the palette's distinct colours); the table beside the chart lists every sector.
        var shown = shares.Take(Palette.Default.Count).ToList();
        var top = shown.FirstOrDefault();
        var chart = new SeriesChart($"{s.Name}: hosts down by sector, first {SectorMinutes / 60:0} h",
            $"Hosts down in each sector as a percentage of that sector's hosts under {s.Name}.",
            x, [.. shown.Select((t, i) => new Series(t.Sector, t.Values, Palette.At(i)))], "time after release", "% of the sector's hosts down", SeriesStyle.Line)
        {
            Subtitle = $"Hardest hit: {top.Sector}, {Ticks.Compact(Math.Round(top.Values.DefaultIfEmpty(0).Max(), 1) is var p && p > 0 ? p : top.Values.DefaultIfEmpty(0).Max())}% of its hosts down at the peak" +
                (shares.Count > shown.Count ? $"; the {shown.Count} hardest-hit of {shares.Count} sectors are drawn, the table lists all." : "."),
            XKind = XKind.Minutes,
            Origin = report.ReleaseUtc,
            YScale = ScaleKind.Linear,
            FormatY = v => Ticks.Compact(v) + "%",
            Size = new ChartSize(520, 400),
        };
        var peak = s.TimeSeries.DownBySector.ToDictionary(kv => kv.Key, kv => kv.Value.Take(x.Count).DefaultIfEmpty(0).Max());
        sb.Append(Inv, $"<div class=\"pair\" data-strategy=\"{E(s.Name)}\">\n<figure>\n{SvgRenderer.Render(chart)}<figcaption>Hosts down by sector under {E(s.Name)}, as a share of each sector's hosts.</figcaption>\n</figure>\n");
        sb.Append("<table class=\"sectors\">\n<tr><th>Sector</th><th>Hosts</th><th>Crashed</th><th>Crashed %</th><th>Peak down %</th><th>Manual repair</th></tr>\n");
        foreach (var b in s.BySector.OrderByDescending(b => b.Hosts > 0 ? (double)b.Crashed / b.Hosts : 0).ThenBy(b => b.Sector, StringComparer.Ordinal))
        {
            var pct = b.Hosts > 0 ? 100.0 * b.Crashed / b.Hosts : 0;
            var peakPct = b.Hosts > 0 ? 100.0 * peak.GetValueOrDefault(b.Sector) / b.Hosts : 0;
            sb.Append(Inv, $"<tr><td>{E(b.Sector)}</td><td>{b.Hosts:N0}</td><td>{b.Crashed:N0}</td><td>{Ticks.Compact(Math.Round(pct, pct >= 1 ? 1 : 15))}%</td><td>{Ticks.Compact(Math.Round(peakPct, peakPct >= 1 ? 1 : 15))}%</td><td>{b.ManualRepair:N0}</td></tr>\n");
        }
        sb.Append("</table>\n</div>\n");
    }

    /// <summary>Two significant digits: a ratio of 10,008 reads as 10,000.</summary>
    private static double TwoDigits(double v)
    {
        if (!(v > 0))
            return 0;
        var scale = Math.Pow(10, Math.Floor(Math.Log10(v)) - 1);
        return Math.Round(v / scale) * scale;
    }

    private static List<double> Cut(IReadOnlyList<double> minutes, double max) => [.. minutes.TakeWhile(m => m <= max)];

    private static string Short(Engine.DecisionRecord d) => d.Kind switch
    {
        "RingStarted" => $"ring {d.Ring} opens",
        "BakeStarted" => $"ring {d.Ring} bakes",
        "Halted" => "halted",
        "RolledBack" => "rolled back",
        "Completed" => "completed",
        "Held" => "held",
        _ => d.Kind,
    };

    private static void Figure(StringBuilder sb, string svg, string caption) =>
        sb.Append("<figure>\n").Append(svg).Append(Inv, $"<figcaption>{caption}</figcaption>\n</figure>\n");

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
