using Ringfence.Rollouts.Fleet;

namespace Ringfence.Rollouts.Rings;

/// <summary>
/// Stable percentage bucketing in the style of FeatureManagement: SHA-256 of (host key, rollout key), first
/// four bytes as an unsigned number, scaled to parts per million. The same host and rollout always land in the
/// same bucket, on every machine; different rollouts shuffle hosts independently.
/// </summary>
public static class StableBucket
{
    /// <summary>Number of buckets: one per part per million.</summary>
    public const int Buckets = 1_000_000;

    /// <summary>Bucket in [0, 1 000 000) of a host for a rollout.</summary>
    public static int Of(ulong hostKey, ulong rolloutKey)
    {
        // SHA-256 of the 16 bytes LE(hostKey) ‖ LE(rolloutKey); the first 4 digest bytes as a little-endian uint.
        var top = Sha256Block.FirstWord(hostKey, rolloutKey);
        return (int)(((ulong)top * Buckets) >> 32);
    }

    /// <summary>Bucket of a host id for a rollout id (convenience over <see cref="StableKey.Of"/>).</summary>
    public static int Of(string hostId, string rolloutId) => Of(StableKey.Of(hostId), StableKey.Of(rolloutId));

    /// <summary>
    /// The exclusive bucket threshold of a percentage: a host is selected when its bucket is below it.
    /// 0 % selects nobody, 100 % everybody.
    /// </summary>
    public static int Threshold(double percent) =>
        percent <= 0 ? 0 : percent >= 100 ? Buckets : (int)Math.Round(percent * (Buckets / 100.0), MidpointRounding.AwayFromZero);
}
