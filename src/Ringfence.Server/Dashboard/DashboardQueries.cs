using Ringfence.Protocol;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Dashboard;

/// <summary>One per-minute telemetry counter of a rollout's ring, summed over configurations (kind like "crash:exposed").</summary>
internal sealed record CounterPoint(int Ring, DateTimeOffset WindowStart, string Kind, long Count);

/// <summary>A telemetry event that names the rollout's content: the agent's crash breadcrumb, a revert or a quarantine.</summary>
internal sealed record Breadcrumb(DateTimeOffset At, string HostId, string AgentBuild, string OsBuild, string Kind, string? InstanceId, bool BootCrash, string? Detail);

/// <param name="Counters">The controller's per-minute counters of the rollout: what the gate itself counted.</param>
internal sealed record RolloutHealth(IReadOnlyList<CounterPoint> Counters, IReadOnlyList<Breadcrumb> Breadcrumbs, long FleetHosts, bool Truncated)
{
    public static RolloutHealth Empty { get; } = new([], [], 0, false);

    public RolloutHealthDto ToDto() => new(
        [.. Counters.Select(c => new RolloutCounterDto(c.Ring, c.WindowStart, c.Kind, c.Count))],
        [.. Breadcrumbs.Select(b => new BreadcrumbDto(b.At, b.HostId, b.AgentBuild, b.OsBuild, b.Kind, b.InstanceId, b.BootCrash, b.Detail))],
        FleetHosts, Truncated);

    public static RolloutHealth From(RolloutHealthDto dto) => new(
        [.. dto.Counters.Select(c => new CounterPoint(c.Ring, c.WindowStart, c.Kind, c.Count))],
        [.. dto.Breadcrumbs.Select(b => new Breadcrumb(b.At, b.HostId, b.AgentBuild, b.OsBuild, b.Kind, b.InstanceId, b.BootCrash, b.Detail))],
        dto.FleetHosts, dto.Truncated);
}

/// <summary>
/// The read behind GET /v1/rollouts/{id}/health (rate time series and breadcrumbs of one rollout), through the
/// stores (<see cref="TelemetryStore"/>, <see cref="HostStore"/>). The rates read telemetry_counters, the per-minute counts the controller
/// folds telemetry into and the gate reads, so the chart and the gate see the same events.
/// </summary>
internal sealed class DashboardQueries(Database db)
{
    /// <summary>Bounds the work of one page render on a very large fleet.</summary>
    public const int MaxCounterRows = 50_000;
    public const int MaxBreadcrumbs = 100;

    public async Task<RolloutHealth> RolloutHealthAsync(RolloutDto rollout, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Summed over configurations: the chart compares exposed against control, not builds.
        var rows = await TelemetryStore.CounterSeriesAsync(c, rollout.Id, MaxCounterRows + 1);
        var truncated = rows.Count > MaxCounterRows;
        var counters = rows.Take(MaxCounterRows)
            .Select(r => new CounterPoint((int)r.Ring, DateTimeOffset.FromUnixTimeMilliseconds(r.WindowStart), r.Kind, r.Total)).ToList();

        var crumbs = await TelemetryStore.BreadcrumbsAsync(c, rollout.Sha256, MaxBreadcrumbs);
        var breadcrumbs = crumbs.Select(e => new Breadcrumb(DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.HostId, e.AgentBuild, e.OsBuild,
            e.Kind, e.InstanceId, e.BootCrash != 0, e.Detail)).ToList();
        var fleet = await HostStore.CountAsync(c);
        return new RolloutHealth(counters, breadcrumbs, fleet, truncated);
    }
}
