using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Ringfence.Server.Hosting;
using IPNetwork = System.Net.IPNetwork;

namespace Ringfence.Server.Http;

/// <summary>
/// The HTTP edges of the pipeline: forwarded headers from trusted proxies only, security headers on every answer,
/// HEAD served as GET without a body, and an over-long request target refused as a ProblemDetails 414.
/// <para>
/// What the app cannot shape: a request Kestrel rejects while parsing (a malformed request line or header, a request
/// line over Kestrel's 8 KiB limit, headers over 32 KiB) never reaches the pipeline, and Kestrel answers it with an
/// empty 400/414/431 and closes the connection; Kestrel has no hook for that body. The app keeps its own limit on
/// the request target (<see cref="MaxRequestTargetLength"/>) well under Kestrel's, so every long URL a client can
/// send in practice gets a ProblemDetails, and only a request past Kestrel's own limits gets the empty answer.
/// </para>
/// </summary>
public static class HttpEdges
{
    /// <summary>Longest path + query string the app serves (Kestrel's request-line limit is 8192 bytes).</summary>
    public const int MaxRequestTargetLength = 4096;

    /// <summary>The Content-Security-Policy of API answers: they are data, never a page that loads anything.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Parses a <see cref="RingfenceServerOptions.TrustedProxies"/> entry: an address, or a network "a.b.c.d/n".</summary>
    public static bool TryParseProxy(string? text, out IPAddress? address, out IPNetwork? network)
    {
        address = null;
        network = null;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (!IPNetwork.TryParse(text, out var n))
                return false;
            network = n;
            return true;
        }
        if (!IPAddress.TryParse(text, out var a))
            return false;
        address = a;
        return true;
    }

    /// <summary>
    /// X-Forwarded-For / X-Forwarded-Proto, believed only when the connection comes from a configured proxy (one hop).
    /// With no proxy configured the middleware is not added at all, and the headers are ignored.
    /// </summary>
    public static IApplicationBuilder UseTrustedForwardedHeaders(this IApplicationBuilder app, RingfenceServerOptions options)
    {
        if (options.TrustedProxies.Count == 0)
            return app;
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };
        // The framework trusts loopback by default; here only what the operator listed is trusted.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var entry in options.TrustedProxies)
        {
            TryParseProxy(entry, out var address, out var network);
            if (address is not null)
            {
                forwarded.KnownProxies.Add(address);
                // A proxy connecting over IPv4 is often seen as an IPv4-mapped IPv6 address on a dual-stack socket.
                if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    forwarded.KnownProxies.Add(address.MapToIPv6());
            }
            else if (network is { } n)
            {
                forwarded.KnownIPNetworks.Add(n);
            }
        }
        return app.UseForwardedHeaders(forwarded);
    }

    /// <summary>
    /// nosniff, frame denial, no referrer and a Content-Security-Policy on every answer. Pages that set their own
    /// (the dashboard's HTML, whose CSP allows its script and style) keep theirs: these are set only where absent.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            if (!headers.ContainsKey("X-Content-Type-Options"))
                headers.XContentTypeOptions = "nosniff";
            if (!headers.ContainsKey("X-Frame-Options"))
                headers.XFrameOptions = "DENY";
            if (!headers.ContainsKey("Referrer-Policy"))
                headers["Referrer-Policy"] = "no-referrer";
            if (!headers.ContainsKey("Content-Security-Policy"))
                headers.ContentSecurityPolicy = ApiContentSecurityPolicy;
            return Task.CompletedTask;
        }, http);
        return next(http);
    });

    /// <summary>
    /// HEAD is GET without a body (RFC 9110 §9.3.2): routes are mapped for GET only, so HEAD is routed as GET here
    /// (this must run before routing). Kestrel still knows the request was HEAD and sends the headers only.
    /// </summary>
    public static IApplicationBuilder UseHeadAsGet(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (HttpMethods.IsHead(http.Request.Method))
            http.Request.Method = HttpMethods.Get;
        return next(http);
    });

    /// <summary>A request target longer than <see cref="MaxRequestTargetLength"/> is a ProblemDetails 414.</summary>
    public static IApplicationBuilder UseRequestTargetLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var length = (http.Request.PathBase.Value?.Length ?? 0) + (http.Request.Path.Value?.Length ?? 0) + (http.Request.QueryString.Value?.Length ?? 0);
        if (length > MaxRequestTargetLength)
        {
            await Problems.Create(StatusCodes.Status414UriTooLong, "uri-too-long", "Request target too long",
                $"the path and query have {length} characters; at most {MaxRequestTargetLength} are served").ExecuteAsync(http);
            return;
        }
        await next(http);
    });
}
