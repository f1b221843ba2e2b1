using System.Net;
using System.Text.RegularExpressions;
using Ringfence.Protocol;

namespace Ringfence.Server.Tests.Dashboard;

/// <summary>Sign-in and actions over plain HTTP: bad keys get one clear line, forged posts change nothing.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardHttpTests(DashboardFixture fixture)
{
    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    private sealed class Browserless : IDisposable
    {
        public Browserless(Uri baseAddress)
        {
            Handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
            Http = new HttpClient(Handler) { BaseAddress = baseAddress };
        }

        public HttpClientHandler Handler { get; }
        public HttpClient Http { get; }

        public async Task<string> CsrfFromAsync(string path)
        {
            var html = await Http.GetStringAsync(new Uri(path, UriKind.Relative));
            return CsrfField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no form token on {path}");
        }

        public async Task<HttpResponseMessage> PostFormAsync(string path, params (string Key, string Value)[] fields)
        {
            using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
            return await Http.PostAsync(new Uri(path, UriKind.Relative), content);
        }

        public async Task<HttpResponseMessage> SignInAsync(string key) =>
            await PostFormAsync("/signin", ("csrf", await CsrfFromAsync("/signin")), ("key", key));

        public void Dispose()
        {
            Http.Dispose();
            Handler.Dispose();
        }
    }

    private static async Task ShouldBeOneClearErrorAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        Regex.Matches(html, "class=\"error\"").Count.ShouldBe(1);
        html.ShouldContain(message);
        html.ShouldNotContain("Exception");
        html.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task SignIn_WrongKey_Returns401WithOneLine()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.SignInAsync("rfk_not_a_real_key_0000000000");
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.Unauthorized, "That API key is not recognised.");
        response.Headers.Contains("Set-Cookie").ShouldBeTrue();
        client.Handler.CookieContainer.GetCookies(fixture.BaseAddress)["rf_session"].ShouldBeNull();
    }

    [Fact]
    public async Task SignIn_EmptyKey_Returns400WithOneLine()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.SignInAsync("   ");
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "Enter an operator API key.");
    }

    [Fact]
    public async Task SignIn_OversizedKey_Returns400WithOneLine()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.SignInAsync(new string('k', 300));
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "too long");
    }

    [Fact]
    public async Task SignIn_OversizedBody_Returns400WithOneLine()
    {
        using var client = new Browserless(fixture.BaseAddress);
        var csrf = await client.CsrfFromAsync("/signin");
        using var response = await client.PostFormAsync("/signin", ("csrf", csrf), ("key", new string('k', 200_000)));
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "too large");
    }

    [Fact]
    public async Task SignIn_NonAsciiKey_Returns400WithOneLine()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.SignInAsync("rfk_\u00e9\u4e2d\u0001");
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "That API key is not recognised.");
    }

    [Fact]
    public async Task SignIn_MissingFormToken_Returns400()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.PostFormAsync("/signin", ("key", fixture.ViewerKey));
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "The sign-in form expired");
        client.Handler.CookieContainer.GetCookies(fixture.BaseAddress)["rf_session"].ShouldBeNull();
    }

    [Fact]
    public async Task SignIn_ValidKey_SetsHttpOnlyStrictCookieAndRedirects()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.SignInAsync(fixture.ViewerKey);
        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("rf_session=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        cookie.ShouldNotContain(fixture.ViewerKey);
        using var home = await client.Http.GetAsync(new Uri("/", UriKind.Relative));
        home.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await home.Content.ReadAsStringAsync()).ShouldContain("vera-viewer");
    }

    [Fact]
    public async Task Pages_WithoutSession_RedirectToSignIn()
    {
        using var client = new Browserless(fixture.BaseAddress);
        using var response = await client.Http.GetAsync(new Uri("/fleet", UriKind.Relative));
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldBe("/signin?next=%2Ffleet");
    }

    [Fact]
    public async Task RolloutAction_ForgedByViewer_IsRefusedByTheApiAndChangesNothing()
    {
        using var api = fixture.Client(DashboardFixture.AdminKey);
        var before = await DashboardFixture.GetAsync<RolloutDto>(api, Routes.Rollout(fixture.HaltedRolloutId));
        var auditBefore = await AuditCountAsync(api);
        using var client = new Browserless(fixture.BaseAddress);
        (await client.SignInAsync(fixture.ViewerKey)).StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        // The viewer's page has no action form, but the session's form token is on every page (sign-out form).
        var csrf = await client.CsrfFromAsync("/rollouts/" + fixture.HaltedRolloutId);

        foreach (var action in new[] { "resume", "rollback" })
        {
            using var response = await client.PostFormAsync($"/actions/rollouts/{fixture.HaltedRolloutId}/{action}", ("csrf", csrf), ("confirm", "yes"), ("reason", "forged"));
            await ShouldBeOneClearErrorAsync(response, HttpStatusCode.Forbidden, "needs the approver role");
        }
        using (var kill = await client.PostFormAsync("/actions/kill-switch", ("csrf", csrf), ("confirm", "yes"), ("engaged", "true"), ("word", "ENGAGE"), ("reason", "forged")))
            await ShouldBeOneClearErrorAsync(kill, HttpStatusCode.Forbidden, "needs the admin role");

        var after = await DashboardFixture.GetAsync<RolloutDto>(api, Routes.Rollout(fixture.HaltedRolloutId));
        after.Status.ShouldBe(before.Status);
        after.StatusReason.ShouldBe(before.StatusReason);
        (await DashboardFixture.GetAsync<KillSwitchDto>(api, Routes.KillSwitch)).Engaged.ShouldBeFalse();
        (await AuditCountAsync(api)).ShouldBe(auditBefore);
    }

    [Fact]
    public async Task RolloutAction_WithoutFormToken_IsRefusedBeforeTheApi()
    {
        using var api = fixture.Client(DashboardFixture.AdminKey);
        var auditBefore = await AuditCountAsync(api);
        using var client = new Browserless(fixture.BaseAddress);
        (await client.SignInAsync(fixture.ApproverKey)).StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        using var response = await client.PostFormAsync($"/actions/rollouts/{fixture.HaltedRolloutId}/rollback", ("confirm", "yes"));
        await ShouldBeOneClearErrorAsync(response, HttpStatusCode.BadRequest, "form token");
        using var unconfirmed = await client.PostFormAsync($"/actions/rollouts/{fixture.HaltedRolloutId}/rollback", ("csrf", await client.CsrfFromAsync("/")));
        await ShouldBeOneClearErrorAsync(unconfirmed, HttpStatusCode.BadRequest, "Tick the confirmation box");
        (await DashboardFixture.GetAsync<RolloutDto>(api, Routes.Rollout(fixture.HaltedRolloutId))).Status.ShouldBe(RolloutStatus.RolledBack);
        (await AuditCountAsync(api)).ShouldBe(auditBefore);
    }

    [Fact]
    public async Task Live_Stream_SendsChangedRegionsAsServerSentEvents()
    {
        using var client = new Browserless(fixture.BaseAddress);
        (await client.SignInAsync(fixture.ViewerKey)).StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await client.Http.GetAsync(new Uri("/live?path=%2Ffleet&v=fleet-matrix%3Astale", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var seen = new List<string>();
        // The client's copy of fleet-matrix is stale, so the first frame must carry it (after the other regions it lacks).
        while (!seen.Any(l => l.Contains("\"id\":\"fleet-matrix\"", StringComparison.Ordinal)) && await reader.ReadLineAsync(cts.Token) is { } line)
            seen.Add(line);
        seen.ShouldContain("event: region");
        seen.ShouldContain(l => l.Contains("\"id\":\"fleet-matrix\"", StringComparison.Ordinal) && l.Contains("uncovered", StringComparison.Ordinal));
    }

    private static async Task<long> AuditCountAsync(HttpClient api) =>
        (await DashboardFixture.GetAsync<AuditVerification>(api, Routes.AuditVerify)).EntriesChecked;
}
