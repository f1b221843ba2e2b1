using System.Globalization;
using Ringfence.Fuzz;
using Ringfence.Fuzz.Targets;

// ringfence-fuzz [--target NAME[,NAME...]|all] [--inputs N] [--seed S] [--time-limit-ms MS] [--max-minutes M] [--failures DIR]
//                [--write-tuf-seeds DIR]
// Runs each target one after the other and prints a Markdown row per target for docs/benchmarks.md.
var targets = new Dictionary<string, Func<FuzzTarget>>(StringComparer.Ordinal)
{
    ["channel-binary"] = ContentTargets.ChannelBinary,
    ["content-json"] = ContentTargets.ContentJsonReaders,
    ["scenario"] = ScenarioTargets.Scenario,
    ["tuf-metadata"] = TrustTargets.Metadata,
    ["http-bodies"] = ServerTargets.Bodies,
};

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

if (Option("--write-tuf-seeds") is { } seedDir)
{
    TufSeeds.Write(seedDir);
    Console.WriteLine($"wrote TUF seed metadata to {seedDir}");
    return 0;
}

var selected = Option("--target") is { } t && t != "all" ? t.Split(',') : [.. targets.Keys];
foreach (var name in selected.Where(n => !targets.ContainsKey(n)))
{
    Console.Error.WriteLine($"error: unknown target '{name}' (known: {string.Join(", ", targets.Keys)})");
    return 2;
}
var inputs = long.Parse(Option("--inputs") ?? "10000000", CultureInfo.InvariantCulture);
var seed = int.Parse(Option("--seed") ?? "20240719", CultureInfo.InvariantCulture);
var timeLimit = TimeSpan.FromMilliseconds(double.Parse(Option("--time-limit-ms") ?? "1000", CultureInfo.InvariantCulture));
TimeSpan? budget = Option("--max-minutes") is { } m ? TimeSpan.FromMinutes(double.Parse(m, CultureInfo.InvariantCulture)) : null;
var failures = Option("--failures") ?? Path.Combine(Path.GetTempPath(), "ringfence-fuzz-failures");

Console.WriteLine("| Target | Inputs | Accepted | Crashes | Hangs | Slowest input | Most allocated by one input | Inputs/s (wall) | Inputs/CPU-s | Wall time | 10 M at the CPU rate |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
var failed = false;
foreach (var name in selected)
{
    var target = targets[name]();
    var result = FuzzRunner.Run(target, new FuzzOptions(inputs, seed)
    {
        TimeLimit = timeLimit,
        Budget = budget,
        FailureDirectory = failures,
        ProgressEvery = 1_000_000,
        Progress = p => Console.Error.WriteLine($"{p.Target}: {p.Inputs:N0} inputs, {p.Elapsed.TotalSeconds:N0} s"),
    });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {result.Inputs:N0} | {result.Accepted:N0} | {result.Crashes.Count} | {result.Hangs.Count} | {result.Slowest.TotalMilliseconds:N1} ms ({result.SlowestInputBytes:N0} bytes) | {result.MostAllocated / 1024.0 / 1024.0:N1} MiB | {result.InputsPerSecond:N0} | {result.InputsPerCpuSecond:N0} | {result.Elapsed.TotalMinutes:N1} min | {10_000_000 / result.InputsPerCpuSecond / 60:N1} min |"));
    foreach (var f in result.Crashes.Concat(result.Hangs).Take(5))
        Console.Error.WriteLine($"{name} {f.Kind} ({f.SeedKind}, {f.Input.Length} bytes): {f.What.Split('\n')[0]}");
    failed |= result.Crashes.Count > 0 || result.Hangs.Count > 0;
}
if (failed)
    Console.Error.WriteLine($"failing inputs are in {failures}");
return failed ? 1 : 0;
