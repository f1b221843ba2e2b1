using System.Text;
using System.Text.Json.Serialization.Metadata;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>A part of a page. Live regions are re-rendered on the server and swapped in place when they change.</summary>
internal sealed record Region(string Id, string Html, bool Live = true);

/// <summary>A rendered view: its title, the nav section it belongs to and its regions in order.</summary>
internal sealed record Page(string Title, string Section, IReadOnlyList<Region> Regions, int Status = StatusCodes.Status200OK);

/// <summary>The operator API answered 401: the key was revoked or the server forgot it. The session ends.</summary>
internal sealed class SignedOutException() : Exception("the operator API no longer accepts this key");

/// <summary>Everything a view needs for one request.</summary>
internal sealed class ViewContext(HttpContext http, DashboardSession session, DashboardRuntime runtime)
{
    public HttpContext Http => http;
    public DashboardSession Session => session;
    public DashboardRuntime Runtime => runtime;
    public DateTimeOffset Now => runtime.Time.GetUtcNow();

    /// <summary>GET from the operator API; a 401 ends the session, other failures come back as a problem text.</summary>
    public async Task<ApiResult<T>> GetAsync<T>(string path, JsonTypeInfo<T> type)
    {
        var result = await runtime.Api.GetAsync(http, session, path, type);
        if (result.Status == StatusCodes.Status401Unauthorized)
            throw new SignedOutException();
        return result;
    }

    /// <summary>The hidden synchronizer-token field every form of this session carries.</summary>
    public string CsrfField => $"<input type=\"hidden\" name=\"csrf\" value=\"{E(session.Csrf)}\">";
}

/// <summary>The page frame: skip link, navigation, who is signed in, the kill-switch banner and the live script.</summary>
internal static class Layout
{
    public static readonly (string Section, string Path, string Label)[] Nav =
    [
        ("rollouts", "/", "Rollouts"),
        ("fleet", "/fleet", "Fleet"),
        ("content", "/content", "Content"),
        ("audit", "/audit", "Audit log"),
        ("kill-switch", "/kill-switch", "Kill switch"),
    ];

    public static string Region(Region region) => region.Live
        ? $"<div id=\"{E(region.Id)}\" data-live data-v=\"{Hash(region.Html)}\">{region.Html}</div>"
        : $"<div id=\"{E(region.Id)}\">{region.Html}</div>";

    public static string Render(Page page, DashboardSession? session, string? flash = null, bool flashIsError = false)
    {
        var sb = new StringBuilder(16_384);
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .Append("<title>").Append(E(page.Title)).Append(" · Ringfence</title>")
          .Append("<link rel=\"stylesheet\" href=\"").Append(DashboardAssets.CssPath).Append("\"></head><body>")
          .Append("<a class=\"skip\" href=\"#main\">Skip to content</a>")
          .Append("<header class=\"top\"><a class=\"brand\" href=\"/\">Ringfence</a>");
        if (session is not null)
        {
            sb.Append("<nav aria-label=\"Main\"><ul>");
            foreach (var (section, path, label) in Nav)
            {
                var current = section == page.Section ? " aria-current=\"page\"" : "";
                sb.Append($"<li><a href=\"{path}\"{current}>{E(label)}</a></li>");
            }
            sb.Append("</ul></nav><div class=\"who\"><span>Signed in as <strong>").Append(E(session.Name))
              .Append("</strong> (").Append(Role(session.Role)).Append(")</span>")
              .Append("<form method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"").Append(E(session.Csrf))
              .Append("\"><button type=\"submit\">Sign out</button></form></div>");
        }
        sb.Append("</header>");
        var regions = page.Regions;
        // The kill-switch banner sits above main so it is seen first on every page.
        if (regions.FirstOrDefault(r => r.Id == "killswitch-banner") is { } banner)
        {
            sb.Append(Region(banner));
            regions = [.. regions.Where(r => r != banner)];
        }
        sb.Append("<main id=\"main\" tabindex=\"-1\">");
        sb.Append("<div role=\"status\" aria-live=\"polite\">");
        if (flash is not null)
            sb.Append($"<p class=\"flash {(flashIsError ? "err" : "ok")}\">{E(flash)}</p>");
        sb.Append("</div>");
        foreach (var region in regions)
            sb.Append(Region(region));
        sb.Append("</main><script src=\"").Append(DashboardAssets.ScriptPath).Append("\" defer></script></body></html>");
        return sb.ToString();
    }

    public static Region KillSwitchBanner(KillSwitchDto? state) => new("killswitch-banner", state is { Engaged: true }
        ? $"<div class=\"killbanner\" role=\"alert\">KILL SWITCH ENGAGED — no rollout promotes and agents load no new content. {(state.Reason is { Length: > 0 } r ? "Reason: " + E(r) + ". " : "")}<a href=\"/kill-switch\">Details</a></div>"
        : "");

    public static string Error(string title, string message) =>
        $"<section class=\"card\"><h1>{E(title)}</h1><p class=\"error\" role=\"alert\">{E(message)}</p></section>";
}
