using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Tests;

/// <summary>Small variants of the built-in 19 July scenario, so tests run in seconds.</summary>
internal static class TestScenarios
{
    public static Scenario July19 { get; } = BuiltInScenarios.Get("july-19")!;

    public static Scenario Only(Scenario s, params string[] types) =>
        s with { Strategies = [.. s.Strategies.Where(x => types.Contains(x.Type))] };

    public static Scenario Short(Scenario s, double hours) => s with { DurationHours = hours };

    /// <summary>The same fleet and plan, content without faults: any halt is a false halt.</summary>
    public static Scenario Healthy(double hours = 24) =>
        Short(July19, hours) with
        {
            Content = July19.Content with { Faults = [] },
            // A small fleet's internal ring cannot gather the default exposure in one bake; ask for less.
            Strategies = [.. July19.Strategies.Where(x => x.Type == StrategyTypes.Ringfence).Select(x => x with { Plan = (x.Plan ?? new RingPlanSpec()) with { MinExposedHostHours = 2 } })],
        };

    public static Output.SimulationReport Run(Scenario s, double scale, int seed) =>
        Simulator.Run(s, new SimulationOptions { Scale = scale, Seed = seed }, "test");
}
