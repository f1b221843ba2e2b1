namespace Ringfence.Protocol;

/// <summary>GET /v1/api-keys (admin): one operator key, never its secret.</summary>
public sealed record ApiKeyDto(
    string Id,
    string Name,
    OperatorRole Role,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    /// <summary>To the minute: written at most once a minute per key.</summary>
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy);

/// <summary>POST /v1/hosts/{id}/revoke and DELETE /v1/hosts/{id} (admin): what happened to the host.</summary>
public sealed record HostCredentialChange(string HostId, string Hostname, bool Revoked, bool Decommissioned, DateTimeOffset At);

/// <summary>
/// A signed audit checkpoint: the audit signing key's ECDSA P-256 signature (hex, DER) over
/// "ringfence-audit-checkpoint/1\n{sequence}\n{headHash}\n{at as unix ms}". Also published as the custom data of the
/// TUF target audit/checkpoint.json, so every agent's and mirror's copy of targets.json witnesses it.
/// </summary>
public sealed record AuditCheckpointDto(long Sequence, string HeadHash, DateTimeOffset At, string KeyId, string Signature);
