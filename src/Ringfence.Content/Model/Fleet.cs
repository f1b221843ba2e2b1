namespace Ringfence.Content;

/// <summary>Operating system family of an agent build. Numeric values are stable (binary format).</summary>
public enum AgentOs : byte
{
    Windows = 1,
    MacOs = 2,
    Linux = 3,
}

/// <summary>How many input values a build's integration code supplies to the interpreter for one template type.</summary>
public sealed record TemplateContract(string TemplateTypeId, int SuppliedValues);

/// <summary>
/// An agent build and its contract: for each template type it compiles, how many input values it supplies.
/// A build without a contract for a type does not load channel files of that type.
/// </summary>
public sealed record AgentBuild(string BuildId, AgentOs Os, AgentVersion Version, ValueList<TemplateContract> Contracts)
{
    /// <summary>The number of values this build supplies for <paramref name="templateTypeId"/>, or null if it does not compile that type.</summary>
    public int? SuppliedValues(string templateTypeId)
    {
        foreach (var c in Contracts)
        {
            if (c.TemplateTypeId == templateTypeId)
                return c.SuppliedValues;
        }
        return null;
    }

    public override string ToString() => $"{BuildId} ({Os} {Version})";
}

/// <summary>How many hosts run an agent build on a given OS build.</summary>
public sealed record HostPopulation(string BuildId, string OsBuild, long HostCount);

/// <summary>The fleet: every agent build with its contracts, and how many hosts run each (agent build × OS build).</summary>
public sealed record FleetManifest(string Name, ValueList<AgentBuild> Builds, ValueList<HostPopulation> Hosts)
{
    public static FleetManifest Empty { get; } = new("empty", ValueList<AgentBuild>.Empty, ValueList<HostPopulation>.Empty);

    public AgentBuild? FindBuild(string buildId) => Builds.FirstOrDefault(b => b.BuildId == buildId);

    public long HostCount(string buildId) => Hosts.Where(h => h.BuildId == buildId).Sum(h => h.HostCount);

    public long TotalHosts => Hosts.Sum(h => h.HostCount);

    /// <summary>The builds a channel file reaches: targeted by it and compiling its template type.</summary>
    public IEnumerable<AgentBuild> TargetedBuilds(ChannelFile file) =>
        Builds.Where(b => file.Target.Includes(b) && b.SuppliedValues(file.TemplateTypeId) is not null);

    /// <summary>
    /// Combines declared builds with builds learned from agent check-ins (the server's view).
    /// A build known to both keeps, per template type, the SMALLER supplied count (the safe assumption);
    /// host rows for the same (build, OS build) keep the larger count, so the same hosts are not counted twice.
    /// </summary>
    public FleetManifest Merge(FleetManifest other)
    {
        var builds = new List<AgentBuild>(Builds);
        foreach (var b in other.Builds)
        {
            var i = builds.FindIndex(x => x.BuildId == b.BuildId);
            if (i < 0)
            {
                builds.Add(b);
                continue;
            }
            var merged = builds[i].Contracts.ToDictionary(c => c.TemplateTypeId, c => c.SuppliedValues);
            foreach (var c in b.Contracts)
                merged[c.TemplateTypeId] = merged.TryGetValue(c.TemplateTypeId, out var n) ? Math.Min(n, c.SuppliedValues) : c.SuppliedValues;
            builds[i] = builds[i] with { Contracts = merged.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new TemplateContract(kv.Key, kv.Value)).ToList() };
        }
        var hosts = new List<HostPopulation>(Hosts);
        foreach (var h in other.Hosts)
        {
            var i = hosts.FindIndex(x => x.BuildId == h.BuildId && x.OsBuild == h.OsBuild);
            if (i < 0)
                hosts.Add(h);
            else
                hosts[i] = hosts[i] with { HostCount = Math.Max(hosts[i].HostCount, h.HostCount) };
        }
        return new FleetManifest(Name, builds, hosts);
    }
}
