using Ringfence.Simulation.Engine;

namespace Ringfence.Simulation.Tests.Engine;

public class PeerJudgeTests
{
    [Fact]
    public void MannWhitney_EqualRates_NoFail()
    {
        new MannWhitneyJudge(60).Judge(61, new PeerStats(1000, 2, 100_000, 200)).ShouldBeNull();
    }

    [Fact]
    public void MannWhitney_BeforeHorizon_NeverJudges()
    {
        new MannWhitneyJudge(60).Judge(59, new PeerStats(1000, 900, 100_000, 0)).ShouldBeNull();
    }

    [Fact]
    public void MannWhitney_ManyExposedCrashes_Fails()
    {
        new MannWhitneyJudge(60).Judge(60, new PeerStats(1000, 100, 100_000, 100)).ShouldNotBeNull();
    }

    [Fact]
    public void MannWhitney_Z_SymmetricUnderSwap()
    {
        var z1 = MannWhitneyJudge.Z(100, 10, 200, 5);
        var z2 = MannWhitneyJudge.Z(200, 5, 100, 10);
        z1.ShouldBe(-z2, 1e-9);
        z1.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void StaticThreshold_BelowMinimumSample_NoJudgement()
    {
        new StaticThresholdJudge(0.01, 50).Judge(10, new PeerStats(49, 49, 1000, 0)).ShouldBeNull();
        new StaticThresholdJudge(0.01, 50).Judge(10, new PeerStats(100, 1, 1000, 0)).ShouldBeNull();
        new StaticThresholdJudge(0.01, 50).Judge(10, new PeerStats(100, 2, 1000, 0)).ShouldNotBeNull();
    }
}
