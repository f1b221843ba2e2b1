using System.Text.RegularExpressions;
using Ringfence.Simulation.Engine;
using Ringfence.Simulation.Output;

namespace Ringfence.Simulation.Tests;

public sealed partial class HtmlReportTests
{
    private static readonly string[] Sectors = ["airline", "hospital", "bank"];

    /// <summary>A 10-day run of 1,000,000 hosts: global push crashes most of them, Ringfence a few (fewer than background crashes).</summary>
    private static StrategyResult Strategy(string name, long crashed, long manual, long background, Func<int, double, long> downBySector)
    {
        var minutes = Enumerable.Range(0, 1441).Select(i => i * 10.0).ToList();
        var bySectorDown = Sectors.Select((s, si) => (s, (IReadOnlyList<long>)[.. minutes.Select(m => downBySector(si, m))])).ToDictionary(t => t.s, t => t.Item2);
        var down = minutes.Select((_, i) => bySectorDown.Values.Sum(v => v[i])).ToList();
        var crashedSeries = minutes.Select(m => m < 30 ? crashed * (long)m / 30 : crashed).ToList();
        return new StrategyResult
        {
            Name = name, Type = name, Agents = "ringfence", HostsInFleet = 1_000_000, HostsExposed = crashed, HostsCrashed = crashed,
            HostsNeedingManualRepair = manual, HostsRecoveredByFixDownload = 0, HostsRecoveredByRecoveryChannel = 0, HostsSelfHealed = 0,
            PeakHostsDown = down.Max(), PeakHostsDownAtMinute = 60, DowntimeHostHours = 1, ManualRepairPersonHours = 1, MinutesReleaseToHalt = 6,
            Halted = true, FalseHalt = false, HoursTo99PercentRecovered = null, BackgroundCrashes = background, CrashEvents = crashed + background,
            CpuRegressionHostHours = 0,
            BySector = [new("airline", 500_000, crashed / 2, crashed / 2, manual / 2, 1), new("hospital", 1_000, crashed / 100, crashed / 100, 0, 1), new("bank", 499_000, crashed - (crashed / 2) - (crashed / 100), crashed - (crashed / 2) - (crashed / 100), 0, 1)],
            ByRing = [],
            Decisions = [new DecisionRecord(0, "RingStarted", 0, "start"), new DecisionRecord(6, "Halted", 0, "gate")],
            TimeSeries = new TimeSeries(10, minutes, crashedSeries, crashedSeries, down, bySectorDown, bySectorDown),
        };
    }

    private static SimulationReport Report() => new()
    {
        Scenario = "july-19", Description = "test", Seed = 1, Scale = 1, ReleaseUtc = new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero),
        DurationHours = 240, HostsInFleet = 1_000_000, ContentFaulty = true, Validator = null, CoverageReport = [],
        Strategies =
        [
            Strategy("global-push", 8_412_000, 6_900_000, 2_000, (si, m) => m < 2000 ? (si == 0 ? 350_000 : si == 1 ? 800 : 300_000) : 0),
            // Ringfence: 383 content crashes against 20,000 background ones; its sector counts are 0-3 hosts of noise.
            Strategy("ringfence", 383, 0, 20_000, (si, m) => (long)(m / 10) % 4 == si ? 2 : 0),
        ],
    };

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex Svgs();

    [Fact]
    public void Headline_GlobalPushAgainstRingfence_BothCountsInOneSentence()
    {
        HtmlReport.Headline(Report()).ShouldBe("global-push: 8.4 M crashed, 6.9 M needing manual repair; ringfence: 383 crashed, 0 needing manual repair (22,000× fewer crashed).");
        HtmlReport.Render(Report()).ShouldContain("<p class=\"headline\" id=\"headline\">global-push: 8.4 M crashed");
    }

    [Fact]
    public void Render_StrategiesDifferByOrdersOfMagnitude_OverTimeChartsOnLogAxis()
    {
        var report = Report();
        var chart = HtmlReport.OverTime(report, "Hosts down", "Hosts down.", s => s.TimeSeries.Down, HtmlReport.EarlyMinutes);
        var svg = Ringfence.Charts.SvgRenderer.Render(chart);
        svg.ShouldContain("hosts (log scale)");
        svg.ShouldContain("class=\"axis-break\"");
        svg.ShouldContain("time after release (hours)");
        var whole = Ringfence.Charts.SvgRenderer.Render(HtmlReport.OverTime(report, "Hosts down, whole run", "Hosts down.", s => s.TimeSeries.Down, double.MaxValue));
        whole.ShouldContain(">20 Jul<");
        whole.ShouldContain("date (UTC)");
    }

    [Fact]
    public void Render_EveryChart_HasASubtitle()
    {
        var svgs = Svgs().Matches(HtmlReport.Render(Report()));
        svgs.Count.ShouldBeGreaterThanOrEqualTo(6);
        svgs.ShouldAllBe(m => m.Value.Contains("class=\"subtitle\""));
    }

    [Fact]
    public void ContentCausedHarm_ContentCrashesAgainstBackground_OnlyGlobalPush()
    {
        var report = Report();
        HtmlReport.ContentCausedHarm(report, report.Strategies[0]).ShouldBeTrue();
        // 383 content crashes against 20,000 × 48 / 240 = 4,000 background crashes in the 48-hour window.
        HtmlReport.ContentCausedHarm(report, report.Strategies[1]).ShouldBeFalse();
    }

    [Fact]
    public void ContentCausedHarm_FewCrashesButHostsKeptDown_IsHarm()
    {
        // Legacy agents: fewer content crashes than background ones, but the hosts stay down (manual repair) at 400
        // against a background level of 40.
        var report = Report();
        var legacy = Strategy("legacy", 408, 300, 20_000, (si, m) => si == 0 ? (m < 3000 ? 400 : 40) : 0);
        HtmlReport.ContentCausedHarm(report, legacy).ShouldBeTrue();
        var noisy = Strategy("noisy", 383, 0, 20_000, (si, m) => si == 0 ? 40 + ((long)(m / 10) % 5 * 5) : 0);
        HtmlReport.ContentCausedHarm(report, noisy).ShouldBeFalse("a peak of 60 against a median of 50 is background");
    }

    [Fact]
    public void Render_SectorViews_ShareChartAndTableForHarmOneLineForNoise()
    {
        var html = HtmlReport.Render(Report());
        var pair = Regex.Match(html, "<div class=\"pair\" data-strategy=\"global-push\">(.*?)</div>", RegexOptions.Singleline);
        pair.Success.ShouldBeTrue();
        pair.Groups[1].Value.ShouldContain("% of the sector&#39;s hosts down");
        // Hospital: 800 of 1,000 hosts down is 80%, the hardest hit, though airline has 500 times more hosts down.
        pair.Groups[1].Value.ShouldContain("Hardest hit: hospital, 80% of its hosts down at the peak");
        pair.Groups[1].Value.ShouldContain("<table class=\"sectors\">");
        html.ShouldNotContain("data-strategy=\"ringfence\"><figure>");
        Regex.Matches(html, "<p class=\"noise\" data-strategy=\"ringfence\">").Count.ShouldBe(1);
        html.ShouldContain("fewer than the about 4,000 background crashes in the first 48 hours, and hosts down peaked at 2 against a typical 2");
    }
}
