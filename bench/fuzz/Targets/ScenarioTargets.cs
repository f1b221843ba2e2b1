using Ringfence.Simulation.Scenarios;

namespace Ringfence.Fuzz.Targets;

/// <summary>The scenario reader (Ringfence.Simulation).</summary>
public static class ScenarioTargets
{
    /// <summary><c>ScenarioLoader.Parse</c> (JSON, then every validation rule): documented to throw only <see cref="ScenarioException"/>.</summary>
    public static FuzzTarget Scenario() =>
        new("scenario", [.. Corpus.Folder("scenarios").Select(f => new FuzzSeed("scenario", f.Bytes))],
            (_, input) => ScenarioLoader.Parse(input, "fuzz.json"), ex => ex is ScenarioException);
}
