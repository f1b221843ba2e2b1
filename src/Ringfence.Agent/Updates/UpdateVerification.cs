using System.Text.Json.Nodes;
using Ringfence.Trust;

namespace Ringfence.Agent.Updates;

/// <summary>Content that passed every check: signed metadata chain, length, hashes, and not on the known-bad list.</summary>
public sealed record VerifiedContent(string TargetPath, byte[] Bytes, string Sha256, long TargetsVersion, JsonObject? Custom);

/// <summary>
/// The outcome of verifying an update: either <see cref="Content"/>, or a typed refusal (<see cref="Failure"/> and a one-line
/// <see cref="Reason"/>) to report upstream. On a refusal the agent keeps the content it has.
/// </summary>
public sealed record UpdateVerification
{
    private UpdateVerification(VerifiedContent? content, TrustFailure? failure, string? reason)
    {
        Content = content;
        Failure = failure;
        Reason = reason;
    }

    public VerifiedContent? Content { get; }
    public TrustFailure? Failure { get; }
    public string? Reason { get; }
    public bool IsVerified => Content is not null;

    public static UpdateVerification Verified(VerifiedContent content) => new(content, null, null);

    public static UpdateVerification Refused(TrustException exception) => new(null, exception.Failure, exception.Message);
}
