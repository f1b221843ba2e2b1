using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Http;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Http;

/// <summary>HEAD, long URLs, Kestrel-level rejects, security headers, forwarded headers and the Secure cookie.</summary>
public sealed class HttpEdgesTests
{
    private static async Task<string> RawAsync(Uri baseAddress, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        // The server answers and closes the connection ("Connection: close" or a reject).
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static void ShouldBeProblem(HttpResponseMessage response, string text, int status)
    {
        ((int)response.StatusCode).ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var root = JsonDocument.Parse(text).RootElement;
        root.GetProperty("status").GetInt32().ShouldBe(status);
        root.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        root.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task HeadRoot_AnswersLikeGetWithoutBody()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = h.Server.BaseAddress };
        foreach (var path in new[] { "/", "/signin", Routes.Health })
        {
            using var get = await http.GetAsync(path);
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            ((int)head.StatusCode).ShouldBe((int)get.StatusCode, path);
            head.Headers.Location.ShouldBe(get.Headers.Location, path);
            head.Content.Headers.ContentType?.MediaType.ShouldBe(get.Content.Headers.ContentType?.MediaType, path);
            (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty(path);
        }
        using var page = await http.GetAsync("/signin");
        (await page.Content.ReadAsStringAsync()).ShouldContain("Sign in", Case.Sensitive, "GET has the body HEAD leaves out");
    }

    [Fact]
    public async Task LongRequestTarget_Returns414ProblemDetails()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.GetAsync("/v1/fleet?x=" + new string('a', HttpEdges.MaxRequestTargetLength));
        ShouldBeProblem(response, await response.Content.ReadAsStringAsync(), 414);
    }

    [Fact]
    public async Task RequestLineOverKestrelLimit_Returns414FromKestrel()
    {
        // Past Kestrel's own 8 KiB request-line limit the app never sees the request: Kestrel answers 414 with an
        // empty body (it has no hook for the body). The app's lower limit keeps ordinary long URLs away from this.
        await using var h = await ServerHarness.StartAsync("sqlite");
        var answer = await RawAsync(h.Server.BaseAddress, $"GET /v1/fleet?x={new string('a', 10_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        answer.ShouldStartWith("HTTP/1.1 414");
    }

    [Fact]
    public async Task MalformedRequestLine_Returns400NotServerError()
    {
        // Also refused by Kestrel before the app: an empty 400 and a closed connection, never a 500.
        await using var h = await ServerHarness.StartAsync("sqlite");
        var answer = await RawAsync(h.Server.BaseAddress, "GARBAGE\r\n\r\n");
        answer.ShouldStartWith("HTTP/1.1 400");
    }

    [Fact]
    public async Task MalformedChunkedBody_Returns400ProblemDetails()
    {
        // A body Kestrel cannot decode fails while the app reads it: that 400 the app shapes.
        await using var h = await ServerHarness.StartAsync("sqlite");
        var answer = await RawAsync(h.Server.BaseAddress,
            $"POST {Routes.KillSwitch} HTTP/1.1\r\nHost: localhost\r\n{Routes.ApiKeyHeader}: {ServerHarness.AdminKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n");
        answer.ShouldStartWith("HTTP/1.1 400");
        answer.ShouldContain("application/problem+json");
        answer.ShouldContain("\"status\":400");
    }

    [Fact]
    public async Task BadQueryValueAndWrongMethod_ReturnProblemDetails()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var badQuery = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.Audit + "?after=abc", ServerHarness.AdminKey));
        ShouldBeProblem(badQuery, await badQuery.Content.ReadAsStringAsync(), 400);
        using var wrongMethod = await h.Http.SendAsync(h.Request(HttpMethod.Delete, Routes.KillSwitch, ServerHarness.AdminKey));
        ShouldBeProblem(wrongMethod, await wrongMethod.Content.ReadAsStringAsync(), 405);
    }

    [Theory]
    [InlineData("/v1/whoami", true)]
    [InlineData("/v1/nothing-here", true)]
    [InlineData(Routes.Health, false)]
    [InlineData("/tuf/metadata/timestamp.json", false)]
    public async Task ApiAnswers_CarrySecurityHeaders(string path, bool withKey)
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Get, path, withKey ? ServerHarness.AdminKey : null));
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe(HttpEdges.ApiContentSecurityPolicy);
    }

    [Fact]
    public async Task DashboardPage_KeepsItsOwnSecurityHeaders()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.GetAsync("/signin");
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("script-src 'self'");
        csp.ShouldContain("frame-ancestors 'none'");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
    }

    private static async Task<string> SignInCookieAsync(ServerHarness h, string? forwardedProto)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/signin");
        if (forwardedProto is not null)
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        using var response = await h.Http.SendAsync(request);
        response.IsSuccessStatusCode.ShouldBeTrue();
        return response.Headers.GetValues("Set-Cookie").Single();
    }

    [Fact]
    public async Task ForwardedHttps_FromTrustedProxy_CookieIsSecure()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { TrustedProxies = ["127.0.0.1"] });
        (await SignInCookieAsync(h, "https")).ShouldContain("secure", Case.Insensitive);
        (await SignInCookieAsync(h, null)).ShouldNotContain("secure", Case.Insensitive);
    }

    [Fact]
    public async Task ForwardedHttps_FromNetworkOfProxies_CookieIsSecure()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { TrustedProxies = ["127.0.0.0/8"] });
        (await SignInCookieAsync(h, "https")).ShouldContain("secure", Case.Insensitive);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/8,192.0.2.1")]
    public async Task ForwardedHttps_FromUntrustedAddress_IsIgnored(string proxies)
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { TrustedProxies = proxies.Split(',', StringSplitOptions.RemoveEmptyEntries) });
        (await SignInCookieAsync(h, "https")).ShouldNotContain("secure", Case.Insensitive);
    }
}
