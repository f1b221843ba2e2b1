using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ringfence.Content;

/// <summary>An agent version such as <c>7.11.18110</c>: one to four non-negative numbers, compared numerically; missing parts count as 0.</summary>
public readonly record struct AgentVersion(int Major, int Minor, int Patch, int Build, int Parts) : IComparable<AgentVersion>
{
    public static AgentVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not an agent version (expected 1 to 4 dot-separated numbers, e.g. 7.11.18110)");

    public static bool TryParse([NotNullWhen(true)] string? text, out AgentVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var parts = text.Trim().Split('.');
        if (parts.Length is < 1 or > 4)
            return false;
        Span<int> n = stackalloc int[4];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit)
                || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out n[i]))
                return false;
        }
        version = new AgentVersion(n[0], n[1], n[2], n[3], parts.Length);
        return true;
    }

    public int CompareTo(AgentVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c != 0) return c;
        c = Minor.CompareTo(other.Minor);
        if (c != 0) return c;
        c = Patch.CompareTo(other.Patch);
        return c != 0 ? c : Build.CompareTo(other.Build);
    }

    /// <summary>Equality ignores how many parts were written: 7.11 == 7.11.0.</summary>
    public bool Equals(AgentVersion other) => CompareTo(other) == 0;

    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch, Build);

    public static bool operator <(AgentVersion a, AgentVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(AgentVersion a, AgentVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(AgentVersion a, AgentVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(AgentVersion a, AgentVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => Math.Max(Parts, 1) switch
    {
        1 => $"{Major}",
        2 => $"{Major}.{Minor}",
        3 => $"{Major}.{Minor}.{Patch}",
        _ => $"{Major}.{Minor}.{Patch}.{Build}",
    };
}

/// <summary>
/// A version range such as <c>&gt;= 7.11</c> or <c>&gt;= 7.0, &lt; 7.11</c>: comma-separated comparisons that must all hold.
/// Operators: &gt;=, &gt;, &lt;=, &lt;, == (a bare version means ==).
/// </summary>
public sealed record VersionRange
{
    private readonly (string Op, AgentVersion Version)[] _terms;

    private VersionRange(string text, (string, AgentVersion)[] terms)
    {
        Text = text;
        _terms = terms;
    }

    /// <summary>The normalised text, e.g. <c>&gt;= 7.11, &lt; 8</c>.</summary>
    public string Text { get; }

    public static VersionRange Parse(string text) =>
        TryParse(text, out var r, out var error) ? r : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out VersionRange? range, out string error)
    {
        range = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty version range";
            return false;
        }
        var terms = new List<(string, AgentVersion)>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            var op = term.StartsWith(">=", StringComparison.Ordinal) ? ">="
                : term.StartsWith("<=", StringComparison.Ordinal) ? "<="
                : term.StartsWith("==", StringComparison.Ordinal) ? "=="
                : term.StartsWith('>') ? ">"
                : term.StartsWith('<') ? "<"
                : "";
            var rest = term[op.Length..].Trim();
            if (!AgentVersion.TryParse(rest, out var v))
            {
                error = $"'{term}' in version range '{text}' is not a comparison like '>= 7.11'";
                return false;
            }
            terms.Add((op.Length == 0 ? "==" : op, v));
        }
        range = new VersionRange(string.Join(", ", terms.Select(t => $"{t.Item1} {t.Item2}")), [.. terms]);
        return true;
    }

    public bool Contains(AgentVersion version)
    {
        foreach (var (op, v) in _terms)
        {
            var c = version.CompareTo(v);
            var ok = op switch
            {
                ">=" => c >= 0,
                ">" => c > 0,
                "<=" => c <= 0,
                "<" => c < 0,
                _ => c == 0,
            };
            if (!ok)
                return false;
        }
        return true;
    }

    public bool Equals(VersionRange? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}
