using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Tests.Health;

public class ObservationsTests
{
    [Fact]
    public void Of_GroupCounts_MapToTheSampleFieldByField()
    {
        var o = Observations.Of(2, 40, 12, new GroupCounts(10, 1, 2, 3), new GroupCounts(100, 4, 5, 6), 7);

        o.Ring.ShouldBe(2);
        o.RingEligibleHosts.ShouldBe(40);
        o.RingExposedHosts.ShouldBe(12);
        o.Health.ShouldBe(new HealthSample(10, 1, 2, 3, 100, 4, 5, 6, 7));
    }

    [Fact]
    public void HostHours_Heartbeats_AreHeartbeatsTimesInterval()
    {
        Observations.HostHours(120, TimeSpan.FromSeconds(30)).ShouldBe(1);
        Observations.HostHours(0, TimeSpan.FromMinutes(1)).ShouldBe(0);
    }

    [Fact]
    public void CrashLimit_AtTheLimit_TheCrashTestHaltsAndOneBelowItDoesNot()
    {
        var options = HealthGateOptions.Default;
        var sample = new HealthSample(100, 0, 0, 0, 1000, 5, 0, 0, 0);

        var limit = HealthGate.CrashLimit(sample, options)!.Value;

        var halt = HealthGate.HaltThreshold(options);
        HealthGate.LogLikelihoodRatio((long)limit, 5, 100, 1000, options.CrashRateRatio).ShouldBeGreaterThanOrEqualTo(halt);
        HealthGate.LogLikelihoodRatio((long)limit - 1, 5, 100, 1000, options.CrashRateRatio).ShouldBeLessThan(halt);
        HealthGate.CrashLimit(sample with { ControlHostHours = 0 }, options).ShouldBeNull();
    }
}
