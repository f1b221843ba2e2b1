using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Dashboard;

/// <summary>One per-minute telemetry counter of a rollout's ring, summed over configurations (kind like "crash:exposed").</summary>
internal sealed record CounterPoint(int Ring, DateTimeOffset WindowStart, string Kind, long Count);

/// <summary>A telemetry event that names the rollout's content: the agent's crash breadcrumb, a revert or a quarantine.</summary>
internal sealed record Breadcrumb(DateTimeOffset At, string HostId, string AgentBuild, string OsBuild, string Kind, string? InstanceId, bool BootCrash, string? Detail);

/// <param name="Counters">The controller's per-minute counters of the rollout: what the gate itself counted.</param>
internal sealed record RolloutHealth(IReadOnlyList<CounterPoint> Counters, IReadOnlyList<Breadcrumb> Breadcrumbs, long FleetHosts, bool Truncated);

/// <summary>
/// Read-only queries the operator API does not offer (rate time series and breadcrumbs of one rollout), through
/// the server's <see cref="Database"/>. The rates read telemetry_counters, the per-minute counts the controller
/// folds telemetry into and the gate reads, so the chart and the gate see the same events.
/// </summary>
internal sealed class DashboardQueries(Database db)
{
    /// <summary>Bounds the work of one page render on a very large fleet.</summary>
    public const int MaxCounterRows = 50_000;
    public const int MaxBreadcrumbs = 100;

    private sealed class CounterRow
    {
        public long Ring { get; set; }
        public long WindowStart { get; set; }
        public string Kind { get; set; } = "";
        public long Total { get; set; }
    }

    private sealed class EventRow
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

    public async Task<RolloutHealth> RolloutHealthAsync(RolloutDto rollout, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Summed over configurations: the chart compares exposed against control, not builds. PostgreSQL sums a
        // BIGINT to NUMERIC, hence the cast.
        var rows = (await c.QueryAsync<CounterRow>(
            """
            SELECT ring, window_start, kind, CAST(SUM(count) AS BIGINT) AS total FROM telemetry_counters
            WHERE rollout_id = @id
            GROUP BY ring, window_start, kind
            ORDER BY ring, window_start, kind LIMIT @max
            """, new { id = rollout.Id, max = MaxCounterRows + 1 })).AsList();
        var truncated = rows.Count > MaxCounterRows;
        var counters = rows.Take(MaxCounterRows)
            .Select(r => new CounterPoint((int)r.Ring, DateTimeOffset.FromUnixTimeMilliseconds(r.WindowStart), r.Kind, r.Total)).ToList();

        var crumbs = (await c.QueryAsync<EventRow>(
            """
            SELECT e.at, e.kind, e.boot_crash, e.content_hash, e.host_id, e.instance_id, e.detail, h.agent_build, h.os_build
            FROM telemetry_events e JOIN hosts h ON h.host_id = e.host_id
            WHERE e.content_hash = @sha AND e.kind IN ('Crash', 'Revert', 'Quarantine')
            ORDER BY e.at DESC, e.host_id LIMIT @max
            """, new { sha = rollout.Sha256, max = MaxBreadcrumbs })).AsList();
        var breadcrumbs = crumbs.Select(e => new Breadcrumb(DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.HostId, e.AgentBuild, e.OsBuild,
            e.Kind, e.InstanceId, e.BootCrash != 0, e.Detail)).ToList();
        var fleet = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");
        return new RolloutHealth(counters, breadcrumbs, fleet, truncated);
    }
}
