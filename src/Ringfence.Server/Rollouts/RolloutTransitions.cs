using System.Data.Common;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;
using EngineState = Ringfence.Rollouts.Reconcile.RolloutState;

namespace Ringfence.Server.Rollouts;

/// <summary>One audit entry for a whole transition (an operator command), instead of one per decision.</summary>
public sealed record TransitionAudit(string Action, string? DetailsJson);

/// <summary>
/// A rollout's move from its stored row to the engine's next state, with the decisions that took it there.
/// </summary>
/// <param name="Actor">Who decided: "controller", or the operator's audit actor.</param>
/// <param name="StatusReason">The status reason stored with the row.</param>
/// <param name="RollbackReason">The reason the content is listed known-bad with, if the transition rolls back; null: the rollback decision's reason.</param>
/// <param name="ApproversJson">The approvers to store; null leaves them as stored.</param>
/// <param name="Audit">One audit entry for the transition; null: one per decision, with its evidence.</param>
public sealed record RolloutTransition(
    RolloutRow Row,
    EngineState Next,
    IReadOnlyList<ReconcileDecision> Decisions,
    string Actor,
    string StatusReason,
    string? RollbackReason = null,
    string? ApproversJson = null,
    TransitionAudit? Audit = null);

/// <summary>
/// The one path by which a rollout's engine transition is stored, for the controller and for operator actions alike:
/// the row (compare-and-set on updated_at and status), its decisions under deterministic ids, the known-bad list and
/// the audit entries, in the caller's transaction. What a halt or a rollback does beyond the row is decided here only:
/// entering RolledBack lists the content known-bad (agents refuse it from then on); a halt keeps hosts as they are;
/// leaving Halted for anything but RolledBack (an operator overriding the halt) takes the content off the list.
/// </summary>
public sealed partial class RolloutTransitions(Database db, Tuf.ServerTufRepository tuf, ILogger<RolloutTransitions> logger)
{
    /// <summary>
    /// Stores <paramref name="t"/>; false when the row moved meanwhile. Throws <see cref="DecisionAlreadyTakenException"/>
    /// when a decision was already taken, so the caller's transaction rolls back whole.
    /// </summary>
    public async Task<bool> ApplyAsync(DbConnection c, DbTransaction tx, RolloutTransition t, long now)
    {
        ArgumentNullException.ThrowIfNull(t);
        var row = t.Row;
        var next = t.Next;
        var from = RolloutReconciler.StatusOf(EngineInputs.StateOf(row).Phase);
        var to = RolloutReconciler.StatusOf(next.Phase);
        var stored = await RolloutStore.TryUpdateStateAsync(c, tx, row, to.ToString(), next.Ring, next.RingStartedAt?.ToUnixTimeMilliseconds(), t.StatusReason,
            JsonSerializer.Serialize(next, ServerJsonContext.Default.RolloutState), t.ApproversJson, Math.Max(now, row.UpdatedAt + 1));
        if (!stored)
            return false;
        var listed = false;
        foreach (var d in t.Decisions)
        {
            var evidence = d.Evidence is null ? null : JsonSerializer.Serialize(d.Evidence, ServerJsonContext.Default.GateEvidence);
            if (!await RolloutStore.TryInsertDecisionAsync(c, tx, d.Id, row.Id, d.Kind, d.Ring, now, t.Actor, d.Reason, evidence))
                throw new DecisionAlreadyTakenException(d.Id);
            if (!listed && to == RolloutStatus.RolledBack && from != RolloutStatus.RolledBack && (t.RollbackReason is not null || d.Kind == "rollback"))
            {
                await AddKnownBadAsync(c, tx, row, t.RollbackReason ?? d.Reason, now);
                listed = true;
            }
            if (t.Audit is null)
                await AuditLog.AppendAsync(c, tx, db.Provider, now, t.Actor, "rollout." + d.Kind, row.Id, evidence);
            LogDecision(d.Id, d.Reason);
        }
        if (from == RolloutStatus.Halted && to is not (RolloutStatus.Halted or RolloutStatus.RolledBack))
        {
            // The halt was judged wrong: the content comes off the known-bad list.
            if (await RolloutStore.TryRemoveKnownBadAsync(c, tx, row.Sha256))
                await RolloutStore.BumpKnownBadVersionAsync(c, tx);
            await tuf.RemoveKnownBadAsync(c, tx, row.Sha256);
        }
        if (t.Audit is { } audit)
            await AuditLog.AppendAsync(c, tx, db.Provider, now, t.Actor, audit.Action, row.Id, audit.DetailsJson);
        return true;
    }

    /// <summary>Lists the rollout's content as known-bad in the database and in the signed list agents fetch, in one transaction.</summary>
    private async Task AddKnownBadAsync(DbConnection c, DbTransaction tx, RolloutRow row, string reason, long now)
    {
        if (await RolloutStore.TryAddKnownBadAsync(c, tx, row.Sha256, row.Channel, row.Version, reason, now))
            await RolloutStore.BumpKnownBadVersionAsync(c, tx);
        await tuf.AddKnownBadAsync(c, tx, row.Sha256, $"{row.Channel}/{row.Version}: {reason}");
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Decision {DecisionId}: {Reason}")]
    private partial void LogDecision(string decisionId, string reason);
}

/// <summary>Raised inside a transaction when a decision id already exists, so the whole step rolls back.</summary>
public sealed class DecisionAlreadyTakenException(string id) : Exception($"decision {id} was already taken");
