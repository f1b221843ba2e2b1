using System.Buffers;
using System.Collections.Frozen;

namespace Ringfence.Content;

/// <summary>
/// Which instances an event can possibly match, found by hash lookups instead of evaluating every instance.
/// Each instance with an exact or set criterion (string, ignore-case string or integer), or a literal its matching values
/// must start or end with (prefix/suffix globs, the leading literal of a general glob, the literal of an anchored regex
/// prefilter), is filed under the values of ONE such criterion, its "key" (the one whose values are shared by the fewest
/// other instances); the others are "always" candidates. Prefix/suffix keys are looked up by the value's first/last
/// characters of each key length (span lookups, no allocation). Contains keys (contains globs, unanchored regex
/// prefilters) of one field and comparison are found together by a vectorised multi-string search
/// (<see cref="SearchValues{T}"/>); under ignore-case only in ASCII values, a non-ASCII value makes all of them candidates. Per event, one lookup per indexed field marks the instances whose key accepts the value; only those
/// and the always-candidates are evaluated, with their remaining matchers in the original cheapest-first order.
/// <para>
/// Why results and faults are unchanged: the index is used only for events that supply every value the enabled
/// instances read (no missing-field fault possible) with the right type in every field a matcher reads (no type
/// mismatch possible); the evaluator falls back to the linear scan otherwise. On such an event an instance whose key
/// rejects the value returns NoMatch in the linear scan without faulting, because every matcher ordered before the key
/// is a non-regex matcher (the key is chosen among those), and those only fault on a type mismatch.
/// </para>
/// </summary>
internal sealed class CandidateIndex
{
    private CandidateIndex(FieldLookup[] lookups, ulong[] always, int[] checkedFields, bool[] integerFields, Matcher[][] rest)
    {
        Lookups = lookups;
        Always = always;
        CheckedFields = checkedFields;
        IntegerFields = integerFields;
        Rest = rest;
    }

    /// <summary>One per field that is some instance's key, in field order.</summary>
    public FieldLookup[] Lookups { get; }

    /// <summary>Bit set (one bit per instance) of the instances without a key: evaluated for every event.</summary>
    public ulong[] Always { get; }

    /// <summary>Every field some matcher reads; an event must carry the right value type in each for the index to be used.</summary>
    public int[] CheckedFields { get; }

    /// <summary>Per field of the template type: true when it is an integer field.</summary>
    public bool[] IntegerFields { get; }

    /// <summary>Per instance: its matchers without the key (already known to match for a candidate), in evaluation order.</summary>
    public Matcher[][] Rest { get; }

    public int Words => Always.Length;

    internal sealed class FieldLookup(int field, FrozenDictionary<string, int[]>? ordinal, FrozenDictionary<string, int[]>? ignoreCase,
        FrozenDictionary<long, int[]>? integers, AffixLookup[] affixes, InfixLookup[] infixes)
    {
        public InfixLookup[] Infixes { get; } = infixes;

        public int Field { get; } = field;
        public FrozenDictionary<string, int[]>? Ordinal { get; } = ordinal;
        public FrozenDictionary<string, int[]>? IgnoreCase { get; } = ignoreCase;
        public FrozenDictionary<long, int[]>? Integers { get; } = integers;
        public AffixLookup[] Affixes { get; } = affixes;
    }

    /// <summary>Prefix (or suffix) keys of one length and comparison on one field, looked up by the value's first (last) characters.</summary>
    internal sealed class AffixLookup
    {
        public readonly bool Suffix;
        public readonly int Length;
        public readonly FrozenDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> Keys;

        // Up to four positions of the part, with the ASCII characters (folded under ignore-case) the keys have there: a part
        // with any other ASCII character at one of them is no key, found without hashing the part. Positions where all keys
        // agree come last: such shared structure (".exe") is usually shared by the values too.
        private const int MaxProbes = 4;
        private readonly int[] _probes;
        private readonly AsciiSet[] _sets;
        private readonly bool _ignoreCase;

