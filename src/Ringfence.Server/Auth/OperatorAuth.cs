using System.Collections.Concurrent;
using Ringfence.Protocol;
using Ringfence.Server.Http;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Auth;

/// <summary>The authenticated operator of a request (stored in HttpContext.Items).</summary>
public sealed record OperatorPrincipal(string KeyId, string Name, OperatorRole Role)
{
    /// <summary>The actor recorded in the audit log.</summary>
    public string Actor => $"operator:{Name}";
}

/// <summary>Why a key was refused, or the operator it names.</summary>
public readonly record struct OperatorAuthResult(OperatorPrincipal? Principal, string? Refusal);

/// <summary>
/// Operator API keys: "X-Api-Key: &lt;key&gt;" or "Authorization: Bearer &lt;key&gt;". The key is looked up by its
/// SHA-256; roles are ordered, so an approver may do whatever a publisher or viewer may. Known keys are cached with
/// their expiry (checked on every request); revoking drops this node's cache at once and every other node's within
/// one refresh period (<see cref="CredentialRevocationWatcher"/>).
/// </summary>
public sealed class OperatorAuth(Database db, TimeProvider time)
{
    /// <summary>last_used_at is written at most this often per key: it answers "is this key still in use", not "when exactly".</summary>
    public const long LastUsedResolutionMs = 60_000;

    private sealed record Cached(OperatorPrincipal Principal, long? ExpiresAt, long LastTouched);

    private readonly ConcurrentDictionary<string, Cached> _byHash = new();

    public static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(Routes.ApiKeyHeader, out var key) && !string.IsNullOrEmpty(key))
            return key.ToString();
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Drops every cached key (after a revocation here or on another node).</summary>
    public void Forget() => _byHash.Clear();

    public async Task<OperatorPrincipal?> AuthenticateAsync(string key, CancellationToken ct) => (await CheckAsync(key, ct)).Principal;

    public async Task<OperatorAuthResult> CheckAsync(string key, CancellationToken ct)
    {
        var hash = Secrets.Hash(key);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!_byHash.TryGetValue(hash, out var cached))
        {
            await using var connection = await db.OpenAsync(ct);
            var row = await ApiKeyStore.FindByHashAsync(connection, hash, ct);
            if (row is null || !Enum.TryParse<OperatorRole>(row.Role, ignoreCase: true, out var role))
                return new(null, "the API key is not known");
            if (row.RevokedAt is not null)
                return new(null, $"the API key '{row.Name}' was revoked");
            cached = new Cached(new OperatorPrincipal(row.Id, row.Name, role), row.ExpiresAt, row.LastUsedAt ?? 0);
            _byHash[hash] = cached;
        }
        if (cached.ExpiresAt is { } expires && now >= expires)
            return new(null, $"the API key '{cached.Principal.Name}' expired at {DateTimeOffset.FromUnixTimeMilliseconds(expires):yyyy-MM-dd'T'HH:mm:ss'Z'}");
        if (now - cached.LastTouched >= LastUsedResolutionMs)
        {
            _byHash[hash] = cached with { LastTouched = now };
            await db.InTransactionAsync(async (c, tx) =>
            {
                await ApiKeyStore.TouchAsync(c, tx, cached.Principal.KeyId, now);
                return 0;
            }, ct);
        }
        return new(cached.Principal, null);
    }

    public static OperatorPrincipal Current(HttpContext http) => (OperatorPrincipal)http.Items[typeof(OperatorPrincipal)]!;

    /// <summary>Endpoint filter: 401 without a known, unrevoked, unexpired key, 403 when the key's role is below <paramref name="minimum"/>.</summary>
    public static EndpointFilterDelegate Require(OperatorRole minimum, EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        var key = ReadKey(http.Request);
        if (string.IsNullOrEmpty(key))
            return Problems.Unauthenticated($"send an operator API key in the {Routes.ApiKeyHeader} header");
        var (principal, refusal) = await http.RequestServices.GetRequiredService<OperatorAuth>().CheckAsync(key, http.RequestAborted);
        if (principal is null)
            return Problems.Unauthenticated(refusal!);
        if (principal.Role < minimum)
            return Problems.Forbidden($"this action needs the {minimum.ToString().ToLowerInvariant()} role; the key '{principal.Name}' is {principal.Role.ToString().ToLowerInvariant()}");
        http.Items[typeof(OperatorPrincipal)] = principal;
        return await next(context);
    };
}

public static class OperatorAuthExtensions
{
    /// <summary>Requires an operator key of at least <paramref name="role"/>; documented in the OpenAPI document.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, OperatorRole role) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory((_, next) => OperatorAuth.Require(role, next));
        builder.WithMetadata(new RequiredRoleMetadata(role));
        return builder;
    }
}

/// <summary>Endpoint metadata naming the least role a route needs (read by the authorisation-matrix tests and the docs).</summary>
public sealed record RequiredRoleMetadata(OperatorRole Role);
