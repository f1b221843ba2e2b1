using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Storage;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Auth;

/// <summary>Operator keys listed, expired and revoked; host credentials revoked and hosts decommissioned: refused at once, audited.</summary>
public sealed class CredentialLifecycleTests
{
    private static async Task<HttpStatusCode> WhoAmIAsync(ServerHarness h, string key)
    {
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.WhoAmI, key));
        return response.StatusCode;
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    private static async Task<List<(string Actor, string Action, string Subject)>> AuditAsync(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        return (await c.QueryAsync<(string, string, string)>("SELECT actor, action, subject FROM audit_log ORDER BY seq")).AsList();
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task ListApiKeys_AsAdmin_ShowsEveryKeyWithoutSecretOrHash(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var created = await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, new CreateApiKeyRequest("ci-viewer", OperatorRole.Viewer, ExpiresInDays: 30));
        created.ExpiresAt.ShouldBe(h.Time.GetUtcNow().AddDays(30));
        (await WhoAmIAsync(h, created.Key)).ShouldBe(HttpStatusCode.OK);

        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.ApiKeys, ServerHarness.AdminKey));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldNotContain(created.Key);
        text.ShouldNotContain(Secrets.Hash(created.Key));
        text.ShouldNotContain(Secrets.Hash(ServerHarness.AdminKey));
        var keys = JsonSerializer.Deserialize<IReadOnlyList<ApiKeyDto>>(text, ServerHarness.Json)!;
        keys.Select(k => k.Name).ShouldBe(["bootstrap-admin", "ci-viewer"], ignoreOrder: true);
        var viewer = keys.Single(k => k.Id == created.Id);
        viewer.Role.ShouldBe(OperatorRole.Viewer);
        viewer.CreatedAt.ShouldBe(h.Time.GetUtcNow());
        viewer.ExpiresAt.ShouldBe(created.ExpiresAt);
        viewer.LastUsedAt.ShouldBe(h.Time.GetUtcNow(), "the key was used once");
        viewer.RevokedAt.ShouldBeNull();
    }

    [Fact]
    public async Task RevokeApiKey_CachedKey_RefusedAtOnceAndAudited()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var created = await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, new CreateApiKeyRequest("leaked", OperatorRole.Approver));
        (await WhoAmIAsync(h, created.Key)).ShouldBe(HttpStatusCode.OK); // now cached

        var revoked = await h.SendOkAsync<ApiKeyDto>(HttpMethod.Post, Routes.ApiKeyRevoke(created.Id), ServerHarness.AdminKey, null);
        revoked.RevokedAt.ShouldBe(h.Time.GetUtcNow());
        revoked.RevokedBy.ShouldBe("bootstrap-admin");

        using var refused = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.WhoAmI, created.Key));
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DetailAsync(refused)).ShouldContain("'leaked' was revoked");
        (await AuditAsync(h)).ShouldContain(("operator:bootstrap-admin", "api-key.revoke", created.Id));

        using var again = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeyRevoke(created.Id), ServerHarness.AdminKey));
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        using var missing = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeyRevoke("key_missing"), ServerHarness.AdminKey));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BodylessRoutes_WithABody_Return400AndChangeNothing()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var created = await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, new CreateApiKeyRequest("kept", OperatorRole.Viewer));
        var agent = await h.EnrollAsync();
        foreach (var (method, path) in new[] { (HttpMethod.Post, Routes.ApiKeyRevoke(created.Id)), (HttpMethod.Post, Routes.HostRevoke(agent.HostId)), (HttpMethod.Delete, Routes.Host(agent.HostId)), (HttpMethod.Post, Routes.AuditCheckpoint) })
        {
            using var response = await h.Http.SendAsync(h.Request(method, path, ServerHarness.AdminKey, rawJson: """{"enabled":true}"""));
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{method} {path}");
            (await DetailAsync(response)).ShouldContain("takes no body");
        }
        (await WhoAmIAsync(h, created.Key)).ShouldBe(HttpStatusCode.OK);
        (await agent.CheckInAsync()).ShouldNotBeNull();
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoints")).ShouldBe(0);
    }

    [Fact]
    public async Task RevokeApiKey_OnAnotherNode_RefusedAfterOnePoll()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var key = await h.CreateKeyAsync(OperatorRole.Viewer);
        (await WhoAmIAsync(h, key)).ShouldBe(HttpStatusCode.OK);
        var watcher = h.Server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<CredentialRevocationWatcher>().Single();
        await watcher.PollAsync(CancellationToken.None);

        // Another node revokes it: same database, not this node's cache.
        ApiKeyRecord? row;
        await using (var read = await h.Database.OpenAsync())
            row = await ApiKeyStore.FindByHashAsync(read, Secrets.Hash(key), CancellationToken.None);
        await h.Database.InTransactionAsync(async (c, tx) =>
        {
            await ApiKeyStore.RevokeAsync(c, tx, row!.Id, 0, "other-node");
            await CredentialRevisionStore.BumpAsync(c, tx);
            return 0;
        });
        (await WhoAmIAsync(h, key)).ShouldBe(HttpStatusCode.OK, "this node still holds the key in its cache until it polls");
        (await watcher.PollAsync(CancellationToken.None)).ShouldBeTrue();
        (await WhoAmIAsync(h, key)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ApiKey_PastItsExpiry_RefusedEvenWhenCached()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var created = await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey,
            new CreateApiKeyRequest("contractor", OperatorRole.Publisher, ExpiresAt: h.Time.GetUtcNow().AddHours(2)));
        (await WhoAmIAsync(h, created.Key)).ShouldBe(HttpStatusCode.OK);
        h.Time.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        (await WhoAmIAsync(h, created.Key)).ShouldBe(HttpStatusCode.OK);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        using var refused = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.WhoAmI, created.Key));
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DetailAsync(refused)).ShouldContain("'contractor' expired at");
    }

    [Theory]
    [InlineData("""{"name":"k","role":"viewer","expiresInDays":0}""", "$.expiresInDays")]
    [InlineData("""{"name":"k","role":"viewer","expiresInDays":3651}""", "$.expiresInDays")]
    [InlineData("""{"name":"k","role":"viewer","expiresAt":"2024-07-18T00:00:00Z"}""", "$.expiresAt: must be in the future")]
    [InlineData("""{"name":"k","role":"viewer","expiresAt":"2044-07-18T00:00:00Z"}""", "$.expiresAt: at most")]
    [InlineData("""{"name":"k","role":"viewer","expiresAt":"2024-08-18T00:00:00Z","expiresInDays":3}""", "not both")]
    public async Task CreateApiKey_BadExpiry_Returns400AndStoresNothing(string body, string detail)
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, rawJson: body));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await DetailAsync(response)).ShouldContain(detail);
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys")).ShouldBe(1);
    }

    [Fact]
    public async Task RevokeApiKey_LastUsableAdmin_Returns409UntilAnotherAdminExists()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var bootstrapId = (await h.SendOkAsync<IReadOnlyList<ApiKeyDto>>(HttpMethod.Get, Routes.ApiKeys, ServerHarness.AdminKey, null)).Single().Id;
        using (var refused = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeyRevoke(bootstrapId), ServerHarness.AdminKey)))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await DetailAsync(refused)).ShouldContain("last usable admin key");
        }
        (await WhoAmIAsync(h, ServerHarness.AdminKey)).ShouldBe(HttpStatusCode.OK);

        // An admin key that has expired does not count as a way back in.
        await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, new CreateApiKeyRequest("short-lived", OperatorRole.Admin, ExpiresInDays: 1));
        h.Time.Advance(TimeSpan.FromDays(2));
        using (var still = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeyRevoke(bootstrapId), ServerHarness.AdminKey)))
            still.StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var second = await h.SendOkAsync<ApiKeyCreated>(HttpMethod.Post, Routes.ApiKeys, ServerHarness.AdminKey, new CreateApiKeyRequest("second-admin", OperatorRole.Admin));
        await h.SendOkAsync<ApiKeyDto>(HttpMethod.Post, Routes.ApiKeyRevoke(bootstrapId), ServerHarness.AdminKey, null);
        (await WhoAmIAsync(h, ServerHarness.AdminKey)).ShouldBe(HttpStatusCode.Unauthorized);
        using var self = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ApiKeyRevoke(second.Id), second.Key));
        self.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task RevokeHost_CheckInAndTelemetry_Return401AndHostStaysInFleet(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        await agent.CheckInAsync(); // cached credential
        var change = await h.SendOkAsync<HostCredentialChange>(HttpMethod.Post, Routes.HostRevoke(agent.HostId), ServerHarness.AdminKey, null);
        change.Revoked.ShouldBeTrue();
        change.Decommissioned.ShouldBeFalse();

        using (var checkIn = await h.Http.SendAsync(agent.Request(Routes.CheckIn, agent.CheckInBody())))
            checkIn.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using (var telemetry = await h.Http.SendAsync(agent.Request(Routes.Telemetry, new TelemetryBatch(agent.HostId, "k1", [new TelemetryEvent(TelemetryKind.Heartbeat, h.Time.GetUtcNow())]))))
            telemetry.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await h.SendOkAsync<FleetOverview>(HttpMethod.Get, Routes.Fleet, ServerHarness.AdminKey, null)).Hosts.ShouldBe(1);
        (await AuditAsync(h)).ShouldContain(("operator:bootstrap-admin", "host.revoke", agent.HostId));
        using var again = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.HostRevoke(agent.HostId), ServerHarness.AdminKey));
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task DecommissionHost_LeavesTheFleetAndItsCredentialIsRefused()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var gone = await h.EnrollAsync();
        var stays = await h.EnrollAsync();
        gone.Channels["291"] = new ChannelState("291", 1, new string('a', 64), null);
        await gone.CheckInAsync();
        await stays.CheckInAsync();

        var change = await h.SendOkAsync<HostCredentialChange>(HttpMethod.Delete, Routes.Host(gone.HostId), ServerHarness.AdminKey, null);
        change.Decommissioned.ShouldBeTrue();
        using (var checkIn = await h.Http.SendAsync(gone.Request(Routes.CheckIn, gone.CheckInBody())))
            checkIn.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await stays.CheckInAsync()).ShouldNotBeNull();
        (await h.SendOkAsync<FleetOverview>(HttpMethod.Get, Routes.Fleet, ServerHarness.AdminKey, null)).Hosts.ShouldBe(1);
        await using (var c = await h.Database.OpenAsync())
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels WHERE host_id = @id", new { id = gone.HostId })).ShouldBe(0);
        (await AuditAsync(h)).ShouldContain(("operator:bootstrap-admin", "host.decommission", gone.HostId));

        using var missing = await h.Http.SendAsync(h.Request(HttpMethod.Delete, Routes.Host(gone.HostId), ServerHarness.AdminKey));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
