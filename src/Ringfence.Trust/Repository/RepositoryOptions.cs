namespace Ringfence.Trust.Repository;

/// <summary>How long each role's metadata stays valid after signing. Defaults in one place; <see cref="Validate"/> returns every error.</summary>
public sealed record RepositoryOptions
{
    public TimeSpan RootExpiry { get; init; } = TimeSpan.FromDays(365);
    public TimeSpan TargetsExpiry { get; init; } = TimeSpan.FromDays(90);
    public TimeSpan SnapshotExpiry { get; init; } = TimeSpan.FromDays(7);
    public TimeSpan TimestampExpiry { get; init; } = TimeSpan.FromDays(1);

    public static RepositoryOptions Default { get; } = new();

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Check(nameof(RootExpiry), RootExpiry, TimeSpan.FromDays(1), TimeSpan.FromDays(3650));
        Check(nameof(TargetsExpiry), TargetsExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        Check(nameof(SnapshotExpiry), SnapshotExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        Check(nameof(TimestampExpiry), TimestampExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        return errors;

        void Check(string name, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
                errors.Add($"{name} must be in [{min}, {max}], was {value}");
        }
    }

    public RepositoryOptions ThrowIfInvalid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException("invalid repository options: " + string.Join("; ", errors));
    }
}
