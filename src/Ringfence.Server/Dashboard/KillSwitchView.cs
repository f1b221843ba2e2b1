using System.Text;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>
/// The global kill switch. Engaging it takes two steps on two pages: "Engage…" leads to a striped red
/// confirmation where the operator gives a reason and types the word ENGAGE. Only admins see the controls.
/// </summary>
internal static class KillSwitchView
{
    public const string ConfirmWord = "ENGAGE";

    public static async Task<Page> RenderAsync(ViewContext ctx)
    {
        var state = await ctx.GetAsync(Routes.KillSwitch, ProtocolJsonContext.Default.KillSwitchDto);
        if (!state.Ok)
            return new Page("Kill switch", "kill-switch", [new("kill-switch", Layout.Error("Kill switch", state.Problem!))], state.Status);
        var s = state.Value!;
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-kill\"><h1 id=\"h-kill\">Global kill switch</h1>");
        sb.Append(s.Engaged
            ? "<p class=\"error\" id=\"kill-state\"><strong>ENGAGED.</strong> No rollout promotes and every agent is told to load no new content.</p>"
            : "<p id=\"kill-state\"><span class=\"badge b-ok\">released</span> Rollouts move as their gates allow.</p>");
        if (s.ChangedAt is { } at)
            sb.Append($"<p class=\"muted\">Last changed {Time(at)} by {E(s.ChangedBy)}{(s.Reason is { Length: > 0 } r ? ": " + E(r) : "")}.</p>");
        sb.Append("</section>");
        var controls = "";
        if (ctx.Session.Can(OperatorRole.Admin))
        {
            controls = s.Engaged
                ? $"""
                  <section class="card" aria-labelledby="h-release"><h2 id="h-release">Release the kill switch</h2>
                  <details class="act"><summary>Release…</summary><form method="post" action="/actions/kill-switch">{ctx.CsrfField}
                  <input type="hidden" name="engaged" value="false">
                  <label for="release-reason">Reason (recorded in the audit log)</label><input type="text" id="release-reason" name="reason" maxlength="1024" required autocomplete="off">
                  <label class="check"><input type="checkbox" name="confirm" value="yes" required> I confirm: release the kill switch and let rollouts move again</label>
                  <button type="submit">Confirm release</button></form></details></section>
                  """
                : $"""
                  <section class="killzone" aria-labelledby="h-engage"><div class="stripe"></div><div class="inner">
                  <h2 id="h-engage">Danger zone: stop every rollout</h2>
                  <p>The kill switch freezes every rollout worldwide and tells every agent to load no new content. Use it when something is wrong and you do not yet know what.</p>
                  <form method="post" action="/actions/kill-switch/arm">{ctx.CsrfField}<button type="submit" class="danger">Engage the kill switch… (step 1 of 2)</button></form>
                  </div><div class="stripe"></div></section>
                  """;
        }
        return new Page("Kill switch", "kill-switch", [new("kill-switch", sb.ToString()), new("kill-switch-controls", controls)]);
    }

    /// <summary>Step 2: the unmistakable confirmation. Not a live region: nothing moves under the operator's cursor.</summary>
    public static Page Arm(ViewContext ctx, string? error = null) => new("Engage the kill switch", "kill-switch",
    [
        new("kill-switch-arm", $"""
            <section class="killzone" aria-labelledby="h-arm"><div class="stripe"></div><div class="inner">
            <h1 id="h-arm" style="color:#b42318">Step 2 of 2: engage the global kill switch</h1>
            <p><strong>Every rollout stops promoting and every agent in the fleet is told to load no new content</strong> until an admin releases it.</p>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>")}
            <form method="post" action="/actions/kill-switch" style="display:grid;gap:8px;max-width:520px">{ctx.CsrfField}
            <input type="hidden" name="engaged" value="true"><input type="hidden" name="confirm" value="yes">
            <label for="kill-reason">Reason (recorded in the audit log)</label>
            <input type="text" id="kill-reason" name="reason" maxlength="1024" required autocomplete="off">
            <label for="kill-word">Type {ConfirmWord} to confirm</label>
            <input type="text" id="kill-word" name="word" required autocomplete="off" pattern="{ConfirmWord}" aria-describedby="kill-word-help">
            <span id="kill-word-help" class="muted">Capital letters, exactly as shown.</span>
            <div class="actions"><button type="submit" class="danger">Engage kill switch now</button><a class="button secondary" href="/kill-switch">Cancel</a></div>
            </form></div><div class="stripe"></div></section>
            """, Live: false),
    ]);
}
