using Microsoft.AspNetCore.Http.HttpResults;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Auth;
using Ringfence.Server.Http;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Endpoints;

/// <summary>Operator keys and host credentials (list, revoke, decommission) and the audit log's signed checkpoints.</summary>
public static class CredentialEndpoints
{
    /// <summary>These routes take no body: one sent is refused (after authentication), not ignored.</summary>
    private static ProblemHttpResult? BodyRefused(HttpContext http) =>
        http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
            ? Problems.Invalid($"{http.Request.Method} {http.Request.Path} takes no body")
            : null;

    public static void MapCredentialApi(this RouteGroupBuilder v1)
    {
        var keys = v1.MapGroup("/api-keys").WithTags("Operators");
        keys.MapGet("/", async (CredentialLifecycle lifecycle, CancellationToken ct) => TypedResults.Ok(await lifecycle.ListApiKeysAsync(ct)))
            .RequireRole(OperatorRole.Admin);
        keys.MapPost("/{id}/revoke", async Task<Results<Ok<ApiKeyDto>, ProblemHttpResult>> (string id, HttpContext http, CredentialLifecycle lifecycle) =>
        {
            if (BodyRefused(http) is { } refused)
                return refused;
            var outcome = await lifecycle.RevokeApiKeyAsync(OperatorAuth.Current(http), id, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
        }).RequireRole(OperatorRole.Admin);

        var hosts = v1.MapGroup("/hosts").WithTags("Fleet");
        hosts.MapPost("/{id}/revoke", async Task<Results<Ok<HostCredentialChange>, ProblemHttpResult>> (string id, HttpContext http, CredentialLifecycle lifecycle) =>
        {
            if (BodyRefused(http) is { } refused)
                return refused;
            var outcome = await lifecycle.RevokeHostAsync(OperatorAuth.Current(http), id, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
        }).RequireRole(OperatorRole.Admin);
        hosts.MapDelete("/{id}", async Task<Results<Ok<HostCredentialChange>, ProblemHttpResult>> (string id, HttpContext http, CredentialLifecycle lifecycle) =>
        {
            if (BodyRefused(http) is { } refused)
                return refused;
            var outcome = await lifecycle.DecommissionHostAsync(OperatorAuth.Current(http), id, http.RequestAborted);
            return outcome.Problem is { } p ? p : TypedResults.Ok(outcome.Value);
        }).RequireRole(OperatorRole.Admin);

        var checkpoint = v1.MapGroup("/audit/checkpoint").WithTags("Audit log");
        checkpoint.MapGet("/", async Task<Results<Ok<AuditCheckpointDto>, ProblemHttpResult>> (Database db, CancellationToken ct) =>
        {
            await using var c = await db.OpenAsync(ct);
            return await AuditCheckpointStore.LatestAsync(c, null, ct) is { } latest
                ? TypedResults.Ok(latest.ToDto())
                : Problems.NotFound("no audit checkpoint has been signed yet");
        }).RequireRole(OperatorRole.Viewer);
        checkpoint.MapPost("/", async Task<Results<Ok<AuditCheckpointDto>, ProblemHttpResult>> (HttpContext http, Database db, AuditCheckpointer checkpointer, CancellationToken ct) =>
        {
            if (BodyRefused(http) is { } refused)
                return refused;
            // Signs the unsigned tail now (e.g. before a backup); with nothing unsigned, answers the newest checkpoint.
            if (await checkpointer.CheckpointAsync(force: true, ct) is { } signed)
                return TypedResults.Ok(signed.ToDto());
            await using var c = await db.OpenAsync(ct);
            return await AuditCheckpointStore.LatestAsync(c, null, ct) is { } latest
                ? TypedResults.Ok(latest.ToDto())
                : Problems.NotFound("the audit log is empty: nothing to sign");
        }).RequireRole(OperatorRole.Admin);
    }
}
