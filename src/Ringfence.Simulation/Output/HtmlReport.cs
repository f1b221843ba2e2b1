using System.Globalization;
using System.Net;
using System.Text;
using Ringfence.Charts;

namespace Ringfence.Simulation.Output;

/// <summary>A self-contained HTML report with inline SVG charts (no scripts, no external files).</summary>
public static class HtmlReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append(Inv, $"<title>Ringfence simulation: {E(report.Scenario)}</title>\n");
        sb.Append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1.5em 0}figcaption{font-size:0.9em;color:#555}code{background:#f4f4f4;padding:1px 3px}</style>\n");
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

        sb.Append("<h2>Outcome by strategy</h2>\n<table>\n<tr><th>Strategy</th><th>Exposed</th><th>Crashed</th><th>Manual repair</th><th>Peak down</th><th>Downtime (host-hours)</th><th>Repair (person-hours)</th><th>Release → halt (min)</th><th>False halt</th></tr>\n");
        foreach (var s in report.Strategies)
        {
            sb.Append(Inv, $"<tr><td>{E(s.Name)}</td><td>{s.HostsExposed:N0}</td><td>{s.HostsCrashed:N0}</td><td>{s.HostsNeedingManualRepair:N0}</td><td>{s.PeakHostsDown:N0}</td><td>{s.DowntimeHostHours:N0}</td><td>{s.ManualRepairPersonHours:N0}</td><td>{(s.MinutesReleaseToHalt is { } m ? m.ToString("0", Inv) : "never")}</td><td>{(s.FalseHalt ? "yes" : "no")}</td></tr>\n");
        }
        sb.Append("</table>\n");

        // Charts: the first hours (where strategies differ) and the whole run (recovery).
        var first = report.Strategies.FirstOrDefault();
        if (first is not null)
        {
            Figure(sb, Series(report, "Hosts down, first 12 hours", "Hosts down (crashed or boot-looping, not yet repaired) per strategy during the first 12 hours after release.", s => s.TimeSeries.Down, 12 * 60), "Hosts down per strategy, first 12 hours.");
            Figure(sb, Series(report, "Hosts down, whole run", "Hosts down per strategy over the whole simulated period: how long recovery takes.", s => s.TimeSeries.Down, double.MaxValue), "Hosts down per strategy over the whole run.");
            Figure(sb, Series(report, "Hosts exposed (cumulative)", "Hosts that loaded the content, cumulative, per strategy, first 12 hours.", s => s.TimeSeries.Exposed, 12 * 60), "Hosts exposed to the content.");
            Figure(sb, Series(report, "Hosts crashed (cumulative)", "Hosts the content crashed at least once, cumulative, per strategy, first 12 hours.", s => s.TimeSeries.Crashed, 12 * 60), "Hosts crashed by the content.");
            foreach (var s in report.Strategies)
            {
                var sectors = s.TimeSeries.DownBySector;
                if (s.HostsCrashed == 0)
                    continue;
                var x = Cut(s.TimeSeries.Minutes, 48 * 60);
                var chart = new SeriesChart($"{s.Name}: hosts down by sector, first 48 hours", $"Hosts down by sector under {s.Name}, stacked, first 48 hours.",
                    x.Select(m => m).ToList(), [.. sectors.Select(kv => new Series(kv.Key, kv.Value.Take(x.Count).Select(v => (double)v).ToList()))],
                    "time after release", "hosts down", SeriesStyle.StackedArea) { FormatX = Hours, Size = new ChartSize(900, 340) };
                Figure(sb, SvgRenderer.Render(chart), $"Hosts down by sector under {E(s.Name)}.");
            }
            var bars = new BarChart("Hosts crashed by sector", "Hosts crashed by the content, by sector and strategy.", [.. report.Strategies.Select(s => s.Name)],
                [.. first.BySector.Select(sec => new Bar(sec.Sector, [.. report.Strategies.Select(s => (double)(s.BySector.FirstOrDefault(b => b.Sector == sec.Sector)?.Crashed ?? 0))]))])
            { Size = new ChartSize(900, 60 + (first.BySector.Count * 40), MarginLeft: 140) };
            Figure(sb, SvgRenderer.Render(bars), "Hosts crashed by sector.");

            var events = report.Strategies.SelectMany(s => s.Decisions.Where(d => d.Kind is not ("Validated" or "ApprovalRecorded"))
                .Select(d => new TimelineEvent(d.Minute, s.Name, Short(d)))).ToList();
            var maxX = Math.Max(60, events.Count == 0 ? 60 : events.Max(e => e.X));
            var timeline = new TimelineChart("Decision timeline", "Every control-plane decision per strategy, in minutes after release.", events, "time after release")
            { FormatX = Hours, XMin = 0, XMax = maxX, Size = new ChartSize(900, 60 + (report.Strategies.Count * 60), MarginLeft: 170) };
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

    private static string Series(SimulationReport report, string title, string description, Func<StrategyResult, IReadOnlyList<long>> pick, double maxMinutes)
    {
        var x = Cut(report.Strategies[0].TimeSeries.Minutes, maxMinutes);
        var chart = new SeriesChart(title, description, x,
            [.. report.Strategies.Select(s => new Series(s.Name, pick(s).Take(x.Count).Select(v => (double)v).ToList()))],
            "time after release", "hosts") { FormatX = Hours, Size = new ChartSize(900, 320) };
        return SvgRenderer.Render(chart);
    }

    private static List<double> Cut(IReadOnlyList<double> minutes, double max) => [.. minutes.TakeWhile(m => m <= max)];

    private static string Hours(double minutes) => minutes < 120 ? $"{minutes.ToString("0", Inv)}m" : $"{(minutes / 60).ToString("0.#", Inv)}h";

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
