using System.Diagnostics;

namespace Ringfence.Fuzz;

/// <summary>Limits every input must stay within, and where to keep the inputs that break them.</summary>
public sealed record FuzzOptions(long Inputs, int Seed)
{
    /// <summary>An input that takes longer is a hang (reported, and the run goes on while it finishes).</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An input slower than this is run a second time before it is judged (see <c>Recheck</c>).</summary>
    public TimeSpan RecheckOver { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>An input still running after this stops the run: it is a hang that would never end.</summary>
    public TimeSpan HardTimeLimit { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes one input may allocate: bounded memory (a length field must never become an allocation).</summary>
    public long AllocationLimit { get; init; } = 256L * 1024 * 1024;

    /// <summary>Longest mutated input, in bytes.</summary>
    public int MaxInputBytes { get; init; } = 64 * 1024;

    /// <summary>When set, each failing input is written there as NAME-KIND-N.bin.</summary>
    public string? FailureDirectory { get; init; }

    /// <summary>Called about every <see cref="ProgressEvery"/> inputs.</summary>
    public Action<FuzzProgress>? Progress { get; init; }

    public long ProgressEvery { get; init; } = 250_000;

    /// <summary>Stop early after this long (the result says how many inputs ran).</summary>
    public TimeSpan? Budget { get; init; }
}

public sealed record FuzzProgress(string Target, long Inputs, TimeSpan Elapsed);

/// <summary>An input that broke an invariant.</summary>
public sealed record FuzzFailure(string Kind, string SeedKind, byte[] Input, string What);

public sealed record FuzzResult(string Target, long Inputs, long Accepted, IReadOnlyList<FuzzFailure> Crashes, IReadOnlyList<FuzzFailure> Hangs,
    TimeSpan Slowest, long SlowestInputBytes, long MostAllocated, TimeSpan Elapsed)
{
    public double InputsPerSecond => Inputs / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>CPU time of the fuzzing thread: on a shared machine, the rate per CPU second is what an idle one gets.</summary>
    public TimeSpan CpuTime { get; init; }

    public double InputsPerCpuSecond => Inputs / Math.Max(CpuTime.TotalSeconds, 1e-9);
}

/// <summary>
/// Runs a target over its seeds, then over seeded mutations of them, on one worker thread watched by the caller's thread:
/// an exception the target does not document is a crash; an input over the time limit is a hang; an input over the
/// allocation limit breaks the memory bound. Same seed, same inputs.
/// </summary>
public static class FuzzRunner
{
    public static FuzzResult Run(FuzzTarget target, FuzzOptions options)
    {
        var state = new RunState();
        var worker = new Thread(() => Work(target, options, state), 16 * 1024 * 1024) { IsBackground = true, Name = "fuzz " + target.Name };
        var started = Stopwatch.GetTimestamp();
        worker.Start();
        while (!worker.Join(100))
        {
            var inputStart = Volatile.Read(ref state.CurrentStart);
            if (inputStart != 0 && Stopwatch.GetElapsedTime(inputStart) > options.HardTimeLimit)
            {
                // The worker cannot be stopped; report the input and leave it behind (a background thread).
                var input = state.Current;
                lock (state.Hangs)
                    state.Hangs.Add(Save(options, target.Name, new FuzzFailure("hang", state.CurrentKind, input, $"still running after {options.HardTimeLimit.TotalSeconds:0} s")));
                break;
            }
        }
        lock (state.Hangs)
        {
            return new FuzzResult(target.Name, state.Inputs, state.Accepted, [.. state.Crashes], [.. state.Hangs],
                TimeSpan.FromTicks(state.SlowestTicks), state.SlowestBytes, state.MostAllocated, Stopwatch.GetElapsedTime(started))
            {
                CpuTime = state.CpuTime,
            };
        }
    }

    private sealed class RunState
    {
        public long CurrentStart;
        public byte[] Current = [];
        public string CurrentKind = "";
        public long Inputs;
        public long Accepted;
        public long SlowestTicks;
        public long SlowestBytes;
        public long MostAllocated;
        public long Started = Stopwatch.GetTimestamp();
        public TimeSpan CpuTime;
        public readonly List<FuzzFailure> Crashes = [];
        public readonly List<FuzzFailure> Hangs = [];
    }

    private static void Work(FuzzTarget target, FuzzOptions options, RunState state)
    {
        var random = new Random(options.Seed ^ StableHash(target.Name));
        var byKind = target.Seeds.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => (IReadOnlyList<byte[]>)[.. g.Select(s => s.Bytes)]);
        var ticksPerSecond = (double)Stopwatch.Frequency;
        // Warm-up: each seed once, untimed, so the slowest input measures the parser and not the JIT compiling it.
        foreach (var warm in target.Seeds)
        {
            try
            {
                target.Run(warm.Kind, warm.Bytes);
            }
            catch (Exception ex) when (target.IsDocumented(ex))
            {
                // a seed may be refused on purpose
            }
        }
        var cpuAtStart = ThreadCpu();
        for (long i = 0; i < options.Inputs; i++)
        {
            var seed = target.Seeds[(int)(i < target.Seeds.Count ? i : random.Next(target.Seeds.Count))];
            var input = i < target.Seeds.Count ? seed.Bytes : Mutator.Mutate(random, seed.Bytes, byKind[seed.Kind], options.MaxInputBytes);
            if (i >= target.Seeds.Count && target.FixUp is { } fix)
                input = fix(input, random);

            state.Current = input;
            state.CurrentKind = seed.Kind;
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            Volatile.Write(ref state.CurrentStart, start);
            Exception? thrown = null;
            try
            {
                target.Run(seed.Kind, input);
            }
            catch (Exception ex)
            {
                thrown = ex;
            }
            var ticks = Stopwatch.GetTimestamp() - start;
            Volatile.Write(ref state.CurrentStart, 0);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

            state.Inputs = i + 1;
            var elapsed = TimeSpan.FromSeconds(ticks / ticksPerSecond);
            var cpuBound = true;
            if (elapsed > options.RecheckOver)
                (elapsed, cpuBound) = Recheck(target, seed.Kind, input, elapsed, options);
            if (elapsed.Ticks > state.SlowestTicks)
            {
                state.SlowestTicks = elapsed.Ticks;
                state.SlowestBytes = input.Length;
            }
            state.MostAllocated = Math.Max(state.MostAllocated, allocated);
            if (thrown is null)
                state.Accepted++;
            else if (!target.IsDocumented(thrown))
                state.Crashes.Add(Save(options, target.Name, new FuzzFailure("crash", seed.Kind, input, $"{thrown.GetType().Name}: {thrown.Message}\n{thrown.StackTrace}")));
            if (elapsed > options.TimeLimit && cpuBound)
                lock (state.Hangs)
                    state.Hangs.Add(Save(options, target.Name, new FuzzFailure("hang", seed.Kind, input, $"took {elapsed.TotalMilliseconds:0} ms")));
            if (allocated > options.AllocationLimit)
                state.Crashes.Add(Save(options, target.Name, new FuzzFailure("memory", seed.Kind, input, $"allocated {allocated:N0} bytes")));
            if (options.Progress is { } progress && (i + 1) % options.ProgressEvery == 0)
                progress(new FuzzProgress(target.Name, i + 1, Stopwatch.GetElapsedTime(state.Started)));
            if (state.Crashes.Count >= 20)
                break; // enough to fix
            if (options.Budget is { } budget && (i & 1023) == 0 && Stopwatch.GetElapsedTime(state.Started) > budget)
                break;
        }
        state.CpuTime = ThreadCpu() - cpuAtStart;
    }

    private static int _saved;

    private static FuzzFailure Save(FuzzOptions options, string target, FuzzFailure failure)
    {
        if (options.FailureDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            var safeKind = string.Concat(failure.SeedKind.Where(char.IsLetterOrDigit));
            File.WriteAllBytes(Path.Combine(dir, $"{target}-{failure.Kind}-{safeKind}-{Interlocked.Increment(ref _saved)}.bin"), failure.Input);
        }
        return failure;
    }

    /// <summary>
    /// A slow input is run again, timing its CPU: on a shared machine a thread can wait seconds for a core. Its time is the
    /// faster of the two runs, and it counts as a hang only if the second run also spent at least half the limit on the CPU.
    /// </summary>
    private static (TimeSpan Elapsed, bool CpuBound) Recheck(FuzzTarget target, string kind, byte[] input, TimeSpan first, FuzzOptions options)
    {
        var cpu = ThreadCpu();
        var start = Stopwatch.GetTimestamp();
        try
        {
            target.Run(kind, input);
        }
        catch (Exception)
        {
            // the first run already judged the exception
        }
        var again = Stopwatch.GetElapsedTime(start);
        var spent = ThreadCpu() - cpu;
        return (again < first ? again : first, spent >= options.TimeLimit / 2);
    }

    /// <summary>CPU time of the calling thread (Linux: /proc/thread-self/stat utime + stime; elsewhere the process's).</summary>
    private static TimeSpan ThreadCpu()
    {
        try
        {
            var stat = File.ReadAllText("/proc/thread-self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        }
    }

    /// <summary>FNV-1a: string.GetHashCode differs per process, and the inputs must not.</summary>
    public static int StableHash(string s)
    {
        var h = 2166136261u;
        foreach (var c in s)
            h = (h ^ c) * 16777619u;
        return (int)h;
    }
}
