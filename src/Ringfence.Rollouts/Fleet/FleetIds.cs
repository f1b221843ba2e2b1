namespace Ringfence.Rollouts.Fleet;

/// <summary>
/// The one mapping from the string ids a control plane stores (agent build "7.11.18110", OS family "windows", OS build
/// "22631", host, organisation and group names) to the numbers in <see cref="HostFacts"/>. The server and the simulator
/// both call it, so a host has the same facts, buckets and ring on both.
/// </summary>
/// <remarks>
/// Builds are opaque strings, so they become stable 31-bit numbers from <see cref="StableKey.Of"/> (never 0); two
/// distinct builds of one fleet share a number with a chance of about n²/2³² (ten thousand builds: 1 in 86), and
/// the only effect would be to treat them as one configuration for coverage and validation.
/// </remarks>
public static class FleetIds
{
    /// <summary>The engine's agent build number of an agent build string.</summary>
    public static int AgentBuild(string agentBuild)
    {
        ArgumentNullException.ThrowIfNull(agentBuild);
        return Small(StableKey.Of("agent-build/" + agentBuild));
    }

    /// <summary>The engine's OS build number of an OS family and build (builds of different families never meet).</summary>
    public static int OsBuild(string os, string osBuild)
    {
        ArgumentNullException.ThrowIfNull(os);
        ArgumentNullException.ThrowIfNull(osBuild);
        return Small(StableKey.Of("os-build/" + os.ToLowerInvariant() + "/" + osBuild));
    }

    /// <summary>OS family of a name ("windows", "macos"/"darwin", anything else Linux).</summary>
    public static OsFamily Os(string os) => (os ?? "").ToLowerInvariant() switch
    {
        "windows" or "win" => OsFamily.Windows,
        "macos" or "mac" or "darwin" or "osx" => OsFamily.MacOs,
        _ => OsFamily.Linux,
    };

    /// <summary>
    /// The facts of a host given by its string ids. <paramref name="organisation"/> and <paramref name="group"/> may be
    /// null (no organisation or group yet); <paramref name="utcOffsetMinutes"/> is the host's current offset.
    /// </summary>
    public static HostFacts Facts(string hostId, string agentBuild, string os, string osBuild, HostTags tags = HostTags.None,
        string? organisation = null, string? group = null, short utcOffsetMinutes = 0)
    {
        ArgumentNullException.ThrowIfNull(hostId);
        return new HostFacts(
            StableKey.Of(hostId),
            organisation is null ? 0UL : StableKey.Of(organisation),
            group is null ? 0UL : StableKey.Of(group),
            Os(os),
            OsBuild(os, osBuild),
            AgentBuild(agentBuild),
            utcOffsetMinutes,
            tags);
    }

    /// <summary>The configuration key of string ids, as <see cref="Facts"/> gives it.</summary>
    public static ConfigurationKey Configuration(string agentBuild, string os, string osBuild) => new(AgentBuild(agentBuild), OsBuild(os, osBuild));

    private static int Small(ulong key) => (int)(key % int.MaxValue) + 1;
}
