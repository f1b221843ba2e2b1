using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Dashboard;

/// <summary>A crash reported by a host during a rollout, classified as exposed (it ran the rollout's content) or control.</summary>
internal sealed record CrashPoint(DateTimeOffset At, bool Exposed, bool BootLoop);

/// <summary>A telemetry event that names the rollout's content: the agent's crash breadcrumb, a revert or a quarantine.</summary>
internal sealed record Breadcrumb(DateTimeOffset At, string HostId, string AgentBuild, string OsBuild, string Kind, string? InstanceId, bool BootCrash, string? Detail);

internal sealed record RolloutHealth(IReadOnlyList<CrashPoint> Crashes, IReadOnlyList<Breadcrumb> Breadcrumbs, long FleetHosts, bool Truncated);

/// <summary>
/// Read-only queries the operator API does not offer (crash time series and breadcrumbs of one rollout), through
/// the server's <see cref="Database"/>. They read the raw telemetry the controller also reads, so the chart and
/// the gate see the same events.
/// </summary>
internal sealed class DashboardQueries(Database db)
{
    /// <summary>Bounds the work of one page render on a very large fleet.</summary>
    public const int MaxCrashes = 20_000;
    public const int MaxBreadcrumbs = 100;

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
        var since = rollout.CreatedAt.ToUnixTimeMilliseconds();
        // Same classification as the controller: events on this channel (or naming none) count; exposed = ran this content.
        var crashes = (await c.QueryAsync<EventRow>(
            """
            SELECT at, kind, boot_crash, content_hash, host_id FROM telemetry_events
            WHERE kind = 'Crash' AND at >= @since AND (channel = @channel OR channel IS NULL OR content_hash = @sha)
            ORDER BY at LIMIT @max
            """, new { since, channel = rollout.Channel, sha = rollout.Sha256, max = MaxCrashes + 1 })).AsList();
        var truncated = crashes.Count > MaxCrashes;
        var points = crashes.Take(MaxCrashes)
            .Select(e => new CrashPoint(DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.ContentHash == rollout.Sha256, e.BootCrash != 0)).ToList();

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
        return new RolloutHealth(points, breadcrumbs, fleet, truncated);
    }
}
