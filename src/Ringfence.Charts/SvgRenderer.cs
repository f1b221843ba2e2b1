using System.Globalization;
using System.Text;

namespace Ringfence.Charts;

/// <summary>
/// Renders chart records to standalone SVG strings. Pure and deterministic: the same chart gives the same bytes
/// (invariant culture, fixed precision, ids derived from the title). Every chart has role="img", a &lt;title&gt;,
/// a &lt;desc&gt;, a one-sentence subtitle and a legend outside the plot area (so it never covers data); margins
/// are laid out from the estimated widths of the labels (<see cref="TextMetrics"/>), and tick sets are thinned
/// until their labels do not overlap.
/// </summary>
public static class SvgRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    internal const double TitleFont = 14;
    internal const double SubtitleFont = 12;
    internal const double TickFont = 11;
    internal const double LegendFont = 12;
    private const string Grid = "#e6e6e6";
    private const string Ink = "#333333";
    private const string Muted = "#555555";

    /// <summary>Where the plot sits inside the chart once titles, tick labels and the legend have their room.</summary>
    public sealed record Layout(double Left, double Top, double Right, double Bottom, double LegendX, int SubtitleLines)
    {
        public double Width => Right - Left;
        public double Height => Bottom - Top;
    }

    private enum Swatch
    {
        Box,
        Line,
        Dashed,
        Band,
    }

    private sealed record LegendEntry(string Name, string Color, Swatch Swatch);

    public static string Render(SeriesChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var n = chart.X.Count;
        foreach (var s in chart.Series)
        {
            if (s.Values.Count != n)
                throw new ArgumentException($"series '{s.Name}' has {s.Values.Count} values for {n} x positions", nameof(chart));
            if ((s.Lower is { } lo && lo.Count != n) || (s.Upper is { } up && up.Count != n))
                throw new ArgumentException($"series '{s.Name}': its interval band needs {n} lower and {n} upper values", nameof(chart));
        }
        var stacked = chart.Style == SeriesStyle.StackedArea;
        var step = chart.Style == SeriesStyle.Step;
        var binWidth = chart.BinWidth ?? (n >= 2 ? chart.X[^1] - chart.X[^2] : 1);
        var xMin = n > 0 ? chart.X.Min() : 0;
        var xMax = n > 0 ? chart.X.Max() + (step ? binWidth : 0) : 1;
        if (!(xMax > xMin))
            xMax = xMin + 1;

        // Stacked areas draw cumulative sums; the y range must cover the top of the stack.
        var tops = new double[chart.Series.Count][];
        var running = new double[n];
        for (var si = 0; si < chart.Series.Count; si++)
        {
            tops[si] = new double[n];
            for (var i = 0; i < n; i++)
            {
                var v = Finite(chart.Series[si].Values[i]);
                tops[si][i] = stacked ? running[i] + v : v;
                if (stacked)
                    running[i] += v;
            }
        }
        var peaks = chart.Series.Select(s => s.Values.Count == 0 ? 0 : s.Values.Max(Finite)).ToList();
        var values = tops.SelectMany(t => t)
            .Concat(chart.Series.SelectMany(s => (s.Upper ?? []).Concat(s.Lower ?? [])))
            .Concat(chart.Thresholds.Select(t => t.Y));
        // A stacked area on a log axis would misstate every band above the first: stacks stay linear.
        var scale = ValueScale.Choose(stacked ? ScaleKind.Linear : chart.YScale, peaks, values);
        var formatY = chart.FormatY ?? Ticks.Compact;

        var legend = new List<LegendEntry>();
        for (var si = 0; si < chart.Series.Count; si++)
        {
            var s = chart.Series[si];
            var swatch = s.Lower is not null ? Swatch.Band : chart.Style is SeriesStyle.Line or SeriesStyle.Step ? Swatch.Line : Swatch.Box;
            legend.Add(new LegendEntry(s.Name, s.Color ?? Palette.At(si), swatch));
        }
        legend.AddRange(chart.Thresholds.Select(t => new LegendEntry(t.Label, t.Color ?? Ink, Swatch.Dashed)));

        var yTitle = chart.YLabel + (scale.IsLog ? " (log scale)" : "");
        var layout = LayoutFor(chart.Size, chart.Subtitle, legend, chart.Markers.Count > 0, yTitle.Length > 0,
            h => scale.TicksFor(h, false, formatY, TickFont));
        var yTicks = scale.TicksFor(layout.Height, false, formatY, TickFont);

        IReadOnlyList<Tick> xTicks;
        var xTitle = chart.XLabel;
        if (chart.XKind == XKind.Minutes)
        {
            var t = TimeAxis.For(xMin, xMax, layout.Width, chart.Origin, TickFont);
            xTicks = t.Ticks;
            xTitle = xTitle.Length == 0 || t.Unit == TimeUnit.Dates ? t.UnitName : $"{xTitle} ({t.UnitName})";
        }
        else
        {
            xTicks = Ticks.Linear(xMin, xMax, layout.Width, true, chart.FormatX ?? Ticks.Compact, TickFont);
        }

        double Px(double x) => layout.Left + ((x - xMin) / (xMax - xMin) * layout.Width);
        double Py(double y) => layout.Bottom - scale.Map(y, layout.Height);

        var sb = Open(chart.Size, chart.Title, chart.Description, chart.Subtitle, layout);
        YAxis(sb, layout, scale, yTicks, Py, yTitle);
        XAxis(sb, layout, xTicks, Px, xTitle);

        // Points of a series: one per x, or two per bin for steps.
        List<(double X, double Y)> Points(IReadOnlyList<double> ys)
        {
            var pts = new List<(double, double)>(step ? 2 * n : n);
            for (var i = 0; i < n; i++)
            {
                var y = Py(Finite(ys[i]));
                pts.Add((Px(chart.X[i]), y));
                if (step)
                    pts.Add((Px(i + 1 < n ? chart.X[i + 1] : chart.X[i] + binWidth), y));
            }
            return pts;
        }

        // Bands first, so every line is drawn over every band.
        for (var si = 0; si < chart.Series.Count && n > 0; si++)
        {
            var s = chart.Series[si];
            if (s.Lower is null || s.Upper is null)
                continue;
            var color = Esc(s.Color ?? Palette.At(si));
            var upper = Points(s.Upper);
            var lower = Points(s.Lower);
            lower.Reverse();
            sb.Append(Inv, $"<path d=\"{PathOf(upper)}{PathOf(lower, "L")} Z\" fill=\"{color}\" fill-opacity=\"0.16\" stroke=\"none\"><title>{Esc(s.Name)}: 95% interval</title></path>\n");
        }
        for (var si = chart.Series.Count - 1; si >= 0 && n > 0; si--)
        {
            var s = chart.Series[si];
            var color = Esc(s.Color ?? Palette.At(si));
            var line = Points(tops[si]);
            if (chart.Style is SeriesStyle.Line or SeriesStyle.Step)
            {
                sb.Append(Inv, $"<path d=\"{PathOf(line)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-linejoin=\"round\"><title>{Esc(s.Name)}</title></path>\n");
                continue;
            }
            // Area: close the polygon down to the series below (or zero).
            var below = Points(stacked && si > 0 ? tops[si - 1] : new double[n]);
            below.Reverse();
            sb.Append(Inv, $"<path d=\"{PathOf(line)}{PathOf(below, "L")} Z\" fill=\"{color}\" fill-opacity=\"0.35\" stroke=\"{color}\" stroke-width=\"1.5\"><title>{Esc(s.Name)}</title></path>\n");
        }
        foreach (var t in chart.Thresholds)
        {
            var y = F(Py(t.Y));
            sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{y}\" x2=\"{F(layout.Right)}\" y2=\"{y}\" stroke=\"{Esc(t.Color ?? Ink)}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>{Esc(t.Label)}: {Esc(formatY(t.Y))}</title></line>\n");
        }
        Markers(sb, layout, chart.Markers.Where(m => m.X >= xMin && m.X <= xMax).OrderBy(m => m.X).ToList(), Px);
        Legend(sb, layout, legend);
        return Close(sb);
    }

    public static string Render(BarChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var format = chart.FormatValue ?? Ticks.Compact;
        var groups = Math.Max(1, chart.Legend.Count);
        foreach (var b in chart.Bars)
        {
            if (b.Values.Count != groups)
                throw new ArgumentException($"bar '{b.Label}' has {b.Values.Count} values for {groups} legend entries", nameof(chart));
        }
        string Color(int gi) => chart.Colors is { } c && gi < c.Count ? c[gi] : Palette.At(gi);
        var all = chart.Bars.SelectMany(b => b.Values).Select(Finite).ToList();
        var peaks = Enumerable.Range(0, groups).SelectMany(gi => chart.Bars.Select(b => Finite(b.Values[gi]))).ToList();
        var scale = ValueScale.Choose(chart.Scale, peaks, all);
        var legend = chart.Legend.Select((l, i) => new LegendEntry(l, Color(i), Swatch.Box)).ToList();

        var size = chart.Size;
        var labelWidth = chart.Bars.Count == 0 ? 0 : chart.Bars.Max(b => TextMetrics.Width(b.Label, LegendFont));
        var valueWidth = all.Count == 0 ? 0 : all.Max(v => TextMetrics.Width(format(v), TickFont));
        var layout = LayoutFor(size, chart.Subtitle, legend, false, false, _ => []);
        // Bar labels sit left of the plot, value labels right of each bar: both need room inside the chart.
        layout = layout with { Left = 8 + labelWidth + 8, Right = layout.Right - valueWidth - 6 };
        var xTitle = chart.ValueLabel + (scale.IsLog ? " (log scale)" : "");
        var ticks = scale.TicksFor(layout.Width, true, format, TickFont);
        double Px(double v) => layout.Left + scale.Map(v, layout.Width);

        var sb = Open(size, chart.Title, chart.Description, chart.Subtitle, layout);
        XAxis(sb, layout, ticks, Px, xTitle, grid: true);
        if (scale.IsLog && scale.HasZero)
            Break(sb, layout.Left + (ValueScale.ZeroGap / 2), layout.Bottom, horizontal: true);
        var rowHeight = chart.Bars.Count == 0 ? layout.Height : layout.Height / chart.Bars.Count;
        var barHeight = Math.Max(1, rowHeight * 0.76 / groups);
        for (var bi = 0; bi < chart.Bars.Count; bi++)
        {
            var bar = chart.Bars[bi];
            var top = layout.Top + (bi * rowHeight) + (rowHeight * 0.12);
            sb.Append(Inv, $"<text x=\"{F(layout.Left - 8)}\" y=\"{F(top + (groups * barHeight / 2))}\" font-size=\"{LegendFont}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Esc(bar.Label)}</text>\n");
            for (var gi = 0; gi < bar.Values.Count; gi++)
            {
                var v = Finite(bar.Values[gi]);
                var y = top + (gi * barHeight);
                var name = gi < chart.Legend.Count ? chart.Legend[gi] : "";
                var w = Math.Max(v > 0 ? 1 : 0, Px(v) - layout.Left);
                sb.Append(Inv, $"<rect x=\"{F(layout.Left)}\" y=\"{F(y)}\" width=\"{F(w)}\" height=\"{F(barHeight - 1)}\" fill=\"{Esc(Color(gi))}\"><title>{Esc(bar.Label)} {Esc(name)}: {Esc(format(v))}</title></rect>\n");
                if (barHeight >= 9)
                    sb.Append(Inv, $"<text x=\"{F(layout.Left + w + 4)}\" y=\"{F(y + (barHeight / 2))}\" font-size=\"{TickFont}\" dominant-baseline=\"middle\" fill=\"{Ink}\">{Esc(format(v))}</text>\n");
            }
        }
        sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{F(layout.Top)}\" x2=\"{F(layout.Left)}\" y2=\"{F(layout.Bottom)}\" stroke=\"{Ink}\"/>\n");
        Legend(sb, layout, legend);
        return Close(sb);
    }

    public static string Render(TimelineChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var size = chart.Size;
        var lanes = chart.Events.Select(e => e.Lane).Distinct().ToList();
        var xMin = chart.XMin ?? (chart.Events.Count == 0 ? 0 : chart.Events.Min(e => e.X));
        var xMax = chart.XMax ?? (chart.Events.Count == 0 ? 1 : chart.Events.Max(e => e.X));
        if (!(xMax > xMin))
            xMax = xMin + 1;
        var laneWidth = lanes.Count == 0 ? 0 : lanes.Max(l => TextMetrics.Width(l, LegendFont));
        var layout = LayoutFor(size, chart.Subtitle, [], false, false, _ => []);
        layout = layout with { Left = 8 + laneWidth + 10, Right = size.Width - 16 };
        var time = TimeAxis.For(xMin, xMax, layout.Width, chart.Origin, TickFont);
        double Px(double x) => layout.Left + ((x - xMin) / (xMax - xMin) * layout.Width);
        var laneHeight = lanes.Count == 0 ? layout.Height : layout.Height / lanes.Count;

        var sb = Open(size, chart.Title, chart.Description, chart.Subtitle, layout);
        var title = chart.XLabel.Length == 0 || time.Unit == TimeUnit.Dates ? time.UnitName : $"{chart.XLabel} ({time.UnitName})";
        XAxis(sb, layout, time.Ticks, Px, title, grid: true);
        // Label rows around each lane (above, below, further above, further below, as the lane's height allows):
        // the first row where a label does not overlap the one before it.
        double[] rows = [-9, 17, -22, 30];
        for (var li = 0; li < lanes.Count; li++)
        {
            var y = layout.Top + (li * laneHeight) + (laneHeight / 2);
            sb.Append(Inv, $"<text x=\"{F(layout.Left - 10)}\" y=\"{F(y)}\" font-size=\"{LegendFont}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Esc(lanes[li])}</text>\n");
            sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{F(y)}\" x2=\"{F(layout.Right)}\" y2=\"{F(y)}\" stroke=\"#cccccc\"/>\n");
            var usable = rows.Where(r => Math.Abs(r) + 6 < laneHeight / 2 || r is -9 or 17).ToArray();
            var rowEnds = usable.Select(_ => double.NegativeInfinity).ToArray();
            foreach (var e in chart.Events.Where(e => e.Lane == lanes[li] && e.X >= xMin && e.X <= xMax).OrderBy(e => e.X))
            {
                var color = Esc(e.Color ?? Palette.At(li));
                var x = Px(e.X);
                sb.Append(Inv, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"4\" fill=\"{color}\"><title>{Esc(TimeAxis.Duration(e.X))}: {Esc(e.Label)}</title></circle>\n");
                var w = TextMetrics.Width(e.Label, TickFont);
                var from = Math.Clamp(x - (w / 2), layout.Left - 4, layout.Right - w + 4);
                var row = Array.FindIndex(rowEnds, end => from >= end + 4);
                if (row < 0)
                {
                    // Every row is taken here: the row that frees up first, the label pushed right of its neighbour.
                    row = Array.IndexOf(rowEnds, rowEnds.Min());
                    from = rowEnds[row] + 4;
                }
                rowEnds[row] = from + w;
                sb.Append(Inv, $"<text x=\"{F(from)}\" y=\"{F(y + usable[row])}\" font-size=\"{TickFont}\" fill=\"{color}\">{Esc(e.Label)}</text>\n");
            }
        }
        return Close(sb);
    }

    /// <summary>The plot rectangle of a chart: room for the title and subtitle above, the legend to the right, tick labels left and below.</summary>
    private static Layout LayoutFor(ChartSize size, string subtitle, IReadOnlyList<LegendEntry> legend, bool markers, bool yTitle, Func<double, IReadOnlyList<Tick>> yTicks)
    {
        var lines = Wrap(subtitle, size.Width - 16, SubtitleFont).Count;
        var top = 24 + (lines * 16) + 12 + (markers ? 30 : 0);
        var bottom = size.Height - 42;
        var legendWidth = legend.Count == 0 ? 0 : legend.Max(e => TextMetrics.Width(e.Name, LegendFont)) + 30;
        var legendX = size.Width - legendWidth - 6;
        var right = legend.Count == 0 ? size.Width - 16 : legendX - 14;
        var ticks = yTicks(Math.Max(1, bottom - top));
        var tickWidth = ticks.Count == 0 ? 0 : ticks.Max(t => TextMetrics.Width(t.Label, TickFont));
        var left = (yTitle ? 26 : 8) + tickWidth + 8;
        return new Layout(left, top, Math.Max(left + 1, right), Math.Max(top + 1, bottom), legendX, lines);
    }

    /// <summary>Greedy word wrap by estimated width; at most three lines (the last one ends in "…" if cut).</summary>
    internal static List<string> Wrap(string text, double width, double fontSize)
    {
        var lines = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
            return lines;
        var current = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = current.Length == 0 ? word : current + " " + word;
            if (current.Length > 0 && TextMetrics.Width(candidate, fontSize) > width)
            {
                lines.Add(current);
                current = word;
            }
            else
            {
                current = candidate;
            }
        }
        lines.Add(current);
        if (lines.Count > 3)
            lines = [lines[0], lines[1], lines[2] + " …"];
        return lines;
    }

    private static StringBuilder Open(ChartSize size, string title, string description, string subtitle, Layout layout)
    {
        var id = "c" + StableId(title + "\n" + description);
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size.Width} {size.Height}\" width=\"{size.Width}\" height=\"{size.Height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-family=\"sans-serif\">\n");
        sb.Append(Inv, $"<title id=\"{id}-t\">{Esc(title)}</title>\n<desc id=\"{id}-d\">{Esc(description)}</desc>\n");
        sb.Append(Inv, $"<rect width=\"{size.Width}\" height=\"{size.Height}\" fill=\"#ffffff\"/>\n");
        // Bold runs about 10% wider; a title too long for the chart gets a smaller font (down to 10 px).
        var titleFont = Math.Max(10, Math.Min(TitleFont, Math.Floor(TitleFont * (size.Width - 16) / (1.1 * TextMetrics.Width(title, TitleFont)))));
        sb.Append(Inv, $"<text x=\"8\" y=\"20\" font-size=\"{F(titleFont)}\" font-weight=\"bold\" fill=\"#111111\">{Esc(title)}</text>\n");
        var lines = Wrap(subtitle, size.Width - 16, SubtitleFont);
        for (var i = 0; i < lines.Count && i < layout.SubtitleLines; i++)
            sb.Append(Inv, $"<text x=\"8\" y=\"{38 + (i * 16)}\" font-size=\"{SubtitleFont}\" fill=\"{Muted}\" class=\"subtitle\">{Esc(lines[i])}</text>\n");
        return sb;
    }

    private static string Close(StringBuilder sb) => sb.Append("</svg>\n").ToString();

    private static void YAxis(StringBuilder sb, Layout layout, ValueScale scale, IReadOnlyList<Tick> ticks, Func<double, double> py, string title)
    {
        foreach (var t in ticks)
        {
            var y = F(py(t.Value));
            sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{y}\" x2=\"{F(layout.Right)}\" y2=\"{y}\" stroke=\"{Grid}\"/>\n");
            sb.Append(Inv, $"<text x=\"{F(layout.Left - 6)}\" y=\"{y}\" font-size=\"{TickFont}\" text-anchor=\"end\" dominant-baseline=\"middle\" class=\"ytick\">{Esc(t.Label)}</text>\n");
        }
        sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{F(layout.Top)}\" x2=\"{F(layout.Left)}\" y2=\"{F(layout.Bottom)}\" stroke=\"{Ink}\"/>\n");
        if (scale.IsLog && scale.HasZero)
            Break(sb, layout.Left, layout.Bottom - (ValueScale.ZeroGap / 2), horizontal: false);
        if (title.Length > 0)
        {
            // A title longer than the axis gets a smaller font (down to 8 px) rather than running into the subtitle.
            var font = Math.Max(8, Math.Min(TickFont, Math.Floor(TickFont * layout.Height / TextMetrics.Width(title, TickFont))));
            var cy = F(layout.Top + (layout.Height / 2));
            sb.Append(Inv, $"<text x=\"14\" y=\"{cy}\" font-size=\"{F(font)}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {cy})\" class=\"ytitle\">{Esc(title)}</text>\n");
        }
    }

    /// <summary>The two slashes of a broken axis, between the 0 baseline and the first decade of a log scale.</summary>
    private static void Break(StringBuilder sb, double x, double y, bool horizontal)
    {
        sb.Append(Inv, $"<g class=\"axis-break\" stroke=\"{Ink}\">");
        if (horizontal)
        {
            sb.Append(Inv, $"<rect x=\"{F(x - 3)}\" y=\"{F(y - 5)}\" width=\"6\" height=\"10\" fill=\"#ffffff\" stroke=\"none\"/>");
            sb.Append(Inv, $"<line x1=\"{F(x - 5)}\" y1=\"{F(y + 5)}\" x2=\"{F(x - 1)}\" y2=\"{F(y - 5)}\"/><line x1=\"{F(x + 1)}\" y1=\"{F(y + 5)}\" x2=\"{F(x + 5)}\" y2=\"{F(y - 5)}\"/>");
        }
        else
        {
            sb.Append(Inv, $"<rect x=\"{F(x - 5)}\" y=\"{F(y - 3)}\" width=\"10\" height=\"6\" fill=\"#ffffff\" stroke=\"none\"/>");
            sb.Append(Inv, $"<line x1=\"{F(x - 5)}\" y1=\"{F(y + 1)}\" x2=\"{F(x + 5)}\" y2=\"{F(y - 3)}\"/><line x1=\"{F(x - 5)}\" y1=\"{F(y + 5)}\" x2=\"{F(x + 5)}\" y2=\"{F(y + 1)}\"/>");
        }
        sb.Append("</g>\n");
    }

    private static void XAxis(StringBuilder sb, Layout layout, IReadOnlyList<Tick> ticks, Func<double, double> px, string title, bool grid = false)
    {
        var baseY = layout.Bottom;
        foreach (var t in ticks)
        {
            var x = F(px(t.Value));
            if (grid)
                sb.Append(Inv, $"<line x1=\"{x}\" y1=\"{F(layout.Top)}\" x2=\"{x}\" y2=\"{F(baseY)}\" stroke=\"{Grid}\"/>\n");
            sb.Append(Inv, $"<line x1=\"{x}\" y1=\"{F(baseY)}\" x2=\"{x}\" y2=\"{F(baseY + 4)}\" stroke=\"{Ink}\"/>\n");
            sb.Append(Inv, $"<text x=\"{x}\" y=\"{F(baseY + 16)}\" font-size=\"{TickFont}\" text-anchor=\"middle\" class=\"xtick\">{Esc(t.Label)}</text>\n");
        }
        sb.Append(Inv, $"<line x1=\"{F(layout.Left)}\" y1=\"{F(baseY)}\" x2=\"{F(layout.Right)}\" y2=\"{F(baseY)}\" stroke=\"{Ink}\"/>\n");
        if (title.Length > 0)
            sb.Append(Inv, $"<text x=\"{F(layout.Left + (layout.Width / 2))}\" y=\"{F(baseY + 33)}\" font-size=\"{TickFont}\" text-anchor=\"middle\" class=\"xtitle\">{Esc(title)}</text>\n");
    }

    /// <summary>Vertical markers; labels above the plot, in a second row when they would overlap the first.</summary>
    private static void Markers(StringBuilder sb, Layout layout, IReadOnlyList<Marker> markers, Func<double, double> px)
    {
        var rowEnds = new[] { double.NegativeInfinity, double.NegativeInfinity };
        foreach (var m in markers)
        {
            var x = px(m.X);
            var color = Esc(m.Color ?? "#444444");
            sb.Append(Inv, $"<line x1=\"{F(x)}\" y1=\"{F(layout.Top)}\" x2=\"{F(x)}\" y2=\"{F(layout.Bottom)}\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/>\n");
            var w = TextMetrics.Width(m.Label, TickFont);
            var from = Math.Clamp(x - (w / 2), 4, layout.LegendX - w);
            var row = Array.FindIndex(rowEnds, end => from >= end + 4);
            if (row < 0)
                continue;
            rowEnds[row] = from + w;
            sb.Append(Inv, $"<text x=\"{F(from)}\" y=\"{F(layout.Top - 6 - (row * 14))}\" font-size=\"{TickFont}\" fill=\"{color}\">{Esc(m.Label)}</text>\n");
        }
    }

    /// <summary>The legend, one entry per line, in a column right of the plot area.</summary>
    private static void Legend(StringBuilder sb, Layout layout, IReadOnlyList<LegendEntry> entries)
    {
        if (entries.Count == 0)
            return;
        sb.Append("<g aria-label=\"legend\">\n");
        var x = layout.LegendX;
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, color, swatch) = entries[i];
            var y = layout.Top + 8 + (i * 20);
            var c = Esc(color);
            sb.Append(swatch switch
            {
                Swatch.Box => $"<rect x=\"{F(x)}\" y=\"{F(y - 6)}\" width=\"12\" height=\"12\" fill=\"{c}\"/>",
                Swatch.Line => $"<line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x + 20)}\" y2=\"{F(y)}\" stroke=\"{c}\" stroke-width=\"2.5\"/>",
                Swatch.Dashed => $"<line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x + 20)}\" y2=\"{F(y)}\" stroke=\"{c}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>",
                _ => $"<rect x=\"{F(x)}\" y=\"{F(y - 6)}\" width=\"20\" height=\"12\" fill=\"{c}\" fill-opacity=\"0.16\"/><line x1=\"{F(x)}\" y1=\"{F(y)}\" x2=\"{F(x + 20)}\" y2=\"{F(y)}\" stroke=\"{c}\" stroke-width=\"2.5\"/>",
            });
            sb.Append(Inv, $"<text x=\"{F(x + 26)}\" y=\"{F(y)}\" font-size=\"{LegendFont}\" dominant-baseline=\"middle\">{Esc(name)}</text>\n");
        }
        sb.Append("</g>\n");
    }

    private static string PathOf(List<(double X, double Y)> points, string first = "M")
    {
        var sb = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
            sb.Append(i == 0 ? first : " L").Append(F(points[i].X)).Append(',').Append(F(points[i].Y));
        return first == "L" ? " " + sb : sb.ToString();
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;

    private static string F(double v) => Math.Round(v, 1).ToString("0.#", Inv);

    private static string StableId(string s)
    {
        // FNV-1a: a short deterministic id so several charts on one page do not clash.
        uint h = 2166136261;
        foreach (var c in s)
        {
            h ^= c;
            h *= 16777619;
        }
        return h.ToString("x8", Inv);
    }

    internal static string Esc(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ when char.IsControl(c) => " ",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
