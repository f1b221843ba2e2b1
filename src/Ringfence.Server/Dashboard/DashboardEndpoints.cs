using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>
/// The operator dashboard: server-rendered HTML at "/", live regions over server-sent events, forms that act through
/// the operator API with the signed-in operator's key. Register it with one line after the API: <c>app.MapDashboard();</c>
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Longest operator key the sign-in form accepts (generated keys are far shorter).</summary>
    public const int MaxKeyLength = 256;
    /// <summary>Largest form body the dashboard reads (sign-in and actions are a few short fields).</summary>
    public const int MaxFormBytes = 16 * 1024;

    private static readonly string[] RolloutActions = ["approve", "pause", "resume", "halt", "rollback"];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var runtime = new DashboardRuntime(app.ServiceProvider);
        app.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(runtime.Dispose);

        app.MapGet(DashboardAssets.CssPath, (HttpContext http) => Asset(http, DashboardAssets.Css, "text/css; charset=utf-8")).ExcludeFromDescription();
        app.MapGet(DashboardAssets.ScriptPath, (HttpContext http) => Asset(http, DashboardAssets.Script, "text/javascript; charset=utf-8")).ExcludeFromDescription();

        app.MapGet("/signin", (HttpContext http) => SignInPageAsync(http, runtime, null, StatusCodes.Status200OK)).ExcludeFromDescription();
        app.MapPost("/signin", (HttpContext http) => SignInAsync(http, runtime)).ExcludeFromDescription();
        app.MapPost("/signout", (HttpContext http) => SignOutAsync(http, runtime)).ExcludeFromDescription();

        app.MapGet("/", (HttpContext http) => ServeAsync(http, runtime, RolloutsView.RenderAsync)).ExcludeFromDescription();
        app.MapGet("/rollouts/{id}", (HttpContext http, string id) => ServeAsync(http, runtime, ctx => RolloutView.RenderAsync(ctx, id))).ExcludeFromDescription();
        app.MapGet("/fleet", (HttpContext http) => ServeAsync(http, runtime, FleetView.RenderAsync)).ExcludeFromDescription();
        app.MapGet("/content", (HttpContext http) => ServeAsync(http, runtime, ContentView.RenderAsync)).ExcludeFromDescription();
        app.MapGet("/audit", (HttpContext http) => ServeAsync(http, runtime, AuditView.RenderAsync)).ExcludeFromDescription();
        app.MapGet("/kill-switch", (HttpContext http) => ServeAsync(http, runtime, KillSwitchView.RenderAsync)).ExcludeFromDescription();
        app.MapGet("/live", (HttpContext http) => LiveAsync(http, runtime)).ExcludeFromDescription();

        app.MapPost("/actions/rollouts/{id}/{action}", (HttpContext http, string id, string action) => RolloutActionAsync(http, runtime, id, action)).ExcludeFromDescription();
        app.MapPost("/actions/kill-switch/arm", (HttpContext http) => ArmKillSwitchAsync(http, runtime)).ExcludeFromDescription();
        app.MapPost("/actions/kill-switch", (HttpContext http) => KillSwitchAsync(http, runtime)).ExcludeFromDescription();
        return app;
    }

    /// <summary>The view behind a dashboard path, for the live endpoint; null when the path is not a view.</summary>
    private static Func<ViewContext, Task<Page>>? Resolve(string path)
    {
        switch (path)
        {
            case "/": return RolloutsView.RenderAsync;
            case "/fleet": return FleetView.RenderAsync;
            case "/content": return ContentView.RenderAsync;
            case "/audit": return AuditView.RenderAsync;
            case "/kill-switch": return KillSwitchView.RenderAsync;
        }
        const string prefix = "/rollouts/";
        if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && !path[prefix.Length..].Contains('/', StringComparison.Ordinal))
        {
            var id = Uri.UnescapeDataString(path[prefix.Length..]);
            return ctx => RolloutView.RenderAsync(ctx, id);
        }
        return null;
    }

    // ------------------------------------------------------------------ pages

    private static async Task ServeAsync(HttpContext http, DashboardRuntime runtime, Func<ViewContext, Task<Page>> view)
    {
        var session = runtime.Sessions.Get(http);
        if (session is null)
        {
            RedirectToSignIn(http);
            return;
        }
        var ctx = new ViewContext(http, session, runtime);
        Page page;
        try
        {
            page = await RenderWithBannerAsync(ctx, view);
        }
        catch (SignedOutException)
        {
            EndSession(http, runtime, session);
            RedirectToSignIn(http);
            return;
        }
        await WriteHtmlAsync(http, page.Status, Layout.Render(page, session, Flash(http.Request.Query["done"])));
    }

    private static async Task<Page> RenderWithBannerAsync(ViewContext ctx, Func<ViewContext, Task<Page>> view)
    {
        var page = await view(ctx);
        var kill = await ctx.GetAsync(Routes.KillSwitch, ProtocolJsonContext.Default.KillSwitchDto);
        return page with { Regions = [Layout.KillSwitchBanner(kill.Value), .. page.Regions] };
    }

    private static string? Flash(StringValues done) => done.ToString() switch
    {
        "" => null,
        "approve" => "Approved. Recorded in the audit log.",
        "pause" => "Paused. Recorded in the audit log.",
        "resume" => "Resumed. Recorded in the audit log.",
        "halt" => "Halted. Recorded in the audit log.",
        "rollback" => "Rolled back. Recorded in the audit log.",
        "kill-switch-engaged" => "Kill switch engaged. Recorded in the audit log.",
        "kill-switch-released" => "Kill switch released. Recorded in the audit log.",
        _ => null,
    };

    // ------------------------------------------------------------------ live updates

    /// <summary>
    /// Server-sent events for one page: every period the page's live regions are rendered again and those whose HTML
    /// changed since the client's copy (named by hash in "v") are sent as "region" events.
    /// </summary>
    private static async Task LiveAsync(HttpContext http, DashboardRuntime runtime)
    {
        var session = runtime.Sessions.Get(http);
        var path = http.Request.Query["path"].ToString();
        var queryAt = path.IndexOf('?', StringComparison.Ordinal);
        var view = Resolve(queryAt >= 0 ? path[..queryAt] : path);
        if (session is null || view is null || path.Length > 512)
        {
            await (session is null
                ? Http.Problems.Unauthenticated("sign in to the dashboard first")
                : Http.Problems.NotFound("not a dashboard page")).ExecuteAsync(http);
            return;
        }
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in http.Request.Query["v"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Take(32))
        {
            var colon = pair.LastIndexOf(':');
            if (colon > 0)
                sent[pair[..colon]] = pair[(colon + 1)..];
        }

        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync("retry: 3000\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);

        using var timer = new PeriodicTimer(runtime.LivePeriod, TimeProvider.System);
        var ctx = new ViewContext(http, session, runtime);
        try
        {
            do
            {
                if (runtime.Sessions.Get(http) is null)
                    throw new SignedOutException();
                var page = await RenderWithBannerAsync(ctx, view);
                var any = false;
                foreach (var region in page.Regions.Where(r => r.Live))
                {
                    var hash = Hash(region.Html);
                    if (sent.TryGetValue(region.Id, out var had) && had == hash)
                        continue;
                    sent[region.Id] = hash;
                    await http.Response.WriteAsync("event: region\ndata: " + RegionJson(region.Id, region.Html, hash) + "\n\n", http.RequestAborted);
                    any = true;
                }
                if (!any)
                    await http.Response.WriteAsync(": idle\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
            while (await timer.WaitForNextTickAsync(http.RequestAborted));
        }
        catch (SignedOutException)
        {
            await http.Response.WriteAsync("event: signedout\ndata: {}\n\n", http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The browser left the page.
        }
    }

    private static string RegionJson(string id, string html, string hash)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("v", hash);
            w.WriteString("html", html);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // ------------------------------------------------------------------ sign-in

    private static async Task SignInPageAsync(HttpContext http, DashboardRuntime runtime, string? error, int status)
    {
        if (error is null && runtime.Sessions.Get(http) is not null)
        {
            http.Response.Redirect(SafeNext(http.Request.Query["next"]), permanent: false);
            return;
        }
        var token = DashboardSessions.NewToken();
        DashboardSessions.WriteCookie(http, DashboardSessions.SignInCookie, token, TimeSpan.FromHours(1));
        var next = SafeNext(http.Request.Query["next"]);
        var html = $"""
            <section class="card signin" aria-labelledby="h-signin"><h1 id="h-signin">Sign in</h1>
            <p class="muted">Use an operator API key. Viewers see everything; approvers may also halt, resume, roll back and approve; admins may use the kill switch.</p>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"signin-error\">{E(error)}</p>")}
            <form method="post" action="/signin?next={Uri.EscapeDataString(next)}">
            <input type="hidden" name="csrf" value="{E(token)}">
            <label for="key">Operator API key</label>
            <input type="password" id="key" name="key" required maxlength="{MaxKeyLength}" autocomplete="off" autofocus>
            <button type="submit">Sign in</button>
            </form></section>
            """;
        await WriteHtmlAsync(http, status, Layout.Render(new Page("Sign in", "", [new("signin", html, Live: false)]), null));
    }

    private static async Task SignInAsync(HttpContext http, DashboardRuntime runtime)
    {
        var form = await ReadFormAsync(http);
        if (form is null)
        {
            await SignInPageAsync(http, runtime, $"The sign-in request is too large or malformed (at most {MaxFormBytes / 1024} KiB of form fields).", StatusCodes.Status400BadRequest);
            return;
        }
        if (!DashboardSessions.SameToken(form["csrf"].ToString(), http.Request.Cookies[DashboardSessions.SignInCookie]))
        {
            await SignInPageAsync(http, runtime, "The sign-in form expired; please enter the key again.", StatusCodes.Status400BadRequest);
            return;
        }
        var key = form["key"].ToString().Trim();
        string? problem = key.Length switch
        {
            0 => "Enter an operator API key.",
            > MaxKeyLength => $"That API key is too long: operator keys are at most {MaxKeyLength} characters.",
            _ => key.All(c => c is > ' ' and < (char)127) ? null : "That API key is not recognised.",
        };
        if (problem is not null)
        {
            await SignInPageAsync(http, runtime, problem, StatusCodes.Status400BadRequest);
            return;
        }
        var who = await runtime.Api.GetWithKeyAsync(http, key, Routes.WhoAmI, ProtocolJsonContext.Default.WhoAmI);
        if (!who.Ok)
        {
            var (message, status) = who.Status switch
            {
                StatusCodes.Status401Unauthorized => ("That API key is not recognised.", StatusCodes.Status401Unauthorized),
                StatusCodes.Status429TooManyRequests => ("Too many sign-in attempts; wait a few seconds and try again.", StatusCodes.Status429TooManyRequests),
                _ => ("The operator API could not check the key: " + who.Problem, StatusCodes.Status502BadGateway),
            };
            await SignInPageAsync(http, runtime, message, status);
            return;
        }
        var session = runtime.Sessions.Create(key, who.Value!);
        DashboardSessions.WriteCookie(http, DashboardSessions.SessionCookie, session.Id, DashboardSessions.Lifetime);
        DashboardSessions.DeleteCookie(http, DashboardSessions.SignInCookie);
        SeeOther(http, SafeNext(http.Request.Query["next"]));
    }

    private static async Task SignOutAsync(HttpContext http, DashboardRuntime runtime)
    {
        var session = runtime.Sessions.Get(http);
        var form = await ReadFormAsync(http);
        if (session is not null && form is not null && DashboardSessions.SameToken(form["csrf"].ToString(), session.Csrf))
            EndSession(http, runtime, session);
        SeeOther(http, "/signin");
    }

    private static void EndSession(HttpContext http, DashboardRuntime runtime, DashboardSession session)
    {
        runtime.Sessions.Remove(session);
        DashboardSessions.DeleteCookie(http, DashboardSessions.SessionCookie);
    }

    /// <summary>Only local dashboard paths: never "//host" or a scheme (no open redirect).</summary>
    private static string SafeNext(StringValues next)
    {
        var s = next.ToString();
        return s.Length is > 0 and < 512 && s[0] == '/' && !s.StartsWith("//", StringComparison.Ordinal) && !s.Contains('\\', StringComparison.Ordinal)
            && !s.Any(char.IsControl) && Resolve(s.Split('?')[0]) is not null ? s : "/";
    }

    private static void RedirectToSignIn(HttpContext http)
    {
        var next = http.Request.Path + http.Request.QueryString;
        http.Response.Redirect("/signin?next=" + Uri.EscapeDataString(next), permanent: false);
    }

    // ------------------------------------------------------------------ actions

    /// <summary>
    /// Checks the session and its form token, then forwards the action to the operator API with the operator's key.
    /// The API decides: a viewer's forged post gets its 403 and nothing changes.
    /// </summary>
    private static async Task<(ViewContext? Ctx, IFormCollection? Form)> BeginActionAsync(HttpContext http, DashboardRuntime runtime)
    {
        var session = runtime.Sessions.Get(http);
        if (session is null)
        {
            await WriteHtmlAsync(http, StatusCodes.Status401Unauthorized, Layout.Render(
                new Page("Signed out", "", [new("error", Layout.Error("Signed out", "Your session has ended; sign in again. Nothing was done.") + "<p><a href=\"/signin\">Sign in</a></p>", Live: false)]), null));
            return (null, null);
        }
        var ctx = new ViewContext(http, session, runtime);
        var form = await ReadFormAsync(http);
        if (form is null || !DashboardSessions.SameToken(form["csrf"].ToString(), session.Csrf))
        {
            await RefusedAsync(ctx, StatusCodes.Status400BadRequest, form is null
                ? "The form is too large or malformed. Nothing was done."
                : "The form did not come from this dashboard session (missing or wrong form token). Nothing was done.", "/");
            return (null, null);
        }
        return (ctx, form);
    }

    private static async Task RolloutActionAsync(HttpContext http, DashboardRuntime runtime, string id, string action)
    {
        var (ctx, form) = await BeginActionAsync(http, runtime);
        if (ctx is null || form is null)
            return;
        var back = "/rollouts/" + Uri.EscapeDataString(id);
        if (!RolloutActions.Contains(action, StringComparer.Ordinal))
        {
            await RefusedAsync(ctx, StatusCodes.Status404NotFound, $"'{action}' is not a rollout action. Nothing was done.", back);
            return;
        }
        if (form["confirm"].ToString() != "yes")
        {
            await RefusedAsync(ctx, StatusCodes.Status400BadRequest, "Tick the confirmation box to " + action + ". Nothing was done.", back);
            return;
        }
        var reason = form["reason"].ToString().Trim();
        var result = await runtime.Api.PostAsync(http, ctx.Session, Routes.Rollout(id) + "/" + action,
            new RolloutActionRequest(reason.Length == 0 ? null : reason), ProtocolJsonContext.Default.RolloutActionRequest, ProtocolJsonContext.Default.RolloutDto);
        if (!result.Ok)
        {
            await RefusedAsync(ctx, result.Status, $"The control plane refused to {action} rollout {id}: {result.Problem}", back);
            return;
        }
        SeeOther(http, back + "?done=" + action);
    }

    private static async Task ArmKillSwitchAsync(HttpContext http, DashboardRuntime runtime)
    {
        var (ctx, _) = await BeginActionAsync(http, runtime);
        if (ctx is null)
            return;
        if (!ctx.Session.Can(OperatorRole.Admin))
        {
            await RefusedAsync(ctx, StatusCodes.Status403Forbidden, "The kill switch needs the admin role. Nothing was done.", "/kill-switch");
            return;
        }
        await WriteHtmlAsync(http, StatusCodes.Status200OK, Layout.Render(KillSwitchView.Arm(ctx), ctx.Session));
    }

    private static async Task KillSwitchAsync(HttpContext http, DashboardRuntime runtime)
    {
        var (ctx, form) = await BeginActionAsync(http, runtime);
        if (ctx is null || form is null)
            return;
        var engage = form["engaged"].ToString() == "true";
        var reason = form["reason"].ToString().Trim();
        if (form["confirm"].ToString() != "yes" || reason.Length == 0)
        {
            await RefusedAsync(ctx, StatusCodes.Status400BadRequest, "Give a reason and confirm. Nothing was done.", "/kill-switch");
            return;
        }
        if (engage && form["word"].ToString() != KillSwitchView.ConfirmWord)
        {
            await WriteHtmlAsync(http, StatusCodes.Status400BadRequest, Layout.Render(
                KillSwitchView.Arm(ctx, $"Type {KillSwitchView.ConfirmWord} exactly to engage the kill switch. Nothing was done."), ctx.Session));
            return;
        }
        var result = await runtime.Api.PostAsync(http, ctx.Session, Routes.KillSwitch, new KillSwitchRequest(engage, reason),
            ProtocolJsonContext.Default.KillSwitchRequest, ProtocolJsonContext.Default.KillSwitchDto);
        if (!result.Ok)
        {
            await RefusedAsync(ctx, result.Status, "The control plane refused the kill switch: " + result.Problem, "/kill-switch");
            return;
        }
        SeeOther(http, "/kill-switch?done=" + (engage ? "kill-switch-engaged" : "kill-switch-released"));
    }

    private static async Task RefusedAsync(ViewContext ctx, int status, string message, string back)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            EndSession(ctx.Http, ctx.Runtime, ctx.Session);
            RedirectToSignIn(ctx.Http);
            return;
        }
        var html = Layout.Error("Refused", message) + $"<p><a href=\"{E(back)}\">Back</a></p>";
        await WriteHtmlAsync(ctx.Http, status, Layout.Render(new Page("Refused", "", [new("refused", html, Live: false)]), ctx.Session));
    }

    // ------------------------------------------------------------------ plumbing

    /// <summary>Reads a small urlencoded form; null when it is too large, not a form, or malformed.</summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpContext http)
    {
        if (http.Request.ContentLength is > MaxFormBytes || !http.Request.HasFormContentType)
            return null;
        try
        {
            return await http.Request.ReadFormAsync(new FormOptions
            {
                BufferBody = false,
                ValueCountLimit = 16,
                KeyLengthLimit = 64,
                ValueLengthLimit = MaxFormBytes,
                MultipartBodyLengthLimit = MaxFormBytes,
            }, http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return null;
        }
    }

    private static void SeeOther(HttpContext http, string location)
    {
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = location;
        http.Response.Headers.CacheControl = "no-store";
    }

    private static async Task WriteHtmlAsync(HttpContext http, int status, string html)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        SecurityHeaders(http);
        await http.Response.WriteAsync(html, http.RequestAborted);
    }

    private static void SecurityHeaders(HttpContext http)
    {
        var h = http.Response.Headers;
        h.CacheControl = "no-store";
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        // Scripts only from this origin (no inline script); inline style attributes carry bar widths.
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    }

    private static Task Asset(HttpContext http, string body, string contentType)
    {
        http.Response.ContentType = contentType;
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return http.Response.WriteAsync(body, http.RequestAborted);
    }
}
