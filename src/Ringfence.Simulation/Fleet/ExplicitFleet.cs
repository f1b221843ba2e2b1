using Ringfence.Simulation.Engine;

namespace Ringfence.Simulation.Fleet;

/// <summary>
/// One host of a literal fleet: its stable id (the id a control plane gave it: the bucketing key), its configuration,
/// and whether it is one of the vendor's internal dogfood hosts.
/// </summary>
public sealed record ExplicitHost(string Id, string Os, string OsBuild, string AgentBuild, bool Internal = false);

/// <summary>How the hosts of a literal fleet behave: all servers, online around the clock, checking in at a fixed interval.</summary>
public sealed record ExplicitFleetShape
{
    /// <summary>Minutes between two check-ins of a host. Range (0, 1440].</summary>
    public double CheckInMinutes { get; init; } = 5;

    /// <summary>Seeds each host's check-in phase within the interval.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Builds a <see cref="FleetModel"/> from an explicit host list instead of a generated population, so the simulator runs
/// the very fleet another host (a real control plane under test) knows: same host ids, so the same buckets and rings.
/// Every host is an always-on server of one organisation ("fleet", or "vendor-internal" for internal hosts).
/// </summary>
public static class ExplicitFleet
{
    public static FleetModel Build(IReadOnlyList<ExplicitHost> hosts, ExplicitFleetShape shape)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(shape);
        var errors = new List<string>();
        if (hosts.Count == 0)
            errors.Add("hosts: the fleet is empty");
        if (!(shape.CheckInMinutes > 0 && shape.CheckInMinutes <= 1440))
            errors.Add($"checkInMinutes: {shape.CheckInMinutes} is outside (0, 1440]");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < hosts.Count; i++)
        {
            var h = hosts[i];
            if (string.IsNullOrWhiteSpace(h?.Id))
                errors.Add($"hosts[{i}].id: required");
            else if (!seen.Add(h.Id))
                errors.Add($"hosts[{i}].id: '{h.Id}' appears twice");
            if (h is not null && (string.IsNullOrWhiteSpace(h.Os) || string.IsNullOrWhiteSpace(h.OsBuild) || string.IsNullOrWhiteSpace(h.AgentBuild)))
                errors.Add($"hosts[{i}]: os, osBuild and agentBuild are required");
        }
        if (errors.Count > 0)
            throw new ArgumentException("invalid explicit fleet: " + string.Join("; ", errors), nameof(hosts));

        // Internal hosts first, as the generator lays them out: organisation 0 is a contiguous range.
        var ordered = hosts.Select((h, i) => (Host: h, Index: i)).OrderBy(x => x.Host.Internal ? 0 : 1).ThenBy(x => x.Index).Select(x => x.Host).ToList();
        var internalCount = ordered.Count(h => h.Internal);
        var configs = new List<HostConfig>();
        var configIndex = new Dictionary<HostConfig, int>();
        var n = ordered.Count;
        var config = new ushort[n];
        var flags = new byte[n];
        var org = new int[n];
        var interval = new float[n];
        var phase = new float[n];
        for (var h = 0; h < n; h++)
        {
            var host = ordered[h];
            var c = new HostConfig(host.Os, host.OsBuild, host.AgentBuild);
            if (!configIndex.TryGetValue(c, out var idx))
            {
                idx = configs.Count;
                configs.Add(c);
                configIndex[c] = idx;
            }
            config[h] = checked((ushort)idx);
            flags[h] = (byte)(FleetModel.FlagAlwaysOn | (host.Internal ? FleetModel.FlagInternal : 0));
            org[h] = host.Internal || internalCount == 0 ? 0 : 1;
            interval[h] = (float)shape.CheckInMinutes;
            phase[h] = (float)(HashRng.Unit(shape.Seed, h, Purpose.Phase) * shape.CheckInMinutes);
        }
        var orgs = new List<Organisation>();
        if (internalCount > 0)
            orgs.Add(new Organisation(0, "vendor-internal", "technology", 0, 0, internalCount, true));
        if (internalCount < n)
            orgs.Add(new Organisation(orgs.Count, "fleet", "technology", 0, internalCount, n - internalCount, false));
        if (internalCount == 0)
            Array.Fill(org, 0);

        return new FleetModel
        {
            Count = n,
            Segments = ["explicit"],
            SegmentClass = [HostClass.Server],
            SegmentOs = [ordered[0].Os],
            Configs = [.. configs],
            Regions = ["utc"],
            RegionOffsetMinutes = [0],
            Sectors = ["technology"],
            Organisations = [.. orgs],
            Segment = new byte[n],
            Config = config,
            Region = new byte[n],
            Sector = new byte[n],
            Org = org,
            Flags = flags,
            CheckInInterval = interval,
            CheckInPhase = phase,
            WorkStart = new ushort[n],
            WeekdaysOnly = false,
            HostIds = [.. ordered.Select(h => h.Id)],
        };
    }
}
