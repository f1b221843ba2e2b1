namespace Ringfence.Content;

/// <summary>
/// The channel id rule. A channel id becomes a TUF target path segment ("channels/{id}/{id}-000042.json") and a
/// file name on every agent, so it is 1..64 letters, digits, '.', '-' or '_', and not "." or "..".
/// </summary>
public static class ChannelId
{
    public const int MaxLength = 64;

    public const string Rule = "1..64 letters, digits, '.', '-', '_' (and not '.' or '..')";

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && id is not ("." or "..")
        && id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_');
}
