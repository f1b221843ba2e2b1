using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Auth;

/// <summary>Every operator route × every role (and no key, and an unknown key): 401 / 403 / allowed, exactly as its required role says.</summary>
public sealed class AuthorizationMatrixTests
{
    [Fact]
    public async Task EveryOperatorRoute_EveryRole_AllowedExactlyFromItsRequiredRole()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var keys = new Dictionary<OperatorRole, string>
        {
            [OperatorRole.Viewer] = await h.CreateKeyAsync(OperatorRole.Viewer),
            [OperatorRole.Publisher] = await h.CreateKeyAsync(OperatorRole.Publisher),
            [OperatorRole.Approver] = await h.CreateKeyAsync(OperatorRole.Approver),
            [OperatorRole.Admin] = ServerHarness.AdminKey,
        };
        var routes = h.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Role: e.Metadata.GetMetadata<RequiredRoleMetadata>()?.Role, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .Where(x => x.Role is not null)
            .SelectMany(x => x.Methods.Select(m => (Method: m, Path: "/" + x.Endpoint.RoutePattern.RawText!.TrimStart('/').Replace("{id}", "ro_missing", StringComparison.Ordinal).TrimEnd('/'), Role: x.Role!.Value)))
            .ToList();
        routes.Count.ShouldBeGreaterThanOrEqualTo(24, "every operator route carries its required role");
        routes.ShouldContain(r => r.Path == "/v1/kill-switch" && r.Method == "POST" && r.Role == OperatorRole.Admin);
        routes.ShouldContain(r => r.Path == "/v1/channel-files" && r.Method == "POST" && r.Role == OperatorRole.Publisher);
        routes.ShouldContain(r => r.Path == "/v1/rollouts/ro_missing/halt" && r.Role == OperatorRole.Approver);
        routes.ShouldContain(r => r.Path == "/v1/api-keys" && r.Method == "GET" && r.Role == OperatorRole.Admin);
        routes.ShouldContain(r => r.Path == "/v1/api-keys/ro_missing/revoke" && r.Method == "POST" && r.Role == OperatorRole.Admin);
        routes.ShouldContain(r => r.Path == "/v1/hosts/ro_missing/revoke" && r.Method == "POST" && r.Role == OperatorRole.Admin);
        routes.ShouldContain(r => r.Path == "/v1/hosts/ro_missing" && r.Method == "DELETE" && r.Role == OperatorRole.Admin);
        routes.ShouldContain(r => r.Path == "/v1/audit/checkpoint" && r.Method == "GET" && r.Role == OperatorRole.Viewer);
        routes.ShouldContain(r => r.Path == "/v1/rollouts/ro_missing/health" && r.Method == "GET" && r.Role == OperatorRole.Viewer);
        routes.ShouldContain(r => r.Path == "/v1/audit/checkpoint" && r.Method == "POST" && r.Role == OperatorRole.Admin);

        var failures = new List<string>();
        foreach (var (method, path, required) in routes)
        {
            foreach (var caller in new OperatorRole?[] { null, OperatorRole.Viewer, OperatorRole.Publisher, OperatorRole.Approver, OperatorRole.Admin })
            {
                var key = caller is { } role ? keys[role] : null;
                using var response = await h.Http.SendAsync(h.Request(new HttpMethod(method), path, key, rawJson: method == "POST" ? "{}" : null));
                var status = (int)response.StatusCode;
                var expected = caller is null ? "401" : caller < required ? "403" : "allowed";
                var actual = status is 401 or 403 ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : "allowed";
                if (expected != actual)
                    failures.Add($"{method} {path} as {caller?.ToString() ?? "anonymous"}: expected {expected}, got {status}");
                if (status is 401 or 403)
                {
                    response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
                    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    doc.RootElement.GetProperty("type").GetString().ShouldBe(Routes.ProblemTypeBase + (status == 401 ? "unauthenticated" : "forbidden"));
                }
            }
            using var unknown = await h.Http.SendAsync(h.Request(new HttpMethod(method), path, "rfk_not-a-real-key-000000000000", rawJson: method == "POST" ? "{}" : null));
            if (unknown.StatusCode != HttpStatusCode.Unauthorized)
                failures.Add($"{method} {path} with an unknown key: expected 401, got {(int)unknown.StatusCode}");
        }
        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task AgentRoutes_MissingOrWrongCredential_Return401()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var agent = await h.EnrollAsync();
        foreach (var path in new[] { Routes.CheckIn, Routes.Telemetry })
        {
            using var none = await h.Http.SendAsync(h.Request(HttpMethod.Post, path, rawJson: "{}"));
            none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            var forged = h.Request(HttpMethod.Post, path, rawJson: "{}");
            forged.Headers.Authorization = new("Bearer", $"rfh.{agent.HostId}.forged-secret");
            using var wrong = await h.Http.SendAsync(forged);
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            var unknownHost = h.Request(HttpMethod.Post, path, rawJson: "{}");
            unknownHost.Headers.Authorization = new("Bearer", "rfh.h_0000000000000000.secret");
            using var unknown = await h.Http.SendAsync(unknownHost);
            unknown.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            // An operator key is not a host credential.
            var op = h.Request(HttpMethod.Post, path, rawJson: "{}");
            op.Headers.Authorization = new("Bearer", ServerHarness.AdminKey);
            using var opResponse = await h.Http.SendAsync(op);
            opResponse.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
    }
}
