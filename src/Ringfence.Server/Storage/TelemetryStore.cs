using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Ringfence.Protocol;

namespace Ringfence.Server.Storage;

/// <summary>What became of a telemetry batch.</summary>
/// <param name="Stored">New: its events were stored.</param>
/// <param name="Conflict">Its key is already stored with other content (nothing was stored).</param>
/// <param name="HighestSequence">On a conflict: the highest batch sequence stored for the host, if any.</param>
public readonly record struct TelemetryAppend(bool Stored, bool Conflict, long? HighestSequence);

/// <summary>A stored telemetry event not yet folded into counters, with its host's configuration.</summary>
public sealed class TelemetryEventRow
{
    public string HostId { get; set; } = "";
    public string IdempotencyKey { get; set; } = "";
    public long Idx { get; set; }
    public string Kind { get; set; } = "";
    public long At { get; set; }
    public string? Channel { get; set; }
    public string? ContentHash { get; set; }
    /// <summary>The crash breadcrumb: the instance being evaluated when the host went down; null outside the interpreter.</summary>
    public string? InstanceId { get; set; }
    /// <summary>Events this row stands for (a folded run of heartbeats), else 1.</summary>
    public long Count { get; set; } = 1;
    public string AgentBuild { get; set; } = "";
    public string OsBuild { get; set; } = "";
}

/// <summary>One rollout's counter of one ring and minute, summed over configurations.</summary>
public sealed class CounterSeriesRow
{
    public long Ring { get; set; }
    public long WindowStart { get; set; }
    public string Kind { get; set; } = "";
    public long Total { get; set; }
}

/// <summary>A stored Crash, Revert or Quarantine event naming some content, with its host's configuration.</summary>
public sealed class BreadcrumbRow
{
    public long At { get; set; }
    public string Kind { get; set; } = "";
    public long BootCrash { get; set; }
    public string? ContentHash { get; set; }
    public string HostId { get; set; } = "";
    public string? InstanceId { get; set; }
    public string? Detail { get; set; }
    public string AgentBuild { get; set; } = "";
    public string OsBuild { get; set; } = "";
}

/// <summary>
/// The SQL of telemetry ingest: one row per batch (key, content hash, sequence) and its events, in one transaction.
/// The key is bound to the content: the same key with the same content is a duplicate (stored once), with other
/// content a conflict, never silently dropped.
/// </summary>
public sealed class TelemetryStore(Database db)
{
    /// <summary>Counter window: one minute.</summary>
    public const long WindowMs = 60_000;

    /// <summary>
    /// The batch's content hash: SHA-256 of its events as this server serialises them, so a retry parses to the same
    /// value whatever whitespace or member order the agent sent.
    /// </summary>
    public static string ContentHash(TelemetryBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new TelemetryBatch(batch.HostId, "", batch.Events), ProtocolJsonContext.Default.TelemetryBatch);
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    /// <summary>Stores the batch and its (already folded) event rows unless its key is known; see <see cref="TelemetryAppend"/>.</summary>
    public Task<TelemetryAppend> AppendAsync(string hostId, TelemetryBatch batch, IReadOnlyList<(int Index, TelemetryEvent Event, int Count)> rows, long now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var key = batch.IdempotencyKey;
        var hash = ContentHash(batch);
        return db.InTransactionAsync(async (c, tx) =>
        {
            var fresh = await c.ExecuteAsync(
                """
                INSERT INTO telemetry_batches (host_id, idempotency_key, received_at, event_count, content_sha256, sequence)
                VALUES (@hostId, @key, @now, @count, @hash, @sequence) ON CONFLICT DO NOTHING
                """,
                new { hostId, key, now, count = (long)batch.Events.Count, hash, sequence = batch.Sequence }, tx);
            if (fresh == 0)
            {
                var stored = await c.ExecuteScalarAsync<string?>(
                    "SELECT content_sha256 FROM telemetry_batches WHERE host_id = @hostId AND idempotency_key = @key", new { hostId, key }, tx);
                // A row from before content hashes were kept cannot be compared: a duplicate, as it always was.
                if (stored is null || string.Equals(stored, hash, StringComparison.Ordinal))
                    return new TelemetryAppend(false, false, null);
                var highest = await c.ExecuteScalarAsync<long?>(
                    "SELECT MAX(sequence) FROM telemetry_batches WHERE host_id = @hostId", new { hostId }, tx);
                // Rows from before v6 carry no sequence; the reused key's own sequence is then the floor.
                if (batch.Sequence is { } own && (highest is null || highest < own))
                    highest = own;
                return new TelemetryAppend(false, true, highest);
            }
            await c.ExecuteAsync(
                """
                INSERT INTO telemetry_events (host_id, idempotency_key, idx, kind, at, channel, content_version, content_hash, instance_id, boot_crash, detail, count, received_at)
                VALUES (@hostId, @key, @idx, @kind, @at, @channel, @version, @hash, @instanceId, @bootCrash, @detail, @count, @now)
                """,
                rows.Select(r => new
                {
                    hostId, key, idx = (long)r.Index, kind = r.Event.Kind.ToString(), at = r.Event.At.ToUnixTimeMilliseconds(), channel = r.Event.Channel,
                    version = r.Event.ContentVersion, hash = r.Event.ContentHash, instanceId = r.Event.InstanceId, bootCrash = r.Event.BootCrash ? 1L : 0L,
                    detail = r.Event.Detail, count = (long)r.Count, now,
                }), tx);
            return new TelemetryAppend(true, false, null);
        }, ct);
    }

