namespace Ringfence.Charts;

/// <summary>
/// A value axis: maps a value to a pixel distance from the axis origin and gives its ticks. Linear from 0, or
/// logarithmic in decades with 0 drawn on its own baseline (<see cref="ZeroGap"/> pixels below the lowest decade,
/// across a break in the axis): a log axis cannot show 0, and hiding zeros would hide "no host crashed".
/// </summary>
public sealed class ValueScale
{
    /// <summary>Series whose peaks differ by more than this factor get a log axis when the scale is Auto.</summary>
    public const double LogRatio = 100;

    /// <summary>Pixels between the 0 baseline and the lowest decade of a log axis.</summary>
    public const double ZeroGap = 30;

    private ValueScale(bool log, double max, int lowExp, int highExp, bool hasZero)
    {
        IsLog = log;
        Max = max;
        LowExp = lowExp;
        HighExp = highExp;
        HasZero = hasZero;
    }

    public bool IsLog { get; }
    /// <summary>Top of a linear axis.</summary>
    public double Max { get; }
    /// <summary>Decades of a log axis: 10^LowExp .. 10^HighExp.</summary>
    public int LowExp { get; }
    public int HighExp { get; }
    /// <summary>A log axis with a 0 baseline (some value is 0).</summary>
    public bool HasZero { get; }

    public static ValueScale Linear(double dataMax) => new(false, Ticks.NiceCeiling(dataMax), 0, 0, false);

    /// <summary>A log axis covering the positive values, with a 0 baseline when any value is 0 (or below).</summary>
    public static ValueScale Log(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double min = double.PositiveInfinity, max = 0;
        var zero = false;
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
                continue;
            if (v <= 0)
            {
                zero = true;
                continue;
            }
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (max <= 0)
            return new ValueScale(true, 1, 0, 1, zero);
        var low = (int)Math.Floor(Math.Log10(min) + 1e-9);
        var high = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        if (high <= low)
            high = low + 1;
        return new ValueScale(true, max, low, high, zero);
    }

    /// <summary>
    /// The scale <paramref name="kind"/> asks for: Auto picks log when the largest series peak is more than
    /// <see cref="LogRatio"/> times the smallest positive one, so a 90,000-host line does not flatten a 9-host one.
    /// </summary>
    public static ValueScale Choose(ScaleKind kind, IReadOnlyList<double> peaks, IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(peaks);
        ArgumentNullException.ThrowIfNull(values);
        var all = values.Where(double.IsFinite).ToList();
        var dataMax = all.Count == 0 ? 0 : all.Max();
        if (kind == ScaleKind.Linear || dataMax <= 0)
            return Linear(dataMax);
        if (kind == ScaleKind.Log || NeedsLog(peaks))
            return Log(all);
        return Linear(dataMax);
    }

    /// <summary>Whether series with these peaks differ by more than <see cref="LogRatio"/>.</summary>
    public static bool NeedsLog(IReadOnlyList<double> peaks)
    {
        ArgumentNullException.ThrowIfNull(peaks);
        var positive = peaks.Where(p => p > 0 && double.IsFinite(p)).ToList();
        return positive.Count >= 2 && positive.Max() / positive.Min() > LogRatio;
    }

    /// <summary>Pixels from the axis origin for <paramref name="v"/> on an axis <paramref name="lengthPx"/> long.</summary>
    public double Map(double v, double lengthPx)
    {
        if (!double.IsFinite(v))
            v = 0;
        if (!IsLog)
            return Math.Clamp(v / Max, 0, 1.05) * lengthPx;
        var gap = HasZero ? ZeroGap : 0;
        if (v <= 0)
            return 0;
        var e = Math.Clamp(Math.Log10(v), LowExp, HighExp);
        return gap + ((e - LowExp) / (HighExp - LowExp) * (lengthPx - gap));
    }

    /// <summary>Ticks whose labels do not overlap on an axis <paramref name="lengthPx"/> long.</summary>
    public IReadOnlyList<Tick> TicksFor(double lengthPx, bool horizontal, Func<double, string> format, double fontSize = 11)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (!IsLog)
            return Ticks.Linear(0, Max, lengthPx, horizontal, format, fontSize);
        var decades = HighExp - LowExp;
        // Few decades: 1, 2, 5 in each; many: every decade, or every k-th until the labels fit.
        var candidates = new List<List<double>>();
        if (decades <= 3)
        {
            var withTwoFive = new List<double>();
            for (var e = LowExp; e <= HighExp; e++)
                foreach (var m in e == HighExp ? new[] { 1.0 } : [1.0, 2, 5])
                    withTwoFive.Add(m * Math.Pow(10, e));
            candidates.Add(withTwoFive);
        }
        for (var k = 1; k <= Math.Max(1, decades); k++)
        {
            var list = new List<double>();
            for (var e = LowExp; e <= HighExp; e += k)
                list.Add(Math.Pow(10, e));
            candidates.Add(list);
        }
        List<Tick> result = [];
        foreach (var c in candidates)
        {
            result = [.. (HasZero ? c.Prepend(0) : c).Select(v => new Tick(v, format(v)))];
            if (Ticks.Fits(result, v => Map(v, lengthPx), horizontal, fontSize))
                return result;
        }
        return result;
    }
}
