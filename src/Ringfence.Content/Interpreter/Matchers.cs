using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Ringfence.Content;

internal enum MatchOutcome : byte
{
    NoMatch = 0,
    Match = 1,
    TypeMismatch = 2,
    RegexTimeout = 3,
}

/// <summary>A precompiled criterion on one field. Cost orders evaluation: cheap checks reject most events first.</summary>
internal abstract class Matcher(int fieldIndex, int cost)
{
    public int FieldIndex { get; } = fieldIndex;
    public int Cost { get; } = cost;

    public abstract MatchOutcome Match(in InputValue value);

    protected static MatchOutcome Of(bool b) => b ? MatchOutcome.Match : MatchOutcome.NoMatch;

    public static Matcher Create(int fieldIndex, Criterion c, InterpreterOptions options) => c.Kind switch
    {
        CriterionKind.Exact when c.Integer is { } i => new ExactIntegerMatcher(fieldIndex, i),
        CriterionKind.Exact => new ExactStringMatcher(fieldIndex, c.Text ?? "", c.IgnoreCase),
        CriterionKind.Glob => GlobMatcher.Create(fieldIndex, c.Text ?? "", c.IgnoreCase),
        CriterionKind.Regex => new RegexMatcher(fieldIndex, CompileRegex(c.Text ?? "", c.IgnoreCase, options.RegexMatchTimeout)),
        CriterionKind.Range => new RangeMatcher(fieldIndex, c.Min, c.Max),
        CriterionKind.Set when c.IsIntegerSet => new IntegerSetMatcher(fieldIndex, c.Integers),
        CriterionKind.Set => new StringSetMatcher(fieldIndex, c.Texts, c.IgnoreCase),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "wildcards have no matcher"),
    };

    /// <summary>
    /// Every regex runs on the non-backtracking engine (linear time in the input) AND with a match timeout.
    /// Patterns the engine cannot run (backreferences, lookarounds, atomic groups) are refused.
    /// </summary>
    public static Regex CompileRegex(string pattern, bool ignoreCase, TimeSpan timeout)
    {
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(pattern, options, timeout);
    }
}

internal sealed class ExactStringMatcher(int field, string expected, bool ignoreCase) : Matcher(field, 1)
{
    private readonly StringComparison _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public override MatchOutcome Match(in InputValue value) =>
        value.Text is { } s ? Of(string.Equals(s, expected, _comparison)) : MatchOutcome.TypeMismatch;
}

internal sealed class ExactIntegerMatcher(int field, long expected) : Matcher(field, 0)
{
    public override MatchOutcome Match(in InputValue value) =>
        value.IsInteger ? Of(value.Integer == expected) : MatchOutcome.TypeMismatch;
}

internal sealed class RangeMatcher(int field, long min, long max) : Matcher(field, 0)
{
    public override MatchOutcome Match(in InputValue value) =>
        value.IsInteger ? Of(value.Integer >= min && value.Integer <= max) : MatchOutcome.TypeMismatch;
}

internal sealed class IntegerSetMatcher(int field, IEnumerable<long> values) : Matcher(field, 1)
{
    private readonly FrozenSet<long> _set = values.ToFrozenSet();

    public override MatchOutcome Match(in InputValue value) =>
        value.IsInteger ? Of(_set.Contains(value.Integer)) : MatchOutcome.TypeMismatch;
}

internal sealed class StringSetMatcher(int field, IEnumerable<string> values, bool ignoreCase) : Matcher(field, 2)
{
    private readonly FrozenSet<string> _set = values.ToFrozenSet(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public override MatchOutcome Match(in InputValue value) =>
        value.Text is { } s ? Of(_set.Contains(s)) : MatchOutcome.TypeMismatch;
}

internal sealed class RegexMatcher(int field, Regex regex) : Matcher(field, 10)
{
    public override MatchOutcome Match(in InputValue value)
    {
        if (value.Text is not { } s)
            return MatchOutcome.TypeMismatch;
        try
        {
            return Of(regex.IsMatch(s));
        }
        catch (RegexMatchTimeoutException)
        {
            return MatchOutcome.RegexTimeout;
        }
    }
}

/// <summary>Glob: <c>*</c> matches any run of characters (including none), <c>?</c> exactly one; everything else is literal (so Windows backslashes need no escaping).</summary>
internal abstract class GlobMatcher(int field, int cost) : Matcher(field, cost)
{
    public static Matcher Create(int field, string pattern, bool ignoreCase)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (pattern.Contains('?'))
            return new General(field, pattern, ignoreCase);
        var stars = pattern.Count(ch => ch == '*');
        var inner = pattern.Trim('*');
        if (stars == 0)
            return new ExactStringMatcher(field, pattern, ignoreCase);
        if (inner.Length == 0)
            return new AnyString(field);
        if (!inner.Contains('*'))
        {
            var leading = pattern.StartsWith('*');
            var trailing = pattern.EndsWith('*');
            var leadStars = pattern.Length - pattern.TrimStart('*').Length;
            var trailStars = pattern.Length - pattern.TrimEnd('*').Length;
            if (leadStars + trailStars == stars)
            {
                return (leading, trailing) switch
                {
                    (true, true) => new Contains(field, inner, comparison),
                    (true, false) => new EndsWith(field, inner, comparison),
                    _ => new StartsWith(field, inner, comparison),
                };
            }
        }
        return new General(field, pattern, ignoreCase);
    }

    private sealed class AnyString(int field) : GlobMatcher(field, 0)
    {
        public override MatchOutcome Match(in InputValue value) => value.Text is null ? MatchOutcome.TypeMismatch : MatchOutcome.Match;
    }

    private sealed class StartsWith(int field, string prefix, StringComparison comparison) : GlobMatcher(field, 2)
    {
        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.StartsWith(prefix, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class EndsWith(int field, string suffix, StringComparison comparison) : GlobMatcher(field, 2)
    {
        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.EndsWith(suffix, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class Contains(int field, string part, StringComparison comparison) : GlobMatcher(field, 4)
    {
        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.Contains(part, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class General(int field, string pattern, bool ignoreCase) : GlobMatcher(field, 6)
    {
        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(IsMatch(pattern, s, ignoreCase)) : MatchOutcome.TypeMismatch;
    }

    /// <summary>Iterative glob match with single-star backtracking: O(pattern × input) worst case, no recursion.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