    /// <summary>Up to <see cref="AggregateBatch"/> events not yet aggregated, in arrival order.</summary>
    public static async Task<List<TelemetryEventRow>> UnaggregatedAsync(DbConnection c, DbTransaction tx) =>
        (await c.QueryAsync<TelemetryEventRow>(
            """
            SELECT e.host_id, e.idempotency_key, e.idx, e.kind, e.at, e.channel, e.content_hash, e.instance_id, e.count, h.agent_build, h.os_build
            FROM telemetry_events e JOIN hosts h ON h.host_id = e.host_id
            WHERE e.aggregated = 0 ORDER BY e.received_at, e.host_id, e.idempotency_key, e.idx LIMIT 2000
            """, transaction: tx)).AsList();

    /// <summary>How many events one aggregation step reads at most.</summary>
    public const int AggregateBatch = 2000;

    public static Task MarkAggregatedAsync(DbConnection c, DbTransaction tx, IEnumerable<TelemetryEventRow> events) =>
        c.ExecuteAsync("UPDATE telemetry_events SET aggregated = 1 WHERE host_id = @HostId AND idempotency_key = @IdempotencyKey AND idx = @Idx", events, tx);

    /// <summary>Adds <paramref name="count"/> to one counter (rollout, ring, configuration, window, kind).</summary>
    public static Task AddCounterAsync(DbConnection c, DbTransaction tx, string rollout, long ring, string build, string osBuild, long window, string kind, long count) =>
        c.ExecuteAsync(
            """
            INSERT INTO telemetry_counters (rollout_id, ring, agent_build, os_build, window_start, kind, count)
            VALUES (@rollout, @ring, @build, @osBuild, @window, @kind, @count)
            ON CONFLICT (rollout_id, ring, agent_build, os_build, window_start, kind) DO UPDATE SET count = telemetry_counters.count + excluded.count
            """, new { rollout, ring, build, osBuild, window, kind, count }, tx);

    /// <summary>A rollout's ring's counters summed per kind ("crash:exposed", "heartbeat:control", ...).</summary>
    public static async Task<Dictionary<string, long>> CountsByKindAsync(DbConnection c, string rolloutId, long ring) =>
        (await c.QueryAsync<(string, long)>(
            "SELECT kind, SUM(count) FROM telemetry_counters WHERE rollout_id = @rolloutId AND ring = @ring GROUP BY kind", new { rolloutId, ring }))
            .ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>
    /// A rollout's counters per ring, minute and kind, summed over configurations, at most <paramref name="max"/> rows.
    /// PostgreSQL sums a BIGINT to NUMERIC, hence the cast.
    /// </summary>
    public static async Task<List<CounterSeriesRow>> CounterSeriesAsync(DbConnection c, string rolloutId, int max) =>
        (await c.QueryAsync<CounterSeriesRow>(
            """
            SELECT ring, window_start, kind, CAST(SUM(count) AS BIGINT) AS total FROM telemetry_counters
            WHERE rollout_id = @id
            GROUP BY ring, window_start, kind
            ORDER BY ring, window_start, kind LIMIT @max
            """, new { id = rolloutId, max })).AsList();

    /// <summary>The latest <paramref name="max"/> Crash, Revert and Quarantine events naming <paramref name="sha"/>.</summary>
    public static async Task<List<BreadcrumbRow>> BreadcrumbsAsync(DbConnection c, string sha, int max) =>
        (await c.QueryAsync<BreadcrumbRow>(
            """
            SELECT e.at, e.kind, e.boot_crash, e.content_hash, e.host_id, e.instance_id, e.detail, h.agent_build, h.os_build
            FROM telemetry_events e JOIN hosts h ON h.host_id = e.host_id
            WHERE e.content_hash = @sha AND e.kind IN ('Crash', 'Revert', 'Quarantine')
            ORDER BY e.at DESC, e.host_id LIMIT @max
            """, new { sha, max })).AsList();
}
