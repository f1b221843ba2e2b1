using System.Net;
using System.Net.Sockets;
using Dapper;
using Ringfence.Cli;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Hosting;

/// <summary>Bootstrap secrets are generated only once the server listens; a server nobody can administer says how to get back in.</summary>
public sealed class BootstrapTests
{
    private static RingfenceServerOptions Options(TestStorage storage, string urls) =>
        storage.Options(new RingfenceServerOptions { Urls = urls, RunController = false });

    private static async Task<HttpStatusCode> WhoAmIAsync(RunningServer server, string key)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.WhoAmI);
        request.Headers.Add(Routes.ApiKeyHeader, key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task StartAsync_PortTakenThenFree_SecondStartGeneratesAndReturnsUsableSecrets()
    {
        using var storage = new TestStorage("sqlite");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await Should.ThrowAsync<IOException>(() => RingfenceServer.StartAsync(Options(storage, $"http://127.0.0.1:{port}"), TimeProvider.System, b => b.Logging.ClearProviders()));
        await using (var c = await storage.Database().OpenAsync())
        {
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys")).ShouldBe(0, "nothing generated that could not be printed");
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM enrollment_tokens")).ShouldBe(0);
        }
        taken.Stop();

        await using var server = await RingfenceServer.StartAsync(Options(storage, "http://127.0.0.1:0"), TimeProvider.System, b => b.Logging.ClearProviders());
        server.GeneratedAdminKey.ShouldNotBeNull();
        server.GeneratedEnrollmentToken.ShouldNotBeNull();
        server.UsableAdminKeys.ShouldBe(1);
        (await WhoAmIAsync(server, server.GeneratedAdminKey)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AdminIssueKey_NoUsableAdminKey_IssuesAnAuditedKeyThatWorks()
    {
        using var storage = new TestStorage("sqlite");
        await using (var first = await RingfenceServer.StartAsync(Options(storage, "http://127.0.0.1:0"), TimeProvider.System, b => b.Logging.ClearProviders()))
            first.GeneratedAdminKey.ShouldNotBeNull(); // printed once, then "lost"
        await using (var c = await storage.Database().OpenAsync())
            await c.ExecuteAsync("UPDATE api_keys SET expires_at = 1");
        await using (var locked = await RingfenceServer.StartAsync(Options(storage, "http://127.0.0.1:0"), TimeProvider.System, b => b.Logging.ClearProviders()))
        {
            locked.GeneratedAdminKey.ShouldBeNull("a key exists: none is generated behind the operator's back");
            locked.UsableAdminKeys.ShouldBe(0);
        }

        var output = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output, GetVariable = _ => null };
        CliApp.Run(["admin", "issue-key", "--data", storage.DataDirectory, "--name", "break-glass"], env).ShouldBe(0, output.ToString());
        var lines = output.ToString().Trim().Split('\n');
        lines[0].ShouldContain("('break-glass') issued and audited");
        var key = lines[1].Trim();
        key.ShouldStartWith("rfk_");

        await using var server = await RingfenceServer.StartAsync(Options(storage, "http://127.0.0.1:0"), TimeProvider.System, b => b.Logging.ClearProviders());
        server.UsableAdminKeys.ShouldBe(1);
        (await WhoAmIAsync(server, key)).ShouldBe(HttpStatusCode.OK);
        await using var check = await storage.Database().OpenAsync();
        var entry = await check.QuerySingleAsync<(string Actor, string Details)>("SELECT actor, details_json FROM audit_log WHERE action = 'api-key.create' ORDER BY seq DESC LIMIT 1");
        entry.Actor.ShouldStartWith("cli:");
        entry.Details.ShouldContain("break-glass");
    }

    [Fact]
    public async Task Serve_NoUsableAdminKey_SaysHowToIssueOne()
    {
        using var storage = new TestStorage("sqlite");
        await using (var first = await RingfenceServer.StartAsync(Options(storage, "http://127.0.0.1:0"), TimeProvider.System, b => b.Logging.ClearProviders()))
            first.GeneratedAdminKey.ShouldNotBeNull();
        await using (var c = await storage.Database().OpenAsync())
            await c.ExecuteAsync("UPDATE api_keys SET revoked_at = 1");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new LineSignal("ringfence: issue one with", stop);
        var env = new CliEnvironment
        {
            Out = CliEnvironment.PlainConsole(output), Error = output, Cancellation = stop.Token,
            GetVariable = name => name == "RINGFENCE__RUNCONTROLLER" ? "false" : name == "RINGFENCE__TUFKEYITERATIONS" ? TestStorage.FastKeyIterations.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
        var exit = await Task.Run(() => CliApp.Run(["serve", "--urls", "http://127.0.0.1:0", "--data", storage.DataDirectory], env));
        exit.ShouldBe(0, output.ToString());
        output.ToString().ShouldContain("no usable admin API key");
        output.ToString().ShouldContain($"ringfence admin issue-key --data {storage.DataDirectory}");
        output.ToString().ShouldNotContain("bootstrap admin API key", customMessage: "revoked keys are not replaced behind the operator's back");
    }

    /// <summary>Collects output and stops the server (cancels <paramref name="stop"/>) once a line starting with <paramref name="stopAt"/> is out.</summary>
    private sealed class LineSignal(string stopAt, CancellationTokenSource stop) : StringWriter
    {
        private readonly Lock _gate = new();

        public override void Write(char value)
        {
            lock (_gate)
                base.Write(value);
        }

        public override void Write(string? value)
        {
            lock (_gate)
                base.Write(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
                base.WriteLine(value);
            if (value is not null && value.StartsWith(stopAt, StringComparison.Ordinal))
                stop.Cancel();
        }

        public override string ToString()
        {
            lock (_gate)
                return base.ToString();
        }
    }

    [Fact]
    public async Task StartAsync_ConfiguredBootstrapKeyRevoked_StaysRevokedAfterRestart()
    {
        using var storage = new TestStorage("sqlite");
        var options = Options(storage, "http://127.0.0.1:0") with { BootstrapAdminKey = ServerHarness.AdminKey };
        await using (var first = await RingfenceServer.StartAsync(options, TimeProvider.System, b => b.Logging.ClearProviders()))
        {
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, ServerHarness.AdminKey);
            using var created = await http.PostAsync(Routes.ApiKeys, new StringContent("""{"name":"second","role":"admin"}""", System.Text.Encoding.UTF8, "application/json"));
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            var keys = System.Text.Json.JsonSerializer.Deserialize<IReadOnlyList<ApiKeyDto>>(await http.GetStringAsync(Routes.ApiKeys), ServerHarness.Json)!;
            using var revoked = await http.PostAsync(Routes.ApiKeyRevoke(keys.Single(k => k.Name == "bootstrap-admin").Id), null);
            revoked.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        await using var second = await RingfenceServer.StartAsync(options, TimeProvider.System, b => b.Logging.ClearProviders());
        (await WhoAmIAsync(second, ServerHarness.AdminKey)).ShouldBe(HttpStatusCode.Unauthorized, "the environment variable does not bring a revoked key back");
    }

    [Fact]
    public void AdminIssueKey_NoDatabase_Exits2WithOneLine()
    {
        var output = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = output, GetVariable = _ => null };
        CliApp.Run(["admin", "issue-key", "--data", Path.Combine(Path.GetTempPath(), "ringfence-none-" + Guid.NewGuid().ToString("N"))], env).ShouldBe(2);
        output.ToString().ShouldStartWith("error: ");
        output.ToString().ShouldContain("no database here");
    }
}
