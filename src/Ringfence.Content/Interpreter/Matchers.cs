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

    /// <summary>Dense id within one compiled channel; instances with the same criterion on the same field share one matcher.</summary>
    public int Id { get; internal set; }

    /// <summary>True when more than one instance uses this matcher (only those are memoised per event).</summary>
    public bool Shared { get; internal set; }

    public abstract MatchOutcome Match(in InputValue value);

    /// <summary>
    /// A literal every matching string value must start (or end) with, compared ordinally or ignoring case; a value without
    /// it is a NoMatch. <c>Complete</c>: having it is also sufficient (the matcher is exactly that test). Null when none.
    /// Used by the candidate index.
    /// </summary>
    public virtual AffixKey? Affix => null;

    /// <summary>A literal every matching string value must contain (Suffix unused); a value without it is a NoMatch. Null when none.</summary>
    public virtual AffixKey? Infix => null;

    protected static MatchOutcome Of(bool b) => b ? MatchOutcome.Match : MatchOutcome.NoMatch;

    public static Matcher Create(int fieldIndex, Criterion c, InterpreterOptions options) => c.Kind switch
    {
        CriterionKind.Exact when c.Integer is { } i => new ExactIntegerMatcher(fieldIndex, i),
        CriterionKind.Exact => new ExactStringMatcher(fieldIndex, c.Text ?? "", c.IgnoreCase),
        CriterionKind.Glob => GlobMatcher.Create(fieldIndex, c.Text ?? "", c.IgnoreCase),
        CriterionKind.Regex => new RegexMatcher(fieldIndex, CompileRegex(c.Text ?? "", c.IgnoreCase, options.RegexMatchTimeout), RegexPrefilter.For(c.Text ?? "", c.IgnoreCase) ?? RegexPrefilter.ForAsciiInput(c.Text ?? "", c.IgnoreCase)),
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

/// <summary>See <see cref="Matcher.Affix"/>.</summary>
internal sealed record AffixKey(string Text, bool Suffix, bool IgnoreCase, bool Complete);

internal sealed class ExactStringMatcher(int field, string expected, bool ignoreCase) : Matcher(field, 1)
{
    public string Expected => expected;
    public bool IgnoreCase => ignoreCase;

    private readonly StringComparison _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public override MatchOutcome Match(in InputValue value) =>
        value.Text is { } s ? Of(string.Equals(s, expected, _comparison)) : MatchOutcome.TypeMismatch;
}

internal sealed class ExactIntegerMatcher(int field, long expected) : Matcher(field, 0)
{
    public long Expected => expected;

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

    public IReadOnlyCollection<long> Values => _set;

    public override MatchOutcome Match(in InputValue value) =>
        value.IsInteger ? Of(_set.Contains(value.Integer)) : MatchOutcome.TypeMismatch;
}

internal sealed class StringSetMatcher(int field, IEnumerable<string> values, bool ignoreCase) : Matcher(field, 2)
{
    private readonly FrozenSet<string> _set = values.ToFrozenSet(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public IReadOnlyCollection<string> Values => _set;
    public bool IgnoreCase => ignoreCase;

    public override MatchOutcome Match(in InputValue value) =>
        value.Text is { } s ? Of(_set.Contains(s)) : MatchOutcome.TypeMismatch;
}

// An ASCII-input-only prefilter keeps cost 10 so evaluation order is exactly what it was before such prefilters existed.
internal sealed class RegexMatcher(int field, Regex regex, RegexPrefilter? prefilter) : Matcher(field, prefilter is null || prefilter.AsciiInputOnly ? 10 : 8)
{
    public override AffixKey? Affix => prefilter is { Anchored: true, AsciiInputOnly: false } p ? new(p.Literal, false, p.IgnoreCase, false) : null;

    // An ASCII-input-only filter is also a valid infix under the index's rule for ignore-case infixes (non-ASCII values skip them).
    public override AffixKey? Infix => prefilter is { Anchored: false } p ? new(p.Literal, false, p.IgnoreCase, false) : null;

    public override MatchOutcome Match(in InputValue value)
    {
        if (value.Text is not { } s)
            return MatchOutcome.TypeMismatch;
        if (prefilter is not null && !prefilter.MayMatch(s))
            return MatchOutcome.NoMatch;
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

/// <summary>
/// A literal every match must contain (or start with, for <c>^literal</c>), checked before calling the regex engine:
/// most events fail it in a few nanoseconds. Only derived when provably safe: the literal is the pattern's leading run of
/// plain characters, there is no top-level alternation, and under ignore-case it holds only ASCII letters and digits
/// without non-ASCII case equivalents (k and s have them: the Kelvin sign and the long s).
/// <see cref="ForAsciiInput"/> relaxes the last rule for ASCII inputs only: in an all-ASCII input an ASCII letter can only
/// match itself in either ASCII case (its non-ASCII equivalents cannot occur), so any ASCII literal is a safe
/// ignore-case filter there; non-ASCII inputs skip such a filter and go to the regex engine.
/// </summary>
internal sealed class RegexPrefilter(string literal, bool anchored, StringComparison comparison, bool asciiInputOnly = false)
{
    public string Literal { get; } = literal;
    public bool Anchored { get; } = anchored;

    public bool IgnoreCase => comparison == StringComparison.OrdinalIgnoreCase;

    /// <summary>True when the filter is only applied to all-ASCII inputs.</summary>
    public bool AsciiInputOnly { get; } = asciiInputOnly;

    public bool MayMatch(string s) =>
        (AsciiInputOnly && !System.Text.Ascii.IsValid(s)) || (Anchored ? s.StartsWith(Literal, comparison) : s.Contains(Literal, comparison));

    public static RegexPrefilter? For(string pattern, bool ignoreCase) => Build(pattern, ignoreCase, asciiInputOnly: false);

    /// <summary>An ignore-case prefilter for a literal of any ASCII characters, applied to ASCII inputs only (null when <see cref="For"/> would do, or no literal).</summary>
    public static RegexPrefilter? ForAsciiInput(string pattern, bool ignoreCase) =>
        ignoreCase && For(pattern, ignoreCase) is null ? Build(pattern, ignoreCase, asciiInputOnly: true) : null;

    private static RegexPrefilter? Build(string pattern, bool ignoreCase, bool asciiInputOnly)
    {
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            if (ch == '\\')
            {
                i++;
                continue;
            }
            if (inClass)
            {
                inClass = ch != ']';
                continue;
            }
            switch (ch)
            {
                case '[': inClass = true; break;
                case '(': depth++; break;
                case ')': depth--; break;
                case '|' when depth == 0: return null;
            }
        }

        var anchored = pattern.StartsWith('^');
        var literal = new System.Text.StringBuilder();
        for (var i = anchored ? 1 : 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            char? next;
            int width;
            if (ch == '\\')
            {
                if (i + 1 >= pattern.Length || !IsEscapedLiteral(pattern[i + 1]))
                    break;
                next = pattern[i + 1];
                width = 2;
            }
            else if (".$^*+?()[]{}|#".Contains(ch) || char.IsWhiteSpace(ch))
            {
                break;
            }
            else
            {
                next = ch;
                width = 1;
            }
            // A quantifier after this character makes it optional or repeatable: stop before it.
            var after = i + width < pattern.Length ? pattern[i + width] : '\0';
            if (after is '*' or '?' or '{' or '+')
                break;
            literal.Append(next.Value);
            i += width - 1;
        }
        var text = literal.ToString();
        if (text.Length == 0)
            return null;
        if (asciiInputOnly)
            return System.Text.Ascii.IsValid(text) ? new RegexPrefilter(text, anchored, StringComparison.OrdinalIgnoreCase, asciiInputOnly: true) : null;
        if (ignoreCase && !text.All(c => char.IsAsciiLetterOrDigit(c) && c is not ('k' or 'K' or 's' or 'S') || (!char.IsLetter(c) && c < 128)))
            return null;
        return new RegexPrefilter(text, anchored, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static bool IsEscapedLiteral(char c) => c is '\\' or '.' or '-' or '/' or ':' or '_' or '$' or '^' or '(' or ')' or '[' or ']' or '{' or '}' or '*' or '+' or '?' or '|' or '#' or ' ';
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
        public override AffixKey? Affix => new(prefix, false, comparison == StringComparison.OrdinalIgnoreCase, true);

        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.StartsWith(prefix, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class EndsWith(int field, string suffix, StringComparison comparison) : GlobMatcher(field, 2)
    {
        public override AffixKey? Affix => new(suffix, true, comparison == StringComparison.OrdinalIgnoreCase, true);

        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.EndsWith(suffix, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class Contains(int field, string part, StringComparison comparison) : GlobMatcher(field, 4)
    {
        public override AffixKey? Infix => new(part, false, comparison == StringComparison.OrdinalIgnoreCase, true);

        public override MatchOutcome Match(in InputValue value) =>
            value.Text is { } s ? Of(s.Contains(part, comparison)) : MatchOutcome.TypeMismatch;
    }

    private sealed class General : GlobMatcher
    {
        private readonly string _pattern;
        private readonly bool _ignoreCase;

        // The literal text before the first wildcard rejects most values before the general matcher runs.
        private readonly string _prefix;
        private readonly StringComparison _comparison;

        // Every non-star pattern character consumes exactly one input character, so shorter inputs cannot match.
        private readonly int _minLength;

        // Star-only patterns (no '?'): head*mid1*...*tail, matched by StartsWith/EndsWith and leftmost IndexOf of each
        // middle literal (exact for such patterns). Null when the pattern has '?'.
        private readonly string? _tail;
        private readonly string[]? _middles;

        // Under ignore-case the segment path is used only when pattern and input are ASCII, where OrdinalIgnoreCase and the
        // per-character ToUpperInvariant comparison of IsMatch agree exactly; otherwise IsMatch decides, as before.
        private readonly bool _asciiPattern;

        private readonly string _longestRun;

        public General(int field, string pattern, bool ignoreCase) : base(field, 6)
        {
            _pattern = pattern;
            _ignoreCase = ignoreCase;
            _prefix = pattern[..pattern.IndexOfAny(['*', '?'])];
            _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            _minLength = pattern.Count(ch => ch != '*');
            _asciiPattern = System.Text.Ascii.IsValid(pattern);
            _longestRun = pattern.Split(['*', '?']).MaxBy(run => run.Length) ?? "";
            if (!pattern.Contains('?'))
            {
                var parts = pattern.Split('*');
                _tail = parts[^1];
                _middles = [.. parts[1..^1].Where(p => p.Length > 0)];
            }
        }

        public override AffixKey? Affix => _prefix.Length > 0 ? new(_prefix, false, _ignoreCase, false) : null;

        // Every literal run between wildcards occurs in a matching value, so the longest one is a contains key: with a
        // shared head (C:\Users\*\...\tool\*) it is far more selective than the prefix.
        public override AffixKey? Infix => _longestRun.Length > 0 ? new(_longestRun, false, _ignoreCase, false) : null;

        public override MatchOutcome Match(in InputValue value)
        {
            if (value.Text is not { } s)
                return MatchOutcome.TypeMismatch;
            if (s.Length < _minLength || !s.StartsWith(_prefix, _comparison))
                return MatchOutcome.NoMatch;
            if (_middles is not null && (!_ignoreCase || (_asciiPattern && System.Text.Ascii.IsValid(s))))
                return Of(MatchSegments(s));
            return Of(IsMatch(_pattern, s, _ignoreCase));
        }

        private bool MatchSegments(string s)
        {
            if (!s.EndsWith(_tail!, _comparison))
                return false;
            var pos = _prefix.Length;
            var end = s.Length - _tail!.Length;
            foreach (var middle in _middles!)
            {
                var at = s.AsSpan(pos, end - pos).IndexOf(middle, _comparison);
                if (at < 0)
                    return false;
                pos += at + middle.Length;
            }
            return true;
        }
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
