using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.InteropServices;
using Ringfence.Trust.Json;
using Ringfence.Trust.Keys;

namespace Ringfence.Trust.Metadata;

/// <summary>
/// Reads and writes TUF metadata files (<c>{"signatures":[...],"signed":{...}}</c>) and checks signature thresholds.
/// Parsing never trusts anything: it only gives a shape; <see cref="VerifyThreshold{T}"/> decides trust.
/// Every error names the file and the JSON path.
/// </summary>
public static class MetadataCodec
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    public static SignedMetadata<RootMetadata> ParseRoot(byte[] bytes, string fileName) => Parse(bytes, fileName, Roles.Root, ReadRoot);
    public static SignedMetadata<TargetsMetadata> ParseTargets(byte[] bytes, string fileName) => Parse(bytes, fileName, Roles.Targets, ReadTargets);
    public static SignedMetadata<SnapshotMetadata> ParseSnapshot(byte[] bytes, string fileName) => Parse(bytes, fileName, Roles.Snapshot, ReadSnapshot);
    public static SignedMetadata<TimestampMetadata> ParseTimestamp(byte[] bytes, string fileName) => Parse(bytes, fileName, Roles.Timestamp, ReadTimestamp);

    /// <summary>Signs the canonical form of <paramref name="signed"/> with each key and returns the complete file.</summary>
    public static SignedMetadata<T> Sign<T>(T signed, IEnumerable<SigningKey> keys) where T : SignedPart
    {
        var json = signed.ToJson();
        var canonical = CanonicalJson.Encode(json);
        var signatures = keys
            .DistinctBy(k => k.KeyId)
            .Select(k => new TufSignature(k.KeyId, Hex.Encode(k.Sign(canonical))))
            .OrderBy(s => s.KeyId, StringComparer.Ordinal)
            .ToList();
        return new SignedMetadata<T>(signed, signatures, canonical, Serialize(signatures, json, canonical));
    }

    /// <summary>
    /// Throws <see cref="ThresholdNotMetException"/> unless at least threshold distinct keys of <paramref name="role"/>
    /// in <paramref name="root"/> produced valid signatures over the canonical signed bytes.
    /// </summary>
    public static void VerifyThreshold<T>(SignedMetadata<T> metadata, RootMetadata root, string role) where T : SignedPart
    {
        var roleKeys = root.For(role);
        var valid = CountValidSignatures(metadata, root, roleKeys);
        if (valid < roleKeys.Threshold)
            throw new ThresholdNotMetException(role, valid, roleKeys.Threshold);
    }

    public static int CountValidSignatures<T>(SignedMetadata<T> metadata, RootMetadata root, RoleKeys roleKeys) where T : SignedPart
    {
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signature in metadata.Signatures)
        {
            // Each authorised key counts once, however many signatures carry its id.
            if (counted.Contains(signature.KeyId) || !roleKeys.KeyIds.Contains(signature.KeyId))
                continue;
            if (!root.Keys.TryGetValue(signature.KeyId, out var key))
                continue;
            var sig = Hex.TryDecode(signature.Sig);
            if (sig is not null && key.Verify(metadata.CanonicalSigned.Span, sig))
                counted.Add(signature.KeyId);
        }
        return counted.Count;
    }

    /// <summary>Relaxed escaping keeps PEM keys and paths readable; the file is ordinary JSON, only the signature is over canonical bytes.</summary>
    internal static readonly JsonSerializerOptions FileJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Serialize(IReadOnlyList<TufSignature> signatures, JsonObject signed, byte[] canonical)
    {
        var signatureArray = new JsonArray();
        foreach (var signature in signatures)
            signatureArray.Add(new JsonObject { ["keyid"] = signature.KeyId, ["sig"] = signature.Sig });
        // Canonical JSON is also plain JSON unless a string holds a control character (PEM keys in root.json do): then the
        // file spells "signed" the ordinary way. Otherwise it embeds the signed bytes as they are, so clients can check the
        // signature over that slice without re-encoding it.
        if (canonical.AsSpan().IndexOfAnyInRange((byte)0, (byte)0x1f) >= 0)
        {
            var file = new JsonObject { ["signatures"] = signatureArray, ["signed"] = signed };
            return Encoding.UTF8.GetBytes(file.ToJsonString(FileJson) + "\n");
        }
        var head = Encoding.UTF8.GetBytes("{\"signatures\":" + signatureArray.ToJsonString(FileJson) + ",\"signed\":");
        return [.. head, .. canonical, .. "}\n"u8];
    }

    private delegate T SignedReader<out T>(JsonElement signed, Reader reader);

    /// <summary>An escaped lone surrogate (<c>"\udfff"</c>) parses, then throws InvalidOperationException when read (found by bench/fuzz).</summary>
    private static void RefuseInvalidEscapes(byte[] bytes, string fileName)
    {
        if (bytes.AsSpan().IndexOf("\\u"u8) < 0)
            return;
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                    _ = reader.GetString();
            }
        }
        catch (InvalidOperationException)
        {
            throw new MalformedMetadataException($"{fileName}: a string at byte {reader.TokenStartIndex} escapes a lone UTF-16 surrogate, which is not text");
        }
        catch (JsonException)
        {
            // malformed JSON: JsonDocument.Parse reports it with its position
        }
    }

    private static SignedMetadata<T> Parse<T>(byte[] bytes, string fileName, string expectedType, SignedReader<T> read) where T : SignedPart
    {
        // JsonDocument checks structure, not the bytes inside strings: invalid UTF-8 there would only surface later as an
        // InvalidOperationException when a string is read (found by bench/fuzz).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new MalformedMetadataException($"{fileName}: not valid UTF-8");
        RefuseInvalidEscapes(bytes, fileName);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.BytePositionInLine is { } pos ? $"line {ex.LineNumber + 1}, byte {pos}" : "unknown position";
            throw new MalformedMetadataException($"{fileName}: not valid JSON at {where}");
        }
        using (doc)
        {
            var reader = new Reader(fileName);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw reader.Fail("$", "expected an object");
            var signedElement = reader.Property(root, "signed", "$", JsonValueKind.Object);
            var signaturesElement = reader.Property(root, "signatures", "$", JsonValueKind.Array);
            var signatures = new List<TufSignature>();
            var index = 0;
            foreach (var item in signaturesElement.EnumerateArray())
            {
                var path = $"$.signatures[{index++}]";
                if (item.ValueKind != JsonValueKind.Object)
                    throw reader.Fail(path, "expected an object");
                signatures.Add(new TufSignature(reader.String(item, "keyid", path), reader.String(item, "sig", path)));
            }

            var type = reader.String(signedElement, "_type", "$.signed");
            if (type != expectedType)
                throw reader.Fail("$.signed._type", $"expected \"{expectedType}\", found \"{type}\"");
            var specVersion = reader.String(signedElement, "spec_version", "$.signed");
            var parts = specVersion.Split('.');
            if (parts.Length is < 2 or > 3 || parts[0] != "1" || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw reader.Fail("$.signed.spec_version", $"unsupported specification version \"{specVersion}\"");

            ReadOnlyMemory<byte> canonical;
            try
            {
                // Canonicalise from the received bytes of "signed" (a slice of the file), not by walking the document; files
                // written by this codec already hold the canonical form there, and then the slice itself is what was signed.
                var raw = JsonMarshal.GetRawUtf8Value(signedElement);
                canonical = !bytes.AsSpan().Overlaps(raw, out var offset) ? CanonicalJson.Encode(signedElement)
                    : CanonicalJsonReader.IsCanonical(raw) ? bytes.AsMemory(offset, raw.Length)
                    : CanonicalJson.Encode(bytes.AsMemory(offset, raw.Length));
            }
            catch (FormatException ex)
            {
                throw reader.Fail("$.signed", ex.Message);
            }
            var signed = read(signedElement, reader) with { SpecVersion = specVersion };
            return new SignedMetadata<T>(signed, signatures, canonical, bytes);
        }
    }

    private static (long Version, DateTimeOffset Expires) ReadCommon(JsonElement signed, Reader reader)
    {
        var version = reader.Integer(signed, "version", "$.signed");
        if (version < 1)
            throw reader.Fail("$.signed.version", "must be at least 1");
        var expiresText = reader.String(signed, "expires", "$.signed");
        if (!DateTimeOffset.TryParseExact(expiresText, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expires))
            throw reader.Fail("$.signed.expires", $"\"{expiresText}\" is not yyyy-MM-ddTHH:mm:ssZ");
        return (version, expires);
    }

    private static RootMetadata ReadRoot(JsonElement signed, Reader reader)
    {
        var (version, expires) = ReadCommon(signed, reader);
        var consistent = reader.Property(signed, "consistent_snapshot", "$.signed", JsonValueKind.True, JsonValueKind.False).GetBoolean();
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var property in reader.Property(signed, "keys", "$.signed", JsonValueKind.Object).EnumerateObject())
        {
            var path = $"$.signed.keys['{property.Name}']";
            if (property.Value.ValueKind != JsonValueKind.Object)
                throw reader.Fail(path, "expected an object");
            var keyType = reader.String(property.Value, "keytype", path);
            var scheme = reader.String(property.Value, "scheme", path);
            var publicValue = reader.String(reader.Property(property.Value, "keyval", path, JsonValueKind.Object), "public", path + ".keyval");
            try
            {
                keys[property.Name] = TufKey.Get(keyType, scheme, publicValue);
            }
            catch (FormatException ex)
            {
                throw reader.Fail(path, ex.Message);
            }
        }
        var roles = new Dictionary<string, RoleKeys>(StringComparer.Ordinal);
        foreach (var property in reader.Property(signed, "roles", "$.signed", JsonValueKind.Object).EnumerateObject())
        {
            var path = $"$.signed.roles.{property.Name}";
            if (property.Value.ValueKind != JsonValueKind.Object)
                throw reader.Fail(path, "expected an object");
            var threshold = reader.Integer(property.Value, "threshold", path);
            if (threshold is < 1 or > int.MaxValue)
                throw reader.Fail(path + ".threshold", "must be at least 1");
            var ids = new List<string>();
            foreach (var id in reader.Property(property.Value, "keyids", path, JsonValueKind.Array).EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.String)
                    throw reader.Fail(path + ".keyids", "expected strings");
                var keyId = id.GetString()!;
                if (ids.Contains(keyId))
                    throw reader.Fail(path + ".keyids", $"duplicate key id {keyId}");
                if (!keys.ContainsKey(keyId))
                    throw reader.Fail(path + ".keyids", $"key id {keyId} is not in $.signed.keys");
                ids.Add(keyId);
            }
            roles[property.Name] = new RoleKeys(ids, (int)threshold);
        }
        foreach (var role in Roles.All)
        {
            if (!roles.ContainsKey(role))
                throw reader.Fail("$.signed.roles", $"role \"{role}\" is missing");
        }
        return new RootMetadata(version, expires, keys, roles, consistent);
    }

    private static TargetsMetadata ReadTargets(JsonElement signed, Reader reader)
    {
        var (version, expires) = ReadCommon(signed, reader);
        var targetsElement = reader.Property(signed, "targets", "$.signed", JsonValueKind.Object);
        var targets = new Dictionary<string, TargetFileInfo>(targetsElement.GetPropertyCount(), StringComparer.Ordinal);
        foreach (var property in targetsElement.EnumerateObject())
        {
            // Hot loop (one pass per target): the JSON path is only formatted when something is wrong.
            var value = property.Value;
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("length"u8, out var lengthElement)
                || lengthElement.ValueKind != JsonValueKind.Number || !lengthElement.TryGetInt64(out var length) || length < 0
                || !value.TryGetProperty("hashes"u8, out var hashesElement) || hashesElement.ValueKind != JsonValueKind.Object)
            {
                var path = $"$.signed.targets['{property.Name}']";
                if (value.ValueKind != JsonValueKind.Object)
                    throw reader.Fail(path, "expected an object");
                length = reader.Integer(value, "length", path);
                if (length < 0)
                    throw reader.Fail(path + ".length", "must not be negative");
                hashesElement = reader.Property(value, "hashes", path, JsonValueKind.Object);
            }
            var hashes = reader.Hashes(hashesElement, property, "$.signed.targets['{0}'].hashes");
            JsonObject? custom = null;
            if (value.TryGetProperty("custom"u8, out var customElement))
            {
                if (customElement.ValueKind != JsonValueKind.Object)
                    throw reader.Fail($"$.signed.targets['{property.Name}'].custom", "expected an object");
                custom = JsonNode.Parse(customElement.GetRawText()) as JsonObject;
            }
            targets[property.Name] = new TargetFileInfo(length, hashes, custom);
        }
        if (signed.TryGetProperty("delegations", out var delegations) && delegations.ValueKind == JsonValueKind.Object
            && delegations.TryGetProperty("roles", out var delegated) && delegated.ValueKind == JsonValueKind.Array && delegated.GetArrayLength() > 0)
            throw reader.Fail("$.signed.delegations", "delegated targets roles are not supported");
        return new TargetsMetadata(version, expires, targets);
    }

    private static SnapshotMetadata ReadSnapshot(JsonElement signed, Reader reader)
    {
        var (version, expires) = ReadCommon(signed, reader);
        var meta = new Dictionary<string, MetaFileInfo>(StringComparer.Ordinal);
        foreach (var property in reader.Property(signed, "meta", "$.signed", JsonValueKind.Object).EnumerateObject())
            meta[property.Name] = ReadMetaFile(property.Value, $"$.signed.meta['{property.Name}']", reader);
        return new SnapshotMetadata(version, expires, meta);
    }

    private static TimestampMetadata ReadTimestamp(JsonElement signed, Reader reader)
    {
        var (version, expires) = ReadCommon(signed, reader);
        var meta = reader.Property(signed, "meta", "$.signed", JsonValueKind.Object);
        var snapshot = reader.Property(meta, "snapshot.json", "$.signed.meta", JsonValueKind.Object);
        return new TimestampMetadata(version, expires, ReadMetaFile(snapshot, "$.signed.meta['snapshot.json']", reader));
    }

    private static MetaFileInfo ReadMetaFile(JsonElement element, string path, Reader reader)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw reader.Fail(path, "expected an object");
        var version = reader.Integer(element, "version", path);
        if (version < 1)
            throw reader.Fail(path + ".version", "must be at least 1");
        long? length = null;
        if (element.TryGetProperty("length", out _))
        {
            length = reader.Integer(element, "length", path);
            if (length < 0)
                throw reader.Fail(path + ".length", "must not be negative");
        }
        IReadOnlyDictionary<string, string>? hashes = null;
        if (element.TryGetProperty("hashes", out var hashesElement))
        {
            if (hashesElement.ValueKind != JsonValueKind.Object)
                throw reader.Fail(path + ".hashes", "expected an object");
            hashes = reader.Hashes(hashesElement, path + ".hashes");
        }
        return new MetaFileInfo(version, length, hashes);
    }

    /// <summary>Typed accessors that fail with the file name and JSON path.</summary>
    private readonly struct Reader(string fileName)
    {
        public MalformedMetadataException Fail(string path, string what) => new($"{fileName}: {path}: {what}");

        public JsonElement Property(JsonElement obj, string name, string path, params ReadOnlySpan<JsonValueKind> kinds)
        {
            if (!obj.TryGetProperty(name, out var value))
                throw Fail($"{path}.{name}", "missing");
            if (kinds.Length > 0 && kinds.IndexOf(value.ValueKind) < 0)
                throw Fail($"{path}.{name}", $"expected {string.Join(" or ", kinds.ToArray()).ToLowerInvariant()}, found {value.ValueKind.ToString().ToLowerInvariant()}");
            return value;
        }

        public string String(JsonElement obj, string name, string path) =>
            Property(obj, name, path, JsonValueKind.String).GetString()!;

        public long Integer(JsonElement obj, string name, string path)
        {
            var value = Property(obj, name, path, JsonValueKind.Number);
            if (!value.TryGetInt64(out var number))
                throw Fail($"{path}.{name}", "expected an integer");
            return number;
        }

        /// <summary>Hashes of one target: <paramref name="pathFormat"/> ({0} = the target's name) is only formatted on failure.</summary>
        public Dictionary<string, string> Hashes(JsonElement obj, JsonProperty target, string pathFormat)
        {
            var hashes = new Dictionary<string, string>(1, StringComparer.Ordinal);
            foreach (var property in obj.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                    return Hashes(obj, string.Format(CultureInfo.InvariantCulture, pathFormat, target.Name));
                hashes[property.Name] = property.Value.GetString()!;
            }
            if (hashes.Count == 0)
                return Hashes(obj, string.Format(CultureInfo.InvariantCulture, pathFormat, target.Name));
            return hashes;
        }

        public Dictionary<string, string> Hashes(JsonElement obj, string path)
        {
            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in obj.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                    throw Fail($"{path}.{property.Name}", "expected a hex string");
                hashes[property.Name] = property.Value.GetString()!;
            }
            if (hashes.Count == 0)
                throw Fail(path, "no hashes");
            return hashes;
        }
    }
}
