using System.Globalization;

namespace Ringfence.Charts;

/// <summary>One axis tick: where it is (in data units) and what it says.</summary>
public sealed record Tick(double Value, string Label);

/// <summary>
/// "Nice" axis ticks (1, 2, 5 × 10^k steps) so labels read as round numbers, thinned until their labels do not
/// overlap (widths from <see cref="TextMetrics"/>).
/// </summary>
public static class Ticks
{
    /// <summary>Least free space between two neighbouring tick labels, in pixels.</summary>
    public const double LabelGap = 6;

    public static IReadOnlyList<double> Nice(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            return [0];
        if (max < min)
            (min, max) = (max, min);
        if (max == min)
            return [min];
        var step = NiceStep((max - min) / Math.Max(1, target));
        var first = Math.Ceiling((min / step) - 1e-9) * step;
        var ticks = new List<double>();
        for (var i = 0; ; i++)
        {
            var v = first + (i * step);
            if (v > max + (step * 1e-9))
                break;
            // Multiply, never accumulate, so 0.1 steps do not drift into 0.30000000000000004.
            ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : Math.Round(v / step) * step);
        }
        return ticks;
    }

    /// <summary>The 1, 2 or 5 × 10^k step at or above <paramref name="raw"/>.</summary>
    public static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw))
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var residual = raw / magnitude;
        return residual switch
        {
            <= 1 + 1e-9 => 1,
            <= 2 + 1e-9 => 2,
            <= 5 + 1e-9 => 5,
            _ => 10,
        } * magnitude;
    }

    /// <summary>The smallest nice number at or above <paramref name="max"/>, so the top tick closes the axis.</summary>
    public static double NiceCeiling(double max)
    {
        if (!double.IsFinite(max) || max <= 0)
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1.0, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (m * magnitude >= max * (1 - 1e-12))
                return m * magnitude;
        }
        return 10 * magnitude;
    }

    /// <summary>
    /// Linear ticks from 0 (or <paramref name="min"/>) to <paramref name="max"/> over <paramref name="lengthPx"/>
    /// pixels: the densest 1-2-5 set (about one tick per 50 px at most) whose labels do not overlap.
    /// </summary>
    public static IReadOnlyList<Tick> Linear(double min, double max, double lengthPx, bool horizontal, Func<double, string> format, double fontSize = 11)
    {
        ArgumentNullException.ThrowIfNull(format);
        var most = Math.Max(1, (int)(lengthPx / (horizontal ? 50 : 28)));
        for (var target = most; target >= 1; target--)
        {
            var ticks = Nice(min, max, target).Select(v => new Tick(v, format(v))).ToList();
            if (ticks.Count >= 2 && Fits(ticks, v => (v - min) / (max - min) * lengthPx, horizontal, fontSize))
                return ticks;
        }
        // A tiny axis: its two ends, rounded down to the largest nice step inside the range.
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max - min)));
        var step = new[] { 5.0, 2, 1 }.Select(m => m * magnitude).First(s => s <= (max - min) * (1 + 1e-9));
        var first = Math.Ceiling((min / step) - 1e-9) * step;
        return [new Tick(first, format(first)), new Tick(first + step, format(first + step))];
    }

    /// <summary>Whether neighbouring labels at these pixel positions leave <see cref="LabelGap"/> between them.</summary>
    public static bool Fits(IReadOnlyList<Tick> ticks, Func<double, double> position, bool horizontal, double fontSize = 11)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        ArgumentNullException.ThrowIfNull(position);
        for (var i = 1; i < ticks.Count; i++)
        {
            var distance = Math.Abs(position(ticks[i].Value) - position(ticks[i - 1].Value));
            var needed = horizontal
                ? ((TextMetrics.Width(ticks[i].Label, fontSize) + TextMetrics.Width(ticks[i - 1].Label, fontSize)) / 2) + LabelGap
                : fontSize + 2;
            if (distance < needed)
                return false;
        }
        return true;
    }

    /// <summary>Short human numbers: 950, 12.5k, 8.5M, and two significant digits below 1 (0.05, 0.0012).</summary>
    public static string Compact(double v)
    {
        var a = Math.Abs(v);
        return a switch
        {
            > 0 and < 1 => Math.Round(v, Math.Min(15, 1 - (int)Math.Floor(Math.Log10(a)))).ToString("0.##########", CultureInfo.InvariantCulture),
            >= 1e9 => Fmt(v / 1e9) + "G",
            >= 1e6 => Fmt(v / 1e6) + "M",
            >= 1e3 => Fmt(v / 1e3) + "k",
            _ => Fmt(v),
        };

        static string Fmt(double x) => Math.Round(x, 2).ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>A count for prose: 383, 12,400, 8.4 M.</summary>
    public static string Readable(double v)
    {
        var a = Math.Abs(v);
        return a switch
        {
            >= 1e9 => (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " G",
            >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M",
            >= 1e3 => v.ToString("#,0", CultureInfo.InvariantCulture),
            >= 10 => v.ToString("0", CultureInfo.InvariantCulture),
            _ => v.ToString("0.##", CultureInfo.InvariantCulture),
        };
    }
}
