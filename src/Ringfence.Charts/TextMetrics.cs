namespace Ringfence.Charts;

/// <summary>
/// A simple font-metric estimate of how wide a label is in a sans-serif font, so the renderer can thin ticks, wrap
/// subtitles and place legends without a browser. The advance widths (in em) are DejaVu Sans's, measured in
/// Debian's Chromium: the widest of the usual sans-serif fonts, so Arial or Helvetica only leave more room.
/// </summary>
public static class TextMetrics
{
    /// <summary>Estimated width in pixels of <paramref name="text"/> at <paramref name="fontSize"/> px.</summary>
    public static double Width(string text, double fontSize)
    {
        ArgumentNullException.ThrowIfNull(text);
        var em = 0.0;
        foreach (var c in text)
            em += Advance(c);
        return em * fontSize * 1.02;
    }

    private static double Advance(char c) => c switch
    {
        ' ' or '.' or ',' or ':' or ';' or '|' or '/' => 0.34,
        '\'' or 'i' or 'j' or 'l' or 'I' => 0.3,
        'f' or 't' or 'r' or '(' or ')' or '[' or ']' or '-' or '!' => 0.4,
        >= '0' and <= '9' => 0.64,
        'm' => 0.98,
        'w' or 'M' => 0.87,
        'W' or '%' or '@' or '—' => 1.0,
        >= 'A' and <= 'Z' => 0.78,
        >= 'a' and <= 'z' => 0.64,
        '+' or '=' or '<' or '>' or '~' or '×' or '≥' or '≤' or '#' => 0.84,
        _ => 0.7,
    };
}
