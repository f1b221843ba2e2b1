namespace Ringfence.Charts;

/// <summary>One named line (or stacked band) of values, one value per x position.</summary>
public sealed record Series(string Name, IReadOnlyList<double> Values, string? Color = null);

/// <summary>Pixel size and margins of a chart.</summary>
public sealed record ChartSize(int Width = 720, int Height = 300, int MarginLeft = 64, int MarginRight = 16, int MarginTop = 36, int MarginBottom = 48)
{
    public int PlotWidth => Math.Max(1, Width - MarginLeft - MarginRight);
    public int PlotHeight => Math.Max(1, Height - MarginTop - MarginBottom);
}

/// <summary>How a time (or any numeric) series chart is drawn.</summary>
public enum SeriesStyle
{
    Line,
    Area,
    StackedArea,
}

/// <summary>
/// A chart of several series over a shared x axis. <see cref="Description"/> becomes the SVG &lt;desc&gt;
/// so screen readers get a summary; <see cref="FormatX"/> labels x ticks (e.g. minutes as "+2h").
/// </summary>
public sealed record SeriesChart(
    string Title,
    string Description,
    IReadOnlyList<double> X,
    IReadOnlyList<Series> Series,
    string XLabel = "",
    string YLabel = "",
    SeriesStyle Style = SeriesStyle.Line)
{
    public Func<double, string>? FormatX { get; init; }
    public Func<double, string>? FormatY { get; init; }
    public ChartSize Size { get; init; } = new();
    /// <summary>Vertical markers (e.g. "halted") drawn across the plot.</summary>
    public IReadOnlyList<Marker> Markers { get; init; } = [];
}

/// <summary>A labelled vertical line at an x position.</summary>
public sealed record Marker(double X, string Label, string? Color = null);

/// <summary>One bar in a bar chart; several values make a grouped bar (one per legend entry).</summary>
public sealed record Bar(string Label, IReadOnlyList<double> Values);

/// <summary>A horizontal bar chart: one row per bar, grouped values side by side.</summary>
public sealed record BarChart(string Title, string Description, IReadOnlyList<string> Legend, IReadOnlyList<Bar> Bars, string ValueLabel = "")
{
    public Func<double, string>? FormatValue { get; init; }
    public ChartSize Size { get; init; } = new(MarginLeft: 160);
}

/// <summary>A point event on a timeline lane (e.g. "ring 1 opened", "halted").</summary>
public sealed record TimelineEvent(double X, string Lane, string Label, string? Color = null);

/// <summary>Events on horizontal lanes over a shared x axis: a decision timeline.</summary>
public sealed record TimelineChart(string Title, string Description, IReadOnlyList<TimelineEvent> Events, string XLabel = "")
{
    public Func<double, string>? FormatX { get; init; }
    public double? XMin { get; init; }
    public double? XMax { get; init; }
    public ChartSize Size { get; init; } = new(MarginLeft: 160);
}
