using Ringfence.Rollouts.Health;

namespace Ringfence.Rollouts.Tests.Health;

public class HealthGateTests
{
    private static readonly HealthSample Quiet = new(1000, 0, 0, 0, 10_000, 0, 0, 0, 0);

    [Fact]
    public void Evaluate_NoEventsBeforeBakeEnds_Continues()
    {
        HealthGate.Evaluate(Quiet, HealthGateOptions.Default, bakeElapsed: false).Outcome.ShouldBe(GateOutcome.Continue);
    }

    [Fact]
    public void Evaluate_NoEventsAfterBake_PassesWithEvidence()
    {
        var evidence = HealthGate.Evaluate(Quiet, HealthGateOptions.Default, bakeElapsed: true);

        evidence.Outcome.ShouldBe(GateOutcome.Pass);
        evidence.Metrics.Select(m => m.Metric).ShouldBe(["crashes", "bootLoopReverts", "heartbeatLosses"]);
        evidence.Metrics.ShouldAllBe(m => m.LogLikelihoodRatio == 0 && m.HaltThreshold > 0);
        evidence.Sample.ShouldBe(Quiet);
        evidence.AttributionThreshold.ShouldBe(3);
    }

    [Fact]
    public void Evaluate_BreadcrumbsFromThreeHosts_FailsAtOnce()
    {
        var evidence = HealthGate.Evaluate(Quiet with { AttributedCrashHosts = 3 }, HealthGateOptions.Default, bakeElapsed: false);

        evidence.Outcome.ShouldBe(GateOutcome.Fail);
        evidence.Reason.ShouldContain("breadcrumbs");
    }

    [Fact]
    public void Evaluate_BreadcrumbsFromTwoHosts_DoesNotFail()
    {
        HealthGate.Evaluate(Quiet with { AttributedCrashHosts = 2 }, HealthGateOptions.Default, bakeElapsed: false).Outcome.ShouldBe(GateOutcome.Continue);
    }

    [Fact]
    public void Evaluate_AttributionThresholdConfigured_IsHonoured()
    {
        var options = HealthGateOptions.Default with { AttributionHosts = 1 };

        HealthGate.Evaluate(Quiet with { AttributedCrashHosts = 1 }, options, false).Outcome.ShouldBe(GateOutcome.Fail);
    }

    [Fact]
    public void Evaluate_ManyMoreExposedCrashesThanControl_FailsNamingTheMetric()
    {
        // 1000 exposed host-hours vs 10 000 control: the same rate would give 1 exposed crash per 10 control crashes.
        var sample = Quiet with { ExposedCrashes = 20, ControlCrashes = 10 };

        var evidence = HealthGate.Evaluate(sample, HealthGateOptions.Default, false);

        evidence.Outcome.ShouldBe(GateOutcome.Fail);
        evidence.Reason.ShouldStartWith("crashes");
        evidence.Metrics[0].LogLikelihoodRatio.ShouldBeGreaterThanOrEqualTo(evidence.Metrics[0].HaltThreshold);
    }

    [Fact]
    public void Evaluate_HeartbeatLossOfBootLoopingHosts_Fails()
    {
        var sample = Quiet with { ExposedHeartbeatLosses = 15, ControlHeartbeatLosses = 3 };

        HealthGate.Evaluate(sample, HealthGateOptions.Default, false).Reason.ShouldStartWith("heartbeatLosses");
    }

    [Fact]
    public void Evaluate_BootLoopRevertsWithNoneInControl_Fails()
    {
        var sample = Quiet with { ExposedBootLoopReverts = 10 };

        HealthGate.Evaluate(sample, HealthGateOptions.Default, false).Outcome.ShouldBe(GateOutcome.Fail);
    }

    [Fact]
    public void Evaluate_TooLittleExposureAtBakeEnd_IsInconclusive()
    {
        var evidence = HealthGate.Evaluate(Quiet with { ExposedHostHours = 10 }, HealthGateOptions.Default, true);

        evidence.Outcome.ShouldBe(GateOutcome.Inconclusive);
        evidence.Reason.ShouldContain("too little exposure");
    }

    [Fact]
    public void Evaluate_NoControlHosts_IsInconclusive()
    {
        HealthGate.Evaluate(Quiet with { ControlHostHours = 0 }, HealthGateOptions.Default, true).Outcome.ShouldBe(GateOutcome.Inconclusive);
    }

    [Fact]
    public void Evaluate_NoControlHostsInAWholeFleetRing_PassesAtBakeEndButStillHaltsOnAttribution()
    {
        var options = HealthGateOptions.Default with { PassWithoutControl = true };

        HealthGate.Evaluate(Quiet with { ControlHostHours = 0 }, options, true).Outcome.ShouldBe(GateOutcome.Pass);
        HealthGate.Evaluate(Quiet with { ControlHostHours = 0 }, options, false).Outcome.ShouldBe(GateOutcome.Continue);
        HealthGate.Evaluate(Quiet with { ControlHostHours = 0, AttributedCrashHosts = options.AttributionHosts }, options, true).Outcome.ShouldBe(GateOutcome.Fail);
        HealthGate.Evaluate(Quiet with { ControlHostHours = 0, ExposedHostHours = 1 }, options, true).Outcome.ShouldBe(GateOutcome.Inconclusive, "still needs its exposure");
    }

