using FsCheck;
using FsCheck.Fluent;
using Ringfence.Charts;

namespace Ringfence.Charts.Tests;

public class PoissonTests
{
    // Reference values: Garwood (1936) exact intervals, qchisq(0.025, 2k)/2 and qchisq(0.975, 2k + 2)/2 (checked with mpmath at 30 digits).
    [Theory]
    [InlineData(0, 0, 3.688879)]
    [InlineData(1, 0.025318, 5.571643)]
    [InlineData(2, 0.242209, 7.224688)]
    [InlineData(10, 4.795389, 18.390356)]
    [InlineData(100, 81.363991, 121.626794)]
    public void Garwood_KnownCounts_MatchTables(long k, double lower, double upper)
    {
        var (lo, up) = Poisson.Garwood(k);
        lo.ShouldBe(lower, 1e-5);
        up.ShouldBe(upper, 1e-5);
    }

    [Fact]
    public void Garwood_AnyCount_BracketsTheCountAndWidensWithConfidence()
    {
        Prop.ForAll(Gen.Choose(0, 5000).ToArbitrary(), k =>
        {
            var (lo95, up95) = Poisson.Garwood(k);
            var (lo99, up99) = Poisson.Garwood(k, 0.99);
            return lo95 <= k && k <= up95 && lo99 <= lo95 && up99 >= up95 && lo95 >= 0;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Garwood_NegativeCount_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Poisson.Garwood(-1));
    }
}
