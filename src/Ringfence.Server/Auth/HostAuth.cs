using System.Collections.Concurrent;
using Ringfence.Server.Http;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Auth;

/// <summary>The enrolled host making a request.</summary>
public sealed record HostPrincipal(string HostId);

/// <summary>
/// Per-host credentials: "Authorization: Bearer rfh.&lt;hostId&gt;.&lt;secret&gt;". The credential's SHA-256 is stored;
/// verified hashes are cached per host (credentials are never rotated in place, only by re-enrolling). Revoking or
/// decommissioning a host drops its cache entry on this node at once and on every other node within one refresh
/// period (<see cref="CredentialRevocationWatcher"/>); a revoked credential is never cached.
/// </summary>
public sealed class HostAuth(Database db)
{
    private readonly ConcurrentDictionary<string, string> _hashByHost = new();

    public static string MakeCredential(string hostId) => $"rfh.{hostId}.{Secrets.New("")}";

    public static string? HostIdOf(string credential)
    {
        var parts = credential.Split('.');
        return parts.Length == 3 && parts[0] == "rfh" && parts[1].Length > 0 ? parts[1] : null;
    }

    public void Remember(string hostId, string credentialHash) => _hashByHost[hostId] = credentialHash;

    public void Forget(string hostId) => _hashByHost.TryRemove(hostId, out _);

    public void ForgetAll() => _hashByHost.Clear();

    public async Task<HostPrincipal?> AuthenticateAsync(string credential, CancellationToken ct)
    {
        if (HostIdOf(credential) is not { } hostId)
            return null;
        var hash = Secrets.Hash(credential);
        if (!_hashByHost.TryGetValue(hostId, out var stored))
        {
            await using var connection = await db.OpenAsync(ct);
            var row = await HostCredentialStore.FindAsync(connection, null, hostId, ct);
            if (row is null || row.RevokedAt is not null)
                return null;
            stored = row.CredentialHash;
            _hashByHost[hostId] = stored;
        }
        return Secrets.HashEquals(stored, hash) ? new HostPrincipal(hostId) : null;
    }

    public static HostPrincipal Current(HttpContext http) => (HostPrincipal)http.Items[typeof(HostPrincipal)]!;

    public static EndpointFilterDelegate Require(EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal))
            return Problems.Unauthenticated("send the host credential from enroll as 'Authorization: Bearer <credential>'");
        var principal = await http.RequestServices.GetRequiredService<HostAuth>().AuthenticateAsync(auth["Bearer ".Length..].Trim(), http.RequestAborted);
        if (principal is null)
            return Problems.Unauthenticated("the host credential is not known, or was revoked");
        http.Items[typeof(HostPrincipal)] = principal;
        return await next(context);
    };
}

public static class HostAuthExtensions
{
    public static TBuilder RequireHost<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory((_, next) => HostAuth.Require(next));
        return builder;
    }
}
