namespace Ringfence.Simulation.Scenarios;

/// <summary>Scenarios shipped inside the assembly (the same files as under <c>scenarios/</c>).</summary>
public static class BuiltInScenarios
{
    public static IReadOnlyList<string> Names { get; } = ["july-19"];

    /// <summary>The built-in scenario <paramref name="name"/>, or null when there is none by that name.</summary>
    public static Scenario? Get(string name)
    {
        if (!Names.Contains(name))
            return null;
        using var stream = typeof(BuiltInScenarios).Assembly.GetManifestResourceStream($"Ringfence.Simulation.Scenarios.{name}.json")
            ?? throw new InvalidOperationException($"built-in scenario {name} is missing from the assembly");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ScenarioLoader.Parse(ms.ToArray(), $"built-in:{name}");
    }
}
