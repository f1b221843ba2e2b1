using Shouldly;

namespace Ringfence.Rollouts.Tests.Architecture;

public class DependencyRulesTests
{
    private static ProjectGraph Graph(params (string Project, string[] References)[] projects) =>
        new(projects.ToDictionary(p => p.Project, p => (IReadOnlySet<string>)p.References.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal));

    [Fact]
    public void Violations_SolutionProjects_NoneBroken()
    {
        var graph = ProjectGraph.LoadSources();

        // The graph really is the solution's (a missing project would be a violation too): the hosts reference the engine.
        graph.References.Keys.ShouldContain("Ringfence.Server");
        graph.References["Ringfence.Server"].ShouldContain("Ringfence.Rollouts");
        graph.References["Ringfence.Simulation"].ShouldContain("Ringfence.Rollouts");

        DependencyRules.Violations(graph, DependencyRules.All).ShouldBeEmpty();
    }

    [Fact]
    public void Violations_EngineReferencesServer_NamesTheRuleAndThePath()
    {
        var graph = Graph(("Ringfence.Rollouts", ["Ringfence.Server"]), ("Ringfence.Server", []));

        var violations = DependencyRules.Violations(graph, DependencyRules.All.Where(r => r.Project == "Ringfence.Rollouts").ToList());

        violations.ShouldHaveSingleItem().ShouldBe(
            "Ringfence.Rollouts must not reference Ringfence.Server (one engine, hosted by Server and Simulation, knows neither): Ringfence.Rollouts → Ringfence.Server");
    }

    [Fact]
    public void Violations_DomainReachesHostThroughAnotherProject_Reported()
    {
        // Content → Trust → Agent → Server: Content, Trust and Agent each break a rule, through the chain.
        var graph = Graph(
            ("Ringfence.Content", ["Ringfence.Trust"]),
            ("Ringfence.Trust", ["Ringfence.Agent"]),
            ("Ringfence.Agent", ["Ringfence.Server"]),
            ("Ringfence.Rollouts", []),
            ("Ringfence.Server", []));

        var violations = DependencyRules.Violations(graph, DependencyRules.All);

        violations.ShouldContain(v => v.StartsWith("Ringfence.Content must not reference Ringfence.Server", StringComparison.Ordinal)
            && v.EndsWith("Ringfence.Content → Ringfence.Trust → Ringfence.Agent → Ringfence.Server", StringComparison.Ordinal));
        violations.ShouldContain(v => v.StartsWith("Ringfence.Content must not reference Ringfence.Agent", StringComparison.Ordinal));
        violations.ShouldContain(v => v.StartsWith("Ringfence.Trust must not reference Ringfence.Agent", StringComparison.Ordinal));
        violations.ShouldContain(v => v.StartsWith("Ringfence.Agent must not reference Ringfence.Server", StringComparison.Ordinal));
        violations.ShouldNotContain(v => v.StartsWith("Ringfence.Rollouts", StringComparison.Ordinal));
    }

    [Fact]
    public void Violations_RuleForMissingProject_Reported()
    {
        var violations = DependencyRules.Violations(Graph(("Ringfence.Server", [])), DependencyRules.All);

        violations.ShouldContain("Ringfence.Rollouts: no such project (the rule cannot be checked)");
    }

    [Fact]
    public void CompiledEngine_ReferencesNoOtherRingfenceAssembly()
    {
        var references = typeof(Ringfence.Rollouts.Rings.StableBucket).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(n => n.StartsWith("Ringfence.", StringComparison.Ordinal));

        references.ShouldBeEmpty();
    }
}
