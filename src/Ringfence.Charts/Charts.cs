namespace Ringfence.Charts;

/// <summary>
/// One named line (or band) of values, one value per x position. <see cref="Lower"/> and <see cref="Upper"/>, when
/// given, draw an interval band (e.g. a 95% Poisson interval) behind the line.
/// </summary>
public sealed record Series(string Name, IReadOnlyList<double> Values, string? Color = null)
{
    public IReadOnlyList<double>? Lower { get; init; }
    public IReadOnlyList<double>? Upper { get; init; }
}

/// <summary>Pixel size of a chart; the renderer lays out margins from what the labels and the legend need.</summary>
public sealed record ChartSize(int Width = 720, int Height = 300);

/// <summary>How a series chart is drawn.</summary>
public enum SeriesStyle
{
    Line,
    Area,
    StackedArea,
    /// <summary>One flat segment per bin: x is the start of each bin, <see cref="SeriesChart.BinWidth"/> its width.</summary>
    Step,
}

/// <summary>How the value axis is scaled.</summary>
public enum ScaleKind
{
    /// <summary>Log (with an explicit 0 baseline) when the series' peaks differ by more than <see cref="Scales.LogRatio"/>, else linear.</summary>
    Auto,
    Linear,
    /// <summary>Decades, with zero drawn on its own baseline below a break in the axis.</summary>
    Log,
}

/// <summary>What the x values are.</summary>
public enum XKind
{
    /// <summary>Plain numbers; <see cref="SeriesChart.XLabel"/> carries the unit.</summary>
    Number,
    /// <summary>Minutes since an origin: ticks in minutes, hours or days (dates when <see cref="SeriesChart.Origin"/> is set and the span is long).</summary>
    Minutes,
}

/// <summary>
/// A chart of several series over a shared x axis. <see cref="Subtitle"/> is the one sentence under the title that
/// says what the chart shows; <see cref="Description"/> becomes the SVG &lt;desc&gt; for screen readers.
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
    public string Subtitle { get; init; } = "";
    public XKind XKind { get; init; } = XKind.Number;
    /// <summary>Calendar time of x = 0, for date ticks on long time axes.</summary>
    public DateTimeOffset? Origin { get; init; }
    public ScaleKind YScale { get; init; } = ScaleKind.Auto;
    /// <summary>Labels x ticks of a <see cref="XKind.Number"/> axis.</summary>
    public Func<double, string>? FormatX { get; init; }
    public Func<double, string>? FormatY { get; init; }
    public ChartSize Size { get; init; } = new();
    /// <summary>Width of each bin of a <see cref="SeriesStyle.Step"/> chart (default: the spacing of the last two x values).</summary>
    public double? BinWidth { get; init; }
    /// <summary>Vertical markers (e.g. "halted") drawn across the plot.</summary>
    public IReadOnlyList<Marker> Markers { get; init; } = [];
    /// <summary>Horizontal reference lines (e.g. the gate's halt level), listed in the legend.</summary>
    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];
}

/// <summary>A labelled vertical line at an x position.</summary>
public sealed record Marker(double X, string Label, string? Color = null);

/// <summary>A dashed horizontal line at a value, named in the legend.</summary>
public sealed record Threshold(double Y, string Label, string? Color = null);

/// <summary>One bar in a bar chart; several values make a grouped bar (one per legend entry).</summary>
public sealed record Bar(string Label, IReadOnlyList<double> Values);

/// <summary>A horizontal bar chart: one row per bar, grouped values side by side, each labelled with its value.</summary>
public sealed record BarChart(string Title, string Description, IReadOnlyList<string> Legend, IReadOnlyList<Bar> Bars, string ValueLabel = "")
{
    public string Subtitle { get; init; } = "";
    public ScaleKind Scale { get; init; } = ScaleKind.Auto;
    public Func<double, string>? FormatValue { get; init; }
    public ChartSize Size { get; init; } = new();
    /// <summary>Colours per legend entry (default: the palette in order).</summary>
    public IReadOnlyList<string>? Colors { get; init; }
}

/// <summary>A point event on a timeline lane (e.g. "ring 1 opened", "halted").</summary>
public sealed record TimelineEvent(double X, string Lane, string Label, string? Color = null);

/// <summary>Events on horizontal lanes over a shared time axis (minutes): a decision timeline.</summary>
public sealed record TimelineChart(string Title, string Description, IReadOnlyList<TimelineEvent> Events, string XLabel = "")
{
    public string Subtitle { get; init; } = "";
    public double? XMin { get; init; }
    public double? XMax { get; init; }
    public DateTimeOffset? Origin { get; init; }
    public ChartSize Size { get; init; } = new();
}
