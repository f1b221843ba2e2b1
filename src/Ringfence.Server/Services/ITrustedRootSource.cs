namespace Ringfence.Server.Services;

/// <summary>The TUF root.json agents pin at enrollment (provided by the TUF repository).</summary>
public interface ITrustedRootSource
{
    Task<string> GetTrustedRootAsync(CancellationToken ct);
}
