using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Ringfence.Protocol;

namespace Ringfence.Server.Dashboard;

/// <summary>Small helpers for writing HTML by hand: every dynamic value goes through <see cref="E"/>.</summary>
internal static class Html
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>HTML-encodes text and attribute values.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string E(long value) => value.ToString("N0", Inv);

    public static string Time(DateTimeOffset at) =>
        $"<time datetime=\"{at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv)}\">{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Inv)} UTC</time>";

    public static string Minutes(double minutes) => minutes < 120
        ? minutes.ToString(minutes < 10 ? "0.#" : "0", Inv) + " min"
        : (minutes / 60).ToString("0.#", Inv) + " h";

    public static string Percent(double value) => value.ToString(value < 10 ? "0.##" : "0.#", Inv) + "%";

    /// <summary>A status badge: the word is always written, colour only reinforces it.</summary>
    public static string Badge(RolloutStatus status) => status switch
    {
        RolloutStatus.PendingApproval => "<span class=\"badge b-wait\">pending approval</span>",
        RolloutStatus.Progressing => "<span class=\"badge b-run\">progressing</span>",
        RolloutStatus.Paused => "<span class=\"badge b-wait\">paused</span>",
        RolloutStatus.Halted => "<span class=\"badge b-bad\">halted</span>",
        RolloutStatus.RolledBack => "<span class=\"badge b-bad\">rolled back</span>",
        RolloutStatus.Completed => "<span class=\"badge b-ok\">completed</span>",
        _ => $"<span class=\"badge\">{E(status.ToString())}</span>",
    };

    public static string GateBadge(string gate) => gate switch
    {
        "passed" => "<span class=\"badge b-ok\">passed</span>",
        "failed" => "<span class=\"badge b-bad\">failed</span>",
        "running" => "<span class=\"badge b-run\">baking</span>",
        "inconclusive" => "<span class=\"badge b-wait\">inconclusive</span>",
        _ => $"<span class=\"badge b-idle\">{E(gate)}</span>",
    };

    public static string Role(OperatorRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Short stable hash of a region's HTML, so live updates send only what changed.</summary>
    public static string Hash(string html) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(html)))[..16];

    public static string ShortHash(string sha256) => sha256.Length > 12 ? sha256[..12] + "…" : sha256;
}
