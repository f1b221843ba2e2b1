using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>The SQL of rollouts, their decisions and the known-bad list. The caller owns the connection and transaction.</summary>
public static class RolloutStore
{
    public static Task<RolloutRow?> FindAsync(DbConnection c, DbTransaction? tx, string id) =>
        c.QueryFirstOrDefaultAsync<RolloutRow>("SELECT * FROM rollouts WHERE id = @id", new { id }, tx);

    /// <summary>Rollouts whose telemetry is counted: progressing, paused or halted.</summary>
    public static async Task<List<RolloutRow>> CountingAsync(DbConnection c, DbTransaction tx) =>
        (await c.QueryAsync<RolloutRow>("SELECT * FROM rollouts WHERE status IN ('Progressing', 'Paused', 'Halted')", transaction: tx)).AsList();

    /// <summary>Rollouts the controller reconciles, oldest first: progressing ones, or with the kill switch engaged every active one.</summary>
    public static async Task<List<RolloutRow>> ToReconcileAsync(DbConnection c, bool killSwitch) =>
        (await c.QueryAsync<RolloutRow>(killSwitch
            ? "SELECT * FROM rollouts WHERE status IN ('PendingApproval', 'Progressing', 'Paused') ORDER BY created_at"
            : "SELECT * FROM rollouts WHERE status = 'Progressing' ORDER BY created_at")).AsList();

    /// <summary>How many hosts telemetry attributed to the rollout's content (a breadcrumb, a revert or a quarantine).</summary>
    public static Task<long> AttributedHostsAsync(DbConnection c, string rolloutId) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attributed_hosts WHERE rollout_id = @rolloutId", new { rolloutId });

    public static Task AddAttributedHostAsync(DbConnection c, DbTransaction tx, string rollout, string host, long at) =>
        c.ExecuteAsync("INSERT INTO attributed_hosts (rollout_id, host_id, at) VALUES (@rollout, @host, @at) ON CONFLICT DO NOTHING", new { rollout, host, at }, tx);

    /// <summary>
    /// Writes a rollout's new engine state, compare-and-set on its updated_at and status; false when another writer
    /// moved it first. A null <paramref name="approversJson"/> leaves the stored approvers as they are.
    /// </summary>
    public static async Task<bool> TryUpdateStateAsync(DbConnection c, DbTransaction tx, RolloutRow was, string status, long ring, long? ringEnteredAt,
        string statusReason, string engineJson, string? approversJson, long now) =>
        await c.ExecuteAsync(
            """
            UPDATE rollouts SET status = @status, current_ring = @ring, approvers_json = COALESCE(@approversJson, approvers_json), status_reason = @statusReason,
                ring_entered_at = @ringEnteredAt, engine_state_json = @engineJson, updated_at = @now
            WHERE id = @id AND updated_at = @was AND status = @wasStatus
            """,
            new { status, ring, approversJson, statusReason, ringEnteredAt, engineJson, now, id = was.Id, was = was.UpdatedAt, wasStatus = was.Status }, tx) > 0;

    /// <summary>Inserts a decision under its deterministic id; false when that id is already stored (the decision was taken).</summary>
    public static async Task<bool> TryInsertDecisionAsync(DbConnection c, DbTransaction tx, string id, string rolloutId, string kind, int ring, long at, string actor, string reason, string? evidenceJson) =>
        await c.ExecuteAsync(
            "INSERT INTO decisions (id, rollout_id, kind, ring, at, actor, reason, evidence_json) VALUES (@id, @rolloutId, @kind, @ring, @at, @actor, @reason, @evidenceJson) ON CONFLICT DO NOTHING",
            new { id, rolloutId, kind, ring = (long)ring, at, actor, reason, evidenceJson }, tx) == 1;

    /// <summary>Lists content as known-bad; false when it already was.</summary>
    public static async Task<bool> TryAddKnownBadAsync(DbConnection c, DbTransaction tx, string sha256, string channel, long version, string reason, long now) =>
        await c.ExecuteAsync("INSERT INTO known_bad (sha256, channel, version, reason, added_at) VALUES (@sha256, @channel, @version, @reason, @now) ON CONFLICT DO NOTHING",
            new { sha256, channel, version, reason, now }, tx) > 0;

