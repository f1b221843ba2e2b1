using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Hosting;
using Ringfence.Server.Http;
using Ringfence.Server.Services;
using Ringfence.Server.Tuf;

namespace Ringfence.Server.Endpoints;

/// <summary>The agent API: enroll, check-in (ETag/304), telemetry (idempotent batches).</summary>
public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/agent").WithTags("Agent").RequireAgentRateLimit();

        group.MapPost("/enroll", EnrollAsync).Accepts<EnrollRequest>("application/json");
        group.MapPost("/check-in", CheckInAsync).Accepts<CheckInRequest>("application/json").Produces<CheckInResponse>(StatusCodes.Status200OK).RequireHost();
        group.MapPost("/telemetry", TelemetryAsync).Accepts<TelemetryBatch>("application/json").RequireHost();
        return app;
    }

    private static async Task<Results<Ok<EnrollResponse>, ProblemHttpResult>> EnrollAsync(
        HttpContext http, ControlPlane plane, ITrustedRootSource root, RingfenceServerOptions options)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.EnrollRequest, options.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var outcome = await plane.EnrollAsync(request!, await root.GetTrustedRootAsync(http.RequestAborted), http.RequestAborted);
        return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
    }

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> CheckInAsync(
        HttpContext http, ControlPlane plane, RingfenceServerOptions options)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.CheckInRequest, options.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var outcome = await plane.CheckInAsync(HostAuth.Current(http), request!, http.RequestAborted);
        if (outcome.Problem is { } p)
            return p;
        var answer = outcome.Value!;
        http.Response.Headers.ETag = answer.ETag;
        http.Response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch.ToString() == answer.ETag)
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        // The answer is serialised once per snapshot and shared by every host it applies to.
        return TypedResults.Bytes(answer.Json, "application/json; charset=utf-8");
    }

    private static async Task<Results<Ok<TelemetryAck>, ProblemHttpResult>> TelemetryAsync(
        HttpContext http, ControlPlane plane, RingfenceServerOptions options)
    {
        var (batch, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.TelemetryBatch, options.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var outcome = await plane.IngestTelemetryAsync(HostAuth.Current(http), batch!, http.RequestAborted);
        return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
    }

    /// <summary>
    /// The signed TUF repository at its standard paths under /tuf: <c>metadata/{file}</c> and <c>targets/{path}</c>.
    /// Versioned metadata and hash-prefixed targets are immutable, so caches keep them for a year.
    /// </summary>
    public static IEndpointRouteBuilder MapServerTufRepository(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Routes.Tuf).WithTags("TUF").RequireAgentRateLimit();
        group.MapGet("/metadata/{file}", (string file, HttpContext http, ServerTufRepository tuf) => ServeAsync("metadata/" + file, "application/json", http, tuf));
        group.MapGet("/targets/{**path}", (string path, HttpContext http, ServerTufRepository tuf) => ServeAsync("targets/" + path, "application/octet-stream", http, tuf));
        return app;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ServeAsync(string path, string contentType, HttpContext http, ServerTufRepository tuf)
    {
        if (!FileSystemRepositoryStore.IsRepositoryPath(path))
            return Problems.NotFound($"'{path}' is not a repository path");
        var bytes = await tuf.ReadAsync(path, http.RequestAborted);
        if (bytes is null)
            return Problems.NotFound($"the repository has no {path}");
        http.Response.Headers.CacheControl = TufEndpoints.IsImmutable(path) ? TufEndpoints.ImmutableCacheControl : TufEndpoints.MutableCacheControl;
        return TypedResults.File(bytes, contentType);
    }
}
