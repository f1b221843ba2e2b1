using BenchmarkDotNet.Attributes;
using Ringfence.Simulation;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Benchmarks.Simulation;

/// <summary>
/// Simulator building blocks at 1% of the 19 July fleet (145,000 hosts). The whole-system figure (14.5 M hosts, all
/// strategies) comes from bench/simulation-scale.sh; see docs/benchmarks.md (simulation).
/// </summary>
[MemoryDiagnoser]
public class SimulationBenchmarks
{
    private readonly Scenario _july = BuiltInScenarios.Get("july-19")!;

    [Benchmark]
    public int GeneratePopulation() => PopulationGenerator.Generate(_july, 0.01, 1).Count;

    [Benchmark]
    public long ReplayGlobalPush() =>
        Simulator.Run(_july with { Strategies = [.. _july.Strategies.Where(s => s.Type == StrategyTypes.GlobalPush)] },
            new SimulationOptions { Scale = 0.01 }, "bench").Strategies[0].HostsCrashed;

    [Benchmark]
    public long ReplayRingfence() =>
        Simulator.Run(_july with { Strategies = [.. _july.Strategies.Where(s => s.Type == StrategyTypes.Ringfence)] },
            new SimulationOptions { Scale = 0.01 }, "bench").Strategies[0].HostsCrashed;
}