    [Fact]
    public void Evaluate_SuspiciousButBelowHalt_IsInconclusiveAtBakeEnd()
    {
        var options = HealthGateOptions.Default;
        var halt = HealthGate.HaltThreshold(options);
        // Find an exposed count whose ratio sits between the suspicion and the halt thresholds.
        var sample = Enumerable.Range(1, 50).Select(x => Quiet with { ExposedCrashes = x, ControlCrashes = 20 })
            .First(s => HealthGate.LogLikelihoodRatio(s.ExposedCrashes, s.ControlCrashes, s.ExposedHostHours, s.ControlHostHours, options.CrashRateRatio) is var l
                        && l > halt * options.SuspicionFraction && l < halt);

        HealthGate.Evaluate(sample, options, false).Outcome.ShouldBe(GateOutcome.Continue);
        HealthGate.Evaluate(sample, options, true).Outcome.ShouldBe(GateOutcome.Inconclusive);
    }

    [Fact]
    public void LogLikelihoodRatio_EqualRates_IsNegative()
    {
        HealthGate.LogLikelihoodRatio(10, 100, 1000, 10_000, 3).ShouldBeLessThan(0);
    }

    [Fact]
    public void HaltThreshold_TighterFalseHaltBound_IsHigher()
    {
        HealthGate.HaltThreshold(HealthGateOptions.Default with { FalseHaltBound = 1e-6 })
            .ShouldBeGreaterThan(HealthGate.HaltThreshold(HealthGateOptions.Default));
    }

    [Theory]
    [InlineData(0.05, 2000)]
    [InlineData(0.01, 2000)]
    public void Evaluate_HealthyNoisyData_FalseHaltRateWithinTheConfiguredBound(double bound, int runs)
    {
        var options = HealthGateOptions.Default with { FalseHaltBound = bound };

        var halts = Enumerable.Range(0, runs).Count(seed => RunBake(options, seed, exposedRateFactor: 1) == GateOutcome.Fail);

        // Wald's bound holds over every look of the sequential test; the observed rate must respect it.
        ((double)halts / runs).ShouldBeLessThanOrEqualTo(bound);
    }

    [Fact]
    public void Evaluate_HealthyNoisyDataWithDefaults_AlmostNeverHalts()
    {
        var halts = Enumerable.Range(0, 2000).Count(seed => RunBake(HealthGateOptions.Default, seed, 1) == GateOutcome.Fail);

        // Default bound 0.001: expected at most 2 in 2000; 6 or more would be a 1-in-200 event.
        halts.ShouldBeLessThan(6);
    }

    [Fact]
    public void Evaluate_RealFaultTripledCrashRate_IsCaughtDuringTheBake()
    {
        var runs = 300;

        var caught = Enumerable.Range(0, runs).Count(seed => RunBake(HealthGateOptions.Default, seed, exposedRateFactor: 3) == GateOutcome.Fail);

        ((double)caught / runs).ShouldBeGreaterThan(0.9);
    }

    /// <summary>
    /// One seeded bake of 2 hours, looked at every 5 minutes: 20 000 exposed hosts against 200 000 control hosts, a
    /// background crash rate of 2e-4 per host-hour, heartbeat loss 3e-4, boot-loop reverts 5e-5; exposed crash
    /// rates multiplied by <paramref name="exposedRateFactor"/>. Returns Fail at the first failing look, else the
    /// outcome at the end of the bake.
    /// </summary>
    private static GateOutcome RunBake(HealthGateOptions options, int seed, double exposedRateFactor)
    {
        var random = new Random(seed);
        const int exposedHosts = 20_000, controlHosts = 200_000, looks = 24;
        const double step = 5.0 / 60;
        var sample = default(HealthSample);
        for (var look = 1; look <= looks; look++)
        {
            var eh = exposedHosts * step;
            var ch = controlHosts * step;
            sample += new HealthSample(
                eh,
                Poisson(random, eh * 2e-4 * exposedRateFactor),
                Poisson(random, eh * 5e-5 * exposedRateFactor),
                Poisson(random, eh * 3e-4 * exposedRateFactor),
                ch,
                Poisson(random, ch * 2e-4),
                Poisson(random, ch * 5e-5),
                Poisson(random, ch * 3e-4),
                0);
            var outcome = HealthGate.Evaluate(sample, options, look == looks).Outcome;
            if (outcome != GateOutcome.Continue)
            {
                return outcome;
            }
        }

        return GateOutcome.Continue;
    }

    private static long Poisson(Random random, double mean)
    {
        // Knuth's method: fine for the small means of rare events.
        var limit = Math.Exp(-mean);
        long k = 0;
        var p = random.NextDouble();
        while (p > limit)
        {
            k++;
            p *= random.NextDouble();
        }

        return k;
    }
}
