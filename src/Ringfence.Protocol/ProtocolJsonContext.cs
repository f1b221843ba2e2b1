using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringfence.Protocol;

/// <summary>
/// Source-generated System.Text.Json metadata for every wire type: camelCase, enums as camelCase strings. As configured
/// here it is TOLERANT (unknown members ignored, missing members default): that is how clients read the server's
/// answers, so answers can grow additive members. The server reads request bodies through <see cref="StrictJson"/>.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = false)]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(CheckInRequest))]
[JsonSerializable(typeof(CheckInResponse))]
[JsonSerializable(typeof(TelemetryBatch))]
[JsonSerializable(typeof(TelemetryAck))]
[JsonSerializable(typeof(PublishChannelFileRequest))]
[JsonSerializable(typeof(ChannelFileDto))]
[JsonSerializable(typeof(IReadOnlyList<ChannelFileDto>))]
[JsonSerializable(typeof(CreateRolloutRequest))]
[JsonSerializable(typeof(RolloutDto))]
[JsonSerializable(typeof(RolloutHealthDto))]
[JsonSerializable(typeof(IReadOnlyList<RolloutDto>))]
[JsonSerializable(typeof(RolloutActionRequest))]
[JsonSerializable(typeof(KillSwitchRequest))]
[JsonSerializable(typeof(KillSwitchDto))]
[JsonSerializable(typeof(FleetOverview))]
[JsonSerializable(typeof(DecisionDto))]
[JsonSerializable(typeof(IReadOnlyList<DecisionDto>))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(ApiKeyCreated))]
[JsonSerializable(typeof(ApiKeyDto))]
[JsonSerializable(typeof(IReadOnlyList<ApiKeyDto>))]
[JsonSerializable(typeof(HostCredentialChange))]
[JsonSerializable(typeof(AuditCheckpointDto))]
[JsonSerializable(typeof(CreateEnrollmentTokenRequest))]
[JsonSerializable(typeof(EnrollmentTokenCreated))]
[JsonSerializable(typeof(KnownBadListDto))]
[JsonSerializable(typeof(WhoAmI))]
[JsonSerializable(typeof(ValidationFinding))]
[JsonSerializable(typeof(IReadOnlyList<ValidationFinding>))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
