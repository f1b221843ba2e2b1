using Microsoft.AspNetCore.Http.HttpResults;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Hosting;
using Ringfence.Server.Http;
using Ringfence.Server.Services;
using static Ringfence.Server.Services.ControlPlane;

namespace Ringfence.Server.Endpoints;

/// <summary>The operator API, one group per resource, each route with the least role it needs.</summary>
public static class OperatorEndpoints
{
    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireRateLimiting(RateLimits.Operator);

        v1.MapGet("/whoami", (HttpContext http) =>
        {
            var p = OperatorAuth.Current(http);
            return TypedResults.Ok(new WhoAmI(p.Name, p.Role));
        }).WithTags("Operators").RequireRole(OperatorRole.Viewer);

        MapChannelFiles(v1.MapGroup("/channel-files").WithTags("Channel files"));
        MapRollouts(v1.MapGroup("/rollouts").WithTags("Rollouts"));
        MapKillSwitch(v1.MapGroup("/kill-switch").WithTags("Kill switch"));
        v1.MapCredentialApi();

        v1.MapGet("/fleet", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.FleetAsync(ct)))
            .WithTags("Fleet").RequireRole(OperatorRole.Viewer);
        v1.MapGet("/decisions", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.DecisionsAsync(null, ct)))
            .WithTags("Decisions").RequireRole(OperatorRole.Viewer);
        v1.MapGet("/known-bad", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.KnownBadAsync(ct)))
            .WithTags("Known-bad list").RequireRole(OperatorRole.Viewer);

        var audit = v1.MapGroup("/audit").WithTags("Audit log");
        audit.MapGet("/", async Task<Results<Ok<AuditPage>, ProblemHttpResult>> (ControlPlane plane, CancellationToken ct, long? after, int? limit) =>
        {
            if (after is < 0 || limit is < 1 or > 1000)
                return Problems.Invalid("after must be >= 0 and limit within 1..1000");
            return TypedResults.Ok(await plane.AuditAsync(after ?? 0, limit ?? 100, ct));
        }).RequireRole(OperatorRole.Viewer);
        audit.MapGet("/verify", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.VerifyAuditAsync(ct)))
            .RequireRole(OperatorRole.Viewer);

        v1.MapPost("/api-keys", async Task<Results<Created<ApiKeyCreated>, ProblemHttpResult>> (HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.CreateApiKeyRequest, options.MaxRequestBodyBytes);
            if (problem is not null)
                return problem;
            var outcome = await plane.CreateApiKeyAsync(OperatorAuth.Current(http), body!, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Created($"/v1/api-keys/{outcome.Value!.Id}", outcome.Value);
        }).Accepts<CreateApiKeyRequest>("application/json").WithTags("Operators").RequireRole(OperatorRole.Admin);

        v1.MapPost("/enrollment-tokens", async Task<Results<Created<EnrollmentTokenCreated>, ProblemHttpResult>> (HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.CreateEnrollmentTokenRequest, options.MaxRequestBodyBytes);
            if (problem is not null)
                return problem;
            var outcome = await plane.CreateEnrollmentTokenAsync(OperatorAuth.Current(http), body!, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Created($"/v1/enrollment-tokens/{outcome.Value!.Id}", outcome.Value);
        }).Accepts<CreateEnrollmentTokenRequest>("application/json").WithTags("Operators").RequireRole(OperatorRole.Admin);
        return app;
    }

    private static void MapChannelFiles(RouteGroupBuilder group)
    {
        group.MapGet("/", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.ListChannelFilesAsync(ct)))
            .RequireRole(OperatorRole.Viewer);
        group.MapPost("/", async Task<Results<Created<ChannelFileDto>, ProblemHttpResult>> (HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.PublishChannelFileRequest, options.MaxRequestBodyBytes);
            if (problem is not null)
                return problem;
            var outcome = await plane.PublishAsync(OperatorAuth.Current(http), body!, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Created($"/v1/channel-files/{outcome.Value!.Channel}/{outcome.Value.Version}", outcome.Value);
        }).Accepts<PublishChannelFileRequest>("application/json").RequireRole(OperatorRole.Publisher);
    }

    private static void MapRollouts(RouteGroupBuilder group)
    {
        group.MapGet("/", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.ListRolloutsAsync(ct)))
            .RequireRole(OperatorRole.Viewer);
        group.MapGet("/{id}", async Task<Results<Ok<RolloutDto>, ProblemHttpResult>> (string id, ControlPlane plane, CancellationToken ct) =>
            await plane.GetRolloutAsync(id, ct) is { } r ? TypedResults.Ok(r) : Problems.NotFound($"rollout {id} does not exist"))
            .RequireRole(OperatorRole.Viewer);
        group.MapGet("/{id}/health", async Task<Results<Ok<RolloutHealthDto>, ProblemHttpResult>> (string id, ControlPlane plane, Storage.Database db, CancellationToken ct) =>
            await plane.GetRolloutAsync(id, ct) is { } r ? TypedResults.Ok((await new Dashboard.DashboardQueries(db).RolloutHealthAsync(r, ct)).ToDto()) : Problems.NotFound($"rollout {id} does not exist"))
            .RequireRole(OperatorRole.Viewer);
        group.MapGet("/{id}/decisions", async Task<Results<Ok<IReadOnlyList<DecisionDto>>, ProblemHttpResult>> (string id, ControlPlane plane, CancellationToken ct) =>
            await plane.GetRolloutAsync(id, ct) is null ? Problems.NotFound($"rollout {id} does not exist") : TypedResults.Ok(await plane.DecisionsAsync(id, ct)))
            .RequireRole(OperatorRole.Viewer);
        group.MapPost("/", async Task<Results<Created<RolloutDto>, ProblemHttpResult>> (HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.CreateRolloutRequest, options.MaxRequestBodyBytes);
            if (problem is not null)
                return problem;
            var outcome = await plane.CreateRolloutAsync(OperatorAuth.Current(http), body!, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Created($"/v1/rollouts/{outcome.Value!.Id}", outcome.Value);
        }).Accepts<CreateRolloutRequest>("application/json").RequireRole(OperatorRole.Publisher);

        foreach (var action in Enum.GetValues<RolloutAction>())
        {
            group.MapPost("/{id}/" + action.ToString().ToLowerInvariant(),
                async Task<Results<Ok<RolloutDto>, ProblemHttpResult>> (string id, HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
                {
                    string? reason = null;
                    // The body is optional: an empty body means "no reason given".
                    if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
                    {
                        var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.RolloutActionRequest, options.MaxRequestBodyBytes);
                        if (problem is not null)
                            return problem;
                        reason = body!.Reason;
                    }
                    var outcome = await plane.ActAsync(OperatorAuth.Current(http), id, action, reason, http.RequestAborted);
                    return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
                }).Accepts<RolloutActionRequest>("application/json").RequireRole(OperatorRole.Approver);
        }
    }

    private static void MapKillSwitch(RouteGroupBuilder group)
    {
        group.MapGet("/", async (ControlPlane plane, CancellationToken ct) => TypedResults.Ok(await plane.GetKillSwitchAsync(ct)))
            .RequireRole(OperatorRole.Viewer);
        group.MapPost("/", async Task<Results<Ok<KillSwitchDto>, ProblemHttpResult>> (HttpContext http, ControlPlane plane, RingfenceServerOptions options) =>
        {
            var (body, problem) = await JsonBody.ReadAsync(http, ProtocolJsonContext.Default.KillSwitchRequest, options.MaxRequestBodyBytes);
            if (problem is not null)
                return problem;
            var outcome = await plane.SetKillSwitchAsync(OperatorAuth.Current(http), body!, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
        }).Accepts<KillSwitchRequest>("application/json").RequireRole(OperatorRole.Admin);
    }
}
