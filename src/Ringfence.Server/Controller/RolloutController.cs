using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Hosting;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;
using Ringfence.Rollouts.Reconcile;
using EngineState = Ringfence.Rollouts.Reconcile.RolloutState;
using ReconcileResult = Ringfence.Server.Rollouts.ReconcileResult;
using RingObservation = Ringfence.Server.Rollouts.RingObservation;

namespace Ringfence.Server.Controller;

/// <summary>
/// One controller pass: aggregate new telemetry into counters, then reconcile every progressing rollout over what
/// is stored. Only the lease holder runs it. Each rollout's step commits with a compare-and-set on updated_at and a
/// decision with a deterministic id, so a pass repeated after a crash, or raced by another node, cannot take a
/// decision twice.
/// </summary>
public sealed class RolloutController(
    Database db,
    RingfenceServerOptions options,
    TimeProvider time,
    TargetSnapshotHolder snapshot,
    Tuf.ServerTufRepository tuf,
    RolloutTransitions transitions)
{
    /// <summary>Counter window: one minute.</summary>
    public const long WindowMs = TelemetryStore.WindowMs;

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await AggregateTelemetryAsync(ct);
        await CountReportedCrashesAsync(ct);
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
                var events = await TelemetryStore.UnaggregatedAsync(c, tx);
                if (events.Count == 0)
                    return 0;
                var rollouts = await RolloutStore.CountingAsync(c, tx);
                var counters = new Dictionary<(string, long, string, string, long, string), long>();
                var attributed = new HashSet<(string Rollout, string Host, long At)>();
                // Every crash counts once: per host, the larger of its Crash events and its check-ins' reported crashes
                // (HostStore.CountCrashEventsAsync). An event beyond what the reports already counted counts here.
                var countable = new Dictionary<(string Host, long Idx, string Key), bool>();
                foreach (var byHost in events.Where(e => e.Kind == "Crash").GroupBy(e => e.HostId, StringComparer.Ordinal))
                {
                    var list = byHost.ToList();
                    var counts = await HostStore.CountCrashEventsAsync(c, tx, byHost.Key, list.Count);
                    for (var i = 0; i < list.Count; i++)
                        countable[(list[i].HostId, list[i].Idx, list[i].IdempotencyKey)] = i >= list.Count - counts;
                }
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
                        // Attribution: a breadcrumb (the crash happened while the interpreter evaluated this content), a revert or
                        // a quarantine names it. A crash outside the interpreter carries no breadcrumb and only counts as a crash.
                        if (exposed && (e.Kind is "Revert" or "Quarantine" || (e.Kind == "Crash" && e.InstanceId is not null)))
                            attributed.Add((r.Id, e.HostId, e.At));
                        if (e.Kind == "Crash" && !countable.GetValueOrDefault((e.HostId, e.Idx, e.IdempotencyKey)))
                            continue;
                        var kind = $"{e.Kind.ToLowerInvariant()}:{(exposed ? "exposed" : "control")}";
                        var key = (r.Id, r.CurrentRing, e.AgentBuild, e.OsBuild, e.At / WindowMs * WindowMs, kind);
                        counters[key] = counters.GetValueOrDefault(key) + e.Count;
                    }
                }
                foreach (var ((rollout, ring, build, osBuild, window, kind), count) in counters)
                    await TelemetryStore.AddCounterAsync(c, tx, rollout, ring, build, osBuild, window, kind, count);
                foreach (var (rollout, host, at) in attributed)
                    await RolloutStore.AddAttributedHostAsync(c, tx, rollout, host, at);
                await TelemetryStore.MarkAggregatedAsync(c, tx, events);
                return events.Count;
            }, ct);
            total += n;
            if (n < TelemetryStore.AggregateBatch)
                return total;
        }
    }

    /// <summary>
    /// Counts the crashes check-ins reported (HostHealth.CrashesSinceLastCheckIn) that no Crash event has counted, once
    /// the host's events have had <see cref="ReportGrace"/> to arrive (so an event, which names the content the host
    /// ran, is preferred). Such a crash is exposed when the host runs the rollout's content now, else control.
    /// </summary>
    public async Task<int> CountReportedCrashesAsync(CancellationToken ct)
    {
        var before = time.GetUtcNow().Subtract(ReportGrace).ToUnixTimeMilliseconds();
        var window = time.GetUtcNow().ToUnixTimeMilliseconds() / WindowMs * WindowMs;
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var hosts = await HostStore.UncountedReportsAsync(c, tx, before);
            if (hosts.Count == 0)
                return 0;
            var rollouts = await RolloutStore.CountingAsync(c, tx);
            foreach (var h in hosts)
            {
                var runs = await HostStore.ChannelsOfAsync(c, tx, h.HostId);
                foreach (var r in rollouts)
                {
                    var exposed = runs.TryGetValue(r.Channel, out var hash) && hash == r.Sha256;
                    if (!exposed && r.Status == nameof(RolloutStatus.Halted))
                        continue;
                    await TelemetryStore.AddCounterAsync(c, tx, r.Id, r.CurrentRing, h.AgentBuild, h.OsBuild, window, exposed ? "crash:exposed" : "crash:control", h.Uncounted);
                }
                await HostStore.MarkReportsCountedAsync(c, tx, h.HostId);
            }
            return hosts.Count;
        }, ct);
    }

    /// <summary>How long a check-in's crash report waits for the host's own Crash events before it counts.</summary>
    public TimeSpan ReportGrace => TimeSpan.FromSeconds(2 * options.CheckInIntervalSeconds);

    public async Task ReconcileAllAsync(CancellationToken ct)
    {
        List<RolloutRow> rows;
        bool kill;
        await using (var c = await db.OpenAsync(ct))
        {
            kill = await CatalogStore.KillSwitchEngagedAsync(c);
            // The kill switch halts every active rollout, not only those deploying or baking.
            rows = await RolloutStore.ToReconcileAsync(c, kill);
        }
        var changed = false;
        foreach (var row in rows)
            changed |= await ReconcileOneAsync(row, kill, ct);
        if (changed)
            await snapshot.RefreshAsync(ct);
    }

    /// <summary>The hosts and what they run, read once per rollout and pass (ring membership is computed from them by the engine).</summary>
    private sealed record Fleet(List<HostPlacementRow> Hosts, Dictionary<string, string?> ActiveHashes);

    private async Task<Fleet> ReadFleetAsync(RolloutRow row, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return new Fleet(await HostStore.PlacementRowsAsync(c), await HostStore.ActiveHashesAsync(c, row.Channel));
    }

    /// <summary>What the stored state says of <paramref name="row"/>'s ring <paramref name="ring"/> since <paramref name="ringStartedAt"/>.</summary>
    private async Task<RingObservation> ObserveAsync(RolloutRow row, RingCensus census, int ring, DateTimeOffset? ringStartedAt, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var intervalMs = options.CheckInIntervalSeconds * 1000L;
        var startMs = ringStartedAt?.ToUnixTimeMilliseconds() ?? nowMs;
        // A host is lost when it has not checked in for three intervals (last_seen is written to the minute).
        var lossAfterMs = Math.Max(3 * intervalMs, 180_000) + 60_000;
        await using var c = await db.OpenAsync(ct);
        var counts = await TelemetryStore.CountsByKindAsync(c, row.Id, ring);
        var silent = await HostStore.SilentHostsAsync(c, row.Sha256, row.Channel, nowMs - lossAfterMs, startMs - lossAfterMs);
        var attributed = await RolloutStore.AttributedHostsAsync(c, row.Id);
        long Get(string k) => counts.GetValueOrDefault(k);
        // Online host-hours come from heartbeats (one per check-in cycle), never from hosts × wall-clock time.
        var interval = TimeSpan.FromSeconds(options.CheckInIntervalSeconds);
        var exposed = new Ringfence.Rollouts.Health.GroupCounts(Ringfence.Rollouts.Health.Observations.HostHours(Get("heartbeat:exposed"), interval),
            Get("crash:exposed"), Get("revert:exposed"), silent.GetValueOrDefault(1));
        var control = new Ringfence.Rollouts.Health.GroupCounts(Ringfence.Rollouts.Health.Observations.HostHours(Get("heartbeat:control"), interval),
            Get("crash:control"), Get("revert:control"), silent.GetValueOrDefault(0));
        return new RingObservation(census.Eligible[ring], census.Exposed[ring], census.ExposedHosts, census.ControlHosts, exposed, control, attributed);
    }

    private async Task<RolloutSpec> SpecAsync(RolloutRow row, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var json = await CatalogStore.ValidatedBuildsJsonAsync(c, null, row.Channel, row.Version);
        var builds = json is null ? [] : JsonSerializer.Deserialize(json, ServerJsonContext.Default.ListString) ?? [];
        return EngineInputs.SpecOf(row, builds);
    }

    private async Task<bool> ReconcileOneAsync(RolloutRow row, bool kill, CancellationToken ct)
    {
        var spec = await SpecAsync(row, ct);
        var now = time.GetUtcNow();
        var decisions = new List<ReconcileDecision>();
        var current = EngineInputs.StateOf(row);
        if (current.Phase is not (RolloutPhase.Deploying or RolloutPhase.Baking))
        {
            if (kill)
            {
                var halted = RolloutReconciler.KillSwitch(spec, current, now);
                decisions.AddRange(halted.Decisions);
                current = halted.State;
            }
        }
        else
        {
            var fleet = await ReadFleetAsync(row, ct);
            RingCensus? census = null;
            // The engine is pure and takes one step per call: observe, step, and again while it moves.
            for (var step = 0; step < RolloutReconciler.MaxStepsPerPass && current.Phase is RolloutPhase.Deploying or RolloutPhase.Baking; step++)
            {
                census ??= RingCensus.Take(spec, current, fleet.Hosts, fleet.ActiveHashes, row.Sha256, options.DogfoodGroups);
                var obs = await ObserveAsync(row, census, current.Ring, current.RingStartedAt, ct);
                var stepped = RolloutReconciler.Step(spec, current, obs, now, kill);
                if (stepped.Decisions.Count == 0)
                    break;
                decisions.AddRange(stepped.Decisions);
                current = stepped.State;
            }
        }
        var result = new ReconcileResult(current, decisions);
        if (result.Decisions.Count == 0)
            return false;
        return await StoreAsync(row, result, now, ct);
    }

    /// <summary>Stores the engine's new state and its decisions through the one transition path, in one transaction.</summary>
    private async Task<bool> StoreAsync(RolloutRow row, ReconcileResult result, DateTimeOffset now, CancellationToken ct)
    {
        // Why it stopped: a failed gate's halt, not the automatic rollback that follows it.
        var reason = (result.Decisions.LastOrDefault(d => d.Kind == "halt") ?? result.Decisions[^1]).Reason;
        var transition = new RolloutTransition(row, result.State, result.Decisions, "controller", reason);
        try
        {
            return await db.InTransactionAsync((c, tx) => transitions.ApplyAsync(c, tx, transition, now.ToUnixTimeMilliseconds()), ct);
        }
        catch (DecisionAlreadyTakenException)
        {
            return false;
        }
    }
}
