namespace Ringfence.Rollouts.Tests.Architecture;

/// <summary>A project that must not depend, directly or through another project, on any of <paramref name="Forbidden"/>.</summary>
internal sealed record DependencyRule(string Project, IReadOnlyList<string> Forbidden, string Why);

/// <summary>
/// The layering of DESIGN.md: dependencies point inward. The domain projects (Content, Trust, Rollouts) do no I/O and
/// know no host; the engine (Rollouts) is hosted by Server and Simulation and knows neither; the agent ships without
/// the server.
/// </summary>
internal static class DependencyRules
{
    /// <summary>Projects that host the domain or speak a wire format or a rendering: a domain project knows none of them.</summary>
    private static readonly string[] Hosts =
        ["Ringfence.Server", "Ringfence.Simulation", "Ringfence.Agent", "Ringfence.Agent.Swarm", "Ringfence.Cli", "Ringfence.Charts", "Ringfence.Protocol"];

    public static IReadOnlyList<DependencyRule> All { get; } =
    [
        new("Ringfence.Content", Hosts, "the content language is pure: no host, no wire format"),
        new("Ringfence.Trust", Hosts, "TUF verification is pure: no host, no wire format"),
        new("Ringfence.Rollouts", Hosts, "one engine, hosted by Server and Simulation, knows neither"),
        new("Ringfence.Agent", ["Ringfence.Server", "Ringfence.Simulation", "Ringfence.Cli", "Ringfence.Agent.Swarm"], "the agent ships without the control plane, the simulator or the demo swarm's fault hooks"),
    ];

    /// <summary>Every broken rule, one line each, naming the path of references that breaks it.</summary>
    public static IReadOnlyList<string> Violations(ProjectGraph graph, IReadOnlyList<DependencyRule> rules)
    {
        var violations = new List<string>();
        foreach (var rule in rules)
        {
            if (!graph.References.ContainsKey(rule.Project))
            {
                violations.Add($"{rule.Project}: no such project (the rule cannot be checked)");
                continue;
            }
            var reachable = graph.Reachable(rule.Project);
            violations.AddRange(rule.Forbidden
                .Where(reachable.ContainsKey)
                .Select(f => $"{rule.Project} must not reference {f} ({rule.Why}): {reachable[f]}"));
        }
        return violations;
    }
}
