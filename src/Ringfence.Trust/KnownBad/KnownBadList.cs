using System.Text.Json;
using System.Text.Json.Nodes;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.KnownBad;

/// <summary>One content hash agents must never load, and why.</summary>
public sealed record KnownBadEntry(string Sha256, string Reason, DateTimeOffset Added);

/// <summary>
/// The signed known-bad list: a TUF target (<see cref="TargetPath"/>) listing SHA-256 hashes of content agents must never load.
/// Because it is a target, it is covered by the targets signature, snapshot and timestamp like any channel file,
/// so it cannot be forged, rolled back or frozen. Halting a rollout adds the halted content's hash to it.
/// </summary>
public sealed class KnownBadList
{
    public const string TargetPath = "known-bad.json";
    public const string Format = "ringfence-known-bad-1";
    public const int MaxEntries = 100_000;

    private readonly Dictionary<string, KnownBadEntry> _byHash;

    public KnownBadList(IEnumerable<KnownBadEntry> entries)
    {
        _byHash = new Dictionary<string, KnownBadEntry>(StringComparer.Ordinal);
        var ordered = new List<KnownBadEntry>();
        foreach (var entry in entries)
        {
            var normalised = entry with { Sha256 = Normalise(entry.Sha256) };
            if (_byHash.TryAdd(normalised.Sha256, normalised))
                ordered.Add(normalised);
        }
        Entries = ordered;
    }

    public static KnownBadList Empty { get; } = new([]);

    public IReadOnlyList<KnownBadEntry> Entries { get; }

    public bool Contains(string sha256) => Hex.IsSha256(sha256) && _byHash.ContainsKey(sha256.ToLowerInvariant());

    public KnownBadEntry? Find(string sha256) =>
        Hex.IsSha256(sha256) && _byHash.TryGetValue(sha256.ToLowerInvariant(), out var entry) ? entry : null;

    /// <summary>A new list with the hash added (or this list, if it is already there).</summary>
    public KnownBadList Add(string sha256, string reason, DateTimeOffset added)
    {
        var hash = Normalise(sha256);
        if (_byHash.ContainsKey(hash))
            return this;
        if (Entries.Count >= MaxEntries)
            throw new InvalidOperationException($"the known-bad list is full ({MaxEntries} entries)");
        return new KnownBadList([.. Entries, new KnownBadEntry(hash, reason, SignedPart.TruncateToSeconds(added))]);
    }

    /// <summary>A new list without the hash (or this list, if it is not there): an operator judged a halt wrong.</summary>
    public KnownBadList Remove(string sha256)
    {
        var hash = Normalise(sha256);
        return _byHash.ContainsKey(hash) ? new KnownBadList(Entries.Where(e => e.Sha256 != hash)) : this;
    }

    /// <summary>Deterministic JSON (fixed field order), so the same list always has the same hash.</summary>
    public byte[] ToBytes()
    {
        var entries = new JsonArray();
        foreach (var entry in Entries)
        {
            entries.Add(new JsonObject
            {
                ["sha256"] = entry.Sha256,
                ["reason"] = entry.Reason,
                ["added"] = SignedPart.FormatExpires(entry.Added),
            });
        }
        return System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["format"] = Format, ["entries"] = entries }.ToJsonString(MetadataCodec.FileJson) + "\n");
    }

    /// <summary>Parses the list; throws <see cref="MalformedMetadataException"/> naming the JSON path on bad input.</summary>
    public static KnownBadList Parse(byte[] bytes)
    {
        const string name = TargetPath;
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new MalformedMetadataException($"{name}: $: expected an object");
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
                throw new MalformedMetadataException($"{name}: $.format: expected \"{Format}\"");
            if (!root.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Array)
                throw new MalformedMetadataException($"{name}: $.entries: expected an array");
            if (entries.GetArrayLength() > MaxEntries)
                throw new MalformedMetadataException($"{name}: $.entries: more than {MaxEntries} entries");
            var list = new List<KnownBadEntry>();
            var i = 0;
            foreach (var item in entries.EnumerateArray())
            {
                var path = $"$.entries[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                    throw new MalformedMetadataException($"{name}: {path}: expected an object");
                var hash = item.TryGetProperty("sha256", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
                if (!Hex.IsSha256(hash))
                    throw new MalformedMetadataException($"{name}: {path}.sha256: expected 64 hex digits");
                var reason = item.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
                var added = item.TryGetProperty("added", out var a) && a.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(a.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.AssumeUniversal, out var when) ? when : DateTimeOffset.UnixEpoch;
                list.Add(new KnownBadEntry(hash!, reason, added));
            }
            return new KnownBadList(list);
        }
        catch (JsonException ex)
        {
            throw new MalformedMetadataException($"{name}: not valid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}");
        }
    }

    private static string Normalise(string sha256) =>
        Hex.IsSha256(sha256) ? sha256.ToLowerInvariant() : throw new ArgumentException($"not a SHA-256 hex digest: \"{sha256}\"", nameof(sha256));
}
