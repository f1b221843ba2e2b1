using System.Security.Cryptography;
using System.Text;
using Ringfence.Protocol;

namespace Ringfence.Server.Rollouts;

/// <summary>Default ring plans and the stable host bucket used to place hosts in rings.</summary>
public static class RolloutPlans
{
    /// <summary>Buckets are basis points: 0..9999. A ring at P percent holds buckets below P * 100.</summary>
    public const int BucketCount = 10_000;

    /// <summary>Dogfood, canary, then widening waves.</summary>
    public static IReadOnlyList<RingSpec> Standard { get; } =
    [
        new("dogfood", 1, 30),
        new("canary", 5, 60),
        new("wave-1", 25, 120),
        new("wave-2", 50, 120),
        new("general", 100, 0),
    ];

    /// <summary>Emergency fast-track: still staged, bakes a quarter as long (at least one minute).</summary>
    public static IReadOnlyList<RingSpec> Emergency(IReadOnlyList<RingSpec> plan) =>
        [.. plan.Select(r => r with { BakeMinutes = r.BakeMinutes == 0 ? 0 : Math.Max(1, r.BakeMinutes / 4) })];

    /// <summary>Stable bucket of a host from the SHA-256 of its id (FeatureManagement style), the same on every node.</summary>
    public static int Bucket(string hostId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("ringfence/bucket/" + hostId));
        return (int)(BitConverter.ToUInt64(hash, 0) % BucketCount);
    }

    public static int BucketLimit(RingSpec ring) => (int)Math.Round(ring.Percent * (BucketCount / 100.0));

    /// <summary>Every problem with a plan at once.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<RingSpec> rings)
    {
        var errors = new List<string>();
        if (rings.Count is < 1 or > 20)
            errors.Add($"rings: {rings.Count} rings, expected 1..20");
        for (var i = 0; i < rings.Count; i++)
        {
            var r = rings[i];
            if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 64)
                errors.Add($"rings[{i}].name: required, at most 64 characters");
            if (r.Percent is <= 0 or > 100 || double.IsNaN(r.Percent))
                errors.Add($"rings[{i}].percent: {r.Percent} is outside (0, 100]");
            if (i > 0 && r.Percent < rings[i - 1].Percent)
                errors.Add($"rings[{i}].percent: {r.Percent} is below the previous ring's {rings[i - 1].Percent} (rings are cumulative)");
            if (r.BakeMinutes is < 0 or > 7 * 24 * 60)
                errors.Add($"rings[{i}].bakeMinutes: {r.BakeMinutes} is outside 0..10080");
        }
        if (rings.Count > 0 && rings[^1].Percent < 100)
            errors.Add($"rings[{rings.Count - 1}].percent: the last ring must reach 100");
        return errors;
    }
}
