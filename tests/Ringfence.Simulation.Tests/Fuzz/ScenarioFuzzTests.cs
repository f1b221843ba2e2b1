using Ringfence.Fuzz;
using Ringfence.Fuzz.Targets;

namespace Ringfence.Simulation.Tests.Fuzz;

/// <summary>CI's bounded share of bench/fuzz for the scenario reader.</summary>
public sealed class ScenarioFuzzTests
{
    [Fact]
    public void Scenario_BoundedSeededRun_NoCrashNoHang()
    {
        var result = FuzzRunner.Run(ScenarioTargets.Scenario(), new FuzzOptions(5_000, 20240719) { TimeLimit = TimeSpan.FromSeconds(5) });

        result.Crashes.ShouldBeEmpty(string.Join("\n", result.Crashes.Take(3).Select(c => $"{System.Text.Encoding.UTF8.GetString(c.Input)}: {c.What}")));
        result.Hangs.ShouldBeEmpty();
        result.Inputs.ShouldBe(5_000);
        result.Accepted.ShouldBeGreaterThanOrEqualTo(3, "the shipped scenarios parse");
    }
}
