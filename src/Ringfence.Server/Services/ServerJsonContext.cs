using System.Text.Json;
using System.Text.Json.Serialization;
using Ringfence.Protocol;
using Ringfence.Server.Rollouts;

namespace Ringfence.Server.Services;

/// <summary>Source-generated JSON for what the server stores in JSON columns and the audit log's details.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<RingSpec>))]
[JsonSerializable(typeof(List<ValidationFinding>))]
[JsonSerializable(typeof(List<ChannelState>))]
[JsonSerializable(typeof(GateEvidence))]
[JsonSerializable(typeof(Ringfence.Rollouts.Reconcile.RolloutState))]
[JsonSerializable(typeof(Ringfence.Rollouts.Reconcile.RolloutSpec))]
[JsonSerializable(typeof(Ringfence.Rollouts.Rings.RingSpec), TypeInfoPropertyName = "EngineRingSpec")]
[JsonSerializable(typeof(SortedDictionary<string, string>))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
