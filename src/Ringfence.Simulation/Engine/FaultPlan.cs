using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Engine;

/// <summary>One fault model compiled against the fleet's tables: which configurations, classes and sectors it hits.</summary>
internal sealed record CompiledFault(string Kind, bool[] Configs, bool[] Classes, bool[] Sectors, double Probability, double DelayMinutes, double Factor, double CpuPercent)
{
    public bool Matches(FleetModel fleet, int host) =>
        Configs[fleet.Config[host]] && Classes[(int)fleet.ClassOf(host)] && Sectors[fleet.Sector[host]];
}

/// <summary>
/// The content's fault models against one fleet. An <c>interpreter</c> fault hits the configurations whose agent build
/// the real interpreter faults on (decided once per build by <see cref="ContentModel"/>), not a per-host guess.
/// </summary>
internal sealed class FaultPlan
{
    public FaultPlan(FleetModel fleet, IReadOnlyList<FaultSpec> faults, ContentModel content)
    {
        Faults = [.. faults.Select(f => Compile(fleet, f, content))];
        Faulty = Faults.Any(f => f.Kind != FaultKinds.CpuRegression && f.Configs.Any(c => c) && f.Probability > 0 && (f.Kind != FaultKinds.CrashRate || f.Factor > 1));
    }

    public IReadOnlyList<CompiledFault> Faults { get; }

    /// <summary>Whether this content harms any host of the fleet (so a halt is a true halt).</summary>
    public bool Faulty { get; }

    private static CompiledFault Compile(FleetModel fleet, FaultSpec f, ContentModel content)
    {
        var m = f.Match;
        var min = m.MinAgentBuild is null ? null : Version.Parse(m.MinAgentBuild);
        var configs = new bool[fleet.Configs.Length];
        for (var c = 0; c < configs.Length; c++)
        {
            var cfg = fleet.Configs[c];
            var ok = (m.Os is null || m.Os.Contains(cfg.Os))
                && (m.OsBuilds is null || m.OsBuilds.Contains(cfg.OsBuild))
                && (m.AgentBuilds is null || m.AgentBuilds.Contains(cfg.AgentBuild))
                && (min is null || (Version.TryParse(cfg.AgentBuild, out var v) && v >= min));
            if (f.Kind == FaultKinds.Interpreter)
                ok = ok && content.FaultsOn(cfg.AgentBuild);
            configs[c] = ok;
        }
        var classes = new bool[3];
        foreach (var hc in Enum.GetValues<HostClass>())
            classes[(int)hc] = m.Classes is null || m.Classes.Contains(hc.ToString().ToLowerInvariant());
        var sectors = fleet.Sectors.Select(s => m.Sectors is null || m.Sectors.Contains(s)).ToArray();
        return new CompiledFault(f.Kind, configs, classes, sectors, f.Probability, f.DelayMinutes, f.Factor, f.CpuPercent);
    }
}