        public AffixLookup(bool suffix, int length, bool ignoreCase, FrozenDictionary<string, int[]> keys)
        {
            Suffix = suffix;
            Length = length;
            _ignoreCase = ignoreCase;
            Keys = keys.GetAlternateLookup<ReadOnlySpan<char>>();
            // Usable positions: every key has an ASCII character there.
            var probes = Enumerable.Range(0, length)
                .Select(j => (Position: j, Set: AsciiSet.Of(keys.Keys.Select(k => k[j]), ignoreCase)))
                .Where(p => p.Set is not null)
                .OrderBy(p => p.Set!.Value.Count == 1 ? 1 : 0).ThenBy(p => p.Set!.Value.Count).ThenBy(p => p.Position)
                .Take(MaxProbes).ToArray();
            _probes = [.. probes.Select(p => p.Position)];
            _sets = [.. probes.Select(p => p.Set!.Value)];
        }

        /// <summary>False when <paramref name="part"/> (of <see cref="Length"/> characters) cannot be a key.</summary>
        public bool MayMatch(ReadOnlySpan<char> part)
        {
            var probes = _probes;
            var sets = _sets;
            for (var p = 0; p < probes.Length && p < sets.Length; p++)
            {
                if (!sets[p].MayContain(part[probes[p]], _ignoreCase))
                    return false;
            }
            return true;
        }
    }

    /// <summary>A set of ASCII characters (folded to lower case under ignore-case) as a 128-bit mask.</summary>
    internal readonly struct AsciiSet(ulong low, ulong high)
    {
        public int Count => System.Numerics.BitOperations.PopCount(low) + System.Numerics.BitOperations.PopCount(high);

        /// <summary>The set of the characters, or null when one is not ASCII.</summary>
        public static AsciiSet? Of(IEnumerable<char> chars, bool ignoreCase)
        {
            ulong low = 0, high = 0;
            foreach (var c in chars)
            {
                if (c >= 128)
                    return null;
                var f = ignoreCase ? Fold(c) : c;
                if (f < 64)
                    low |= 1UL << f;
                else
                    high |= 1UL << (f - 64);
            }
            return new AsciiSet(low, high);
        }

        /// <summary>False only when <paramref name="c"/> is ASCII and not in the set (non-ASCII characters are not judged).</summary>
        public bool MayContain(char c, bool ignoreCase)
        {
            if (c >= 128)
                return true;
            var f = ignoreCase ? Fold(c) : c;
            return ((f < 64 ? low >> f : high >> (f - 64)) & 1) != 0;
        }

        /// <summary>ASCII lower-casing: under OrdinalIgnoreCase two ASCII characters are equal exactly when these are.</summary>
        public static char Fold(char c) => char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
    }

    /// <summary>
    /// Contains keys of one comparison on one field. Every position where some literal starts is visited: long stretches
    /// are skipped with a vectorised multi-string search (<see cref="SearchValues{T}"/>), short ones (where that search
    /// has a fixed cost of tens of nanoseconds) with a search for the literals' first characters; at each position only
    /// the literals with that first character are compared.
    /// </summary>
    internal sealed class InfixLookup
    {
        // Below this many remaining start positions the scalar loop is cheaper than a SearchValues call.
        private const int ScalarBelow = 24;

        public readonly bool IgnoreCase;
        public readonly StringComparison Comparison;
        public readonly string[] Literals;
        public readonly int[][] Instances;
        public readonly int[] All;
        public readonly SearchValues<string> Search;
        private readonly int _minLength;

        // Literal indexes by first character (folded under ignore-case), for ASCII first characters; the others (only
        // ordinal literals can have them) are tried at every non-ASCII position.
        private readonly int[]?[] _byFirst = new int[]?[128];
        private readonly int[] _nonAsciiFirst;
        private readonly SearchValues<char> _firstChars;

