using Ringfence.Fuzz;
using Ringfence.Fuzz.Targets;

namespace Ringfence.Content.Tests.Fuzz;

/// <summary>CI's bounded share of bench/fuzz for the content parsers: a fixed seed, a few seconds per target.</summary>
public sealed class ContentFuzzTests
{
    private static FuzzOptions Ci(long inputs) => new(inputs, 20240719) { TimeLimit = TimeSpan.FromSeconds(5) };

    private static void ShouldBeClean(FuzzResult result, long inputs)
    {
        result.Crashes.ShouldBeEmpty(string.Join("\n", result.Crashes.Take(3).Select(c => $"{c.Kind} {c.SeedKind} {Convert.ToHexString(c.Input.AsSpan(0, Math.Min(c.Input.Length, 256)))}: {c.What}")));
        result.Hangs.ShouldBeEmpty(string.Join("\n", result.Hangs.Take(3).Select(c => $"{c.SeedKind}: {c.What}")));
        result.Inputs.ShouldBe(inputs);
        result.Accepted.ShouldBeGreaterThan(0, "not even the seeds parsed: the target does not reach the parser's happy path");
        result.Accepted.ShouldBeLessThan(inputs, "every mutated input parsed: the mutations do not reach the error paths");
    }

    [Fact]
    public void ChannelBinary_BoundedSeededRun_NoCrashNoHang()
    {
        var result = FuzzRunner.Run(ContentTargets.ChannelBinary(), Ci(10_000));

        ShouldBeClean(result, 10_000);
    }

    [Fact]
    public void ContentJson_BoundedSeededRun_NoCrashNoHang()
    {
        var result = FuzzRunner.Run(ContentTargets.ContentJsonReaders(), Ci(10_000));

        ShouldBeClean(result, 10_000);
    }

    [Fact]
    public void Run_SameSeed_SameInputs()
    {
        var first = FuzzRunner.Run(ContentTargets.ChannelBinary(), Ci(2_000));
        var second = FuzzRunner.Run(ContentTargets.ChannelBinary(), Ci(2_000));

        second.Accepted.ShouldBe(first.Accepted);
    }

    [Fact]
    public void Run_TargetThrowingAnUndocumentedException_ReportsTheCrashWithItsInput()
    {
        var target = new FuzzTarget("throws", [new FuzzSeed("x", "{\"a\":[1,2,3]}"u8.ToArray())],
            (_, input) =>
            {
                if (input.Length != 13)
                    throw new NullReferenceException("boom");
            }, ex => ex is FormatException);

        var result = FuzzRunner.Run(target, Ci(500));

        result.Crashes.ShouldNotBeEmpty();
        result.Crashes[0].What.ShouldStartWith("NullReferenceException: boom");
        result.Crashes[0].Input.Length.ShouldNotBe(13);
        result.Accepted.ShouldBeGreaterThan(0); // the seed itself
    }

    [Fact]
    public void Run_DocumentedException_IsNotACrash()
    {
        var target = new FuzzTarget("documented", [new FuzzSeed("x", [1, 2, 3])], (_, _) => throw new FormatException("bad"), ex => ex is FormatException);

        var result = FuzzRunner.Run(target, Ci(300));

        result.Crashes.ShouldBeEmpty();
        result.Accepted.ShouldBe(0);
    }

    [Fact]
    public void Run_InputOverTheTimeLimit_ReportedAsHang()
    {
        // Busy on the CPU (a fixed amount of work, not a wall-clock spin, which a loaded machine may not schedule).
        var target = new FuzzTarget("slow", [new FuzzSeed("x", [1])], (_, input) =>
        {
            if (input.Length <= 1)
                return;
            var x = 0L;
            for (var k = 0; k < 60_000_000; k++)
                x = (x * 31) ^ k;
            GC.KeepAlive(x);
        }, _ => false);

        var result = FuzzRunner.Run(target, new FuzzOptions(6, 1) { TimeLimit = TimeSpan.FromMilliseconds(5), RecheckOver = TimeSpan.Zero });

        result.Hangs.ShouldNotBeEmpty();
        result.Hangs[0].What.ShouldContain("took");
        result.Slowest.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(5));
    }

    [Fact]
    public void Run_InputSlowOnlyByWaitingForTheCpu_NotAHang()
    {
        // Off the CPU, as a thread on a busy shared machine waits for a core: slow by the clock, but not the parser's doing.
        var target = new FuzzTarget("waits", [new FuzzSeed("x", [1])], (_, input) =>
        {
            if (input.Length > 1)
                Thread.Sleep(50);
        }, _ => false);

        var result = FuzzRunner.Run(target, new FuzzOptions(10, 1) { TimeLimit = TimeSpan.FromMilliseconds(20), RecheckOver = TimeSpan.Zero });

        result.Hangs.ShouldBeEmpty();
        result.Slowest.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Run_InputOverTheAllocationLimit_ReportedAsMemoryFailure()
    {
        var target = new FuzzTarget("greedy", [new FuzzSeed("x", [1])], (_, input) => GC.KeepAlive(new byte[input.Length * 1024 * 1024]), _ => false);

        var result = FuzzRunner.Run(target, new FuzzOptions(50, 1) { AllocationLimit = 4 * 1024 * 1024, MaxInputBytes = 64 });

        result.Crashes.ShouldContain(c => c.Kind == "memory");
        result.MostAllocated.ShouldBeGreaterThan(4 * 1024 * 1024);
    }
}
