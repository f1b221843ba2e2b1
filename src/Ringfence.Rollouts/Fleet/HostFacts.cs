namespace Ringfence.Rollouts.Fleet;

/// <summary>Operating system family of a host.</summary>
public enum OsFamily : byte
{
    Windows = 0,
    MacOs = 1,
    Linux = 2,
}

/// <summary>Host tags that matter to rollouts. Stored as bits so a fleet of millions stays compact.</summary>
[Flags]
public enum HostTags : ushort
{
    None = 0,
    /// <summary>Critical host (hospital system, airline check-in…): served last.</summary>
    Critical = 1,
    /// <summary>Internal dogfood host of the vendor: ring 0.</summary>
    Dogfood = 2,
    /// <summary>Server (online around the clock); otherwise a workstation.</summary>
    Server = 4,
}

/// <summary>An (agent build × OS build) configuration, the unit the early rings must cover.</summary>
public readonly record struct ConfigurationKey(int AgentBuild, int OsBuild)
{
    /// <summary>One 64-bit value, handy as a dictionary key.</summary>
    public long Packed => ((long)AgentBuild << 32) | (uint)OsBuild;

    public override string ToString() => $"agent {AgentBuild} × os {OsBuild}";
}

/// <summary>
/// The facts about one host that rollouts need, as a small struct of numbers so a caller that keeps
/// millions of hosts in arrays can build it on the stack. Strings (host id, organisation, group) are
/// turned into stable 64-bit keys with <see cref="StableKey.Of(string)"/>.
/// </summary>
/// <param name="HostKey">Stable key of the host id (<see cref="StableKey.Of(string)"/>); input of the bucketing.</param>
/// <param name="OrganisationKey">Stable key of the organisation name.</param>
/// <param name="GroupKey">Stable key of the host group name, or 0 when the host is in no group.</param>
/// <param name="Os">Operating system family.</param>
/// <param name="OsBuild">OS build number (e.g. 19045).</param>
/// <param name="AgentBuild">Agent build number (e.g. 7110 for 7.11).</param>
/// <param name="UtcOffsetMinutes">The host's current offset from UTC, for maintenance windows.</param>
/// <param name="Tags">Tags such as critical or dogfood.</param>
public readonly record struct HostFacts(
    ulong HostKey,
    ulong OrganisationKey,
    ulong GroupKey,
    OsFamily Os,
    int OsBuild,
    int AgentBuild,
    short UtcOffsetMinutes,
    HostTags Tags)
{
    public ConfigurationKey Configuration => new(AgentBuild, OsBuild);

    /// <summary>The facts of a host given by the string ids a control plane stores (see <see cref="FleetIds.Facts"/>).</summary>
    public static HostFacts FromIds(string hostId, string agentBuild, string os, string osBuild, HostTags tags = HostTags.None,
        string? organisation = null, string? group = null, short utcOffsetMinutes = 0) =>
        FleetIds.Facts(hostId, agentBuild, os, osBuild, tags, organisation, group, utcOffsetMinutes);
}

/// <summary>
/// A host as an operator or the server sees it. <see cref="ToFacts"/> turns it into the compact
/// <see cref="HostFacts"/> used by resolution.
/// </summary>
/// <param name="Id">Stable host id.</param>
/// <param name="Organisation">Customer organisation.</param>
/// <param name="Sector">Sector, e.g. airline, hospital, bank.</param>
/// <param name="Os">OS family.</param>
/// <param name="OsBuild">OS build.</param>
/// <param name="AgentBuild">Agent build.</param>
/// <param name="Region">Region, e.g. eu-west.</param>
/// <param name="TimeZone">A fixed offset ("+05:30", "UTC-4") or an IANA id ("Europe/Paris").</param>
/// <param name="Tags">Tags.</param>
/// <param name="Group">Host group inside the organisation, if any.</param>
public sealed record Host(
    string Id,
    string Organisation,
    string Sector,
    OsFamily Os,
    int OsBuild,
    int AgentBuild,
    string Region,
    string TimeZone,
    HostTags Tags = HostTags.None,
    string? Group = null)
{
    /// <summary>The compact facts; the UTC offset is the one in force at <paramref name="at"/>.</summary>
    public HostFacts ToFacts(DateTimeOffset at) => new(
        StableKey.Of(Id),
        StableKey.Of(Organisation),
        Group is null ? 0UL : StableKey.Of(Group),
        Os,
        OsBuild,
        AgentBuild,
        TimeZones.OffsetMinutes(TimeZone, at),
        Tags);
}
