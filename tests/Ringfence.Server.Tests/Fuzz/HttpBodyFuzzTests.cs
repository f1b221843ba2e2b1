using Ringfence.Fuzz;
using Ringfence.Fuzz.Targets;

namespace Ringfence.Server.Tests.Fuzz;

/// <summary>CI's bounded share of bench/fuzz for every HTTP body the server reads (in process, no HTTP).</summary>
public sealed class HttpBodyFuzzTests
{
    [Fact]
    public void HttpBodies_BoundedSeededRun_NoExceptionAndEveryRefusalA4xxOneLineProblem()
    {
        var result = FuzzRunner.Run(ServerTargets.Bodies(), new FuzzOptions(10_000, 20240719) { TimeLimit = TimeSpan.FromSeconds(5) });

        result.Crashes.ShouldBeEmpty(string.Join("\n", result.Crashes.Take(3).Select(c => $"{c.SeedKind} {System.Text.Encoding.UTF8.GetString(c.Input)}: {c.What}")));
        result.Hangs.ShouldBeEmpty();
        result.Inputs.ShouldBe(10_000);
        result.Accepted.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void HttpBodies_EveryRequestTypeHasASeedThatReads()
    {
        var target = ServerTargets.Bodies();

        target.Seeds.Select(s => s.Kind).Distinct().Order().ShouldBe(ServerTargets.RequestTypes.Order());
        foreach (var seed in target.Seeds)
            Should.NotThrow(() => target.Run(seed.Kind, seed.Bytes), seed.Kind);
    }
}
