using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ringfence.Agent.Runtime;

/// <summary>What <see cref="SlotFile.Read"/> found: the body, the slot it came from, and whether a trailer sealed it.</summary>
/// <param name="Path">The slot file the body was read from.</param>
/// <param name="Body">The bytes as written, without the trailer.</param>
/// <param name="Sequence">The write's sequence number (0 for an unsealed file).</param>
/// <param name="Sealed">
/// False for a file without a valid trailer: written by an older agent or a person, or torn. It is returned only
/// when no slot is sealed, so the caller can parse it and report it if it is broken.
/// </param>
public sealed record SlotContent(string Path, byte[] Body, long Sequence, bool Sealed);

/// <summary>A slot file is over the size limit its reader gave.</summary>
public sealed class SlotFileTooLargeException(string path, long length, long limit)
    : Exception($"{path} is {length} bytes, over the {limit}-byte limit")
{
    public string Path { get; } = path;
    public long Length { get; } = length;
    public long Limit { get; } = limit;
}

/// <summary>
/// A small file that is rewritten often and must survive a crash at any moment, stored as two slots written in
/// place, alternately (<c>name.json</c> and <c>name.alt.json</c>). Each write ends with a trailer holding a sequence
/// number and the SHA-256 of the body; a read takes the sealed slot with the highest sequence. A crash mid-write
/// tears only the slot being written, and the other still holds the previous version.
/// </summary>
/// <remarks>
/// Why not temp file and rename: on ext4, a rename over an existing file makes the kernel allocate and write the new
/// file's data at once (auto_da_alloc), about 0.8 ms per save here against about 25 µs for an in-place write. With
/// thousands of simulated agents saving every cycle, that blocked the thread pool. A slot is created by temp file and
/// rename the first time (no file is replaced then), so a torn slot always has a sealed sibling.
/// </remarks>
public sealed class SlotFile
{
    private const string Marker = "\n#ringfence-slot ";
    // Marker, 20-digit sequence, space, 64 hex digits of SHA-256, newline.
    private static readonly int TrailerLength = Marker.Length + 20 + 1 + 64 + 1;

    private readonly bool _durable;
    private bool _positioned;
    private long _sequence;
    private bool _nextIsAlternate;

    public SlotFile(string path, bool durable)
    {
        Path = path;
        AlternatePath = System.IO.Path.ChangeExtension(path, null) + ".alt" + System.IO.Path.GetExtension(path);
        _durable = durable;
    }

    /// <summary>The first slot (the name a person looks for).</summary>
    public string Path { get; }

    /// <summary>The second slot.</summary>
    public string AlternatePath { get; }

    /// <summary>
    /// The newest sealed slot, else an unsealed file (first slot first), else null when neither exists.
    /// Throws <see cref="SlotFileTooLargeException"/> for a slot over <paramref name="maxBytes"/>, before reading it.
    /// </summary>
    public SlotContent? Read(long maxBytes = long.MaxValue)
    {
        if (!_positioned)
        {
            // Only a slot's first write goes through a temp file; a crash there leaves it behind.
            AtomicFile.DiscardLeftover(Path);
            AtomicFile.DiscardLeftover(AlternatePath);
        }
        var first = ReadSlot(Path, maxBytes);
        var second = ReadSlot(AlternatePath, maxBytes);
        SlotContent? chosen;
        if (first is { Sealed: true } && second is { Sealed: true })
            chosen = second.Sequence > first.Sequence ? second : first;
        else if (first is { Sealed: true })
            chosen = first;
        else if (second is { Sealed: true })
            chosen = second;
        else
            chosen = first ?? second;
        _positioned = true;
        _sequence = chosen?.Sequence ?? 0;
        // The next write goes to the other slot, so the one just read stays intact until a newer one is sealed.
        _nextIsAlternate = chosen is not null && chosen.Path == Path;
        return chosen;
    }

    /// <summary>Writes <paramref name="body"/> to the slot not holding the newest version, in place.</summary>
    public void Write(ReadOnlySpan<byte> body)
    {
        if (!_positioned)
            Read();
        var sequence = _sequence + 1;
        var target = _nextIsAlternate ? AlternatePath : Path;
        Span<byte> trailer = stackalloc byte[TrailerLength];
        WriteTrailer(trailer, sequence, body);
        try
        {
            using var stream = new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0);
            stream.Write(body);
            stream.Write(trailer);
            stream.SetLength(body.Length + TrailerLength);
            stream.Flush(_durable);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            var whole = new byte[body.Length + TrailerLength];
            body.CopyTo(whole);
            trailer.CopyTo(whole.AsSpan(body.Length));
            AtomicFile.Write(target, whole, _durable);
        }
        _sequence = sequence;
        _nextIsAlternate = !_nextIsAlternate;
    }

    /// <summary>Removes both slots (and a temp file a first write may have left).</summary>
    public void Delete()
    {
        foreach (var path in new[] { Path, AlternatePath })
        {
            try
            {
                File.Delete(path);
                AtomicFile.DiscardLeftover(path);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was ever written.
            }
        }
        _positioned = true;
        _sequence = 0;
        _nextIsAlternate = false;
    }

    private static SlotContent? ReadSlot(string path, long maxBytes)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            if (stream.Length > maxBytes)
                throw new SlotFileTooLargeException(path, stream.Length, maxBytes);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        return TryUnseal(bytes, out var body, out var sequence)
            ? new SlotContent(path, body, sequence, Sealed: true)
            : new SlotContent(path, bytes, 0, Sealed: false);
    }

    private static void WriteTrailer(Span<byte> trailer, long sequence, ReadOnlySpan<byte> body)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Marker}{sequence:D20} {Convert.ToHexStringLower(SHA256.HashData(body))}\n");
        Encoding.ASCII.GetBytes(text, trailer);
    }

    private static bool TryUnseal(byte[] bytes, out byte[] body, out long sequence)
    {
        body = [];
        sequence = 0;
        if (bytes.Length < TrailerLength)
            return false;
        var split = bytes.Length - TrailerLength;
        var trailer = Encoding.ASCII.GetString(bytes, split, TrailerLength);
        if (!trailer.StartsWith(Marker, StringComparison.Ordinal) || trailer[^1] != '\n'
            || !long.TryParse(trailer.AsSpan(Marker.Length, 20), NumberStyles.None, CultureInfo.InvariantCulture, out sequence))
            return false;
        var hash = trailer.AsSpan(Marker.Length + 21, 64);
        if (!hash.SequenceEqual(Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, split)))))
            return false;
        body = bytes[..split];
        return true;
    }
}
