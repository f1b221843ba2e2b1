using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Tests.Rings;

public class StableBucketTests
{
    [Fact]
    public void Of_SameHostAndRollout_IsStableAndInRange()
    {
        Prop.ForAll<ulong, ulong>((host, rollout) =>
        {
            var a = StableBucket.Of(host, rollout);
            return a == StableBucket.Of(host, rollout) && a >= 0 && a < StableBucket.Buckets;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Of_MatchesAnIndependentSha256Computation()
    {
        Prop.ForAll<ulong, ulong>((host, rollout) =>
        {
            var input = new byte[16];
            BitConverter.GetBytes(host).CopyTo(input, 0);
            BitConverter.GetBytes(rollout).CopyTo(input, 8);
            var hash = SHA256.Create().ComputeHash(input);
            var expected = (int)Math.Floor(BitConverter.ToUInt32(hash, 0) / 4294967296.0 * 1_000_000);
            return StableBucket.Of(host, rollout) == expected;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Of_StringIds_EqualsKeysOfTheIds()
    {
        Prop.ForAll<NonNull<string>, NonNull<string>>((host, rollout) =>
            StableBucket.Of(host.Get, rollout.Get) == StableBucket.Of(StableKey.Of(host.Get), StableKey.Of(rollout.Get)))
            .QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("r-291")]
    [InlineData("r-292")]
    [InlineData("emergency-7")]
    public void Of_ManyHosts_IsUniformByChiSquare(string rolloutId)
    {
        const int hosts = 100_000, bins = 100;
        var rollout = StableKey.Of(rolloutId);
        var counts = new int[bins];
        for (var i = 0; i < hosts; i++)
        {
            counts[StableBucket.Of(StableKey.Of($"host-{i}"), rollout) * bins / StableBucket.Buckets]++;
        }

        var expected = (double)hosts / bins;
        var chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // 99 degrees of freedom: the 99.9th percentile is about 148.
        chiSquare.ShouldBeLessThan(148);
    }

    [Fact]
    public void Of_TwoRollouts_ShuffleHostsIndependently()
    {
        const int hosts = 50_000;
        var a = StableKey.Of("r-1");
        var b = StableKey.Of("r-2");
        var both = 0;
        var inA = 0;
        for (var i = 0; i < hosts; i++)
        {
            var key = StableKey.Of($"host-{i}");
            var selectedA = StableBucket.Of(key, a) < StableBucket.Threshold(10);
            var selectedB = StableBucket.Of(key, b) < StableBucket.Threshold(10);
            inA += selectedA ? 1 : 0;
            both += selectedA && selectedB ? 1 : 0;
        }

        // Independent: about 10 % of the 10 % canary of one rollout is in the canary of the other.
        ((double)inA / hosts).ShouldBe(0.10, 0.01);
        ((double)both / inA).ShouldBe(0.10, 0.02);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 1_000_000)]
    [InlineData(1, 10_000)]
    [InlineData(0.0001, 1)]
    [InlineData(-5, 0)]
    [InlineData(150, 1_000_000)]
    public void Threshold_Percent_MapsToPartsPerMillion(double percent, int expected)
    {
        StableBucket.Threshold(percent).ShouldBe(expected);
    }

    [Fact]
    public void Threshold_Cumulative_SelectionOfSmallerPercentIsSubset()
    {
        Prop.ForAll<ulong, ulong>((host, rollout) =>
        {
            var bucket = StableBucket.Of(host, rollout);
            return bucket >= StableBucket.Threshold(10) || bucket < StableBucket.Threshold(50);
        }).QuickCheckThrowOnFailure();
    }
}
