using FsCheck;
using FsCheck.Fluent;
using Ringfence.Agent.Runtime;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class BackoffTests
{
    [Fact]
    public void NextDelay_RepeatedFailures_GrowsThenStaysWithinMax()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(7));

        var delays = Enumerable.Range(0, 12).Select(_ => backoff.NextDelay()).ToList();

        // Attempt n is uniform in [cap/2, cap] with cap = min(60 s, 1 s * 2^n).
        for (var n = 0; n < delays.Count; n++)
        {
            var cap = Math.Min(60, Math.Pow(2, n));
            delays[n].TotalSeconds.ShouldBeInRange(cap / 2, cap);
        }
        backoff.Attempts.ShouldBe(12);
    }

    [Fact]
    public void Reset_AfterFailures_StartsAgainFromBase()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), new Random(1));
        for (var i = 0; i < 8; i++)
            backoff.NextDelay();

        backoff.Reset();

        backoff.NextDelay().TotalSeconds.ShouldBeInRange(0.5, 1);
    }

    [Fact]
    public void NextDelay_SameSeed_SameSequence()
    {
        static List<TimeSpan> Run(int seed)
        {
            var b = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), new Random(seed));
            return Enumerable.Range(0, 20).Select(_ => b.NextDelay()).ToList();
        }

        Run(42).ShouldBe(Run(42));
        Run(42).ShouldNotBe(Run(43));
    }

    [Fact]
    public void NextDelay_AnyAttemptCount_NeverExceedsMaxNorGoesNegative()
    {
        Prop.ForAll(Gen.Choose(0, 200).ToArbitrary(), Gen.Choose(1, 10_000).ToArbitrary(), (attempts, seed) =>
        {
            var backoff = new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10), new Random(seed));
            TimeSpan last = default;
            for (var i = 0; i <= attempts; i++)
                last = backoff.NextDelay();
            return last > TimeSpan.Zero && last <= TimeSpan.FromSeconds(10);
        }).QuickCheckThrowOnFailure();
    }
}
