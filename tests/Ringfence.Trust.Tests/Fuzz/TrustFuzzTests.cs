using Ringfence.Fuzz;
using Ringfence.Fuzz.Targets;

namespace Ringfence.Trust.Tests.Fuzz;

/// <summary>CI's bounded share of bench/fuzz for TUF metadata parsing (and the canonical JSON reader behind it).</summary>
public sealed class TrustFuzzTests
{
    [Fact]
    public void TufMetadata_BoundedSeededRun_NoCrashNoHang()
    {
        var result = FuzzRunner.Run(TrustTargets.Metadata(), new FuzzOptions(10_000, 20240719) { TimeLimit = TimeSpan.FromSeconds(5) });

        result.Crashes.ShouldBeEmpty(string.Join("\n", result.Crashes.Take(3).Select(c => $"{c.SeedKind} {System.Text.Encoding.UTF8.GetString(c.Input)}: {c.What}")));
        result.Hangs.ShouldBeEmpty();
        result.Inputs.ShouldBe(10_000);
        result.Accepted.ShouldBeGreaterThanOrEqualTo(4, "the four seed files are a valid signed repository");
    }
}
