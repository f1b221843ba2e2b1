using Ringfence.Charts;
using Ringfence.Rollouts.Health;
using Ringfence.Server.Dashboard;

namespace Ringfence.Server.Tests.Dashboard;

public sealed class RateBinsTests
{
    private static readonly DateTimeOffset Opened = new(2026, 1, 5, 10, 0, 30, TimeSpan.Zero);

    private static CounterPoint At(double minute, string kind, long count) => new(0, Opened.AddMinutes(minute), kind, count);

    [Fact]
    public void Build_HeartbeatCountersForBothGroups_HostHoursFromHeartbeats()
    {
        // 60 minutes: 5-minute bins. 10 exposed hosts heartbeat once a minute (60 s interval) → 50 beats per bin.
        var counters = new List<CounterPoint>();
        for (var m = 0; m < 60; m++)
        {
            counters.Add(At(m, "heartbeat:exposed", 10));
            counters.Add(At(m, "heartbeat:control", 100));
        }
        counters.Add(At(7, "crash:exposed", 2));
        counters.Add(At(8, "crash:control", 1));

        var bins = RateBins.Build(counters, "crash", Opened, Opened.AddMinutes(60), exposedHosts: 999, controlHosts: 999, heartbeatSeconds: 60);

        bins.FromHeartbeats.ShouldBeTrue();
        bins.BinMinutes.ShouldBe(5);
        bins.X.Count.ShouldBe(12);
        bins.Exposed.HostHours[1].ShouldBe(50.0 / 60, 1e-9);
        bins.Exposed.Counts[1].ShouldBe(2);
        bins.Exposed.Rate[1].ShouldBe(2 * 1000 / (50.0 / 60), 1e-6);
        var (lo, up) = Poisson.Garwood(2);
        bins.Exposed.Lower[1].ShouldBe(lo * 1000 / (50.0 / 60), 1e-6);
        bins.Exposed.Upper[1].ShouldBe(up * 1000 / (50.0 / 60), 1e-6);
        bins.Control.Rate[1].ShouldBe(1 * 1000 / (500.0 / 60), 1e-6);
        bins.Exposed.Rate[0].ShouldBe(0);
        bins.Exposed.Upper[0].ShouldBeGreaterThan(0, "no crash still has an upper bound");
    }

    [Fact]
    public void Build_NoHeartbeatCounters_HostsTimesBinLength()
    {
        var counters = new List<CounterPoint> { At(0.2, "crash:exposed", 1), At(1, "heartbeat:exposed", 5) };

        var bins = RateBins.Build(counters, "crash", Opened, Opened.AddMinutes(20), exposedHosts: 4, controlHosts: 40, heartbeatSeconds: 60);

        // Heartbeats from one group only would compare unlike denominators: both fall back.
        bins.FromHeartbeats.ShouldBeFalse();
        bins.BinMinutes.ShouldBe(1);
        bins.Exposed.HostHours[0].ShouldBe(4.0 / 60, 1e-9);
        bins.Control.HostHours[0].ShouldBe(40.0 / 60, 1e-9);
        bins.Exposed.Rate[0].ShouldBe(1000 / (4.0 / 60), 1e-6);
    }

    [Fact]
    public void Build_CountersOutsideTheRing_WindowBeforeOpeningInFirstBinLaterOnesDropped()
    {
        var counters = new List<CounterPoint> { At(-0.5, "revert:exposed", 1), At(30, "revert:exposed", 7), At(12, "crash:exposed", 3) };

        var bins = RateBins.Build(counters, "revert", Opened, Opened.AddMinutes(30), 10, 10, 60);

        bins.Exposed.Counts.Sum().ShouldBe(1, "the counter from minute 30 is after the ring's end, the crash is another metric");
        bins.Exposed.Counts[0].ShouldBe(1);
    }

    [Fact]
    public void Build_LongRing_NiceBinWidthAndAtMost24Bins()
    {
        var bins = RateBins.Build([], "crash", Opened, Opened.AddHours(9), 10, 10, 60);
        TimeAxis.Steps.ShouldContain(bins.BinMinutes);
        bins.X.Count.ShouldBeLessThanOrEqualTo(RateBins.TargetBins);
        bins.BinMinutes.ShouldBe(30);
    }

    [Theory]
    [InlineData(0, 2.0, 100.0, 3.0, 4.0)]
    [InlineData(5, 20.0, 400.0, 3.0, 4.0)]
    [InlineData(40, 50.0, 5000.0, 2.0, 5.3)]
    public void HaltRate_AnyEvidence_IsTheLeastExposedCountWhoseRatioReachesTheThreshold(long control, double exposedHh, double controlHh, double ratio, double halt)
    {
        var rate = RateBins.HaltRate(control, exposedHh, controlHh, ratio, halt)!.Value;
        var limit = Math.Round(rate * exposedHh / RateBins.PerHostHours);
        HealthGate.LogLikelihoodRatio((long)limit, control, exposedHh, controlHh, ratio).ShouldBeGreaterThanOrEqualTo(halt);
        HealthGate.LogLikelihoodRatio((long)limit - 1, control, exposedHh, controlHh, ratio).ShouldBeLessThan(halt);
    }

    [Fact]
    public void HaltRate_NoControlHostHours_IsNull()
    {
        RateBins.HaltRate(0, 10, 0, 3, 4).ShouldBeNull();
    }
}
