using System.Collections.Concurrent;
using Dapper;
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

/// <summary>
/// Operator API keys: "X-Api-Key: &lt;key&gt;" or "Authorization: Bearer &lt;key&gt;". The key is looked up by its
/// SHA-256; roles are ordered, so an approver may do whatever a publisher or viewer may.
/// </summary>
public sealed class OperatorAuth(Database db)
{
    private readonly ConcurrentDictionary<string, OperatorPrincipal> _byHash = new();

    public static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(Routes.ApiKeyHeader, out var key) && !string.IsNullOrEmpty(key))
            return key.ToString();
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..].Trim() : null;
    }

    public async Task<OperatorPrincipal?> AuthenticateAsync(string key, CancellationToken ct)
    {
        var hash = Secrets.Hash(key);
        if (_byHash.TryGetValue(hash, out var cached))
            return cached;
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<ApiKeyRow>(
            "SELECT id, name, role, key_hash, created_at FROM api_keys WHERE key_hash = @hash", new { hash });
        if (row is null || !Enum.TryParse<OperatorRole>(row.Role, ignoreCase: true, out var role))
            return null;
        var principal = new OperatorPrincipal(row.Id, row.Name, role);
        _byHash[hash] = principal;
        return principal;
    }

    public static OperatorPrincipal Current(HttpContext http) => (OperatorPrincipal)http.Items[typeof(OperatorPrincipal)]!;

    /// <summary>Endpoint filter: 401 without a known key, 403 when the key's role is below <paramref name="minimum"/>.</summary>
    public static EndpointFilterDelegate Require(OperatorRole minimum, EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        var key = ReadKey(http.Request);
        if (string.IsNullOrEmpty(key))
            return Problems.Unauthenticated($"send an operator API key in the {Routes.ApiKeyHeader} header");
        var principal = await http.RequestServices.GetRequiredService<OperatorAuth>().AuthenticateAsync(key, http.RequestAborted);
        if (principal is null)
            return Problems.Unauthenticated("the API key is not known");
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
