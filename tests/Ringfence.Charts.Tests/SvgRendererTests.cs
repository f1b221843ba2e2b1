using System.Xml.Linq;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Charts;

namespace Ringfence.Charts.Tests;

public class SvgRendererTests
{
    private static SeriesChart Sample(SeriesStyle style = SeriesStyle.Line) => new(
        "Hosts down <by strategy>",
        "Hosts down over time & per strategy",
        [0, 60, 120, 180],
        [new Series("global-push", [0, 100, 5000, 20]), new Series("ringfence", [0, 3, 1, 0])],
        "minutes after release",
        "hosts",
        style);

    [Fact]
    public void Render_SeriesChart_IsWellFormedXmlWithTitleAndDesc()
    {
        var svg = SvgRenderer.Render(Sample());
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        doc.Root!.Attribute("role")!.Value.ShouldBe("img");
        doc.Root.Element(ns + "title")!.Value.ShouldBe("Hosts down <by strategy>");
        doc.Root.Element(ns + "desc")!.Value.ShouldBe("Hosts down over time & per strategy");
        var labelled = doc.Root.Attribute("aria-labelledby")!.Value.Split(' ');
        labelled.ShouldContain(doc.Root.Element(ns + "title")!.Attribute("id")!.Value);
    }

    [Fact]
    public void Render_SameChart_SameBytes()
    {
        SvgRenderer.Render(Sample()).ShouldBe(SvgRenderer.Render(Sample()));
    }

    [Theory]
    [InlineData(SeriesStyle.Line)]
    [InlineData(SeriesStyle.Area)]
    [InlineData(SeriesStyle.StackedArea)]
    public void Render_EachSeries_HasOnePathAndALegendEntry(SeriesStyle style)
    {
        var doc = XDocument.Parse(SvgRenderer.Render(Sample(style)));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var paths = doc.Descendants(ns + "path").ToList();
        paths.Count.ShouldBe(2);
        paths.Select(p => p.Element(ns + "title")!.Value).OrderBy(x => x).ShouldBe(["global-push", "ringfence"]);
        var legend = doc.Descendants(ns + "g").Single(g => (string?)g.Attribute("aria-label") == "legend");
        legend.Elements(ns + "text").Select(t => t.Value).ShouldBe(["global-push", "ringfence"]);
    }

    [Fact]
    public void Render_StackedArea_TopOfStackReachesSumOfSeries()
    {
        // Two equal series stacked: the y axis must reach the sum (2 × 5000 = 10000), not the single maximum.
        var chart = new SeriesChart("s", "d", [0, 1], [new Series("a", [0, 5000]), new Series("b", [0, 5000])], Style: SeriesStyle.StackedArea);
        var doc = XDocument.Parse(SvgRenderer.Render(chart));
        XNamespace ns = "http://www.w3.org/2000/svg";
        doc.Descendants(ns + "text").Select(t => t.Value).ShouldContain("10k");
    }

    [Fact]
    public void Render_MismatchedSeriesLength_Throws()
    {
        var chart = new SeriesChart("t", "d", [0, 1, 2], [new Series("a", [1, 2])]);
        Should.Throw<ArgumentException>(() => SvgRenderer.Render(chart)).Message.ShouldContain("'a'");
    }

    [Fact]
    public void Render_Marker_DrawsLabelInsideRange()
    {
        var chart = Sample() with { Markers = [new Marker(78, "reverted"), new Marker(9999, "outside")] };
        var svg = SvgRenderer.Render(chart);
        svg.ShouldContain(">reverted<");
        svg.ShouldNotContain(">outside<");
    }

    [Fact]
    public void Render_BarChart_OneRectPerValue()
    {
        var chart = new BarChart("Crashed by sector", "Crashed hosts by sector and strategy", ["global-push", "ringfence"],
            [new Bar("airline", [1000, 2]), new Bar("hospital", [3000, 1]), new Bar("bank", [500, 0])]);
        var doc = XDocument.Parse(SvgRenderer.Render(chart));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = doc.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        bars.Count.ShouldBe(6);
        bars.Select(b => b.Element(ns + "title")!.Value).ShouldContain("hospital global-push: 3k");
    }

    [Fact]
    public void Render_Timeline_OneCirclePerEventInRange()
    {
        var chart = new TimelineChart("Decisions", "Decision timeline", [
            new TimelineEvent(0, "ringfence", "released"),
            new TimelineEvent(9, "ringfence", "halted"),
            new TimelineEvent(78, "global-push", "reverted"),
        ]);
        var doc = XDocument.Parse(SvgRenderer.Render(chart));
        XNamespace ns = "http://www.w3.org/2000/svg";
        doc.Descendants(ns + "circle").Count().ShouldBe(3);
    }

    [Fact]
    public void Render_NonFiniteValues_StillWellFormed()
    {
        var chart = new SeriesChart("t", "d", [0, 1], [new Series("a", [double.NaN, double.PositiveInfinity])]);
        Should.NotThrow(() => XDocument.Parse(SvgRenderer.Render(chart)));
    }

