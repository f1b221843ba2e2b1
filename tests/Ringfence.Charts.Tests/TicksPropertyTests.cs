using System.Globalization;
using System.Xml.Linq;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Charts;

namespace Ringfence.Charts.Tests;

/// <summary>Properties of ticks and labels on random ranges: nice steps, inside the range, labels never overlapping.</summary>
public class TicksPropertyTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static bool IsNiceStep(double step)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
        var m = step / magnitude;
        return new[] { 1.0, 2, 5, 10 }.Any(n => Math.Abs(m - n) < 1e-6);
    }

    private static Gen<double> Magnitudes => Gen.Choose(-3000, 9000).Select(e => Math.Pow(10, e / 1000.0));

    [Fact]
    public void Linear_RandomRange_StepsAreOneTwoFiveAndLabelsFit()
    {
        Prop.ForAll(Magnitudes.ToArbitrary(), Gen.Choose(80, 1400).ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (max, length, horizontal) =>
        {
            var ticks = Ticks.Linear(0, max, length, horizontal, Ticks.Compact);
            var step = ticks.Count >= 2 ? ticks[1].Value - ticks[0].Value : 0;
            var evenlySpaced = ticks.Zip(ticks.Skip(1)).All(p => Math.Abs(p.Second.Value - p.First.Value - step) < step * 1e-6);
            var fits = Ticks.Fits(ticks, v => v / max * length, horizontal);
            return (ticks.Count >= 2 && ticks[0].Value == 0 && ticks[^1].Value <= max * (1 + 1e-9) && IsNiceStep(step) && evenlySpaced && fits)
                .Label($"max {max}, length {length}: {string.Join(" ", ticks.Select(t => t.Label))}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TimeAxis_RandomSpan_UsesAllowedStepsAndLabelsFit()
    {
        var origin = new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
        Prop.ForAll(Gen.Choose(1, 60 * 24 * 30).ToArbitrary(), Gen.Choose(150, 1400).ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (span, length, dated) =>
        {
            var t = TimeAxis.For(0, span, length, dated ? origin : null);
            var allowed = t.Unit == TimeUnit.Dates ? new[] { 1440.0, 2880, 10080, 20160, 43200 }.Contains(t.StepMinutes) : TimeAxis.Steps.Contains(t.StepMinutes);
            var inRange = t.Ticks.All(k => k.Value >= -1e-9 && k.Value <= span + 1e-9);
            var spaced = t.Unit == TimeUnit.Dates || t.Ticks.Zip(t.Ticks.Skip(1)).All(p => Math.Abs(p.Second.Value - p.First.Value - t.StepMinutes) < 1e-6);
            var fits = Ticks.Fits(t.Ticks, v => v / span * length, true);
            return (allowed && inRange && spaced && fits && t.Ticks.Count >= 1)
                .Label($"span {span} min, {length} px: step {t.StepMinutes}, {string.Join(" ", t.Ticks.Select(k => k.Label))} {t.UnitName}");
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(720, 900, "0 1 2 3")]
    [InlineData(720, 300, "0 3 6 9 12")]
    [InlineData(90, 600, "0 10 20 30")]
    public void TimeAxis_TwelveHoursOrNinetyMinutes_RoundHoursOrTenMinutes(double span, double length, string firstLabels)
    {
        var t = TimeAxis.For(0, span, length);
        var expected = firstLabels.Split(' ');
        t.Ticks.Take(expected.Length).Select(k => k.Label).ShouldBe(expected);
        t.UnitName.ShouldBe(span > 120 ? "hours" : "minutes");
    }

    [Fact]
    public void TimeAxis_TenDaysWithOrigin_DatesAtMidnight()
    {
        var t = TimeAxis.For(0, 240 * 60, 800, new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero));
        t.Unit.ShouldBe(TimeUnit.Dates);
        t.Ticks[0].Label.ShouldBe("20 Jul");
        t.Ticks[0].Value.ShouldBe((19 * 60) + 51);
    }

    [Fact]
    public void LogScale_RandomDecades_ZeroBaselineAndLabelsFit()
    {
        var cases = from low in Gen.Choose(-3, 3) from decades in Gen.Choose(1, 9) from length in Gen.Choose(120, 900) from horizontal in Gen.Elements(true, false)
                    select (low, decades, length, horizontal);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (low, decades, length, horizontal) = c;
            var scale = ValueScale.Log([0, Math.Pow(10, low) * 1.5, Math.Pow(10, low + decades)]);
            var ticks = scale.TicksFor(length, horizontal, Ticks.Compact);
            var fits = Ticks.Fits(ticks, v => scale.Map(v, length), horizontal);
            var decadesOnly = ticks.Skip(1).All(t => IsNiceStep(t.Value));
            return (scale.IsLog && ticks[0].Value == 0 && ticks[0].Label == "0" && fits && decadesOnly && scale.Map(0, length) == 0)
                .Label($"10^{low}..10^{low + decades}, {length} px: {string.Join(" ", ticks.Select(t => t.Label))}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Render_RandomSeriesChart_TickLabelsDoNotOverlapAndLegendIsOutsideThePlot()
    {
        var cases = from a in Magnitudes from b in Magnitudes from span in Gen.Choose(1, 20_000) from width in Gen.Choose(320, 1200) select (a, b, span, width);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (a, b, span, width) = c;
            var x = Enumerable.Range(0, 25).Select(i => i * span / 24.0).ToList();
            var chart = new SeriesChart("t", "d", x,
                [new Series("large series name", [.. x.Select((_, i) => a * i / 24)]), new Series("small", [.. x.Select((_, i) => i % 3 == 0 ? 0 : b)])],
                "time after release", "hosts")
            { XKind = XKind.Minutes, Subtitle = "A subtitle.", Size = new ChartSize(width, 300) };
            var doc = XDocument.Parse(SvgRenderer.Render(chart));
            var xs = Labels(doc, "xtick").Select(t => (X: Attr(t, "x"), W: TextMetrics.Width(t.Value, 11))).OrderBy(t => t.X).ToList();
            var xOk = xs.Zip(xs.Skip(1)).All(p => p.First.X + (p.First.W / 2) + 2 <= p.Second.X - (p.Second.W / 2));
            var ys = Labels(doc, "ytick").Select(t => Attr(t, "y")).OrderBy(y => y).ToList();
            var yOk = ys.Zip(ys.Skip(1)).All(p => p.Second - p.First >= 11);
            var legendLeft = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("aria-label") == "legend").Elements().Min(e => Attr(e, e.Name.LocalName == "line" ? "x1" : "x"));
            var plotRight = doc.Descendants(Svg + "path").SelectMany(p => PathXs((string)p.Attribute("d")!)).Max();
            return (xOk && yOk && plotRight < legendLeft && xs.Count >= 2)
                .Label($"a {a}, b {b}, span {span}, width {width}: x {string.Join(" ", Labels(doc, "xtick").Select(t => t.Value))}; y {string.Join(" ", Labels(doc, "ytick").Select(t => t.Value))}");
        }).QuickCheckThrowOnFailure();
    }

    private static IEnumerable<XElement> Labels(XDocument doc, string cls) => doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == cls);

    private static double Attr(XElement e, string name) => double.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    private static IEnumerable<double> PathXs(string d) => d.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Where(p => p.Contains(',', StringComparison.Ordinal))
        .Select(p => double.Parse(p.TrimStart('M', 'L').Split(',')[0], CultureInfo.InvariantCulture));
}