        public InfixLookup(bool ignoreCase, string[] literals, int[][] instances)
        {
            IgnoreCase = ignoreCase;
            Comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            Literals = literals;
            Instances = instances;
            All = [.. instances.SelectMany(i => i).Distinct().Order()];
            Search = SearchValues.Create(literals, Comparison);
            _minLength = literals.Min(l => l.Length);
            for (var k = 0; k < literals.Length; k++)
            {
                var first = literals[k][0];
                if (first >= 128)
                    continue;
                var slot = ignoreCase ? AsciiSet.Fold(first) : first;
                _byFirst[slot] = [.. _byFirst[slot] ?? [], k];
            }
            _nonAsciiFirst = [.. Enumerable.Range(0, literals.Length).Where(k => literals[k][0] >= 128)];
            var firsts = literals.Select(l => l[0]);
            _firstChars = SearchValues.Create([.. (ignoreCase ? firsts.SelectMany(c => new[] { char.ToLowerInvariant(c), char.ToUpperInvariant(c) }) : firsts).Distinct()]);
        }

        /// <summary>Marks the instances of every literal <paramref name="text"/> contains.</summary>
        public void Mark(ReadOnlySpan<char> text, Span<ulong> candidates)
        {
            if (IgnoreCase && !System.Text.Ascii.IsValid(text))
            {
                CandidateIndex.Mark(candidates, All); // outside ASCII the search is not relied on: every such instance is evaluated
                return;
            }
            var last = text.Length - _minLength; // the last position a literal can start at
            var pos = 0;
            while (last - pos >= ScalarBelow)
            {
                var at = text[pos..].IndexOfAny(Search);
                if (at < 0)
                    return;
                pos += at;
                MarkAt(text, pos, candidates);
                pos++;
            }
            // Short stretch: visit only the positions holding some literal's first character.
            while (pos <= last)
            {
                var at = text[pos..(last + 1)].IndexOfAny(_firstChars);
                if (at < 0)
                    return;
                pos += at;
                MarkAt(text, pos, candidates);
                pos++;
            }
        }

        private void MarkAt(ReadOnlySpan<char> text, int pos, Span<ulong> candidates)
        {
            var c = text[pos];
            var literals = c < 128 ? _byFirst[IgnoreCase ? AsciiSet.Fold(c) : c] : _nonAsciiFirst;
            if (literals is null)
                return;
            var rest = text[pos..];
            foreach (var k in literals)
            {
                var literal = Literals[k];
                if (literal.Length > rest.Length)
                    continue;
                // Under ignore-case both sides are ASCII here, where Ascii.EqualsIgnoreCase is OrdinalIgnoreCase (and far cheaper).
                var match = IgnoreCase
                    ? System.Text.Ascii.EqualsIgnoreCase(rest[..literal.Length], literal)
                    : rest.StartsWith(literal, StringComparison.Ordinal);
                if (match)
                    CandidateIndex.Mark(candidates, Instances[k]);
            }
        }
    }

    private enum KeyKind : byte
    {
        Ordinal,
        IgnoreCase,
        Integer,
        Prefix,
        PrefixIgnoreCase,
        Suffix,
        SuffixIgnoreCase,
        Contains,
        ContainsIgnoreCase,
    }

    /// <summary>A key: the values it accepts. Complete: accepting the value means the matcher matches (so it leaves the rest).</summary>
    private sealed record Key(Matcher Matcher, KeyKind Kind, string[] Texts, long[] Integers, bool Complete = true);

