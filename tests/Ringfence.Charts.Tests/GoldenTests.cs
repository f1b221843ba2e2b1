using System.Runtime.CompilerServices;
using Ringfence.Charts;

namespace Ringfence.Charts.Tests;

/// <summary>
/// Snapshot tests: fixed data sets rendered to SVG and compared byte for byte with tests/Ringfence.Charts.Tests/Golden/*.svg.
/// After an intended change to the output, regenerate them with
/// <c>RINGFENCE_UPDATE_GOLDEN=1 dotnet test tests/Ringfence.Charts.Tests --filter FullyQualifiedName~GoldenTests</c>,
/// look at the new pictures (open the .svg files in a browser) and commit them with the change.
/// </summary>
public class GoldenTests
{
    private static readonly DateTimeOffset Release = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    /// <summary>Global push against Ringfence, cumulative crashes over 12 hours: 90,000 against 9, so a log axis with a 0 baseline.</summary>
    public static SeriesChart ReplayHeadline()
    {
        var x = Enumerable.Range(0, 73).Select(i => i * 10.0).ToList();
        var global = x.Select(m => Math.Round(90_074 * (1 - Math.Exp(-m / 20.0)))).ToList();
        var ringfence = x.Select(m => m < 20 ? 0 : m < 40 ? 4 : 9.0).ToList();
        return new SeriesChart("Hosts crashed (cumulative), first 12 hours", "Hosts crashed per strategy.", x,
            [new Series("global-push", global), new Series("ringfence", ringfence)], "time after release", "hosts")
        {
            Subtitle = "Hosts the content crashed at least once, cumulative, per strategy; log axis, 0 on its own baseline.",
            XKind = XKind.Minutes,
            Origin = Release,
            Size = new ChartSize(900, 340),
        };
    }

    /// <summary>A dashboard rate chart: binned exposed and control rates with 95% intervals and the gate's halt level.</summary>
    public static SeriesChart DashboardRates()
    {
        var x = Enumerable.Range(0, 12).Select(i => i * 5.0).ToList();
        long[] exposed = [0, 1, 3, 6, 4, 2, 0, 0, 0, 0, 0, 0];
        long[] control = [1, 0, 2, 1, 1, 0, 1, 2, 0, 1, 1, 0];
        const double exposedHh = 8, controlHh = 160;
        Series Side(string name, long[] counts, double hh, string color) => new(name, [.. counts.Select(c => c * 1000 / hh)], color)
        {
            Lower = [.. counts.Select(c => Poisson.Garwood(c).Lower * 1000 / hh)],
            Upper = [.. counts.Select(c => Poisson.Garwood(c).Upper * 1000 / hh)],
        };
        return new SeriesChart("Crash rate, canary", "Crash rate per 1,000 host-hours.", x,
            [Side("exposed", exposed, exposedHh, Palette.At(1)), Side("control", control, controlHh, Palette.At(0))],
            "time since the ring opened", "crashes per 1,000 host-hours", SeriesStyle.Step)
        {
            Subtitle = "16 crashes on exposed hosts, 10 on control, in 5-minute bins; the gate halts at 375 per 1,000 host-hours.",
            XKind = XKind.Minutes,
            BinWidth = 5,
            Thresholds = [new Threshold(375, "gate halts", "#b42318")],
            Size = new ChartSize(600, 300),
        };
    }

    /// <summary>The report's headline bars: counts from 0 to 8.5 million on one log axis, each bar labelled.</summary>
    public static BarChart HeadlineBars() => new("Hosts crashed, needing manual repair and down at the peak", "Per strategy.",
        ["crashed", "manual repair", "peak down"],
        [
            new Bar("global-push", [8_480_000, 6_900_000, 8_470_000]),
            new Bar("ringfence", [383, 0, 190]),
            new Bar("static-threshold", [114_000, 0, 67_000]),
        ], "hosts")
    {
        Subtitle = "Counts differ up to 22,000×, so the axis is logarithmic.",
        Size = new ChartSize(900, 260),
    };

    /// <summary>Ten days of hosts down: a date axis.</summary>
    public static SeriesChart WholeRunDates()
    {
        var x = Enumerable.Range(0, 241).Select(i => i * 60.0).ToList();
        return new SeriesChart("Hosts down, whole run", "Hosts down over ten days.", x,
            [new Series("global-push", [.. x.Select(m => Math.Round(90_000 * Math.Exp(-m / 4000)))]), new Series("static-threshold", [.. x.Select(m => m is > 400 and < 600 ? 670 : 0.0)])],
            "time after release", "hosts", SeriesStyle.Line)
        {
            Subtitle = "Hosts down per strategy over the whole run: how long recovery takes.",
            XKind = XKind.Minutes,
            Origin = Release,
            Size = new ChartSize(900, 320),
        };
    }

    /// <summary>A decision timeline with events close together (labels must move to other rows, not overlap).</summary>
    public static TimelineChart Timeline() => new("Decision timeline", "Decisions per strategy.",
        [
            new TimelineEvent(0, "ringfence", "ring 0 opens"), new TimelineEvent(3, "ringfence", "ring 0 bakes"), new TimelineEvent(6, "ringfence", "halted"),
            new TimelineEvent(0, "global-push", "ring 0 opens"), new TimelineEvent(78, "global-push", "rolled back"),
        ], "time after release")
    {
        Subtitle = "Each dot is a control-plane decision.",
        XMin = 0,
        XMax = 90,
        Size = new ChartSize(900, 200),
    };

    [Fact]
    public void Render_ReplayHeadline_MatchesGolden() => Check("replay-headline", SvgRenderer.Render(ReplayHeadline()));

    [Fact]
    public void Render_DashboardRates_MatchesGolden() => Check("dashboard-rates", SvgRenderer.Render(DashboardRates()));

    [Fact]
    public void Render_HeadlineBars_MatchesGolden() => Check("headline-bars", SvgRenderer.Render(HeadlineBars()));

    [Fact]
    public void Render_WholeRunDates_MatchesGolden() => Check("whole-run-dates", SvgRenderer.Render(WholeRunDates()));

    [Fact]
    public void Render_Timeline_MatchesGolden() => Check("timeline", SvgRenderer.Render(Timeline()));

    private static void Check(string name, string svg, [CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "Golden", name + ".svg");
        if (Environment.GetEnvironmentVariable("RINGFENCE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, svg);
            return;
        }
        File.Exists(path).ShouldBeTrue($"no golden file {path}: run with RINGFENCE_UPDATE_GOLDEN=1 to create it");
        // Compare line by line so a failure names the first line that changed.
        var expected = File.ReadAllText(path).Split('\n');
        var actual = svg.Split('\n');
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
            actual[i].ShouldBe(expected[i], $"{name}.svg line {i + 1} differs (RINGFENCE_UPDATE_GOLDEN=1 regenerates the goldens)");
        actual.Length.ShouldBe(expected.Length, $"{name}.svg has {actual.Length} lines, golden {expected.Length}");
    }
}
