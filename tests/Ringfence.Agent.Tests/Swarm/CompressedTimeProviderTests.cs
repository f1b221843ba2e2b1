using Ringfence.Agent.Swarm;
using Ringfence.Agent.Tests.Runtime;

namespace Ringfence.Agent.Tests.Swarm;

public sealed class CompressedTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    [Fact]
    public void GetUtcNow_RealTimePasses_AdvancesFactorTimesFaster()
    {
        var real = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new CompressedTimeProvider(Start, factor: 600, real);

        clock.GetUtcNow().ShouldBe(Start);
        real.Advance(TimeSpan.FromSeconds(2));

        clock.GetUtcNow().ShouldBe(Start + TimeSpan.FromMinutes(20));
        clock.GetElapsedTime(0, clock.GetTimestamp()).ShouldBeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task Delay_TenCompressedMinutes_CompletesInOneRealSecondAtFactor600()
    {
        var real = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new CompressedTimeProvider(Start, factor: 600, real);

        var delay = Task.Delay(TimeSpan.FromMinutes(10), clock);
        real.Advance(TimeSpan.FromMilliseconds(999));
        delay.IsCompleted.ShouldBeFalse();
        real.Advance(TimeSpan.FromMilliseconds(1));

        await delay.WaitAsync(TimeSpan.FromSeconds(10));
        delay.IsCompletedSuccessfully.ShouldBeTrue();
    }

    [Fact]
    public void ToReal_InfiniteAndZero_Unchanged()
    {
        var clock = new CompressedTimeProvider(Start, factor: 100);

        clock.ToReal(Timeout.InfiniteTimeSpan).ShouldBe(Timeout.InfiniteTimeSpan);
        clock.ToReal(TimeSpan.Zero).ShouldBe(TimeSpan.Zero);
        clock.ToReal(TimeSpan.FromSeconds(100)).ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(2_000_000)]
    public void Constructor_FactorOutOfRange_Throws(double factor) =>
        Should.Throw<ArgumentOutOfRangeException>(() => new CompressedTimeProvider(Start, factor));
}
