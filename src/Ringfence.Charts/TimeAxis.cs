using System.Globalization;

namespace Ringfence.Charts;

/// <summary>The unit a time axis is labelled in.</summary>
public enum TimeUnit
{
    Minutes,
    Hours,
    Days,
    Dates,
}

/// <summary>Ticks of a time axis and the unit its title names.</summary>
public sealed record TimeTicks(IReadOnlyList<Tick> Ticks, TimeUnit Unit, double StepMinutes)
{
    public string UnitName => Unit switch
    {
        TimeUnit.Minutes => "minutes",
        TimeUnit.Hours => "hours",
        TimeUnit.Days => "days",
        _ => "date (UTC)",
    };
}

/// <summary>
/// Ticks for time measured in minutes since an origin (the release, or a ring opening): steps of 1, 2, 5, 10, 15,
/// 30 minutes, 1, 2, 3, 6, 12 hours, 1, 2, 7 days; midnight dates when the span is several days and the origin's
/// calendar time is known.
/// </summary>
public static class TimeAxis
{
    /// <summary>Every step a time axis may use, in minutes.</summary>
    public static IReadOnlyList<double> Steps { get; } =
        [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 43200];

    /// <summary>Spans of at least this many minutes are labelled with dates when the origin is known.</summary>
    public const double DateSpanMinutes = 3 * 1440;

    public static TimeTicks For(double minMinutes, double maxMinutes, double lengthPx, DateTimeOffset? origin = null, double fontSize = 11)
    {
        if (!(maxMinutes > minMinutes))
            maxMinutes = minMinutes + 1;
        var span = maxMinutes - minMinutes;
        double Px(double v) => (v - minMinutes) / span * lengthPx;
        var most = Math.Max(2, lengthPx / 55);
        if (origin is { } o && span >= DateSpanMinutes)
        {
            foreach (var days in new[] { 1, 2, 7, 14, 30 })
            {
                var ticks = Dates(o, minMinutes, maxMinutes, days);
                if (ticks.Count <= most + 1 && Ticks.Fits(ticks, Px, true, fontSize))
                    return new TimeTicks(ticks, TimeUnit.Dates, days * 1440);
            }
        }
        // The first step that gives at most about one tick per 55 px and labels that fit; on a very short axis the
        // largest step that still gives two ticks.
        var candidates = Steps.Where(s => span / s <= most).ToList();
        if (candidates.Count == 0 || candidates[0] > span)
            candidates = [.. Steps.Where(s => s <= span).Reverse().Take(1).Concat(candidates)];
        TimeTicks? last = null;
        foreach (var step in candidates)
        {
            var unit = step < 60 ? TimeUnit.Minutes : step < 1440 ? TimeUnit.Hours : TimeUnit.Days;
            // An axis shorter than two hours reads best in minutes even with a 60-minute step.
            if (unit == TimeUnit.Hours && maxMinutes <= 120)
                unit = TimeUnit.Minutes;
            var per = unit switch { TimeUnit.Minutes => 1.0, TimeUnit.Hours => 60.0, _ => 1440.0 };
            var first = Math.Ceiling((minMinutes / step) - 1e-9) * step;
            var ticks = new List<Tick>();
            for (var i = 0; first + (i * step) <= maxMinutes + 1e-9; i++)
            {
                var v = first + (i * step);
                ticks.Add(new Tick(v, (v / per).ToString("0.##", CultureInfo.InvariantCulture)));
            }
            last = new TimeTicks(ticks, unit, step);
            if (Ticks.Fits(ticks, Px, true, fontSize))
                return last;
        }
        return last ?? new TimeTicks([new Tick(minMinutes, "0"), new Tick(maxMinutes, Ticks.Compact(maxMinutes))], TimeUnit.Minutes, span);
    }

    /// <summary>Midnights (UTC) every <paramref name="days"/> days inside the range, labelled "20 Jul".</summary>
    private static List<Tick> Dates(DateTimeOffset origin, double minMinutes, double maxMinutes, int days)
    {
        var start = origin.ToUniversalTime().AddMinutes(minMinutes);
        var day = new DateTimeOffset(start.Year, start.Month, start.Day, 0, 0, 0, TimeSpan.Zero);
        if (day < start)
            day = day.AddDays(1);
        var ticks = new List<Tick>();
        for (var i = 0; ; i += days)
        {
            var at = day.AddDays(i);
            var minutes = (at - origin).TotalMinutes;
            if (minutes > maxMinutes + 1e-9)
                break;
            ticks.Add(new Tick(minutes, at.ToString("d MMM", CultureInfo.InvariantCulture)));
        }
        return ticks;
    }

    /// <summary>A duration for prose and hover text: "45 min", "3.5 h", "2.1 days".</summary>
    public static string Duration(double minutes) => minutes switch
    {
        < 120 => minutes.ToString("0", CultureInfo.InvariantCulture) + " min",
        < 2 * 1440 => (minutes / 60).ToString("0.#", CultureInfo.InvariantCulture) + " h",
        _ => (minutes / 1440).ToString("0.#", CultureInfo.InvariantCulture) + " days",
    };
}
