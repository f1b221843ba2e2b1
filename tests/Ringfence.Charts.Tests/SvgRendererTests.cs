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
