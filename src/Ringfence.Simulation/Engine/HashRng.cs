namespace Ringfence.Simulation.Engine;

/// <summary>
/// Counter-based randomness: a draw is a pure function of (seed, host, purpose, counter), so results do not depend
/// on the order hosts are processed in (or on threads). SplitMix64 finaliser; seeded, never ambient.
/// </summary>
public static class HashRng
{
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Hash(long seed, long host, int purpose, long counter = 0) =>
        Mix(Mix(Mix((ulong)seed ^ ((ulong)purpose << 48)) ^ (ulong)host) ^ (ulong)counter);

    /// <summary>Uniform in [0, 1).</summary>
    public static double Unit(long seed, long host, int purpose, long counter = 0) =>
        (Hash(seed, host, purpose, counter) >> 11) * (1.0 / (1UL << 53));
}

/// <summary>Purposes keep independent draws for the same host apart.</summary>
internal static class Purpose
{
    public const int Phase = 1, Interval = 2, Offline = 3, LeftOn = 4, Network = 5, WorkStart = 6, OsBuild = 7, AgentBuild = 8,
        Region = 9, FaultHit = 10, FixRace = 11, Background = 12, BackgroundTime = 13, Attribution = 14, Recovery = 15, Segment = 16,
        OrgSize = 17, OrgSector = 18, OrgRegion = 19, Repair = 20, ExposedSample = 21;
}
