using FsCheck;
using FsCheck.Fluent;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Interpreter;

/// <summary>Every criterion kind, through the real compiler and evaluator, on a one-field type.</summary>
public class CriterionMatchingTests
{
    private static bool Matches(FieldType type, Criterion criterion, InputValue value)
    {
        var field = type switch
        {
            FieldType.Integer => TemplateField.Integer("f"),
            FieldType.Path => TemplateField.Path("f"),
            FieldType.Enum => TemplateField.Enum("f", "inbound", "outbound", "duplex"),
            _ => TemplateField.String("f"),
        };
        var t = new TemplateType("t", "t", [field]);
        var file = new ChannelFile("c", "t", 1, [new TemplateInstance("i", "detect", Severity.Low, [criterion])]);
        var evaluator = CompiledChannel.Compile(file, t).CreateEvaluator();
        var result = evaluator.Evaluate([value]);
        evaluator.Faults.ShouldBeEmpty();
        return result.Matches.Count == 1;
    }

    [Theory]
    [InlineData("anything")]
    [InlineData("")]
    public void Wildcard_AnyValue_Matches(string value)
    {
        var t = new TemplateType("t", "t", [TemplateField.String("a"), TemplateField.String("b")]);
        var file = new ChannelFile("c", "t", 1, [new TemplateInstance("i", "detect", Severity.Low, [Criterion.Exact("x"), Criterion.Wildcard])]);
        CompiledChannel.Compile(file, t).CreateEvaluator().Evaluate(["x", value]).Matches.Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("spoolss", "spoolss", false, true)]
    [InlineData("spoolss", "SPOOLSS", false, false)]
    [InlineData("spoolss", "SPOOLSS", true, true)]
    [InlineData("spoolss", "spoolss2", true, false)]
    [InlineData("", "", false, true)]
    public void Exact_String_RespectsCase(string expected, string value, bool ignoreCase, bool match) =>
        Matches(FieldType.String, Criterion.Exact(expected, ignoreCase), value).ShouldBe(match);

    [Theory]
    [InlineData(445, 445, true)]
    [InlineData(445, 446, false)]
    [InlineData(long.MinValue, long.MinValue, true)]
    public void Exact_Integer_ComparesValue(long expected, long value, bool match) =>
        Matches(FieldType.Integer, Criterion.Exact(expected), value).ShouldBe(match);

    [Theory]
    [InlineData("msagent_*", "msagent_12", false, true)]
    [InlineData("msagent_*", "xmsagent_12", false, false)]
    [InlineData(@"*\rundll32.exe", @"C:\Windows\System32\RUNDLL32.EXE", true, true)]
    [InlineData(@"*\rundll32.exe", @"C:\Windows\System32\RUNDLL32.EXE", false, false)]
    [InlineData("*temp*", @"C:\Users\bob\AppData\Local\temp\x.exe", false, true)]
    [InlineData("a?c", "abc", false, true)]
    [InlineData("a?c", "ac", false, false)]
    [InlineData("a*b*c", "aXXbYYc", false, true)]
    [InlineData("a*b*c", "aXXcYYb", false, false)]
    [InlineData("*", "", false, true)]
    [InlineData("", "", false, true)]
    [InlineData("", "x", false, false)]
    [InlineData("no-wildcards", "no-wildcards", false, true)]
    public void Glob_Patterns_MatchLikeShellGlobs(string pattern, string value, bool ignoreCase, bool match) =>
        Matches(FieldType.Path, Criterion.Glob(pattern, ignoreCase), value).ShouldBe(match);

    [Theory]
    [InlineData("^postex_[0-9a-f]{4}$", "postex_a1b2", false, true)]
    [InlineData("^postex_[0-9a-f]{4}$", "postex_A1B2", false, false)]
    [InlineData("^postex_[0-9a-f]{4}$", "POSTEX_A1B2", true, true)]
    [InlineData("sekurlsa::", "mimikatz sekurlsa::logonpasswords", false, true)]
    [InlineData("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", false, false)]
    public void Regex_Patterns_MatchOnNonBacktrackingEngine(string pattern, string value, bool ignoreCase, bool match) =>
        Matches(FieldType.String, Criterion.Regex(pattern, ignoreCase), value).ShouldBe(match);

    [Theory]
    [InlineData(10, 20, 10, true)]
    [InlineData(10, 20, 20, true)]
    [InlineData(10, 20, 9, false)]
    [InlineData(10, 20, 21, false)]
    [InlineData(long.MinValue, long.MaxValue, 0, true)]
    public void Range_IsInclusive(long min, long max, long value, bool match) =>
        Matches(FieldType.Integer, Criterion.Range(min, max), value).ShouldBe(match);

    [Theory]
    [InlineData("b", false, true)]
    [InlineData("B", false, false)]
    [InlineData("B", true, true)]
    [InlineData("d", true, false)]
    public void Set_Strings_Membership(string value, bool ignoreCase, bool match) =>
        Matches(FieldType.String, Criterion.Set(["a", "b", "c"], ignoreCase), value).ShouldBe(match);

    [Theory]
    [InlineData(80, true)]
    [InlineData(443, true)]
    [InlineData(8080, false)]
    public void Set_Integers_Membership(long value, bool match) =>
        Matches(FieldType.Integer, Criterion.Set([80L, 443L]), value).ShouldBe(match);

    [Theory]
    [InlineData("duplex", true)]
    [InlineData("inbound", false)]
    public void Exact_EnumField_ComparesValue(string value, bool match) =>
        Matches(FieldType.Enum, Criterion.Exact("duplex"), value).ShouldBe(match);

    [Fact]
    public void Glob_GeneralMatcher_AgreesWithRegexTranslation()
    {
        // Property: the iterative glob matcher agrees with an equivalent anchored regex on random patterns and inputs.
        var alphabet = "ab*?";
        var gen = Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var r = new Random(seed);
            var p = new string([.. Enumerable.Range(0, r.Next(0, 7)).Select(_ => alphabet[r.Next(alphabet.Length)])]);
            var s = new string([.. Enumerable.Range(0, r.Next(0, 9)).Select(_ => "ab"[r.Next(2)])]);
            return (p, s);
        });
        Prop.ForAll(Arb.From(gen), ps =>
        {
            var regex = "^" + string.Concat(ps.p.Select(ch => ch switch { '*' => ".*", '?' => ".", _ => ch.ToString() })) + "$";
            return GlobMatcher.IsMatch(ps.p, ps.s, ignoreCase: false) == System.Text.RegularExpressions.Regex.IsMatch(ps.s, regex, System.Text.RegularExpressions.RegexOptions.Singleline);
        }).QuickCheckThrowOnFailure();
    }
}
