namespace Ringfence.Content;

/// <summary>
/// One criterion on one field. Which properties are meaningful depends on <see cref="Kind"/>:
/// Exact uses <see cref="Text"/> or <see cref="Integer"/>; Glob and Regex use <see cref="Text"/>;
/// Range uses <see cref="Min"/>..<see cref="Max"/> (inclusive); Set uses <see cref="Texts"/> or <see cref="Integers"/>.
/// Build them with the static factories.
/// </summary>
public sealed record Criterion
{
    public CriterionKind Kind { get; init; }
    public string? Text { get; init; }
    public long? Integer { get; init; }
    public long Min { get; init; }
    public long Max { get; init; }
    public ValueList<string> Texts { get; init; } = ValueList<string>.Empty;
    public ValueList<long> Integers { get; init; } = ValueList<long>.Empty;
    public bool IgnoreCase { get; init; }

    public bool IsWildcard => Kind == CriterionKind.Wildcard;

    /// <summary>True when the criterion compares integers (integer exact, range, integer set).</summary>
    public bool IsIntegerValued => Kind switch
    {
        CriterionKind.Exact => Integer is not null,
        CriterionKind.Range => true,
        CriterionKind.Set => IsIntegerSet,
        _ => false,
    };

    /// <summary>Distinguishes an empty integer set from an empty string set.</summary>
    public bool IsIntegerSet { get; init; }

    public static Criterion Wildcard { get; } = new() { Kind = CriterionKind.Wildcard };

    public static Criterion Exact(string value, bool ignoreCase = false) => new() { Kind = CriterionKind.Exact, Text = value, IgnoreCase = ignoreCase };

    public static Criterion Exact(long value) => new() { Kind = CriterionKind.Exact, Integer = value };

    public static Criterion Glob(string pattern, bool ignoreCase = false) => new() { Kind = CriterionKind.Glob, Text = pattern, IgnoreCase = ignoreCase };

    public static Criterion Regex(string pattern, bool ignoreCase = false) => new() { Kind = CriterionKind.Regex, Text = pattern, IgnoreCase = ignoreCase };

    public static Criterion Range(long min, long max) => new() { Kind = CriterionKind.Range, Min = min, Max = max };

    public static Criterion Set(IEnumerable<string> values, bool ignoreCase = false) => new() { Kind = CriterionKind.Set, Texts = ValueList.From(values), IgnoreCase = ignoreCase };

    public static Criterion Set(IEnumerable<long> values) => new() { Kind = CriterionKind.Set, Integers = ValueList.From(values), IsIntegerSet = true };

    public override string ToString() => Kind switch
    {
        CriterionKind.Wildcard => "*",
        CriterionKind.Exact when Integer is { } i => $"== {i}",
        CriterionKind.Exact => $"== \"{Text}\"{(IgnoreCase ? " (ignore case)" : "")}",
        CriterionKind.Glob => $"glob \"{Text}\"{(IgnoreCase ? " (ignore case)" : "")}",
        CriterionKind.Regex => $"regex /{Text}/{(IgnoreCase ? "i" : "")}",
        CriterionKind.Range => $"in [{Min}, {Max}]",
        CriterionKind.Set when IsIntegerSet => $"in {{{string.Join(", ", Integers)}}}",
        CriterionKind.Set => $"in {{{string.Join(", ", Texts.Select(t => $"\"{t}\""))}}}{(IgnoreCase ? " (ignore case)" : "")}",
        _ => $"unknown kind {(int)Kind}",
    };
}
