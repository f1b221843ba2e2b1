using Microsoft.AspNetCore.Http.HttpResults;
using Ringfence.Protocol;

namespace Ringfence.Server.Http;

/// <summary>ProblemDetails with stable type URIs: https://ringfence.dev/problems/&lt;code&gt;.</summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: OneLine(detail), statusCode: status, title: title, type: Routes.ProblemTypeBase + code, extensions: extensions);

    /// <summary>
    /// Details quote the request (a JSON parser's message shows the bad token): control characters become spaces, so a
    /// detail stays one line in clients and logs (found by bench/fuzz).
    /// </summary>
    private static string? OneLine(string? detail) =>
        detail is null || !detail.Any(char.IsControl) ? detail : string.Concat(detail.Select(c => char.IsControl(c) ? ' ' : c));

    public static ProblemHttpResult Malformed(string detail) => Create(400, "malformed-json", "The request body is not valid", detail);
    public static ProblemHttpResult Invalid(string detail) => Create(400, "validation-failed", "The request is not valid", detail);
    public static ProblemHttpResult Unauthenticated(string detail) => Create(401, "unauthenticated", "Missing or unknown credential", detail);
    public static ProblemHttpResult Forbidden(string detail) => Create(403, "forbidden", "Not allowed for this credential", detail);
    public static ProblemHttpResult UnknownHost(string detail) => Create(404, "unknown-host", "Unknown host", detail);
    public static ProblemHttpResult NotFound(string detail) => Create(404, "not-found", "Not found", detail);
    public static ProblemHttpResult Conflict(string detail) => Create(409, "conflict", "Conflicts with the current state", detail);
    public static ProblemHttpResult TooLarge(long limit) => Create(413, "payload-too-large", "Request body too large", $"the body exceeds {limit} bytes");
    public static ProblemHttpResult UnsupportedMediaType() => Create(415, "unsupported-media-type", "Unsupported media type", "send Content-Type: application/json");
}
