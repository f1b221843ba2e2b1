using System.Text;
using Ringfence.Content;

namespace Ringfence.Cli.Content;

/// <summary>
/// Reads content files for the CLI: existence and size are checked before reading, and every format problem becomes
/// one <see cref="CliException"/> line naming the file and the offset or JSON path.
/// </summary>
internal static class ContentFiles
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A channel file read from disk: the model when it parsed cleanly, else its schema errors.</summary>
    public sealed record LoadedChannel(string Name, ChannelFile? File, IReadOnlyList<JsonSchemaError> SchemaErrors, bool Binary, int Bytes);

    public static byte[] ReadBytes(CliEnvironment env, string path, ContentLimits limits)
    {
        var full = env.ResolvePath(path);
        if (Directory.Exists(full))
            throw new CliException($"{path}: is a directory, not a file");
        if (!File.Exists(full))
            throw new CliException($"{path}: file not found");
        var length = new FileInfo(full).Length;
        if (length > limits.MaxFileBytes)
            throw new CliException($"{path}: file is {length:N0} bytes, over the {limits.MaxFileBytes:N0}-byte limit");
        try
        {
            return File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot read: {ex.Message}");
        }
    }

    public static string ReadText(CliEnvironment env, string path, ContentLimits limits)
    {
        var bytes = ReadBytes(env, path, limits);
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException ex)
        {
            throw new CliException($"{path}: not UTF-8 text (invalid byte at offset {ex.Index})");
        }
    }

    public static bool LooksBinary(string path, ReadOnlySpan<byte> bytes) =>
        path.EndsWith(".rfc", StringComparison.OrdinalIgnoreCase) || (bytes.Length >= 4 && bytes[..4].SequenceEqual(ChannelFileBinary.Magic));

    /// <summary>Loads a <c>.rfc</c> binary or a JSON authoring file (decided by extension, then by magic).</summary>
    public static LoadedChannel LoadChannel(CliEnvironment env, string path, ContentLimits limits)
    {
        var bytes = ReadBytes(env, path, limits);
        if (LooksBinary(path, bytes))
            return new LoadedChannel(path, ReadBinary(path, bytes, limits), [], true, bytes.Length);
        var text = ReadText(env, path, limits);
        var result = Json(path, () => ContentJson.ReadChannelFile(text, limits));
        return new LoadedChannel(path, result.Value, result.Errors, false, bytes.Length);
    }

    public static ChannelFile ReadBinary(string path, byte[] bytes, ContentLimits limits)
    {
        try
        {
            return ChannelFileBinary.Read(bytes, limits);
        }
        catch (ContentFormatException ex)
        {
            throw new CliException($"{path}: {ex.Message} (offset {ex.Offset ?? 0})");
        }
    }

    /// <summary>Runs a JSON reader, turning malformed JSON into one CLI error line.</summary>
    public static JsonReadResult<T> Json<T>(string path, Func<JsonReadResult<T>> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (ContentFormatException ex)
        {
            throw new CliException($"{path}: {ex.Message}");
        }
    }

    /// <summary>Writes via a temporary file and a rename, so a failure never leaves half a file behind.</summary>
    public static void WriteAtomically(CliEnvironment env, string path, byte[] bytes)
    {
        var full = env.ResolvePath(path);
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new CliException($"{path}: directory {dir} does not exist");
        var temp = full + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new CliException($"{path}: cannot write: {ex.Message}");
        }
    }
}
