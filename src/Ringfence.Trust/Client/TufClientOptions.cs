namespace Ringfence.Trust.Client;

/// <summary>Limits of the client update workflow. Defaults are tuf-js's; <see cref="Validate"/> returns every error at once.</summary>
public sealed record TufClientOptions
{
    public const int MaxRootRotationsLimit = 1024;
    public const long MaxMetadataLength = 64L * 1024 * 1024;

    /// <summary>How many root versions one refresh may walk (5.3.3); stops an endless chain of roots.</summary>
    public int MaxRootRotations { get; init; } = 256;
    public long RootMaxLength { get; init; } = 512_000;
    public long TimestampMaxLength { get; init; } = 16_384;
    public long SnapshotMaxLength { get; init; } = 2_000_000;
    public long TargetsMaxLength { get; init; } = 5_000_000;

    /// <summary>Upper bound on any single target download, whatever its signed length says.</summary>
    public long TargetMaxLength { get; init; } = 256L * 1024 * 1024;

    public static TufClientOptions Default { get; } = new();

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxRootRotations is < 1 or > MaxRootRotationsLimit)
            errors.Add($"{nameof(MaxRootRotations)} must be in [1, {MaxRootRotationsLimit}], was {MaxRootRotations}");
        Check(nameof(RootMaxLength), RootMaxLength, MaxMetadataLength);
        Check(nameof(TimestampMaxLength), TimestampMaxLength, MaxMetadataLength);
        Check(nameof(SnapshotMaxLength), SnapshotMaxLength, MaxMetadataLength);
        Check(nameof(TargetsMaxLength), TargetsMaxLength, MaxMetadataLength);
        Check(nameof(TargetMaxLength), TargetMaxLength, long.MaxValue - 1);
        return errors;

        void Check(string name, long value, long max)
        {
            if (value < 1 || value > max)
                errors.Add($"{name} must be in [1, {max}], was {value}");
        }
    }

    public TufClientOptions ThrowIfInvalid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException("invalid TUF client options: " + string.Join("; ", errors));
    }
}
