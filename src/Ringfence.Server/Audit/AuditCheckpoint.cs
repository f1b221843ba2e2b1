using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringfence.Protocol;
using Ringfence.Trust.Keys;

namespace Ringfence.Server.Audit;

/// <summary>
/// A signed statement "the audit log had <see cref="Seq"/> entries and entry <see cref="Seq"/>'s hash was
/// <see cref="HeadHash"/> at <see cref="At"/>" by the audit signing key <see cref="KeyId"/>. Whoever keeps a copy can
/// later prove that the log was cut short or rewritten up to that entry.
/// </summary>
public sealed record AuditCheckpoint(long Seq, string HeadHash, long At, string KeyId, string Signature)
{
    /// <summary>The TUF target that carries the newest checkpoint (its custom data is the checkpoint, so targets.json witnesses it).</summary>
    public const string TargetPath = "audit/checkpoint.json";

    private const string Domain = "ringfence-audit-checkpoint/1";

    /// <summary>The bytes signed: a domain tag first, so a checkpoint signature can never be mistaken for another signature.</summary>
    public static byte[] SignedBytes(long seq, string headHash, long at) =>
        Encoding.UTF8.GetBytes(string.Join('\n', Domain, seq.ToString(CultureInfo.InvariantCulture), headHash, at.ToString(CultureInfo.InvariantCulture)));

    public static AuditCheckpoint Sign(long seq, string headHash, long at, SigningKey key) =>
        new(seq, headHash, at, key.KeyId, Convert.ToHexStringLower(key.Sign(SignedBytes(seq, headHash, at))));

    public bool VerifiesWith(TufKey key)
    {
        if (key.KeyId != KeyId)
            return false;
        byte[] signature;
        try
        {
            signature = Convert.FromHexString(Signature);
        }
        catch (FormatException)
        {
            return false;
        }
        return key.Verify(SignedBytes(Seq, HeadHash, At), signature);
    }

    public AuditCheckpointDto ToDto() => new(Seq, HeadHash, DateTimeOffset.FromUnixTimeMilliseconds(At), KeyId, Signature);

    public static AuditCheckpoint FromDto(AuditCheckpointDto dto) => new(dto.Sequence, dto.HeadHash, dto.At.ToUnixTimeMilliseconds(), dto.KeyId, dto.Signature);

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(ToDto(), ProtocolJsonContext.Default.AuditCheckpointDto);

    /// <summary>The custom data of the TUF target (the same fields as the JSON file).</summary>
    public JsonObject ToCustom() => JsonNode.Parse(ToJsonBytes())!.AsObject();

    public string Describe() => $"checkpoint of entry {Seq.ToString(CultureInfo.InvariantCulture)} signed at {DateTimeOffset.FromUnixTimeMilliseconds(At):yyyy-MM-dd'T'HH:mm:ss'Z'}";

    /// <summary>
    /// Reads a kept head: either a checkpoint as GET /v1/audit/checkpoint returns it, or a TUF targets.json (an
    /// agent's copy in its state directory's tuf/targets.json, or a mirror's) whose audit/checkpoint.json target carries one. Throws <see cref="FormatException"/>
    /// naming what is wrong.
    /// </summary>
    public static AuditCheckpoint ParseKeptHead(ReadOnlySpan<byte> bytes)
    {
        JsonNode? root;
        try
        {
            // The first JSON value only: an agent's tuf/targets.json carries a slot trailer after it.
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
            root = JsonNode.Parse(ref reader);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON: {ex.Message}");
        }
        if (root is not JsonObject obj)
            throw new FormatException("$: expected an object (a checkpoint or a TUF targets.json)");
        JsonNode node = obj;
        if (obj["signed"] is JsonObject signed)
        {
            if (signed["_type"]?.GetValue<string>() != "targets")
                throw new FormatException("$.signed._type: expected \"targets\" (a TUF targets.json)");
            node = signed["targets"]?[TargetPath]?["custom"]
                ?? throw new FormatException($"$.signed.targets['{TargetPath}'].custom: missing (this repository published no audit checkpoint yet)");
        }
        AuditCheckpointDto? dto;
        try
        {
            dto = node.Deserialize(ProtocolJsonContext.Default.AuditCheckpointDto);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not a checkpoint: {ex.Message}");
        }
        if (dto is null || dto.Sequence < 1 || dto.HeadHash is not { Length: 64 } || string.IsNullOrEmpty(dto.KeyId) || string.IsNullOrEmpty(dto.Signature))
            throw new FormatException("not a checkpoint: sequence (>= 1), headHash (64 hex digits), at, keyId and signature are required");
        return FromDto(dto);
    }
}