    /// <summary>The keys a matcher offers: its exact/set values, or its affix and its infix (a general glob has both).</summary>
    private static IEnumerable<Key> KeysOf(Matcher m)
    {
        switch (m)
        {
            case ExactStringMatcher e:
                yield return new Key(m, e.IgnoreCase ? KeyKind.IgnoreCase : KeyKind.Ordinal, [e.Expected], []);
                yield break;
            case StringSetMatcher s:
                yield return new Key(m, s.IgnoreCase ? KeyKind.IgnoreCase : KeyKind.Ordinal, [.. s.Values], []);
                yield break;
            case ExactIntegerMatcher e:
                yield return new Key(m, KeyKind.Integer, [], [e.Expected]);
                yield break;
            case IntegerSetMatcher s:
                yield return new Key(m, KeyKind.Integer, [], [.. s.Values]);
                yield break;
        }
        // Ignore-case affixes only when ASCII: cutting them to a shorter length then never splits a surrogate pair.
        if (m.Affix is { } a && (!a.IgnoreCase || System.Text.Ascii.IsValid(a.Text)))
        {
            yield return new Key(m, (a.Suffix, a.IgnoreCase) switch
            {
                (false, false) => KeyKind.Prefix,
                (false, true) => KeyKind.PrefixIgnoreCase,
                (true, false) => KeyKind.Suffix,
                _ => KeyKind.SuffixIgnoreCase,
            }, [a.Text], [], a.Complete);
        }
        if (m.Infix is { } x && (!x.IgnoreCase || System.Text.Ascii.IsValid(x.Text)))
            yield return new Key(m, x.IgnoreCase ? KeyKind.ContainsIgnoreCase : KeyKind.Contains, [x.Text], [], x.Complete);
    }

