using System.Text;
using System.Text.Json;
using Ringfence.Protocol;
using static Ringfence.Server.Dashboard.Html;

namespace Ringfence.Server.Dashboard;

/// <summary>The audit log, newest first, with the result of verifying its hash chain.</summary>
internal static class AuditView
{
    public const int Shown = 200;
    private const int PageSize = 1000;
    private const int MaxPages = 50;

    public static async Task<Page> RenderAsync(ViewContext ctx)
    {
        var verify = await ctx.GetAsync(Routes.AuditVerify, ProtocolJsonContext.Default.AuditVerification);
        // The API pages forward from the start; keep the newest entries (bounded, for very long logs).
        var newest = new Queue<AuditEntryDto>();
        long after = 0;
        string? problem = null;
        for (var i = 0; i < MaxPages; i++)
        {
            var page = await ctx.GetAsync($"{Routes.Audit}?after={after.ToString(Inv)}&limit={PageSize}", ProtocolJsonContext.Default.AuditPage);
            if (!page.Ok)
            {
                problem = page.Problem;
                break;
            }
            foreach (var e in page.Value!.Entries)
            {
                newest.Enqueue(e);
                if (newest.Count > Shown)
                    newest.Dequeue();
            }
            if (page.Value.NextAfter is not { } next)
                break;
            after = next;
        }
        return new Page("Audit log", "audit",
        [
            new("audit-verify", Verification(verify)),
            new("audit-entries", problem is null ? Entries([.. newest.Reverse()]) : Layout.Error("Audit log", problem)),
        ]);
    }

    private static string Verification(ApiResult<AuditVerification> verify)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-audit\"><h1 id=\"h-audit\">Audit log</h1>");
        if (!verify.Ok)
            return sb.Append($"<p class=\"error\">Could not verify the chain: {E(verify.Problem)}</p></section>").ToString();
        var v = verify.Value!;
        if (v.Valid)
        {
            sb.Append($"<p class=\"verified ok\" id=\"chain-status\">✔ Hash chain verified: {E(v.EntriesChecked)} entries, each linked to the one before.</p>");
            sb.Append(v.LastCheckpoint is { } cp
                ? $"<p id=\"checkpoint-status\">Signed up to entry {cp.Sequence.ToString(Inv)} at {Time(cp.At)} (key <code>{E(ShortHash(cp.KeyId))}</code>, {E(v.CheckpointsChecked)} signed heads checked, one of them the copy in the TUF metadata agents fetch); {v.UnsignedEntries.ToString(Inv)} newer entries not signed yet.</p>"
                : "<p id=\"checkpoint-status\" class=\"muted\">No signed checkpoint yet: the newest entries are signed within minutes, and at every clean stop.</p>");
        }
        else
            sb.Append($"<p class=\"verified bad error\" id=\"chain-status\" role=\"alert\">✘ Hash chain BROKEN at entry {v.FirstBrokenSequence?.ToString(Inv) ?? "?"}: {E(v.Problem)}</p>");
        return sb.Append("<p class=\"muted\">Append-only; every entry carries the SHA-256 of the previous one, and signed checkpoints fix the head so a cut or a rewrite shows. <code>ringfence audit verify --expect-head FILE</code> checks the same chain against a head you kept.</p></section>").ToString();
    }

    private static string Entries(IReadOnlyList<AuditEntryDto> entries)
    {
        var sb = new StringBuilder("<section class=\"card\" aria-labelledby=\"h-entries\"><h2 id=\"h-entries\">Entries (newest first)</h2>");
        if (entries.Count == 0)
            return sb.Append("<p class=\"muted\">Empty.</p></section>").ToString();
        sb.Append("<div class=\"scroll\"><table class=\"audit\"><thead><tr><th scope=\"col\" class=\"num\">#</th><th scope=\"col\">When</th><th scope=\"col\">Actor</th><th scope=\"col\">Action</th><th scope=\"col\">Subject</th><th scope=\"col\" class=\"hide-narrow\">Details</th><th scope=\"col\" class=\"hide-narrow\">Hash</th></tr></thead><tbody>");
        foreach (var e in entries)
        {
            sb.Append($"<tr data-seq=\"{e.Sequence.ToString(Inv)}\"><td class=\"num\">{e.Sequence.ToString(Inv)}</td><td>{Time(e.At)}</td><td>{E(e.Actor)}</td><td class=\"mono\">{E(e.Action)}</td><td class=\"mono\">{E(e.Subject)}</td>")
              .Append($"<td class=\"hide-narrow\">{Details(e.Details)}</td><td class=\"mono hide-narrow\" title=\"{E(e.Hash)} (previous {E(e.PreviousHash)})\">{E(ShortHash(e.Hash))}</td></tr>");
        }
        return sb.Append("</tbody></table></div></section>").ToString();
    }

    private static string Details(JsonElement? details)
    {
        if (details is not { ValueKind: JsonValueKind.Object } d)
            return "";
        var parts = RolloutView.Flatten(d, "").Where(kv => kv.Value is not ("null" or "")).Take(8).Select(kv => $"{E(kv.Key)}: {E(kv.Value)}");
        return "<span class=\"muted\">" + string.Join("; ", parts) + "</span>";
    }
}
