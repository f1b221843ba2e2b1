using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Interpreter;

public class RegexPrefilterTests
{
    [Theory]
    [InlineData("^cmd-[0-9]{4}$", false, "cmd-", true)]
    [InlineData(@"cmd.*-enc", true, "cmd", false)]
    [InlineData(@"\\svchost\.exe$", false, @"\svchost.exe", false)]
    [InlineData("ab+c", false, "a", false)]
    public void For_LeadingLiteral_Extracted(string pattern, bool ignoreCase, string literal, bool anchored)
    {
        var prefilter = RegexPrefilter.For(pattern, ignoreCase).ShouldNotBeNull();

        prefilter.Literal.ShouldBe(literal);
        prefilter.Anchored.ShouldBe(anchored);
    }

    [Theory]
    [InlineData("abc|def", false)]
    [InlineData("(?i)abc", false)]
    [InlineData("a?bc", false)]
    [InlineData("kelvin", true)]
    [InlineData("[a]bc", false)]
    public void For_UnsafeOrNoLiteral_NoPrefilter(string pattern, bool ignoreCase) => RegexPrefilter.For(pattern, ignoreCase).ShouldBeNull();

    [Fact]
    public void Prefilter_NeverChangesTheResult()
    {
        // Property: for random patterns and inputs, the matcher with its prefilter agrees with the bare regex.
        string[] atoms = ["a", "b", "k", "s", "-", ".", @"\.", @"\\", "a*", "b+", "[ab]", "(a|b)", "|", "^", "$", "x?", "A", "K"];
        var gen = Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var r = new Random(seed);
            var pattern = string.Concat(Enumerable.Range(0, r.Next(1, 6)).Select(_ => atoms[r.Next(atoms.Length)]));
            const string alphabet = "abkKsS.-\\x\u212A\u017F";
            var input = new string([.. Enumerable.Range(0, r.Next(0, 10)).Select(_ => alphabet[r.Next(alphabet.Length)])]);
            return (pattern, input, ignoreCase: r.Next(2) == 0);
        });
        Prop.ForAll(Arb.From(gen), t =>
        {
            Regex regex;
            try
            {
                regex = Matcher.CompileRegex(t.pattern, t.ignoreCase, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                return true;
            }
            var matcher = new RegexMatcher(0, regex, RegexPrefilter.For(t.pattern, t.ignoreCase));
            return (matcher.Match(InputValue.Of(t.input)) == MatchOutcome.Match) == regex.IsMatch(t.input);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ForAsciiInput_IgnoreCaseLiteralWithKOrS_FiltersAsciiInputsOnly()
    {
        var prefilter = RegexPrefilter.ForAsciiInput("kelvin", ignoreCase: true).ShouldNotBeNull();
        var regex = Matcher.CompileRegex("kelvin", true, TimeSpan.FromSeconds(1));
        var matcher = new RegexMatcher(0, regex, prefilter);

        prefilter.AsciiInputOnly.ShouldBeTrue();
        prefilter.MayMatch("KELVIN scale").ShouldBeTrue();
        prefilter.MayMatch("celsius").ShouldBeFalse();
        prefilter.MayMatch("\u212Aelvin").ShouldBeTrue(); // non-ASCII input: not filtered, the regex decides
        (matcher.Match(InputValue.Of("\u212Aelvin")) == MatchOutcome.Match).ShouldBe(regex.IsMatch("\u212Aelvin"));
        matcher.Cost.ShouldBe(10); // evaluation order unchanged by an ASCII-input-only filter
        RegexPrefilter.ForAsciiInput("cmd", ignoreCase: true).ShouldBeNull(); // For already gives an unconditional filter
        RegexPrefilter.ForAsciiInput("kelvin", ignoreCase: false).ShouldBeNull();
    }

    [Fact]
    public void AsciiInputPrefilter_NeverChangesTheResult()
    {
        // Property: with the ASCII-input-only filter as well, the matcher agrees with the bare regex on ASCII and non-ASCII inputs.
        string[] atoms = ["a", "s", "k", "S", "K", "-", ".", @"\", "s*", "k+", "[sk]", "(s|k)", "|", "^", "$", "x?", "ss", "Ks"];
        var gen = Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var r = new Random(seed);
            var pattern = string.Concat(Enumerable.Range(0, r.Next(1, 6)).Select(_ => atoms[r.Next(atoms.Length)]));
            var alphabet = r.Next(2) == 0 ? "askKsS.-\\x" : "askKsS.-\\x\u212A\u017F\u0130";
            var input = new string([.. Enumerable.Range(0, r.Next(0, 10)).Select(_ => alphabet[r.Next(alphabet.Length)])]);
            return (pattern, input);
        });
        Prop.ForAll(Arb.From(gen), t =>
        {
            Regex regex;
            try
            {
                regex = Matcher.CompileRegex(t.pattern, true, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                return true;
            }
            var matcher = new RegexMatcher(0, regex, RegexPrefilter.For(t.pattern, true) ?? RegexPrefilter.ForAsciiInput(t.pattern, true));
            return (matcher.Match(InputValue.Of(t.input)) == MatchOutcome.Match) == regex.IsMatch(t.input);
        }).QuickCheckThrowOnFailure();
    }
}
