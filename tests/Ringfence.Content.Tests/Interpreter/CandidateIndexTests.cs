using System.Collections.Frozen;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Interpreter;

/// <summary>The index's lookups on their own: contains scans, affix probes, and the keys a general glob offers.</summary>
public class CandidateIndexTests
{
    // These tests compare match semantics, not speed: on a loaded machine a regex can exceed the default 100 ms
    // limit and count as no match, so they allow the interpreter's longest limit.
    private static readonly InterpreterOptions Patient = new() { RegexMatchTimeout = TimeSpan.FromSeconds(10) };

    private static readonly TemplateType PathType = new("t", "paths", [TemplateField.Path("cwd"), TemplateField.String("user")]);
    private static readonly string[] Tools = ["powershell", "cmd", "rundll32", "regsvr32", "mshta", "wscript", "cscript", "certutil", "bitsadmin", "msbuild"];

    [Fact]
    public void Infix_GeneralGlob_IsLongestLiteralRunAndNotComplete()
    {
        var matcher = GlobMatcher.Create(0, @"C:\Users\*\AppData\Local\Temp\cmd\*?x", ignoreCase: true);

        var infix = matcher.Infix.ShouldNotBeNull();

        infix.Text.ShouldBe(@"\AppData\Local\Temp\cmd\");
        infix.IgnoreCase.ShouldBeTrue();
        infix.Complete.ShouldBeFalse();
        matcher.Affix.ShouldNotBeNull().Text.ShouldBe(@"C:\Users\");
    }

    [Fact]
    public void Build_GeneralGlobsSharingTheirHead_KeyedByTheirDistinctInfix()
    {
        var file = new ChannelFile("c", "t", 1, [.. Tools.Select((tool, i) => new TemplateInstance($"i{i}", "detect", Severity.Low,
            [Criterion.Glob($@"C:\Users\*\AppData\Local\Temp\{tool}\*", ignoreCase: true), Criterion.Wildcard]))]);

        var index = CompiledChannel.Compile(file, PathType, Patient).Index.ShouldNotBeNull();

        index.Always.ShouldAllBe(word => word == 0UL);
        var infix = index.Lookups.ShouldHaveSingleItem().Infixes.ShouldHaveSingleItem();
        infix.Literals.Length.ShouldBe(Tools.Length);
        var candidates = new ulong[index.Words];
        index.Candidates([@"C:\Users\bob\AppData\Local\Temp\CMD\x.exe", "u"], candidates);
        candidates[0].ShouldBe(1UL << 1); // only the cmd rule is a candidate, not all ten sharing C:\Users\
    }

    [Theory]
    [InlineData(@"C:\Users\bob\AppData\Local\Temp\certutil\a.exe", "i7")]
    [InlineData(@"c:\users\BOB\appdata\local\temp\MSBUILD\", "i9")]
    [InlineData(@"C:\Users\bob\AppData\Local\Temp\cmd", "")]
    [InlineData(@"C:\Users\\u00e9\AppData\Local\Temp\CMD\x", "i1")]
    [InlineData(@"D:\Users\bob\AppData\Local\Temp\cmd\x", "")]
    public void Evaluate_GeneralGlobsSharingTheirHead_SameAsLinearScan(string cwd, string expected)
    {
        var file = new ChannelFile("c", "t", 1, [.. Tools.Select((tool, i) => new TemplateInstance($"i{i}", "detect", Severity.Low,
            [Criterion.Glob($@"C:\Users\*\AppData\Local\Temp\{tool}\*", ignoreCase: true), Criterion.Wildcard]))]);
        var indexed = CompiledChannel.Compile(file, PathType, Patient).CreateEvaluator();
        var linear = CompiledChannel.Compile(file, PathType, Patient with { IndexCandidates = false }).CreateEvaluator();
        InputValue[] values = [cwd.Replace("\\u00e9", "\u00e9", StringComparison.Ordinal), "u"];

        var result = string.Join(",", indexed.Evaluate(values).MatchedIds);

        result.ShouldBe(expected);
        result.ShouldBe(string.Join(",", linear.Evaluate(values).MatchedIds));
    }

    [Fact]
    public void Build_IncompleteKey_EvaluatedAfterTheOtherMatchersBeforeTheFirstRegex()
    {
        var type = new TemplateType("t", "three", [TemplateField.String("a"), TemplateField.String("b"), TemplateField.String("c")]);
        var file = new ChannelFile("c", "t", 1,
        [
            new TemplateInstance("short", "detect", Severity.Low, [Criterion.Glob("abc*"), Criterion.Glob("*zz*"), Criterion.Wildcard]),
            // Keyed by its prefix cut to "abc" (the group's shortest), so StartsWith("abcdef") still has to run.
            new TemplateInstance("long", "detect", Severity.Low, [Criterion.Glob("abcdef*"), Criterion.Glob("*zz*"), Criterion.Regex("q+")]),
        ]);
        var compiled = CompiledChannel.Compile(file, type, Patient);
        var matchers = compiled.Instances[1].Matchers; // cheapest first: StartsWith, Contains, regex

        var rest = compiled.Index.ShouldNotBeNull().Rest[1];

        rest.ShouldBe([matchers[1], matchers[0], matchers[2]]);
        string.Join(",", compiled.CreateEvaluator().Evaluate(["abcdefg", "xzzx", "qq"]).MatchedIds).ShouldBe("short,long");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mark_RandomTextsAndLiterals_MarksExactlyTheLiteralsContained(bool ignoreCase)
    {
        // Short overlapping literals over a small alphabet hit many positions; texts up to 90 characters take both the
        // vectorised and the scalar path, hits near the end included.
        string[] pieces = ["a", "b", "ab", "ba", "aB", "k", "s", "x", "\u212A", "\u00E9", "\uD801\uDC00", "-"];
        var random = new Random(2026_11_30 + (ignoreCase ? 1 : 0));
        var mismatches = new List<string>();
        var hits = 0;
        for (var round = 0; round < 400; round++)
        {
            var literals = Enumerable.Range(0, random.Next(1, 12)).Select(_ => Text(random, pieces, random.Next(1, 5)))
                .Where(l => !ignoreCase || System.Text.Ascii.IsValid(l)).Distinct(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal).ToArray();
            if (literals.Length == 0)
                continue;
            var infix = new CandidateIndex.InfixLookup(ignoreCase, literals, [.. literals.Select((_, k) => new[] { k })]);
            for (var e = 0; e < 20; e++)
            {
                var text = Text(random, random.Next(3) == 0 ? ["a", "b", "x", "-"] : pieces, random.Next(0, 60));
                var bits = new ulong[1];

                infix.Mark(text, bits);

                var asciiOrOrdinal = !ignoreCase || System.Text.Ascii.IsValid(text);
                var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                var expected = Enumerable.Range(0, literals.Length).Where(k => !asciiOrOrdinal || text.Contains(literals[k], comparison))
                    .Aggregate(0UL, (acc, k) => acc | (1UL << k));
                if (bits[0] != expected)
                    mismatches.Add($"[{string.Join("|", literals)}] in '{text}': {bits[0]:x} vs {expected:x}");
                hits += System.Numerics.BitOperations.PopCount(expected);
            }
        }
        mismatches.ShouldBeEmpty();
        hits.ShouldBeGreaterThan(1000);
    }

    [Fact]
    public void Mark_IgnoreCaseNonAsciiText_MarksEveryInstance()
    {
        var infix = new CandidateIndex.InfixLookup(true, ["cmd", "certutil"], [[0], [3]]);
        var bits = new ulong[1];

        infix.Mark("\u00E9 nothing here at all, long enough for the vector path", bits);

        bits[0].ShouldBe((1UL << 0) | (1UL << 3));
    }

    [Theory]
    [InlineData("CMD.exe", true)]
    [InlineData("cmd.exe", true)]
    [InlineData("cmx.exe", false)]
    [InlineData("csd.exe", true)] // passes every probe; the dictionary decides
    [InlineData("xmd.exe", false)]
    [InlineData("\u00E9md.exe", true)] // a non-ASCII character is not judged
    public void MayMatch_IgnoreCaseKeys_RejectsOnlyPartsNoKeyCanBe(string part, bool mayMatch)
    {
        var keys = new[] { "cmd.exe", "csc.exe" }.ToFrozenDictionary(k => k, _ => new[] { 0 }, StringComparer.OrdinalIgnoreCase);
        var lookup = new CandidateIndex.AffixLookup(false, 7, true, keys);

        lookup.MayMatch(part).ShouldBe(mayMatch);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MayMatch_RandomKeys_NeverRejectsAKey(bool ignoreCase)
    {
        string[] pieces = ["a", "B", "c", "\u00E9", "\u212A", "k", ".", "\\"];
        var random = new Random(11 + (ignoreCase ? 1 : 0));
        var comparer = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var rejected = 0;
        for (var round = 0; round < 300; round++)
        {
            var length = random.Next(1, 5);
            var keys = Enumerable.Range(0, random.Next(1, 6)).Select(_ => Text(random, pieces, length))
                .Where(k => !ignoreCase || System.Text.Ascii.IsValid(k)).Distinct(comparer).ToFrozenDictionary(k => k, _ => new[] { 0 }, comparer);
            if (keys.Count == 0)
                continue;
            var lookup = new CandidateIndex.AffixLookup(false, length, ignoreCase, keys);
            for (var e = 0; e < 30; e++)
            {
                var part = random.Next(2) == 0 ? keys.Keys[random.Next(keys.Count)] : Text(random, pieces, length);
                part = random.Next(2) == 0 ? part.ToUpperInvariant() : part;
                if (keys.ContainsKey(part))
                    lookup.MayMatch(part).ShouldBeTrue($"key '{part}' of [{string.Join("|", keys.Keys)}]");
                else if (!lookup.MayMatch(part))
                    rejected++;
            }
        }
        rejected.ShouldBeGreaterThan(100); // the probes do reject non-keys
    }

    private static string Text(Random random, string[] pieces, int count) =>
        string.Concat(Enumerable.Range(0, count).Select(_ => pieces[random.Next(pieces.Length)]));
}
