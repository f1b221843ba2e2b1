namespace Ringfence.Charts;

/// <summary>"Nice" axis ticks (1, 2, 5 × 10^k steps) so labels read as round numbers.</summary>
public static class Ticks
{
    public static IReadOnlyList<double> Nice(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
            return [0];
        if (max < min)
            (min, max) = (max, min);
        if (max == min)
            return [min];
        var raw = (max - min) / Math.Max(1, target);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var residual = raw / magnitude;
        var step = residual switch
        {
            <= 1 => 1,
            <= 2 => 2,
            <= 5 => 5,
            _ => 10,
        } * magnitude;
        var first = Math.Ceiling(min / step) * step;
        var ticks = new List<double>();
        for (var v = first; v <= max + (step * 1e-9); v += step)
            ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : v);
        return ticks;
    }

    /// <summary>The smallest nice number at or above <paramref name="max"/>, so the top tick closes the axis.</summary>
    public static double NiceCeiling(double max)
    {
        if (!double.IsFinite(max) || max <= 0)
            return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1.0, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (m * magnitude >= max)
                return m * magnitude;
        }
        return 10 * magnitude;
    }

    /// <summary>Short human numbers: 950, 12.5k, 8.5M.</summary>
    public static string Compact(double v)
    {
        var a = Math.Abs(v);
        return a switch
        {
            >= 1e9 => Fmt(v / 1e9) + "G",
            >= 1e6 => Fmt(v / 1e6) + "M",
            >= 1e3 => Fmt(v / 1e3) + "k",
            _ => Fmt(v),
        };

        static string Fmt(double x) => Math.Round(x, 2).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
    }
}
