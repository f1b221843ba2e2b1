using System.Globalization;
using System.Text.Json.Nodes;
using Ringfence.Trust.Keys;

namespace Ringfence.Trust.Metadata;

/// <summary>The four top-level TUF roles.</summary>
public static class Roles
{
    public const string Root = "root";
    public const string Targets = "targets";
    public const string Snapshot = "snapshot";
    public const string Timestamp = "timestamp";

    public static IReadOnlyList<string> All { get; } = [Root, Targets, Snapshot, Timestamp];

    public static bool IsTopLevel(string role) => role is Root or Targets or Snapshot or Timestamp;
}

/// <summary>The keys trusted for one role and how many of them must sign.</summary>
public sealed record RoleKeys(IReadOnlyList<string> KeyIds, int Threshold)
{
    public JsonObject ToJson() => new()
    {
        ["keyids"] = new JsonArray([.. KeyIds.Select(id => (JsonNode)JsonValue.Create(id)!)]),
        ["threshold"] = Threshold,
    };
}

/// <summary>A reference to a metadata file (in snapshot and timestamp): its version, optionally its length and hashes.</summary>
public sealed record MetaFileInfo(long Version, long? Length = null, IReadOnlyDictionary<string, string>? Hashes = null)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["version"] = Version };
        if (Length is { } length)
            json["length"] = length;
        if (Hashes is not null)
            json["hashes"] = HashesToJson(Hashes);
        return json;
    }

    internal static JsonObject HashesToJson(IReadOnlyDictionary<string, string> hashes)
    {
        var json = new JsonObject();
        foreach (var (algorithm, value) in hashes)
            json[algorithm] = value;
        return json;
    }
}

/// <summary>A target file as the targets role signs it: its exact length and hashes, and optional custom data.</summary>
public sealed record TargetFileInfo(long Length, IReadOnlyDictionary<string, string> Hashes, JsonObject? Custom = null)
{
    /// <summary>The SHA-256 of the target, lowercase hex; every target we publish has one.</summary>
    public string? Sha256 => Hashes.TryGetValue("sha256", out var hash) ? hash.ToLowerInvariant() : null;

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["length"] = Length, ["hashes"] = MetaFileInfo.HashesToJson(Hashes) };
        if (Custom is not null)
            json["custom"] = Custom.DeepClone();
        return json;
    }

    /// <summary>Length and SHA-256 of some bytes, as a target entry.</summary>
    public static TargetFileInfo For(ReadOnlySpan<byte> content, JsonObject? custom = null) =>
        new(content.Length, new Dictionary<string, string> { ["sha256"] = Hex.Sha256(content) }, custom);
}

/// <summary>The fields every role's "signed" part has.</summary>
public abstract record SignedPart(long Version, DateTimeOffset Expires)
{
    /// <summary>The version of the specification we write; tuf-js and python-tuf accept any 1.x.</summary>
    public const string CurrentSpecVersion = "1.0.31";

    public abstract string Type { get; }
    public string SpecVersion { get; init; } = CurrentSpecVersion;

    public bool IsExpired(DateTimeOffset now) => now >= Expires;

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["_type"] = Type,
            ["spec_version"] = SpecVersion,
            ["version"] = Version,
            ["expires"] = FormatExpires(Expires),
        };
        AddFields(json);
        return json;
    }

    protected abstract void AddFields(JsonObject json);

    /// <summary>TUF's date format: whole seconds, UTC, trailing Z.</summary>
    public static string FormatExpires(DateTimeOffset expires) =>
        expires.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Drops sub-second precision, which the format cannot carry.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}

/// <summary>root.json: the keys of every role and their thresholds.</summary>
public sealed record RootMetadata(
    long Version,
    DateTimeOffset Expires,
    IReadOnlyDictionary<string, TufKey> Keys,
    IReadOnlyDictionary<string, RoleKeys> RoleKeys,
    bool ConsistentSnapshot = true) : SignedPart(Version, Expires)
{
    public override string Type => Roles.Root;

    public RoleKeys For(string role) => RoleKeys.TryGetValue(role, out var keys)
        ? keys
        : throw new MalformedMetadataException($"root: role {role} is not defined");

    protected override void AddFields(JsonObject json)
    {
        var keys = new JsonObject();
        foreach (var (id, key) in Keys)
            keys[id] = key.ToJson();
        var roles = new JsonObject();
        foreach (var (name, role) in RoleKeys)
            roles[name] = role.ToJson();
        json["keys"] = keys;
        json["roles"] = roles;
        json["consistent_snapshot"] = ConsistentSnapshot;
    }
}

/// <summary>targets.json: every target path with its length and hashes.</summary>
public sealed record TargetsMetadata(long Version, DateTimeOffset Expires, IReadOnlyDictionary<string, TargetFileInfo> Targets)
    : SignedPart(Version, Expires)
{
    public override string Type => Roles.Targets;

    protected override void AddFields(JsonObject json)
    {
        var targets = new JsonObject();
        foreach (var (path, info) in Targets)
            targets[path] = info.ToJson();
        json["targets"] = targets;
    }
}

/// <summary>snapshot.json: the version (and here also length and hash) of targets.json.</summary>
public sealed record SnapshotMetadata(long Version, DateTimeOffset Expires, IReadOnlyDictionary<string, MetaFileInfo> Meta)
    : SignedPart(Version, Expires)
{
    public override string Type => Roles.Snapshot;

    protected override void AddFields(JsonObject json)
    {
        var meta = new JsonObject();
        foreach (var (name, info) in Meta)
            meta[name] = info.ToJson();
        json["meta"] = meta;
    }
}

/// <summary>timestamp.json: the version, length and hash of snapshot.json. Short-lived and re-signed often.</summary>
public sealed record TimestampMetadata(long Version, DateTimeOffset Expires, MetaFileInfo SnapshotMeta) : SignedPart(Version, Expires)
{
    public override string Type => Roles.Timestamp;

    protected override void AddFields(JsonObject json) =>
        json["meta"] = new JsonObject { ["snapshot.json"] = SnapshotMeta.ToJson() };
}

/// <summary>One signature: the key id and the signature bytes in hex.</summary>
public sealed record TufSignature(string KeyId, string Sig);

/// <summary>A metadata file: its parsed signed part, its signatures, the canonical bytes they sign, and the file's raw bytes.</summary>
public sealed class SignedMetadata<T>(T signed, IReadOnlyList<TufSignature> signatures, ReadOnlyMemory<byte> canonicalSigned, byte[] raw)
    where T : SignedPart
{
    public T Signed { get; } = signed;
    public IReadOnlyList<TufSignature> Signatures { get; } = signatures;
    /// <summary>The bytes the signatures sign: often a slice of <see cref="Raw"/>, when the file already holds the canonical form.</summary>
    public ReadOnlyMemory<byte> CanonicalSigned { get; } = canonicalSigned;
    public byte[] Raw { get; } = raw;
}
