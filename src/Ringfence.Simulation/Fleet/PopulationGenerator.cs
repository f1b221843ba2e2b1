using Ringfence.Simulation.Engine;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Fleet;

/// <summary>
/// Builds a <see cref="FleetModel"/> from a fleet description. Segment counts are exact (scaled and rounded);
/// everything else is drawn per host from counter-based randomness, so the result depends only on the seed.
/// </summary>
public static class PopulationGenerator
{
    public static FleetModel Generate(Scenario scenario, double scale, int seed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (!(scale > 0 && scale <= 10))
            throw new ArgumentOutOfRangeException(nameof(scale), "scale must be in (0, 10]");
        var spec = scenario.Fleet;
        var segCounts = spec.Segments.Select(s => (int)Math.Round(s.Count * scale)).ToArray();
        var n = segCounts.Sum();
        if (n == 0)
            throw new ArgumentException("the fleet is empty at this scale", nameof(scale));

        // Exact segment counts, shuffled so organisations get a mix.
        var segment = new byte[n];
        var pos = 0;
        for (var s = 0; s < segCounts.Length; s++)
        {
            Array.Fill(segment, (byte)s, pos, segCounts[s]);
            pos += segCounts[s];
        }
        new Random(seed).Shuffle(segment);

        var regions = spec.Regions.Select(r => r.Name).ToArray();
        var regionWeights = spec.Regions.Select(r => r.Weight).ToArray();
        var sectors = spec.Sectors.Keys.ToArray();
        var sectorWeights = spec.Sectors.Values.ToArray();
        var sizeWeights = spec.OrganisationSizes.Select(o => o.Weight).ToArray();

        // Organisations: contiguous host ranges. The vendor's internal group is organisation 0.
        var orgs = new List<Organisation>();
        var internalHosts = Math.Min(n, spec.InternalHosts == 0 ? 0 : Math.Max(20, (int)Math.Round(spec.InternalHosts * scale)));
        var start = 0;
        if (internalHosts > 0)
        {
            orgs.Add(new Organisation(0, "vendor-internal", "technology", Pick(regionWeights, HashRng.Unit(seed, 0, Purpose.OrgRegion)), 0, internalHosts, true));
            start = internalHosts;
        }
        while (start < n)
        {
            var i = orgs.Count;
            var size = spec.OrganisationSizes[Pick(sizeWeights, HashRng.Unit(seed, i, Purpose.OrgSize))].Hosts;
            size = Math.Min(size, n - start);
            var orgSectorName = sectors[Pick(sectorWeights, HashRng.Unit(seed, i, Purpose.OrgSector))];
            var orgRegion = Pick(regionWeights, HashRng.Unit(seed, i, Purpose.OrgRegion));
            orgs.Add(new Organisation(i, $"org-{i}", orgSectorName, orgRegion, start, size, false));
            start += size;
        }
        var sectorIndex = sectors.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
        if (!sectorIndex.ContainsKey("technology") && internalHosts > 0)
        {
            sectors = [.. sectors, "technology"];
            sectorIndex["technology"] = sectors.Length - 1;
        }

        // Configuration table: every (segment OS, OS build, agent build) combination gets an index.
        var configs = new List<HostConfig>();
        var configIndex = new Dictionary<HostConfig, int>();
        var segTables = new int[spec.Segments.Count][];
        var osWeights = new double[spec.Segments.Count][];
        var agentWeights = new double[spec.Segments.Count][];
        var segRegionWeights = new double[spec.Segments.Count][];
        for (var s = 0; s < spec.Segments.Count; s++)
        {
            var seg = spec.Segments[s];
            osWeights[s] = [.. seg.OsBuilds.Values];
            agentWeights[s] = [.. seg.AgentBuilds.Values];
            segRegionWeights[s] = seg.Regions.Count == 0 ? [] : [.. spec.Regions.Select(r => seg.Regions.GetValueOrDefault(r.Name))];
            var table = new int[seg.OsBuilds.Count * seg.AgentBuilds.Count];
            var oi = 0;
            foreach (var ob in seg.OsBuilds.Keys)
            {
                var ai = 0;
                foreach (var ab in seg.AgentBuilds.Keys)
                {
                    var c = new HostConfig(seg.Os, ob, ab);
                    if (!configIndex.TryGetValue(c, out var idx))
                    {
                        idx = configs.Count;
                        configs.Add(c);
                        configIndex[c] = idx;
                    }
                    table[(oi * seg.AgentBuilds.Count) + ai] = idx;
                    ai++;
                }
                oi++;
            }
            segTables[s] = table;
        }
        if (configs.Count > ushort.MaxValue)
            throw new ArgumentException("too many (OS, OS build, agent build) configurations", nameof(scenario));

        var config = new ushort[n];
        var region = new byte[n];
        var sector = new byte[n];
        var org = new int[n];
        var flags = new byte[n];
        var interval = new float[n];
        var phase = new float[n];
        var workStart = new ushort[n];
        var classes = spec.Segments.Select(s => s.Class switch { "server" => HostClass.Server, "kiosk" => HostClass.Kiosk, _ => HostClass.Workstation }).ToArray();
        var orgArray = orgs.ToArray();
        var orgSector = orgArray.Select(o => (byte)sectorIndex[o.Sector]).ToArray();
        var wh = spec.WorkHours;

        Parallel.For(0, orgArray.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, oi =>
        {
            var o = orgArray[oi];
            for (var h = o.Start; h < o.Start + o.Count; h++)
            {
                var s = segment[h];
                var seg = spec.Segments[s];
                var ob = Pick(osWeights[s], HashRng.Unit(seed, h, Purpose.OsBuild));
                var ab = Pick(agentWeights[s], HashRng.Unit(seed, h, Purpose.AgentBuild));
                config[h] = (ushort)segTables[s][(ob * agentWeights[s].Length) + ab];
                region[h] = (byte)(segRegionWeights[s].Length == 0 ? o.Region : Pick(segRegionWeights[s], HashRng.Unit(seed, h, Purpose.Region)));
                sector[h] = orgSector[oi];
                org[h] = oi;
                byte f = 0;
                if (HashRng.Unit(seed, h, Purpose.Offline) < seg.OfflineFraction)
                    f |= FleetModel.FlagOffline;
                if (classes[s] != HostClass.Workstation || HashRng.Unit(seed, h, Purpose.LeftOn) < seg.LeftOnFraction)
                    f |= FleetModel.FlagAlwaysOn;
                if (HashRng.Unit(seed, h, Purpose.Network) < seg.GoodNetworkFraction)
                    f |= FleetModel.FlagGoodNetwork;
                if (o.Internal)
                    f |= FleetModel.FlagInternal;
                flags[h] = f;
                var iv = spec.CheckInMinutes * (1 + (spec.CheckInJitter * ((2 * HashRng.Unit(seed, h, Purpose.Interval)) - 1)));
                interval[h] = (float)iv;
                phase[h] = (float)(HashRng.Unit(seed, h, Purpose.Phase) * iv);
                var ws = (wh.StartLocalHour + (wh.StartSpreadHours * ((2 * HashRng.Unit(seed, h, Purpose.WorkStart)) - 1))) * 60;
                workStart[h] = (ushort)Math.Clamp(ws, 0, 1439);
            }
        });

        var release = scenario.ReleaseUtc.ToUniversalTime();
        var dow = ((int)release.DayOfWeek + 6) % 7; // Monday = 0
        return new FleetModel
        {
            Count = n,
            Segments = [.. spec.Segments.Select(s => s.Name)],
            SegmentClass = classes,
            SegmentOs = [.. spec.Segments.Select(s => s.Os)],
            Configs = [.. configs],
            Regions = regions,
            RegionOffsetMinutes = [.. spec.Regions.Select(r => (int)Math.Round(r.UtcOffsetHours * 60))],
            Sectors = sectors,
            Organisations = orgArray,
            Segment = segment,
            Config = config,
            Region = region,
            Sector = sector,
            Org = org,
            Flags = flags,
            CheckInInterval = interval,
            CheckInPhase = phase,
            WorkStart = workStart,
            WorkLengthMinutes = (int)Math.Round(wh.LengthHours * 60),
            WeekdaysOnly = wh.Weekdays,
            StartMinuteOfWeekUtc = (dow * 1440) + (release.Hour * 60) + release.Minute,
        };
    }

    /// <summary>Index drawn by weight for a uniform <paramref name="u"/> in [0, 1).</summary>
    internal static int Pick(double[] weights, double u)
    {
        var total = 0.0;
        foreach (var w in weights)
            total += w;
        var target = u * total;
        var acc = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            acc += weights[i];
            if (target < acc)
                return i;
        }
        return weights.Length - 1;
    }
}
