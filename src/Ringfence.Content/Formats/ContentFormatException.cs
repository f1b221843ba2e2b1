namespace Ringfence.Content;

/// <summary>
/// Content that cannot be read: truncated or corrupted binary, wrong magic, malformed JSON, over the size limit.
/// The message is one line and says where: a byte offset (binary) or a JSON path / line (JSON).
/// </summary>
public sealed class ContentFormatException : Exception
{
    public ContentFormatException(string message, long? offset = null, string? jsonPath = null)
        : base(message)
    {
        Offset = offset;
        JsonPath = jsonPath;
    }

    /// <summary>Byte offset in a binary file where reading failed.</summary>
    public long? Offset { get; }

    /// <summary>JSON path (e.g. <c>$.instances[3].criteria[20]</c>) where reading failed.</summary>
    public string? JsonPath { get; }
}
