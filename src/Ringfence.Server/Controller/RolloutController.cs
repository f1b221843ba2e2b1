using System.Text.Json;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Hosting;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Controller;

/// <summary>
/// One controller pass: aggregate new telemetry into counters, then reconcile every progressing rollout over what
/// is stored. Only the lease holder runs it. Each rollout's step commits with a compare-and-set on updated_at and a
/// decision with a deterministic id, so a pass repeated after a crash, or raced by another node, cannot take a
/// decision twice.
/// </summary>
public sealed partial class RolloutController(
    Database db,
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

    public async Task<RingObservation> ObserveAsync(RolloutRow row, CancellationToken ct)
    {
        var plan = JsonSerializer.Deserialize(row.PlanJson, ServerJsonContext.Default.ListRingSpec) ?? [];
        var ring = plan[(int)row.CurrentRing];
        var validated = await ValidatedBuildsAsync(row, ct);
        await using var c = await db.OpenAsync(ct);
        var limit = (long)RolloutPlans.BucketLimit(ring);
        // Hosts of builds the content was not validated for never get it, so they are not part of the ring's target.
        var target = (await c.QueryAsync<(string, long)>("SELECT agent_build, COUNT(*) FROM hosts WHERE bucket < @limit GROUP BY agent_build", new { limit }))
            .Where(x => validated.Contains(x.Item1)).Sum(x => x.Item2);
        var exposed = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels WHERE channel = @channel AND active_hash = @sha", new { channel = row.Channel, sha = row.Sha256 });
        var fleet = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");
        var counts = (await c.QueryAsync<(string, long)>(
            "SELECT kind, SUM(count) FROM telemetry_counters WHERE rollout_id = @id AND ring = @ring GROUP BY kind", new { id = row.Id, ring = row.CurrentRing }))
            .ToDictionary(x => x.Item1, x => x.Item2);
        long Get(string k) => counts.GetValueOrDefault(k);
        return new RingObservation(target, exposed, Math.Max(0, fleet - exposed),
            Get("crash:exposed"), Get("crash:control"), Get("crash:exposed") + Get("revert:exposed") + Get("quarantine:exposed"));
    }

    private async Task<List<string>> ValidatedBuildsAsync(RolloutRow row, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var json = await c.ExecuteScalarAsync<string>("SELECT validated_builds_json FROM channel_files WHERE channel = @channel AND version = @version", new { channel = row.Channel, version = row.Version });
        var list = json is null ? [] : JsonSerializer.Deserialize(json, ServerJsonContext.Default.ListString) ?? [];
        return list.Count == 0 ? [""] : list;
    }

    private async Task<bool> ReconcileOneAsync(RolloutRow row, bool kill, CancellationToken ct)
    {
        var plan = JsonSerializer.Deserialize(row.PlanJson, ServerJsonContext.Default.ListRingSpec) ?? [];
        var state = new RolloutState(row.Id, RolloutStatus.Progressing, (int)row.CurrentRing,
            row.RingEnteredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, plan, row.Sha256);
        var now = time.GetUtcNow();
        var obs = await ObserveAsync(row, ct);
        var result = RolloutReconciler.Reconcile(state, obs, now, kill, Gate);
        if (result.State == state)
            return false;

        var nowMs = now.ToUnixTimeMilliseconds();
        try
        {
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var next = result.State;
            var reason = result.Decisions.Count > 0 ? result.Decisions[^1].Reason : row.StatusReason;
            var updated = await c.ExecuteAsync(
                "UPDATE rollouts SET status = @status, current_ring = @ring, ring_entered_at = @entered, status_reason = @reason, updated_at = @now WHERE id = @id AND updated_at = @was AND status = 'Progressing'",
                new { status = next.Status.ToString(), ring = (long)next.CurrentRing, entered = next.RingEnteredAt?.ToUnixTimeMilliseconds(), reason, now = Math.Max(nowMs, row.UpdatedAt + 1), id = row.Id, was = row.UpdatedAt }, tx);
            if (updated == 0)
                return false;
            foreach (var d in result.Decisions)
            {
                var evidence = JsonSerializer.Serialize(d.Evidence, ServerJsonContext.Default.GateEvidence);
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
