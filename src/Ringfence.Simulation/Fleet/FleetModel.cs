namespace Ringfence.Simulation.Fleet;

public enum HostClass : byte
{
    Server,
    Kiosk,
    Workstation,
}

/// <summary>One (OS, OS build, agent build) combination: what the coverage composition and the gate group by.</summary>
public sealed record HostConfig(string Os, string OsBuild, string AgentBuild)
{
    public string Key => $"{Os}/{OsBuild}/{AgentBuild}";
}

public sealed record Organisation(int Index, string Name, string Sector, int Region, int Start, int Count, bool Internal);

/// <summary>
/// The fleet as struct-of-arrays: one entry per host in each array, no object per host. Immutable once generated and
/// shared by every strategy of a run. Host i's stable id is "h{i}" within the fleet's name space.
/// </summary>
public sealed class FleetModel
{
    public required int Count { get; init; }
    public required string[] Segments { get; init; }
    public required HostClass[] SegmentClass { get; init; }
    public required string[] SegmentOs { get; init; }
    public required HostConfig[] Configs { get; init; }
    public required string[] Regions { get; init; }
    /// <summary>UTC offset of each region, in minutes.</summary>
    public required int[] RegionOffsetMinutes { get; init; }
    public required string[] Sectors { get; init; }
    public required Organisation[] Organisations { get; init; }

    // Per host.
    public required byte[] Segment { get; init; }
    public required ushort[] Config { get; init; }
    public required byte[] Region { get; init; }
    public required byte[] Sector { get; init; }
    public required int[] Org { get; init; }
    public required byte[] Flags { get; init; }
    /// <summary>Minutes between check-ins, and the offset of the first check-in after minute 0.</summary>
    public required float[] CheckInInterval { get; init; }
    public required float[] CheckInPhase { get; init; }
    /// <summary>Workstations: local start of the working day, in minutes after midnight.</summary>
    public required ushort[] WorkStart { get; init; }

    /// <summary>
    /// Hosts' stable ids when the fleet is a literal list (<see cref="ExplicitFleet"/>): their buckets then come from
    /// these ids exactly as a control plane computes them. Null for a generated fleet, whose ids are implicit.
    /// </summary>
    public string[]? HostIds { get; init; }

    public const byte FlagOffline = 1, FlagAlwaysOn = 2, FlagGoodNetwork = 4, FlagInternal = 8;

    public int WorkLengthMinutes { get; init; } = 540;
    public bool WeekdaysOnly { get; init; } = true;
    /// <summary>Minute of the week (0 = Monday 00:00 UTC) at simulation minute 0.</summary>
    public int StartMinuteOfWeekUtc { get; init; }

    public HostClass ClassOf(int host) => SegmentClass[Segment[host]];

    public bool IsOnline(int host, double minute)
    {
        var f = Flags[host];
        if ((f & FlagOffline) != 0)
            return false;
        if ((f & FlagAlwaysOn) != 0)
            return true;
        var local = StartMinuteOfWeekUtc + RegionOffsetMinutes[Region[host]] + minute;
        var week = 7 * 1440.0;
        local = ((local % week) + week) % week;
        var day = (int)(local / 1440);
        if (WeekdaysOnly && day >= 5)
            return false;
        var inDay = local - (day * 1440);
        return inDay >= WorkStart[host] && inDay < WorkStart[host] + WorkLengthMinutes;
    }

    /// <summary>The first minute at or after <paramref name="minute"/> when the host is online (+∞ if never).</summary>
    public double NextOnline(int host, double minute)
    {
        var f = Flags[host];
        if ((f & FlagOffline) != 0)
            return double.PositiveInfinity;
        if ((f & FlagAlwaysOn) != 0 || IsOnline(host, minute))
            return minute;
        var offset = StartMinuteOfWeekUtc + RegionOffsetMinutes[Region[host]];
        var local = offset + minute;
        var dayStart = Math.Floor(local / 1440) * 1440;
        for (var d = 0; d < 9; d++)
        {
            var start = dayStart + (d * 1440) + WorkStart[host];
            if (start < local)
                continue;
            var week = 7 * 1440.0;
            var dow = (int)((((start % week) + week) % week) / 1440);
            if (WeekdaysOnly && dow >= 5)
                continue;
            return start - offset;
        }
        return double.PositiveInfinity;
    }

    /// <summary>When a host that is up would next fetch from the control plane after <paramref name="minute"/>.</summary>
    public double NextCheckIn(int host, double minute, double bootMinutes)
    {
        var online = NextOnline(host, minute);
        if (double.IsPositiveInfinity(online))
            return online;
        if (online > minute)
            return online + bootMinutes; // checks in as soon as it has booted
        var interval = CheckInInterval[host];
        var phase = CheckInPhase[host];
        var k = Math.Ceiling((minute - phase) / interval);
        return phase + (Math.Max(0, k) * interval);
    }
}