    /// <summary>Takes content off the known-bad list; false when it was not on it.</summary>
    public static async Task<bool> TryRemoveKnownBadAsync(DbConnection c, DbTransaction tx, string sha256) =>
        await c.ExecuteAsync("DELETE FROM known_bad WHERE sha256 = @sha256", new { sha256 }, tx) > 0;

    /// <summary>The known-bad list's version only goes up, on every change (agents refetch when it grows).</summary>
    public static Task BumpKnownBadVersionAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteAsync("UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'known_bad_version'", transaction: tx);

    public static async Task<bool> IsKnownBadAsync(DbConnection c, DbTransaction tx, string sha256) =>
        await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM known_bad WHERE sha256 = @sha256", new { sha256 }, tx) > 0;

    public static async Task<List<KnownBadRow>> KnownBadAsync(DbConnection c) =>
        (await c.QueryAsync<KnownBadRow>("SELECT * FROM known_bad ORDER BY added_at, sha256")).AsList();

    /// <summary>The id of a rollout still active (pending approval, progressing or paused) on <paramref name="channel"/>, if any.</summary>
    public static Task<string?> ActiveOnChannelAsync(DbConnection c, DbTransaction tx, string channel) =>
        c.ExecuteScalarAsync<string?>("SELECT id FROM rollouts WHERE channel = @channel AND status IN ('PendingApproval', 'Progressing', 'Paused') LIMIT 1", new { channel }, tx);

    /// <summary>Inserts a new rollout waiting for approval.</summary>
    public static Task InsertAsync(DbConnection c, DbTransaction tx, string id, string channel, long version, string sha, bool emergency, long now, string by, string? reason,
        string engineJson, string specJson) =>
        c.ExecuteAsync(
            """
            INSERT INTO rollouts (id, channel, version, sha256, emergency, status, current_ring, ring_entered_at, plan_json, approvers_json, created_at, created_by, status_reason, updated_at, engine_state_json, spec_json)
            VALUES (@id, @channel, @version, @sha, @emergency, 'PendingApproval', 0, NULL, '[]', '[]', @now, @by, @reason, @now, @engineJson, @specJson)
            """,
            new { id, channel, version, sha, emergency = emergency ? 1L : 0L, now, by, reason, engineJson, specJson }, tx);

    /// <summary>The latest 200 rollouts, newest first.</summary>
    public static async Task<List<RolloutRow>> LatestAsync(DbConnection c) =>
        (await c.QueryAsync<RolloutRow>("SELECT * FROM rollouts ORDER BY created_at DESC, id LIMIT 200")).AsList();

    /// <summary>Hosts running <paramref name="sha"/> on <paramref name="channel"/> now.</summary>
    public static Task<long> ExposedHostsAsync(DbConnection c, string channel, string sha) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels WHERE channel = @channel AND active_hash = @sha", new { channel, sha });

    /// <summary>A rollout's decisions oldest first, or (no rollout) the latest 500 of all newest first.</summary>
    public static async Task<List<DecisionRow>> DecisionsAsync(DbConnection c, string? rolloutId) =>
        (await c.QueryAsync<DecisionRow>(
            rolloutId is null ? "SELECT * FROM decisions ORDER BY at DESC, id LIMIT 500" : "SELECT * FROM decisions WHERE rollout_id = @rolloutId ORDER BY at, id",
            new { rolloutId })).AsList();

    /// <summary>Rollouts past approval, per channel newest version first (what target resolution needs).</summary>
    public static async Task<List<RolloutRow>> ApprovedAsync(DbConnection c) =>
        (await c.QueryAsync<RolloutRow>("SELECT * FROM rollouts WHERE status <> 'PendingApproval' ORDER BY channel, version DESC, created_at DESC")).AsList();

    public static async Task<HashSet<string>> KnownBadHashesAsync(DbConnection c) =>
        (await c.QueryAsync<string>("SELECT sha256 FROM known_bad")).ToHashSet(StringComparer.Ordinal);
}
