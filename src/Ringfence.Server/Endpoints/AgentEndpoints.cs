using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Hosting;
using Ringfence.Server.Http;
using Ringfence.Server.Services;

namespace Ringfence.Server.Endpoints;

/// <summary>The agent API: enroll, check-in (ETag/304), telemetry (idempotent batches).</summary>
public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/agent").WithTags("Agent").RequireRateLimiting(RateLimits.Agent);

        group.MapPost("/enroll", EnrollAsync).Accepts<EnrollRequest>("application/json");
        group.MapPost("/check-in", CheckInAsync).Accepts<CheckInRequest>("application/json").RequireHost();
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

    private static async Task<Results<Ok<CheckInResponse>, StatusCodeHttpResult, ProblemHttpResult>> CheckInAsync(
        HttpContext http, ControlPlane plane, RingfenceServerOptions options)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.CheckInRequest, options.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var outcome = await plane.CheckInAsync(HostAuth.Current(http), request!, http.RequestAborted);
        if (outcome.Problem is { } p)
            return p;
        var etag = ControlPlane.ETagOf(outcome.Value!);
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Ok(outcome.Value);
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

    /// <summary>Content blobs by hash: "/tuf/targets/{sha256}.{file name}", immutable, so caches keep them forever.</summary>
    public static IEndpointRouteBuilder MapContentBlobs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/tuf/targets/{file}", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (string file, HttpContext http, ControlPlane plane) =>
        {
            var dot = file.IndexOf('.', StringComparison.Ordinal);
            var sha = dot > 0 ? file[..dot] : file;
            if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
                return Problems.NotFound($"'{file}' is not a content target (expected <sha256>.<name>)");
            var blob = await plane.BlobAsync(sha, http.RequestAborted);
            if (blob is null)
                return Problems.NotFound($"no content with SHA-256 {sha}");
            http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            return TypedResults.File(blob.Value.Bytes, "application/octet-stream", entityTag: new EntityTagHeaderValue("\"" + sha + "\""));
        }).WithTags("TUF").RequireRateLimiting(RateLimits.Agent);
        return app;
    }
}
