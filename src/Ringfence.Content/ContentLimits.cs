namespace Ringfence.Content;

/// <summary>
/// Size limits for content, in one place. Parsers check every length against these BEFORE allocating,
/// and the validator reports content that exceeds them (RF1007).
/// </summary>
public sealed record ContentLimits
{
    public static ContentLimits Default { get; } = new();

    /// <summary>Largest channel file, template-types file or fleet manifest accepted, in bytes (binary or JSON).</summary>
    public int MaxFileBytes { get; init; } = 16 * 1024 * 1024;
    public int MaxInstances { get; init; } = 100_000;
    public int MaxFields { get; init; } = 256;
    public int MaxStringBytes { get; init; } = 4096;
    public int MaxSetValues { get; init; } = 10_000;
    public int MaxRegexLength { get; init; } = 1024;
}
