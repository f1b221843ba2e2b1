using System.Globalization;

namespace Ringfence.Rollouts.Fleet;

/// <summary>Time zone offsets for maintenance windows. Fixed offsets parse without any lookup.</summary>
public static class TimeZones
{
    /// <summary>
    /// Offset from UTC in minutes at <paramref name="at"/>. Accepts "UTC", "Z", "+05:30", "-04:00", "UTC+2",
    /// "UTC-03:30" or an IANA id ("Europe/Paris", resolved with <see cref="TimeZoneInfo"/>, so daylight
    /// saving follows the tz database of the machine).
    /// </summary>
    /// <exception cref="ArgumentException">The zone is neither an offset nor a known IANA id.</exception>
    public static short OffsetMinutes(string zone, DateTimeOffset at)
    {
        if (TryParseFixed(zone, out var minutes))
        {
            return minutes;
        }

        try
        {
            var info = TimeZoneInfo.FindSystemTimeZoneById(zone);
            return (short)info.GetUtcOffset(at).TotalMinutes;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"unknown time zone '{zone}': use an offset such as +05:30 or an IANA id such as Europe/Paris", nameof(zone), e);
        }
    }

    /// <summary>Parses a fixed offset ("UTC", "Z", "+05:30", "UTC-4"); false for anything else.</summary>
    public static bool TryParseFixed(string zone, out short minutes)
    {
        minutes = 0;
        ArgumentNullException.ThrowIfNull(zone);
        var s = zone.Trim();
        if (s is "Z" or "UTC" or "GMT")
        {
            return true;
        }

        if (s.StartsWith("UTC", StringComparison.Ordinal) || s.StartsWith("GMT", StringComparison.Ordinal))
        {
            s = s[3..];
        }

        if (s.Length < 2 || (s[0] != '+' && s[0] != '-'))
        {
            return false;
        }

        var sign = s[0] == '-' ? -1 : 1;
        var body = s[1..];
        int hours, mins = 0;
        var colon = body.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!int.TryParse(body[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out hours)
                || !int.TryParse(body[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out mins))
            {
                return false;
            }
        }
        else if (!int.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out hours))
        {
            return false;
        }

        if (hours > 14 || mins > 59 || (hours == 14 && mins > 0))
        {
            return false;
        }

        minutes = (short)(sign * ((hours * 60) + mins));
        return true;
    }
}
