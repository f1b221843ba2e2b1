using Ringfence.Content;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Output;

namespace Ringfence.Simulation.Engine;

/// <summary>
/// The first line of defence, recorded next to the strategies: the REAL <see cref="ContentValidator"/> on the scenario's
/// channel file against every agent build of the fleet (with its host counts), plus the interpreter's verdict per build.
/// </summary>
internal static class ValidatorRunner
{
    public static ValidatorVerdict? Run(ContentModel content, FleetModel fleet)
    {
        if (content.File is null)
            return null;
        var counts = new long[fleet.Configs.Length];
        foreach (var c in fleet.Config)
            counts[c]++;
        var hosts = fleet.Configs.Select((c, i) => (c, n: counts[i]))
            .Where(x => x.n > 0 && content.Builds.Any(b => b.BuildId == x.c.AgentBuild))
            .GroupBy(x => (x.c.AgentBuild, x.c.OsBuild))
            .Select(g => new HostPopulation(g.Key.AgentBuild, g.Key.OsBuild, g.Sum(x => x.n)))
            .ToList();
        var report = ContentValidator.Validate(new ValidationRequest
        {
            Files = [new ContentDocument($"{content.File.Id}.json", content.File)],
            TemplateTypes = content.TemplateTypes,
            Fleet = new FleetManifest("scenario", [.. content.Builds], hosts),
        });
        var findings = report.Findings.Select(f => f.ToString()).ToList();
        return new ValidatorVerdict(report.Accepted ? "accepted" : "rejected", findings, [.. content.Verdicts.Values]);
    }
}
