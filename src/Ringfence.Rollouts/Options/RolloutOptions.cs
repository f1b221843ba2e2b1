namespace Ringfence.Rollouts;

/// <summary>Engine-wide rollout options. Defaults and ranges live in <see cref="OptionRanges"/>.</summary>
/// <param name="FastTrackBakeFactor">Emergency fast-track multiplies every bake time by this factor (0–1].</param>
/// <param name="FastTrackMinimumBake">…but never bakes a ring for less than this.</param>
/// <param name="DeployTimeout">A ring that cannot reach its minimum size within this time holds for a human.</param>
/// <param name="AutoRollbackOnFail">A failed gate rolls back at once (otherwise it only halts).</param>
/// <param name="MinimumExposedShare">
/// Minimum ring size: a ring starts baking once min(its <c>MinimumHosts</c>, this share of its eligible hosts) run the
/// content, so a ring whose hosts are partly offline still fills; the same share caps the exposure its gate asks for.
/// </param>
public sealed record RolloutOptions(
    double FastTrackBakeFactor = OptionRanges.DefaultFastTrackBakeFactor,
    TimeSpan? FastTrackMinimumBake = null,
    TimeSpan? DeployTimeout = null,
    bool AutoRollbackOnFail = true,
    double MinimumExposedShare = OptionRanges.DefaultMinimumExposedShare)
{
    public static RolloutOptions Default { get; } = new();

    public TimeSpan EffectiveFastTrackMinimumBake => FastTrackMinimumBake ?? OptionRanges.DefaultFastTrackMinimumBake;

    public TimeSpan EffectiveDeployTimeout => DeployTimeout ?? OptionRanges.DefaultDeployTimeout;

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (!(FastTrackBakeFactor > 0 && FastTrackBakeFactor <= 1))
        {
            errors.Add(new("fastTrackBakeFactor", $"must be greater than 0 and at most 1, got {FastTrackBakeFactor}"));
        }

        OptionRanges.Check(errors, "fastTrackMinimumBake", EffectiveFastTrackMinimumBake, TimeSpan.Zero, OptionRanges.MaxBakeTime);
        if (!(MinimumExposedShare > 0 && MinimumExposedShare <= 1))
        {
            errors.Add(new("minimumExposedShare", $"must be greater than 0 and at most 1, got {MinimumExposedShare}"));
        }

        OptionRanges.Check(errors, "deployTimeout", EffectiveDeployTimeout, TimeSpan.FromMinutes(1), OptionRanges.MaxDeployTimeout);
        return errors;
    }
}
