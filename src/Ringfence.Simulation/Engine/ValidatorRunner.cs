using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Output;

namespace Ringfence.Simulation.Engine;

/// <summary>The first line of defence, recorded next to the strategies: what the interpreter (and validator) say about the channel file.</summary>
internal static class ValidatorRunner
{
    public static ValidatorVerdict? Run(ContentModel content, FleetModel fleet)
    {
        _ = fleet;
        if (content.File is null)
            return null;
        var faulting = content.Verdicts.Values.Where(v => v.Faults).ToList();
        var findings = faulting.Select(v => $"agent build {v.BuildId}: {v.Fault}").ToList();
        return new ValidatorVerdict(faulting.Count > 0 ? "would-fault" : "ok", findings, [.. content.Verdicts.Values]);
    }
}
