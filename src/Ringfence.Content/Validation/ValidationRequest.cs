namespace Ringfence.Content;

/// <summary>A channel file to validate and the name findings use for it (usually its path).</summary>
public sealed record ContentDocument(string Name, ChannelFile File);

/// <summary>Validator settings, with ranges and defaults in one place.</summary>
public sealed record ValidationOptions
{
    public static ValidationOptions Default { get; } = new();

    /// <summary>Seed for fuzzing: same seed, same events, same findings.</summary>
    public int FuzzSeed { get; init; } = 20240719;

    /// <summary>Random events per (file × boundary length). Range 0..100000.</summary>
    public int FuzzEventsPerLength { get; init; } = 300;

    /// <summary>Time limit for one regex match against one adversarial input. Range 1 ms..10 s.</summary>
    public TimeSpan RegexTimeLimit { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Length of the adversarial strings each regex is tried against. Range 1..1000000.</summary>
    public int AdversarialInputLength { get; init; } = 20_000;

    public ContentLimits Limits { get; init; } = ContentLimits.Default;

    public ValidationOptions Validate()
    {
        if (FuzzEventsPerLength is < 0 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(FuzzEventsPerLength), FuzzEventsPerLength, "must be between 0 and 100000");
        if (RegexTimeLimit < TimeSpan.FromMilliseconds(1) || RegexTimeLimit > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(RegexTimeLimit), RegexTimeLimit, "must be between 1 ms and 10 s");
        if (AdversarialInputLength is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(AdversarialInputLength), AdversarialInputLength, "must be between 1 and 1000000");
        return this;
    }
}

/// <summary>
/// Everything one validation run needs. The server passes <c>Fleet = declared.Merge(learnedFromCheckIns)</c>
/// (see <see cref="FleetManifest.Merge"/>); a null fleet skips the fleet-contract check and fuzzes at the full field count only.
/// </summary>
public sealed record ValidationRequest
{
    public required IReadOnlyList<ContentDocument> Files { get; init; }
    public required IReadOnlyList<TemplateType> TemplateTypes { get; init; }

    /// <summary>Name of the template-type definitions, used in locations of RF1012 findings.</summary>
    public string TemplateTypesName { get; init; } = "template-types";

    public FleetManifest? Fleet { get; init; }

    /// <summary>Name of the fleet manifest, used in locations of RF2005 findings.</summary>
    public string FleetName { get; init; } = "fleet";

    public IReadOnlyList<SampleEvent> Corpus { get; init; } = [];
    public ValidationOptions Options { get; init; } = ValidationOptions.Default;
}
