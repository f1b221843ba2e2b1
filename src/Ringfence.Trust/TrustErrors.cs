namespace Ringfence.Trust;

/// <summary>
/// Why a piece of update metadata or a target was refused, named after the attack class of the TUF threat model it stops.
/// Agents report this value upstream; keep the names stable.
/// </summary>
public enum TrustFailure
{
    /// <summary>Not enough valid signatures from the role's keys: arbitrary installation, unknown keys, key compromise below threshold.</summary>
    ThresholdNotMet,
    /// <summary>A version lower than one already trusted: rollback attack.</summary>
    RollbackAttack,
    /// <summary>Metadata past its expiry: indefinite freeze attack.</summary>
    ExpiredMetadata,
    /// <summary>More bytes than the trusted length or the configured limit: endless data attack.</summary>
    EndlessData,
    /// <summary>Metadata versions that do not belong together: mix-and-match attack.</summary>
    MixAndMatch,
    /// <summary>Bytes whose length or hash differ from the signed ones: wrong software / malicious mirror.</summary>
    HashMismatch,
    /// <summary>The content hash is on the signed known-bad list.</summary>
    KnownBadContent,
    /// <summary>Metadata that is not valid JSON of the expected shape and type.</summary>
    MalformedMetadata,
    /// <summary>The signed targets do not list the requested target.</summary>
    TargetNotFound,
    /// <summary>The repository could not be reached or did not have a required file (not an attack by itself).</summary>
    RepositoryUnavailable,
}

/// <summary>A refusal by the trust layer. One line of message; <see cref="Failure"/> is the typed reason.</summary>
public abstract class TrustException(TrustFailure failure, string message) : Exception(message)
{
    public TrustFailure Failure { get; } = failure;
}

/// <summary>Fewer than threshold valid signatures by the keys the trusted root assigns to the role.</summary>
public sealed class ThresholdNotMetException(string role, int valid, int threshold)
    : TrustException(TrustFailure.ThresholdNotMet, $"{role}: {valid} valid signature(s) of {threshold} required (ThresholdNotMet)")
{
    public string Role { get; } = role;
    public int ValidSignatures { get; } = valid;
    public int Threshold { get; } = threshold;
}

/// <summary>A version older than the trusted one was offered.</summary>
public sealed class RollbackAttackException(string role, long offered, long trusted)
    : TrustException(TrustFailure.RollbackAttack, $"{role}: version {offered} is older than trusted version {trusted} (RollbackAttack)")
{
    public string Role { get; } = role;
    public long OfferedVersion { get; } = offered;
    public long TrustedVersion { get; } = trusted;
}

/// <summary>Metadata expired: an attacker may be freezing the client on old content.</summary>
public sealed class ExpiredMetadataException(string role, DateTimeOffset expires, DateTimeOffset now)
    : TrustException(TrustFailure.ExpiredMetadata, $"{role}: expired at {expires:yyyy-MM-ddTHH:mm:ssZ}, now {now:yyyy-MM-ddTHH:mm:ssZ} (ExpiredMetadata, freeze attack)")
{
    public string Role { get; } = role;
    public DateTimeOffset Expires { get; } = expires;
}

/// <summary>More data than allowed: the endless data attack.</summary>
public sealed class EndlessDataException(string what, long limit)
    : TrustException(TrustFailure.EndlessData, $"{what}: more than {limit} bytes (EndlessData)")
{
    public string What { get; } = what;
    public long Limit { get; } = limit;
}

/// <summary>A version that does not match the one the referring metadata pins.</summary>
public sealed class MixAndMatchException(string role, long offered, long expected)
    : TrustException(TrustFailure.MixAndMatch, $"{role}: version {offered} but the signed reference says {expected} (MixAndMatch)")
{
    public string Role { get; } = role;
}

/// <summary>Bytes that differ from the signed length or hash: wrong software, a malicious mirror, or a changed target.</summary>
public sealed class HashMismatchException(string what, string check)
    : TrustException(TrustFailure.HashMismatch, $"{what}: {check} (HashMismatch)")
{
    public string What { get; } = what;
    public string Check { get; } = check;
}

/// <summary>The content hash is listed on the signed known-bad list.</summary>
public sealed class KnownBadContentException(string target, string sha256, string reason)
    : TrustException(TrustFailure.KnownBadContent, $"{target}: sha256 {sha256} is on the signed known-bad list ({reason}) (KnownBadContent)")
{
    public string Target { get; } = target;
    public string Sha256 { get; } = sha256;
}

/// <summary>Not JSON, or JSON of the wrong shape; the message names the file and the JSON path.</summary>
public sealed class MalformedMetadataException(string message)
    : TrustException(TrustFailure.MalformedMetadata, message + " (MalformedMetadata)");

/// <summary>The trusted targets metadata does not list the target.</summary>
public sealed class TargetNotFoundException(string target)
    : TrustException(TrustFailure.TargetNotFound, $"{target}: not listed in the signed targets metadata (TargetNotFound)")
{
    public string Target { get; } = target;
}

/// <summary>A fetch failed or a required file was missing. The client keeps what it trusts.</summary>
public sealed class RepositoryUnavailableException(string message, Exception? inner = null)
    : TrustException(TrustFailure.RepositoryUnavailable, message + " (RepositoryUnavailable)")
{
    public Exception? Cause { get; } = inner;
}
