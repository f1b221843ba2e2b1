using Ringfence.Agent.Runtime;
using Ringfence.Protocol;

namespace Ringfence.Agent.Swarm;

/// <summary>One (agent build × OS build) cell of a simulated fleet, with its share of hosts.</summary>
public sealed record FleetMixEntry(string AgentBuild, string Os, string OsBuild, double Weight);

/// <summary>
/// Generates the hosts of <c>--simulate N</c>: a seeded, deterministic mix of configurations, so the same seed
/// always gives the same fleet, and every configuration of the mix gets hosts even for small N.
/// </summary>
public static class SimulatedFleet
{
    /// <summary>
    /// The default mix, on the builds of <c>examples/fleet.json</c>: Windows sensors 7.10 to 7.16 (7.11 to 7.13 on the
    /// 20-value IPC contract of July 2024) on Windows 10, 11 and Server builds, plus macOS and Linux sensors.
    /// OS builds are the build numbers alone, as agents report them.
    /// </summary>
    public static IReadOnlyList<FleetMixEntry> DefaultMix { get; } =
    [
        new("win-7.11.18110", "windows", "19045", 0.12),
        new("win-7.11.18110", "windows", "22631", 0.08),
        new("win-7.12.18210", "windows", "19045", 0.12),
        new("win-7.12.18210", "windows", "22631", 0.08),
        new("win-7.13.18309", "windows", "19045", 0.15),
        new("win-7.13.18309", "windows", "22631", 0.10),
        new("win-7.13.18309", "windows", "20348", 0.08),
        new("win-7.16.18605", "windows", "26100", 0.02),
        new("win-7.10.17807", "windows", "17763", 0.05),
        new("mac-7.15.18513", "macos", "23F79", 0.10),
        new("lin-7.14.17805", "linux", "5.14.0-427", 0.10),
    ];

    public static IReadOnlyList<HostProfile> Generate(int count, int seed, IReadOnlyList<FleetMixEntry>? mix = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        mix ??= DefaultMix;
        if (mix.Count == 0)
            throw new ArgumentException("the fleet mix is empty", nameof(mix));
        var total = mix.Sum(m => m.Weight);
        var random = new Random(seed);
        var hosts = new HostProfile[count];
        for (var i = 0; i < count; i++)
        {
            // The first hosts walk the mix in order, so a fleet of a few hosts still has one of each configuration.
            FleetMixEntry entry;
            if (i < mix.Count)
            {
                entry = mix[i];
            }
            else
            {
                var pick = random.NextDouble() * total;
                entry = mix[^1];
                foreach (var m in mix)
                {
                    if ((pick -= m.Weight) < 0)
                    {
                        entry = m;
                        break;
                    }
                }
            }
            // A few hosts per hundred belong to the customer's critical group, which policies serve last.
            var groups = random.Next(100) < 3 ? new[] { "critical" } : null;
            hosts[i] = new HostProfile($"sim-{seed}-{i:D6}", new HostConfiguration(entry.AgentBuild, entry.Os, entry.OsBuild), groups);
        }
        return hosts;
    }
}
