namespace Ringfence.Rollouts;

/// <summary>
/// Every range and default of the rollout options, in one place, so validators and documentation agree.
/// </summary>
public static class OptionRanges
{
    public const int MaxRings = 32;
    public const int MaxRingMinimumHosts = 10_000_000;
    public static readonly TimeSpan MaxBakeTime = TimeSpan.FromDays(30);

    // Health gate.
    public const double DefaultFalseHaltBound = 0.001;
    public const double MinFalseHaltBound = 1e-9;
    public const double MaxFalseHaltBound = 0.2;
    public const double DefaultMissBound = 0.05;
    public const double DefaultCrashRateRatio = 3.0;
    public const double MinRateRatio = 1.1;
    public const double MaxRateRatio = 1000;
    public const int DefaultAttributionHosts = 3;
    public const int MaxAttributionHosts = 10_000;
    public const double DefaultMinExposedHostHours = 50;
    public const double DefaultSuspicionFraction = 0.75;

    // Rollout.
    public const double DefaultFastTrackBakeFactor = 0.25;
    public static readonly TimeSpan DefaultFastTrackMinimumBake = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultDeployTimeout = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxDeployTimeout = TimeSpan.FromDays(30);
    public const double DefaultMinimumExposedShare = 0.5;

    // Coverage.
    public const int DefaultCoverageMinFleetHosts = 50;
    public const int DefaultCoverageHostsPerConfiguration = 5;
    public const double DefaultCoverageMissProbability = 1e-9;

    // Policies.
    public static readonly TimeSpan MaxPinDelay = TimeSpan.FromDays(365);

    internal static bool Check(List<ValidationError> errors, string path, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            errors.Add(new(path, $"must be between {min} and {max}, got {value}"));
            return false;
        }

        return true;
    }

    internal static bool Check(List<ValidationError> errors, string path, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(new(path, $"must be between {min} and {max}, got {value}"));
            return false;
        }

        return true;
    }

    internal static bool Check(List<ValidationError> errors, string path, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add(new(path, $"must be between {min} and {max}, got {value}"));
            return false;
        }

        return true;
    }
}
