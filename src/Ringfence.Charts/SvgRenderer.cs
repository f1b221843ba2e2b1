using System.Globalization;
using System.Text;

namespace Ringfence.Charts;

/// <summary>
/// Renders chart records to standalone SVG strings. Pure and deterministic: the same chart gives the same
/// bytes (invariant culture, fixed precision, ids derived from the title). Every chart has role="img",
/// a &lt;title&gt; and a &lt;desc&gt;, and each series is also listed in a legend.
/// </summary>
public static class SvgRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(SeriesChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var size = chart.Size;
        var n = chart.X.Count;
        foreach (var s in chart.Series)
        {
            if (s.Values.Count != n)
                throw new ArgumentException($"series '{s.Name}' has {s.Values.Count} values for {n} x positions", nameof(chart));
        }

        var formatX = chart.FormatX ?? Ticks.Compact;
        var formatY = chart.FormatY ?? Ticks.Compact;
        var xMin = n > 0 ? chart.X.Min() : 0;
        var xMax = n > 0 ? chart.X.Max() : 1;
        if (xMax <= xMin)
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
                tops[si][i] = chart.Style == SeriesStyle.StackedArea ? running[i] + v : v;
                if (chart.Style == SeriesStyle.StackedArea)
                    running[i] += v;
            }
        }
        var yMaxData = tops.Length == 0 || n == 0 ? 0 : tops.Max(t => t.Length == 0 ? 0 : t.Max());
        var yMax = Ticks.NiceCeiling(yMaxData);

        double Px(double x) => size.MarginLeft + ((x - xMin) / (xMax - xMin) * size.PlotWidth);
        double Py(double y) => size.MarginTop + size.PlotHeight - (y / yMax * size.PlotHeight);

        var sb = Open(size, chart.Title, chart.Description);
        AxesY(sb, size, Ticks.Nice(0, yMax), Py, formatY, chart.YLabel);
        AxesX(sb, size, Ticks.Nice(xMin, xMax, 6), Px, formatX, chart.XLabel);

        for (var si = chart.Series.Count - 1; si >= 0 && n > 0; si--)
        {
            var color = chart.Series[si].Color ?? Palette.At(si);
            var line = new StringBuilder();
            for (var i = 0; i < n; i++)
                line.Append(i == 0 ? "M" : " L").Append(F(Px(chart.X[i]))).Append(',').Append(F(Py(tops[si][i])));

            if (chart.Style == SeriesStyle.Line)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<path d=\"{line}\" fill=\"none\" stroke=\"{Esc(color)}\" stroke-width=\"2\"><title>{Esc(chart.Series[si].Name)}</title></path>\n");
                continue;
            }
            // Area: close the polygon down to the series below (or zero).
            var area = new StringBuilder(line.ToString());
            for (var i = n - 1; i >= 0; i--)
            {
                var below = chart.Style == SeriesStyle.StackedArea && si > 0 ? tops[si - 1][i] : 0;
                area.Append(" L").Append(F(Px(chart.X[i]))).Append(',').Append(F(Py(below)));
            }
            area.Append(" Z");
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"{area}\" fill=\"{Esc(color)}\" fill-opacity=\"0.35\" stroke=\"{Esc(color)}\" stroke-width=\"1.5\"><title>{Esc(chart.Series[si].Name)}</title></path>\n");
        }

        foreach (var m in chart.Markers)
        {
            if (m.X < xMin || m.X > xMax)
                continue;
            var x = F(Px(m.X));
            var color = Esc(m.Color ?? "#444444");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{size.MarginTop}\" x2=\"{x}\" y2=\"{size.MarginTop + size.PlotHeight}\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{size.MarginTop - 4}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{color}\">{Esc(m.Label)}</text>\n");
        }

        Legend(sb, size, chart.Series.Select((s, i) => (s.Name, s.Color ?? Palette.At(i))).ToList());
        return Close(sb);
    }

    public static string Render(BarChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var size = chart.Size;
        var format = chart.FormatValue ?? Ticks.Compact;
        var groups = Math.Max(1, chart.Legend.Count);
        foreach (var b in chart.Bars)
        {
            if (b.Values.Count != groups)
                throw new ArgumentException($"bar '{b.Label}' has {b.Values.Count} values for {groups} legend entries", nameof(chart));
        }
        var max = Ticks.NiceCeiling(chart.Bars.Count == 0 ? 0 : chart.Bars.Max(b => b.Values.Count == 0 ? 0 : b.Values.Max(Finite)));
        double Px(double v) => size.MarginLeft + (v / max * size.PlotWidth);

        var sb = Open(size, chart.Title, chart.Description);
        AxesX(sb, size, Ticks.Nice(0, max), Px, format, chart.ValueLabel);
        var rowHeight = chart.Bars.Count == 0 ? size.PlotHeight : (double)size.PlotHeight / chart.Bars.Count;
        var barHeight = Math.Max(1, (rowHeight * 0.8) / groups);
        for (var bi = 0; bi < chart.Bars.Count; bi++)
        {
            var bar = chart.Bars[bi];
            var top = size.MarginTop + (bi * rowHeight) + (rowHeight * 0.1);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{size.MarginLeft - 6}\" y=\"{F(top + (rowHeight * 0.4))}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\">{Esc(bar.Label)}</text>\n");
            for (var gi = 0; gi < bar.Values.Count; gi++)
            {
                var v = Finite(bar.Values[gi]);
                var y = top + (gi * barHeight);
                var name = gi < chart.Legend.Count ? chart.Legend[gi] : "";
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{size.MarginLeft}\" y=\"{F(y)}\" width=\"{F(Px(v) - size.MarginLeft)}\" height=\"{F(barHeight)}\" fill=\"{Palette.At(gi)}\"><title>{Esc(bar.Label)} {Esc(name)}: {Esc(format(v))}</title></rect>\n");
            }
        }
        Legend(sb, size, chart.Legend.Select((l, i) => (l, Palette.At(i))).ToList());
        return Close(sb);
    }

    public static string Render(TimelineChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var size = chart.Size;
        var format = chart.FormatX ?? Ticks.Compact;
        var lanes = chart.Events.Select(e => e.Lane).Distinct().ToList();
        var xMin = chart.XMin ?? (chart.Events.Count == 0 ? 0 : chart.Events.Min(e => e.X));
        var xMax = chart.XMax ?? (chart.Events.Count == 0 ? 1 : chart.Events.Max(e => e.X));
        if (xMax <= xMin)
            xMax = xMin + 1;
        double Px(double x) => size.MarginLeft + ((x - xMin) / (xMax - xMin) * size.PlotWidth);
        var laneHeight = lanes.Count == 0 ? size.PlotHeight : (double)size.PlotHeight / lanes.Count;

        var sb = Open(size, chart.Title, chart.Description);
        AxesX(sb, size, Ticks.Nice(xMin, xMax, 6), Px, format, chart.XLabel);
        for (var li = 0; li < lanes.Count; li++)
        {
            var y = size.MarginTop + (li * laneHeight) + (laneHeight / 2);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{size.MarginLeft - 6}\" y=\"{F(y)}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\">{Esc(lanes[li])}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{size.MarginLeft}\" y1=\"{F(y)}\" x2=\"{size.MarginLeft + size.PlotWidth}\" y2=\"{F(y)}\" stroke=\"#dddddd\"/>\n");
            var inLane = chart.Events.Where(e => e.Lane == lanes[li]).ToList();
            for (var ei = 0; ei < inLane.Count; ei++)
            {
                var e = inLane[ei];
                if (e.X < xMin || e.X > xMax)
                    continue;
                var color = Esc(e.Color ?? Palette.At(li));
                var x = F(Px(e.X));
                // Alternate labels above and below the lane so close events stay readable.
                var ly = F(y + (ei % 2 == 0 ? -8 : 16));
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{x}\" cy=\"{F(y)}\" r=\"4\" fill=\"{color}\"><title>{Esc(format(e.X))}: {Esc(e.Label)}</title></circle>\n");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{ly}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{color}\">{Esc(e.Label)}</text>\n");
            }
        }
        return Close(sb);
    }

    private static StringBuilder Open(ChartSize size, string title, string description)
    {
        var id = "c" + StableId(title + "\n" + description);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size.Width} {size.Height}\" width=\"{size.Width}\" height=\"{size.Height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-family=\"sans-serif\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-t\">{Esc(title)}</title>\n<desc id=\"{id}-d\">{Esc(description)}</desc>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{size.Width}\" height=\"{size.Height}\" fill=\"#ffffff\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{size.MarginLeft}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{Esc(title)}</text>\n");
        return sb;
    }

    private static string Close(StringBuilder sb) => sb.Append("</svg>\n").ToString();

    private static void AxesY(StringBuilder sb, ChartSize size, IReadOnlyList<double> ticks, Func<double, double> py, Func<double, string> format, string label)
    {
        foreach (var t in ticks)
        {
            var y = F(py(t));
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{size.MarginLeft}\" y1=\"{y}\" x2=\"{size.MarginLeft + size.PlotWidth}\" y2=\"{y}\" stroke=\"#eeeeee\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{size.MarginLeft - 6}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\">{Esc(format(t))}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{size.MarginLeft}\" y1=\"{size.MarginTop}\" x2=\"{size.MarginLeft}\" y2=\"{size.MarginTop + size.PlotHeight}\" stroke=\"#333333\"/>\n");
        if (label.Length > 0)
        {
            var cy = size.MarginTop + (size.PlotHeight / 2);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{cy}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 {cy})\">{Esc(label)}</text>\n");
        }
    }

    private static void AxesX(StringBuilder sb, ChartSize size, IReadOnlyList<double> ticks, Func<double, double> px, Func<double, string> format, string label)
    {
        var baseY = size.MarginTop + size.PlotHeight;
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{size.MarginLeft}\" y1=\"{baseY}\" x2=\"{size.MarginLeft + size.PlotWidth}\" y2=\"{baseY}\" stroke=\"#333333\"/>\n");
        foreach (var t in ticks)
        {
            var x = F(px(t));
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{baseY}\" x2=\"{x}\" y2=\"{baseY + 4}\" stroke=\"#333333\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{baseY + 16}\" font-size=\"11\" text-anchor=\"middle\">{Esc(format(t))}</text>\n");
        }
        if (label.Length > 0)
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{size.MarginLeft + (size.PlotWidth / 2)}\" y=\"{baseY + 32}\" font-size=\"11\" text-anchor=\"middle\">{Esc(label)}</text>\n");
    }

    private static void Legend(StringBuilder sb, ChartSize size, IReadOnlyList<(string Name, string Color)> entries)
    {
        var x = size.MarginLeft;
        var y = size.Height - 8;
        sb.Append("<g aria-label=\"legend\">\n");
        foreach (var (name, color) in entries)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y - 9}\" width=\"10\" height=\"10\" fill=\"{Esc(color)}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 14}\" y=\"{y}\" font-size=\"11\">{Esc(name)}</text>\n");
            x += 24 + (name.Length * 7);
        }
        sb.Append("</g>\n");
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