    public static CandidateIndex Build(CompiledInstance[] instances, TemplateType type)
    {
        // Candidate keys per instance: hashable matchers up to the first regex (regexes can time out, so nothing that may
        // fault on a well-typed event may come before the key; the first regex itself may be the key through its anchored
        // prefilter, which rejects without running the engine).
        var options = new List<Key>[instances.Length];
        var shared = new Dictionary<(int Field, KeyKind Kind, string Text, long Integer), int>();
        for (var i = 0; i < instances.Length; i++)
        {
            options[i] = [];
            foreach (var m in instances[i].Matchers)
            {
                foreach (var key in KeysOf(m))
                {
                    options[i].Add(key);
                    foreach (var t in key.Texts)
                        shared[(m.FieldIndex, key.Kind, t, 0)] = shared.GetValueOrDefault((m.FieldIndex, key.Kind, t, 0)) + 1;
                    foreach (var n in key.Integers)
                        shared[(m.FieldIndex, key.Kind, "", n)] = shared.GetValueOrDefault((m.FieldIndex, key.Kind, "", n)) + 1;
                }
                if (m is RegexMatcher)
                    break;
            }
        }

        int Score(Key key) => key.Kind == KeyKind.Integer
            ? key.Integers.Select(n => shared[(key.Matcher.FieldIndex, key.Kind, "", n)]).DefaultIfEmpty(0).Max()
            : key.Texts.Select(t => shared[(key.Matcher.FieldIndex, key.Kind, t, 0)]).DefaultIfEmpty(0).Max();

        var words = (instances.Length + 63) / 64;
        var always = new ulong[words];
        var rest = new Matcher[instances.Length][];
        var ordinal = new Dictionary<int, Dictionary<string, List<int>>>();
        var ignoreCase = new Dictionary<int, Dictionary<string, List<int>>>();
        var integers = new Dictionary<int, Dictionary<long, List<int>>>();
        var affixes = new Dictionary<(int Field, bool Suffix, bool IgnoreCase, int Length), Dictionary<string, List<int>>>();
        var infixes = new Dictionary<(int Field, bool IgnoreCase), Dictionary<string, List<int>>>();

        // Fewest instances sharing the key's most shared value; then fewer values; then complete keys (exact tests);
        // then earlier in evaluation order.
        var chosen = options.Select(o => o.OrderBy(Score).ThenBy(k => k.Texts.Length + k.Integers.Length).ThenBy(k => k.Complete ? 0 : 1).FirstOrDefault()).ToArray();

        // Prefix/suffix keys of one field, direction and comparison are all looked up by the value's first/last M characters,
        // M = their shortest length: one lookup per event instead of one per key length. A longer key is filed under its
        // first/last M characters and is no longer complete (its matcher stays in the rest and decides).
        var affixLength = chosen.OfType<Key>().Where(k => k.Kind is >= KeyKind.Prefix and <= KeyKind.SuffixIgnoreCase)
            .GroupBy(k => (k.Matcher.FieldIndex, k.Kind)).ToDictionary(g => g.Key, g => g.Min(k => k.Texts[0].Length));
        for (var i = 0; i < instances.Length; i++)
        {
            var key = chosen[i];
            if (key is null)
            {
                always[i >> 6] |= 1UL << (i & 63);
                rest[i] = instances[i].Matchers;
                continue;
            }
            // Ignore-case contains keys are never complete: on a non-ASCII value all of them are candidates unchecked.
            var complete = key.Complete && key.Kind != KeyKind.ContainsIgnoreCase
                && (key.Kind is < KeyKind.Prefix or > KeyKind.SuffixIgnoreCase || key.Texts[0].Length == affixLength[(key.Matcher.FieldIndex, key.Kind)]);
            rest[i] = complete ? [.. instances[i].Matchers.Where(m => !ReferenceEquals(m, key.Matcher))] : KeyLast(instances[i].Matchers, key.Matcher);
            var field = key.Matcher.FieldIndex;
            switch (key.Kind)
            {
                case KeyKind.Integer:
                    foreach (var n in key.Integers)
                        Add(Bucket(integers, field, null), n, i);
                    break;
                case KeyKind.IgnoreCase:
                    foreach (var t in key.Texts)
                        Add(Bucket(ignoreCase, field, StringComparer.OrdinalIgnoreCase), t, i);
                    break;
                case KeyKind.Ordinal:
                    foreach (var t in key.Texts)
                        Add(Bucket(ordinal, field, StringComparer.Ordinal), t, i);
                    break;
                case KeyKind.Contains or KeyKind.ContainsIgnoreCase:
                    var infix = (field, key.Kind == KeyKind.ContainsIgnoreCase);
                    if (!infixes.TryGetValue(infix, out var byLiteral))
                        infixes[infix] = byLiteral = new Dictionary<string, List<int>>(infix.Item2 ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
                    Add(byLiteral, key.Texts[0], i);
                    break;
                default:
                    var suffix = key.Kind is KeyKind.Suffix or KeyKind.SuffixIgnoreCase;
                    var folded = key.Kind is KeyKind.PrefixIgnoreCase or KeyKind.SuffixIgnoreCase;
                    var length = affixLength[(field, key.Kind)];
                    var text = suffix ? key.Texts[0][^length..] : key.Texts[0][..length];
                    var slot = (field, suffix, folded, length);
                    if (!affixes.TryGetValue(slot, out var d))
                        affixes[slot] = d = new Dictionary<string, List<int>>(folded ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
                    Add(d, text, i);
                    break;
            }
        }

        var fields = ordinal.Keys.Concat(ignoreCase.Keys).Concat(integers.Keys).Concat(affixes.Keys.Select(k => k.Field)).Concat(infixes.Keys.Select(k => k.Field)).Distinct().Order();
        var lookups = fields.Select(f => new FieldLookup(f,
            ordinal.TryGetValue(f, out var o) ? o.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal) : null,
            ignoreCase.TryGetValue(f, out var c) ? c.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase) : null,
            integers.TryGetValue(f, out var n) ? n.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray()) : null,
            [.. affixes.Where(a => a.Key.Field == f).OrderBy(a => a.Key.Suffix).ThenBy(a => a.Key.IgnoreCase).ThenBy(a => a.Key.Length)
                .Select(a => new AffixLookup(a.Key.Suffix, a.Key.Length, a.Key.IgnoreCase,
                    a.Value.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), a.Key.IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)))],
            [.. infixes.Where(x => x.Key.Field == f).OrderBy(x => x.Key.IgnoreCase)
                .Select(x => new InfixLookup(x.Key.IgnoreCase, [.. x.Value.Keys], [.. x.Value.Values.Select(v => v.ToArray())]))])).ToArray();
        var checkedFields = instances.SelectMany(inst => inst.Matchers).Select(m => m.FieldIndex).Distinct().Order().ToArray();
        var integerFields = type.Fields.Select(f => f.Type == FieldType.Integer).ToArray();
        return new CandidateIndex(lookups, always, checkedFields, integerFields, rest);
    }

    /// <summary>
    /// An incomplete key's literal is already known present, so its matcher is likely to match: it moves behind the other
    /// matchers before the first regex. Those cannot fault on an indexed (well-typed) event, so only cost changes.
    /// </summary>
    private static Matcher[] KeyLast(Matcher[] matchers, Matcher key)
    {
        if (key is RegexMatcher)
            return matchers;
        var at = Array.IndexOf(matchers, key);
        var end = Array.FindIndex(matchers, at, m => m is RegexMatcher);
        end = end < 0 ? matchers.Length : end;
        return [.. matchers[..at], .. matchers[(at + 1)..end], key, .. matchers[end..]];
    }

    private static Dictionary<TKey, List<int>> Bucket<TKey>(Dictionary<int, Dictionary<TKey, List<int>>> byField, int field, IEqualityComparer<TKey>? comparer)
        where TKey : notnull
    {
        if (!byField.TryGetValue(field, out var d))
            byField[field] = d = new Dictionary<TKey, List<int>>(comparer);
        return d;
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> d, TKey key, int instance)
        where TKey : notnull
    {
        if (!d.TryGetValue(key, out var list))
            d[key] = list = [];
        if (list.Count == 0 || list[^1] != instance) // a set may hold equal values (or case variants under ignore-case)
            list.Add(instance);
    }

    /// <summary>True when every field a matcher reads is supplied with the value type of its field (no type mismatch possible).</summary>
    public bool WellTyped(ReadOnlySpan<InputValue> values)
    {
        var integerFields = IntegerFields;
        foreach (var f in CheckedFields)
        {
            if (f >= values.Length)
                continue; // instances needing it fault (or are disabled) before reading it; the caller checks lengths
            if (values[f].IsInteger != integerFields[f])
                return false;
        }
        return true;
    }

    /// <summary>Writes the candidate set for a well-typed event into <paramref name="candidates"/> (one bit per instance).</summary>
    public void Candidates(ReadOnlySpan<InputValue> values, Span<ulong> candidates)
    {
        Always.CopyTo(candidates);
        foreach (var lookup in Lookups)
        {
            if (lookup.Field >= values.Length)
                continue; // never read past the supplied values
            ref readonly var value = ref values[lookup.Field];
            if (lookup.Integers is { } integers)
            {
                if (value.IsInteger && integers.TryGetValue(value.Integer, out var hits))
                    Mark(candidates, hits);
                continue;
            }
            if (value.Text is not { } text)
                continue;
            if (lookup.Ordinal is { } ordinal && ordinal.TryGetValue(text, out var exact))
                Mark(candidates, exact);
            if (lookup.IgnoreCase is { } folded && folded.TryGetValue(text, out var loose))
                Mark(candidates, loose);
            foreach (var affix in lookup.Affixes)
            {
                if (text.Length < affix.Length)
                    continue;
                var part = affix.Suffix ? text.AsSpan(text.Length - affix.Length) : text.AsSpan(0, affix.Length);
                if (affix.MayMatch(part) && affix.Keys.TryGetValue(part, out var hits))
                    Mark(candidates, hits);
            }
            foreach (var infix in lookup.Infixes)
                infix.Mark(text, candidates);
        }
    }

    private static void Mark(Span<ulong> bits, int[] instances)
    {
        foreach (var i in instances)
            bits[i >> 6] |= 1UL << (i & 63);
    }
}
