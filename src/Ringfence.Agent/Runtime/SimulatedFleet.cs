using Ringfence.Protocol;

namespace Ringfence.Agent.Runtime;

/// <summary>Who a (real or simulated) host says it is when it enrolls and checks in.</summary>
public sealed record HostProfile(string Hostname, HostConfiguration Configuration, IReadOnlyList<string>? Groups = null);

/// <summary>One (agent build × OS build) cell of a simulated fleet, with its share of hosts.</summary>
public sealed record FleetMixEntry(string AgentBuild, string Os, string OsBuild, double Weight);

/// <summary>
/// Generates the hosts of <c>--simulate N</c>: a seeded, deterministic mix of configurations, so the same seed
/// always gives the same fleet, and every configuration of the mix gets hosts even for small N.
/// </summary>
public static class SimulatedFleet
{
    /// <summary>
    /// The default mix: Windows, macOS and Linux builds, with the Windows 7.11 family (the 20-value IPC contract of
    /// the examples' fleet) on two OS builds, as in July 2024.
    /// </summary>
    public static IReadOnlyList<FleetMixEntry> DefaultMix { get; } =
    [
        new("7.11.18110", "windows", "22631", 0.25),
        new("7.11.18110", "windows", "19045", 0.20),
        new("7.10.17706", "windows", "19045", 0.10),
        new("7.16.18605", "windows", "26100", 0.15),
        new("7.16.18605", "macos", "14.5", 0.15),
        new("7.16.18605", "linux", "6.1", 0.15),
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
