namespace Ringfence.Rollouts.Policies;

/// <summary>When an organisation or host group takes new content.</summary>
public enum ReleaseChannel
{
    /// <summary>Opts in early: joins the early-adopter ring.</summary>
    Early = 0,
    /// <summary>Placed by stable bucketing.</summary>
    Default = 1,
    /// <summary>Only once the rollout reaches its last ring.</summary>
    Late = 2,
}

/// <summary>
/// A weekly maintenance window in the host's local time: starts on <paramref name="Day"/> at
/// <paramref name="Start"/> and lasts <paramref name="Duration"/> (it may run into the next day).
/// </summary>
public sealed record MaintenanceWindow(DayOfWeek Day, TimeOnly Start, TimeSpan Duration)
{
    /// <summary>A window every day of the week from <paramref name="start"/> for <paramref name="duration"/>.</summary>
    public static IReadOnlyList<MaintenanceWindow> Daily(TimeOnly start, TimeSpan duration) =>
        [.. Enum.GetValues<DayOfWeek>().Select(d => new MaintenanceWindow(d, start, duration))];
}

/// <summary>
/// A customer policy, for an organisation or a host group (a group's policy replaces its organisation's).
/// </summary>
/// <param name="Channel">Early, default or late.</param>
/// <param name="PinDelay">
/// N-1 pinning: when set, new content only after its rollout completed at least this long ago; until then the host
/// stays on the previous content.
/// </param>
/// <param name="MaintenanceWindows">When content may change, in the host's time zone; none means any time.</param>
/// <param name="Critical">Critical group: served last (only once the rollout has completed every ring).</param>
public sealed record CustomerPolicy(
    ReleaseChannel Channel = ReleaseChannel.Default,
    TimeSpan? PinDelay = null,
    IReadOnlyList<MaintenanceWindow>? MaintenanceWindows = null,
    bool Critical = false)
{
    public static CustomerPolicy Default { get; } = new();

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate(string path = "")
    {
        var errors = new List<ValidationError>();
        var prefix = path.Length == 0 ? "" : path + ".";
        if (!Enum.IsDefined(Channel))
        {
            errors.Add(new($"{prefix}channel", $"unknown channel {(int)Channel}"));
        }

        if (PinDelay is { } pin)
        {
            OptionRanges.Check(errors, $"{prefix}pinDelay", pin, TimeSpan.Zero, OptionRanges.MaxPinDelay);
        }

        for (var i = 0; i < (MaintenanceWindows?.Count ?? 0); i++)
        {
            var w = MaintenanceWindows![i];
            var wp = $"{prefix}maintenanceWindows[{i}]";
            if (w is null)
            {
                errors.Add(new(wp, "window is missing"));
                continue;
            }

            if (!Enum.IsDefined(w.Day))
            {
                errors.Add(new($"{wp}.day", $"unknown day {(int)w.Day}"));
            }

            OptionRanges.Check(errors, $"{wp}.duration", w.Duration, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        }

        return errors;
    }
}

/// <summary>All customer policies: per organisation and per host group, by name.</summary>
/// <param name="Organisations">Policy per organisation name.</param>
/// <param name="HostGroups">Policy per host group name (replaces the organisation's policy).</param>
public sealed record PolicySet(
    IReadOnlyDictionary<string, CustomerPolicy>? Organisations = null,
    IReadOnlyDictionary<string, CustomerPolicy>? HostGroups = null)
{
    public static PolicySet Empty { get; } = new();

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        foreach (var (name, policy) in Organisations ?? new Dictionary<string, CustomerPolicy>())
        {
            if (policy is null)
            {
                errors.Add(new($"organisations['{name}']", "policy is missing"));
                continue;
            }

            errors.AddRange(policy.Validate($"organisations['{name}']"));
        }

        foreach (var (name, policy) in HostGroups ?? new Dictionary<string, CustomerPolicy>())
        {
            if (policy is null)
            {
                errors.Add(new($"hostGroups['{name}']", "policy is missing"));
                continue;
            }

            errors.AddRange(policy.Validate($"hostGroups['{name}']"));
        }

        return errors;
    }
}
