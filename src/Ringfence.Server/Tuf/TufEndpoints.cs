using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Ringfence.Trust.Repository;

namespace Ringfence.Server.Tuf;

/// <summary>Serves a TUF repository at the standard paths: <c>GET {prefix}/metadata/{file}</c> and <c>GET {prefix}/targets/{path}</c>.</summary>
public static partial class TufEndpoints
{
    /// <summary>Cache for a year: the name carries the version or the hash, so the bytes never change.</summary>
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";
    /// <summary>timestamp.json and unversioned names change in place: always revalidate.</summary>
    public const string MutableCacheControl = "no-cache";

    public static RouteGroupBuilder MapTufRepository(this IEndpointRouteBuilder endpoints, IRepositoryStore store, string prefix = "")
    {
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/metadata/{file}", (string file, HttpContext context) =>
            Serve(store, "metadata/" + file, VersionedMetadata().IsMatch(file), "application/json", context));
        group.MapGet("/targets/{**path}", (string path, HttpContext context) =>
            Serve(store, "targets/" + path, HashPrefixedTarget().IsMatch(path), "application/octet-stream", context));
        return group;
    }

    private static IResult Serve(IRepositoryStore store, string path, bool immutable, string contentType, HttpContext context)
    {
        if (!FileSystemRepositoryStore.IsRepositoryPath(path))
            return Results.NotFound();
        var bytes = store.Read(path);
        if (bytes is null)
            return Results.NotFound();
        context.Response.Headers.CacheControl = immutable ? ImmutableCacheControl : MutableCacheControl;
        return Results.Bytes(bytes, contentType);
    }

    /// <summary>Versioned metadata and hash-prefixed targets never change once written.</summary>
    public static bool IsImmutable(string path) =>
        path.StartsWith("metadata/", StringComparison.Ordinal) ? VersionedMetadata().IsMatch(path["metadata/".Length..])
        : path.StartsWith("targets/", StringComparison.Ordinal) && HashPrefixedTarget().IsMatch(path["targets/".Length..]);

    [GeneratedRegex(@"^[0-9]+\.[a-z]+\.json$")]
    private static partial Regex VersionedMetadata();

    [GeneratedRegex(@"(^|/)[0-9a-f]{64}\.[^/]+$")]
    private static partial Regex HashPrefixedTarget();
}