    [Fact]
    public void Render_SeriesPeaksDifferMoreThan100x_LogAxisWithZeroBaseline()
    {
        var svg = SvgRenderer.Render(Sample());
        svg.ShouldContain("hosts (log scale)");
        svg.ShouldContain("class=\"axis-break\"");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var yTicks = doc.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "ytick").Select(t => t.Value).ToList();
        yTicks.ShouldBe(["0", "1", "10", "100", "1k", "10k"]);
    }

    [Fact]
    public void Render_SeriesPeaksWithin100x_LinearAxis()
    {
        var chart = Sample() with { Series = [new Series("a", [0, 100, 5000, 20]), new Series("b", [0, 60, 90, 0])] };
        var svg = SvgRenderer.Render(chart);
        svg.ShouldNotContain("log scale");
        svg.ShouldNotContain("axis-break");
    }

    [Fact]
    public void Render_Subtitle_DrawnUnderTitleAndWrapped()
    {
        var chart = Sample() with { Subtitle = string.Join(' ', Enumerable.Repeat("word", 60)), Size = new ChartSize(400, 300) };
        var doc = XDocument.Parse(SvgRenderer.Render(chart));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = doc.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "subtitle").ToList();
        lines.Count.ShouldBeInRange(2, 3);
        lines.ShouldAllBe(l => TextMetrics.Width(l.Value, 12) <= 400 - 16 + 12);
    }

    [Fact]
    public void Render_BandsAndThreshold_DrawnAndInLegend()
    {
        var chart = new SeriesChart("r", "d", [0, 5, 10], [new Series("exposed", [0, 100, 50]) { Lower = [0, 40, 10], Upper = [300, 250, 150] }],
            "time since the ring opened", "crashes per 1,000 host-hours", SeriesStyle.Step)
        { XKind = XKind.Minutes, Thresholds = [new Threshold(400, "gate halts")] };
        var doc = XDocument.Parse(SvgRenderer.Render(chart));
        XNamespace ns = "http://www.w3.org/2000/svg";
        doc.Descendants(ns + "path").Count(p => p.Element(ns + "title")!.Value == "exposed: 95% interval").ShouldBe(1);
        doc.Descendants(ns + "line").Count(l => l.Element(ns + "title")?.Value == "gate halts: 400").ShouldBe(1);
        var legend = doc.Descendants(ns + "g").Single(g => (string?)g.Attribute("aria-label") == "legend");
        legend.Elements(ns + "text").Select(t => t.Value).ShouldBe(["exposed", "gate halts"]);
        // The y axis reaches the threshold even though no value does.
        doc.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "ytick").Select(t => t.Value).ShouldContain("400");
        doc.Descendants(ns + "text").Single(t => (string?)t.Attribute("class") == "xtitle").Value.ShouldBe("time since the ring opened (minutes)");
    }

    [Fact]
    public void Render_BandLengthMismatch_Throws()
    {
        var chart = new SeriesChart("t", "d", [0, 1], [new Series("a", [1, 2]) { Lower = [0], Upper = [2, 3] }]);
        Should.Throw<ArgumentException>(() => SvgRenderer.Render(chart)).Message.ShouldContain("'a'");
    }

    [Fact]
    public void Render_BarChartWithZeroAndMillions_LogAxisEveryBarLabelled()
    {
        var doc = XDocument.Parse(SvgRenderer.Render(GoldenTests.HeadlineBars()));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        texts.ShouldContain("hosts (log scale)");
        texts.ShouldContain("8.48M");
        texts.ShouldContain("383");
        texts.Count(t => t == "0").ShouldBe(3); // two zero bars and the 0 tick
    }

    [Fact]
    public void Render_AnyLabels_AlwaysWellFormedXml()
    {
        Prop.ForAll<string, string>((title, name) =>
        {
            var chart = new SeriesChart(title ?? "", "d", [0, 1], [new Series(name ?? "", [1, 2])]);
            XDocument.Parse(SvgRenderer.Render(chart));
            return true;
        }).QuickCheckThrowOnFailure();
    }
}

public class TicksTests
{
    [Theory]
    [InlineData(0, 100, new double[] { 0, 20, 40, 60, 80, 100 })]
    [InlineData(0, 1, new double[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    public void Nice_Range_RoundSteps(double min, double max, double[] expected)
    {
        Ticks.Nice(min, max).Select(t => Math.Round(t, 6)).ShouldBe(expected);
    }

    [Theory]
    [InlineData(0.05, "0.05")]
    [InlineData(0.0012, "0.0012")]
    [InlineData(1.5, "1.5")]
    public void Compact_SmallNumber_TwoSignificantDigits(double v, string expected) => Ticks.Compact(v).ShouldBe(expected);

    [Theory]
    [InlineData(8_412_345, "8.4 M")]
    [InlineData(12_400, "12,400")]
    [InlineData(383, "383")]
    public void Readable_Count_ProseNumber(double v, string expected) => Ticks.Readable(v).ShouldBe(expected);

    [Fact]
    public void NiceCeiling_AnyPositive_AtLeastValueAndWithinFactorTwo()
    {
        Prop.ForAll<PositiveInt>(p =>
        {
            var v = p.Get;
            var c = Ticks.NiceCeiling(v);
            return c >= v && c <= 2 * v;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(8_500_000, "8.5M")]
    [InlineData(12_500, "12.5k")]
    [InlineData(950, "950")]
    public void Compact_Number_ShortLabel(double v, string expected) => Ticks.Compact(v).ShouldBe(expected);
}
