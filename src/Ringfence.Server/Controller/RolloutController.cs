using System.Text.Json;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Hosting;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;
using Ringfence.Rollouts.Reconcile;
using EngineState = Ringfence.Rollouts.Reconcile.RolloutState;
using ReconcileResult = Ringfence.Server.Rollouts.ReconcileResult;

namespace Ringfence.Server.Controller;

/// <summary>
/// One controller pass: aggregate new telemetry into counters, then reconcile every progressing rollout over what
/// is stored. Only the lease holder runs it. Each rollout's step commits with a compare-and-set on updated_at and a
/// decision with a deterministic id, so a pass repeated after a crash, or raced by another node, cannot take a
/// decision twice.
/// </summary>
public sealed partial class RolloutController(
    Database db,
    RingfenceServerOptions options,
    TimeProvider time,
    TargetSnapshotHolder snapshot,
    Tuf.ServerTufRepository tuf,
    ILogger<RolloutController> logger)
{
    public GateOptions Gate { get; init; } = new();

    /// <summary>Counter window: one minute.</summary>
    public const long WindowMs = 60_000;

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await AggregateTelemetryAsync(ct);
        await ReconcileAllAsync(ct);
        await tuf.MaintainAsync(ct);
    }

    /// <summary>Folds unaggregated telemetry events into telemetry_counters, marking them in the same transaction.</summary>
    public async Task<int> AggregateTelemetryAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var n = await db.InTransactionAsync(async (c, tx) =>
            {
                var events = (await c.QueryAsync<EventRow>(
                    """
                    SELECT e.host_id, e.idempotency_key, e.idx, e.kind, e.at, e.channel, e.content_hash, e.count, h.agent_build, h.os_build
                    FROM telemetry_events e JOIN hosts h ON h.host_id = e.host_id
                    WHERE e.aggregated = 0 ORDER BY e.received_at, e.host_id, e.idempotency_key, e.idx LIMIT 2000
                    """, transaction: tx)).AsList();
                if (events.Count == 0)
                    return 0;
                var rollouts = (await c.QueryAsync<RolloutRow>(
                    "SELECT * FROM rollouts WHERE status IN ('Progressing', 'Paused', 'Halted')", transaction: tx)).AsList();
                var counters = new Dictionary<(string, long, string, string, long, string), long>();
                var attributed = new HashSet<(string Rollout, string Host, long At)>();
                foreach (var e in events)
                {
                    foreach (var r in rollouts)
                    {
                        var exposed = e.ContentHash == r.Sha256;
                        // Events about another channel say nothing about this rollout; events naming no channel count as control.
                        if (!exposed && e.Channel is not null && e.Channel != r.Channel)
                            continue;
                        if (!exposed && r.Status == nameof(RolloutStatus.Halted))
                            continue;
                        var kind = $"{e.Kind.ToLowerInvariant()}:{(exposed ? "exposed" : "control")}";
                        if (exposed && e.Kind is "Crash" or "Revert" or "Quarantine")
                            attributed.Add((r.Id, e.HostId, e.At));
                        var key = (r.Id, r.CurrentRing, e.AgentBuild, e.OsBuild, e.At / WindowMs * WindowMs, kind);
                        counters[key] = counters.GetValueOrDefault(key) + e.Count;
                    }
                }
                foreach (var ((rollout, ring, build, osBuild, window, kind), count) in counters)
                    await c.ExecuteAsync(
                        """
                        INSERT INTO telemetry_counters (rollout_id, ring, agent_build, os_build, window_start, kind, count)
                        VALUES (@rollout, @ring, @build, @osBuild, @window, @kind, @count)
                        ON CONFLICT (rollout_id, ring, agent_build, os_build, window_start, kind) DO UPDATE SET count = telemetry_counters.count + excluded.count
                        """, new { rollout, ring, build, osBuild, window, kind, count }, tx);
                foreach (var (rollout, host, at) in attributed)
                    await c.ExecuteAsync("INSERT INTO attributed_hosts (rollout_id, host_id, at) VALUES (@rollout, @host, @at) ON CONFLICT DO NOTHING", new { rollout, host, at }, tx);
                await c.ExecuteAsync("UPDATE telemetry_events SET aggregated = 1 WHERE host_id = @HostId AND idempotency_key = @IdempotencyKey AND idx = @Idx", events, tx);
                return events.Count;
            }, ct);
            total += n;
            if (n < 2000)
                return total;
        }
    }

    public async Task ReconcileAllAsync(CancellationToken ct)
    {
        List<RolloutRow> rows;
        bool kill;
        await using (var c = await db.OpenAsync(ct))
        {
            rows = (await c.QueryAsync<RolloutRow>("SELECT * FROM rollouts WHERE status = 'Progressing' ORDER BY created_at")).AsList();
            kill = await c.ExecuteScalarAsync<long>("SELECT engaged FROM kill_switch WHERE id = 1") != 0;
        }
        var changed = false;
        foreach (var row in rows)
            changed |= await ReconcileOneAsync(row, kill, ct);
        if (changed)
            await snapshot.RefreshAsync(ct);
    }

    /// <summary>What the stored state says of <paramref name="row"/>'s ring <paramref name="ring"/> since <paramref name="ringStartedAt"/>.</summary>
    private async Task<RingObservation> ObserveAsync(RolloutRow row, IReadOnlyList<RingSpec> plan, List<string> validated, int ring, DateTimeOffset? ringStartedAt, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var intervalMs = options.CheckInIntervalSeconds * 1000L;
        var startMs = ringStartedAt?.ToUnixTimeMilliseconds() ?? nowMs;
        // A host is lost when it has not checked in for three intervals (last_seen is written to the minute).
        var lossAfterMs = Math.Max(3 * intervalMs, 180_000) + 60_000;
        await using var c = await db.OpenAsync(ct);
        var limit = (long)RolloutPlans.BucketLimit(plan[ring]);
        // Hosts of builds the content was not validated for never get it, so they are not part of the ring's target.
        var target = (await c.QueryAsync<(string, long)>("SELECT agent_build, COUNT(*) FROM hosts WHERE bucket < @limit GROUP BY agent_build", new { limit }))
            .Where(x => validated.Contains(x.Item1)).Sum(x => x.Item2);
        var exposed = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels WHERE channel = @channel AND active_hash = @sha", new { channel = row.Channel, sha = row.Sha256 });
        var fleet = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");
        var counts = (await c.QueryAsync<(string, long)>(
            "SELECT kind, SUM(count) FROM telemetry_counters WHERE rollout_id = @id AND ring = @ring GROUP BY kind", new { id = row.Id, ring = (long)ring }))
            .ToDictionary(x => x.Item1, x => x.Item2);
        var silent = (await c.QueryAsync<(long, long)>(
            """
            SELECT CASE WHEN hc.active_hash = @sha THEN 1 ELSE 0 END, COUNT(*)
            FROM hosts h LEFT JOIN host_channels hc ON hc.host_id = h.host_id AND hc.channel = @channel
            WHERE h.last_seen < @cutoff AND h.last_seen >= @from
            GROUP BY CASE WHEN hc.active_hash = @sha THEN 1 ELSE 0 END
            """, new { sha = row.Sha256, channel = row.Channel, cutoff = nowMs - lossAfterMs, from = startMs - lossAfterMs }))
            .ToDictionary(x => x.Item1, x => x.Item2);
        var attributed = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attributed_hosts WHERE rollout_id = @id", new { id = row.Id });
        long Get(string k) => counts.GetValueOrDefault(k);
        var hours = (Math.Max(0, nowMs - startMs) + intervalMs) / 3_600_000.0;
        return new RingObservation(target, exposed, Math.Max(0, fleet - exposed),
            Get("crash:exposed"), Get("crash:control"), Get("revert:exposed"), Get("revert:control"),
            silent.GetValueOrDefault(1), silent.GetValueOrDefault(0), hours, attributed);
    }

    private async Task<List<string>> ValidatedBuildsAsync(RolloutRow row, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var json = await c.ExecuteScalarAsync<string>("SELECT validated_builds_json FROM channel_files WHERE channel = @channel AND version = @version", new { channel = row.Channel, version = row.Version });
        var list = json is null ? [] : JsonSerializer.Deserialize(json, ServerJsonContext.Default.ListString) ?? [];
        return list.Count == 0 ? [""] : list;
    }

    /// <summary>The engine state stored with a rollout, or the one its v4 status columns describe.</summary>
    public static EngineState EngineStateOf(RolloutRow row)
    {
        if (row.EngineStateJson is { } json && JsonSerializer.Deserialize(json, ServerJsonContext.Default.RolloutState) is { } stored)
            return stored;
        var approvers = JsonSerializer.Deserialize(row.ApproversJson, ServerJsonContext.Default.ListString) ?? [];
        return RolloutReconciler.FromLegacy(row.Id, Enum.Parse<RolloutStatus>(row.Status), (int)row.CurrentRing,
            row.RingEnteredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, approvers, row.StatusReason);
    }

    private async Task<bool> ReconcileOneAsync(RolloutRow row, bool kill, CancellationToken ct)
    {
        var plan = JsonSerializer.Deserialize(row.PlanJson, ServerJsonContext.Default.ListRingSpec) ?? [];
        var validated = await ValidatedBuildsAsync(row, ct);
        var now = time.GetUtcNow();
        var decisions = new List<ReconcileDecision>();
        var current = EngineStateOf(row);
        // The engine is pure and takes one step per call: observe, step, and again while it moves.
        for (var step = 0; step < RolloutReconciler.MaxStepsPerPass && current.Phase is RolloutPhase.Deploying or RolloutPhase.Baking; step++)
        {
            var obs = await ObserveAsync(row, plan, validated, current.Ring, current.RingStartedAt, ct);
            var spec = RolloutReconciler.Spec(row.Id, row.Channel, row.Version, row.Emergency != 0, plan, Gate, obs, current.Ring);
            var stepped = RolloutReconciler.Step(Gate, spec, current, obs, now, plan, kill);
            if (stepped.Decisions.Count == 0)
                break;
            decisions.AddRange(stepped.Decisions);
            current = stepped.State;
        }
        var result = new ReconcileResult(current, decisions);
        if (result.Decisions.Count == 0)
            return false;
        return await StoreAsync(row, result, now, ct);
    }

    /// <summary>Stores the engine's new state and its decisions in one transaction, compare-and-set on updated_at.</summary>
    private async Task<bool> StoreAsync(RolloutRow row, ReconcileResult result, DateTimeOffset now, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        try
        {
            return await db.InTransactionAsync(async (c, tx) =>
            {
                var next = result.State;
                var updated = await c.ExecuteAsync(
                    """
                    UPDATE rollouts SET status = @status, current_ring = @ring, ring_entered_at = @entered, status_reason = @reason, engine_state_json = @engine, updated_at = @now
                    WHERE id = @id AND updated_at = @was AND status = 'Progressing'
                    """,
                    new
                    {
                        status = RolloutReconciler.StatusOf(next.Phase).ToString(), ring = (long)next.Ring, entered = next.RingStartedAt?.ToUnixTimeMilliseconds(),
                        reason = result.Decisions[^1].Reason, engine = JsonSerializer.Serialize(next, ServerJsonContext.Default.RolloutState),
                        now = Math.Max(nowMs, row.UpdatedAt + 1), id = row.Id, was = row.UpdatedAt,
                    }, tx);
                if (updated == 0)
                    return false;
                foreach (var d in result.Decisions)
                {
                    var evidence = d.Evidence is null ? null : JsonSerializer.Serialize(d.Evidence, ServerJsonContext.Default.GateEvidence);
                    if (!await ControlPlane.TryInsertDecisionAsync(c, tx, d.Id, row.Id, d.Kind, d.Ring, nowMs, "controller", d.Reason, evidence))
                        throw new DecisionAlreadyTakenException(d.Id);
                    if (d.Kind == "halt")
                        await ControlPlane.AddKnownBadAsync(c, tx, tuf, row, d.Reason, nowMs);
                    await AuditLog.AppendAsync(c, tx, db.Provider, nowMs, "controller", "rollout." + d.Kind, row.Id, evidence);
                    LogDecision(d.Id, d.Reason);
                }
                return true;
            }, ct);
        }
        catch (DecisionAlreadyTakenException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Decision {DecisionId}: {Reason}")]
    private partial void LogDecision(string decisionId, string reason);

    internal sealed class EventRow
    {
        public string HostId { get; set; } = "";
        public string IdempotencyKey { get; set; } = "";
        public long Idx { get; set; }
        public string Kind { get; set; } = "";
        public long At { get; set; }
        public string? Channel { get; set; }
        public string? ContentHash { get; set; }
        /// <summary>Events this row stands for (a folded run of heartbeats), else 1.</summary>
        public long Count { get; set; } = 1;
        public string AgentBuild { get; set; } = "";
        public string OsBuild { get; set; } = "";
    }
}

/// <summary>Raised inside a transaction when a decision id already exists, so the whole step rolls back.</summary>
public sealed class DecisionAlreadyTakenException(string id) : Exception($"decision {id} was already taken");
