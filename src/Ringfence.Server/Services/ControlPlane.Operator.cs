using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Auth;
using Ringfence.Server.Http;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Storage;
using Ringfence.Rollouts.Reconcile;

namespace Ringfence.Server.Services;

public sealed partial class ControlPlane
{
    // ---------------------------------------------------------------- content

    /// <summary>The fleet's agent builds, learned from enrollments and check-ins, with host counts.</summary>
    public async Task<IReadOnlyList<BuildHostCount>> FleetBuildsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<(string, long)>("SELECT agent_build, COUNT(*) FROM hosts GROUP BY agent_build ORDER BY agent_build"))
            .Select(x => new BuildHostCount(x.Item1, x.Item2)).ToList();
    }

    public async Task<Outcome<ChannelFileDto>> PublishAsync(OperatorPrincipal by, PublishChannelFileRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Content))
            return Problems.Invalid("$.content: required");
        var declared = request.DeclaredBuilds ?? [];
        for (var i = 0; i < declared.Count; i++)
            if (!IsToken(declared[i]))
                return Problems.Invalid($"$.declaredBuilds[{i}]: 1..64 letters, digits, '.', '-', '_'");

        var fleet = await FleetBuildsAsync(ct);
        var builds = fleet.ToList();
        foreach (var b in declared.Concat(options.DeclaredBuilds).Distinct(StringComparer.Ordinal))
            if (!builds.Any(x => x.AgentBuild == b))
                builds.Add(new BuildHostCount(b, 0));

        var inspection = inspector.Inspect(request.Content, builds);
        if (inspection.Rejected)
        {
            await db.InTransactionAsync(async (c, tx) =>
            {
                await AuditAsync(c, tx, by.Actor, "channel-file.reject", $"{inspection.Channel ?? "?"}/{inspection.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}",
                    Details(("errors", inspection.Findings.Count(f => f.Severity == "error")), ("firstCode", inspection.Findings.FirstOrDefault(f => f.Severity == "error")?.Code)));
                return 0;
            }, ct);
            return Problems.Create(422, "content-rejected", "The channel file was rejected",
                $"{inspection.Findings.Count(f => f.Severity == "error")} error(s): " + string.Join("; ", inspection.Findings.Where(f => f.Severity == "error").Take(3).Select(f => $"{f.Code} at {f.Location}: {f.Message}")),
                new Dictionary<string, object?> { ["findings"] = inspection.Findings });
        }

        // The channel id becomes a TUF target path: refuse one that no path can hold, whatever the inspector read.
        if (!Ringfence.Content.ChannelId.IsValid(inspection.Channel))
            return Problems.Create(422, "content-rejected", "The channel file was rejected", $"$.content: channel id '{inspection.Channel}' is not valid: {Ringfence.Content.ChannelId.Rule}");
        var bytes = Encoding.UTF8.GetBytes(request.Content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var channel = inspection.Channel!;
        var version = inspection.Version!.Value;
        var targetName = $"channels/{channel}/{channel}-{version:D6}.json";
        var validated = (inspection.ValidatedBuilds ?? [.. builds.Select(b => b.AgentBuild)]).Order(StringComparer.Ordinal).ToList();
        var now = Now;
        var stored = await db.InTransactionAsync(async (c, tx) =>
        {
            var exists = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channel_files WHERE channel = @channel AND version >= @version", new { channel, version }, tx);
            if (exists > 0)
                return false;
            await c.ExecuteAsync(
                """
                INSERT INTO channel_files (channel, version, sha256, target_name, length, content, published_at, published_by, validated_builds_json, findings_json)
                VALUES (@channel, @version, @sha, @targetName, @length, @content, @now, @by, @validated, @findings)
                """,
                new
                {
                    channel, version, sha, targetName, length = (long)bytes.Length, content = request.Content, now, by = by.Name,
                    validated = Json(validated, ServerJsonContext.Default.ListString), findings = Json([.. inspection.Findings], ServerJsonContext.Default.ListValidationFinding),
                }, tx);
            // Signed in the same transaction: agents can verify every file a check-in can name.
            await tuf.AddTargetAsync(c, tx, targetName, bytes);
            await AuditAsync(c, tx, by.Actor, "channel-file.publish", $"{channel}/{version}", Details(("sha256", sha), ("builds", string.Join(",", validated))));
            return true;
        }, ct);
        if (!stored)
            return Problems.Conflict($"channel {channel} already has version {version} or a later one; versions only go up");
        await snapshot.RefreshAsync(ct);
        return new ChannelFileDto(channel, version, sha, targetName, bytes.Length, DateTimeOffset.FromUnixTimeMilliseconds(now), by.Name, validated, inspection.Findings);
    }

    public async Task<IReadOnlyList<ChannelFileDto>> ListChannelFilesAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<ChannelFileRow>(
            "SELECT channel, version, sha256, target_name, length, '' AS content, published_at, published_by, validated_builds_json, findings_json FROM channel_files ORDER BY published_at DESC, channel, version DESC");
        return rows.Select(r => new ChannelFileDto(r.Channel, r.Version, r.Sha256, r.TargetName, r.Length, DateTimeOffset.FromUnixTimeMilliseconds(r.PublishedAt), r.PublishedBy,
            JsonSerializer.Deserialize(r.ValidatedBuildsJson, ServerJsonContext.Default.ListString) ?? [],
            JsonSerializer.Deserialize(r.FindingsJson, ServerJsonContext.Default.ListValidationFinding) ?? [])).ToList();
    }

    // ---------------------------------------------------------------- rollouts

    public async Task<Outcome<RolloutDto>> CreateRolloutAsync(OperatorPrincipal by, CreateRolloutRequest request, CancellationToken ct)
    {
        if (!IsToken(request.Channel))
            return Problems.Invalid("$.channel: 1..64 letters, digits, '.', '-', '_'");
        var rings = request.Rings;
        if (rings is not null)
        {
            // The protocol's rings (name, cumulative percent, bake) become an engine plan; the engine validates it.
            var named = rings.Select((r, i) => (r, i)).Where(x => x.r is null || string.IsNullOrWhiteSpace(x.r.Name) || x.r.Name.Length > 64).Select(x => $"$.rings[{x.i}].name: required, at most 64 characters");
            var plan = Ringfence.Rollouts.Reconcile.RolloutSpecs.PercentPlan(rings.Where(r => r is not null).Select(r => new Ringfence.Rollouts.Reconcile.PercentRing(r.Name ?? "", r.Percent, TimeSpan.FromMinutes(r.BakeMinutes))));
            var errors = named.Concat(plan.Validate().Select(e => "$." + e)).ToList();
            if (errors.Count > 0)
                return Problems.Invalid(string.Join("; ", errors));
        }
        if (request.Reason is { Length: > 1024 })
            return Problems.Invalid("$.reason: at most 1024 characters");

        var id = Secrets.NewId("ro_");
        var now = Now;
        var problem = await db.InTransactionAsync<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?>(async (c, tx) =>
        {
            var file = await c.QueryFirstOrDefaultAsync<ChannelFileRow>(
                "SELECT channel, version, sha256, target_name, length, '' AS content, published_at, published_by, validated_builds_json, findings_json FROM channel_files WHERE channel = @channel AND version = @version",
                new { channel = request.Channel, version = request.Version }, tx);
            if (file is null)
                return Problems.NotFound($"channel file {request.Channel}/{request.Version} is not published");
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM known_bad WHERE sha256 = @sha", new { sha = file.Sha256 }, tx) > 0)
                return Problems.Conflict($"channel file {request.Channel}/{request.Version} is on the known-bad list");
            var busy = await c.ExecuteScalarAsync<string?>(
                "SELECT id FROM rollouts WHERE channel = @channel AND status IN ('PendingApproval', 'Progressing', 'Paused') LIMIT 1", new { channel = request.Channel }, tx);
            if (busy is not null)
                return Problems.Conflict($"rollout {busy} is still active on channel {request.Channel}; halt it or let it complete first");
            // The engine builds the spec, composing the coverage ring over the fleet as it is now; stored, never recomputed.
            var validated = JsonSerializer.Deserialize(file.ValidatedBuildsJson, ServerJsonContext.Default.ListString) ?? [];
            var spec = EngineInputs.Create(id, request.Channel, request.Version, request.Emergency, rings, validated, await HostStore.ConfigurationCountsAsync(c, tx)).Spec;
            await c.ExecuteAsync(
                """
                INSERT INTO rollouts (id, channel, version, sha256, emergency, status, current_ring, ring_entered_at, plan_json, approvers_json, created_at, created_by, status_reason, updated_at, engine_state_json, spec_json)
                VALUES (@id, @channel, @version, @sha, @emergency, 'PendingApproval', 0, NULL, '[]', '[]', @now, @by, @reason, @now, @engine, @spec)
                """,
                new
                {
                    id, channel = request.Channel, version = request.Version, sha = file.Sha256, emergency = request.Emergency ? 1L : 0L, spec = EngineInputs.Serialize(spec),
                    now, by = by.Name, reason = request.Reason,
                    // Published content passed the fleet-aware validator: the engine starts at Validated, waiting for approval.
                    engine = JsonSerializer.Serialize(new Ringfence.Rollouts.Reconcile.RolloutState(id, Ringfence.Rollouts.Reconcile.RolloutPhase.Validated, 0, 0), ServerJsonContext.Default.RolloutState),
                }, tx);
            await AuditAsync(c, tx, by.Actor, "rollout.create", id, Details(("channel", request.Channel), ("version", request.Version), ("emergency", request.Emergency), ("reason", request.Reason)));
            return null;
        }, ct);
        if (problem is not null)
            return problem;
        return (await GetRolloutAsync(id, ct))!;
    }

    public async Task<RolloutDto?> GetRolloutAsync(string id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<RolloutRow>("SELECT * FROM rollouts WHERE id = @id", new { id });
        return row is null ? null : await ToDtoAsync(c, row);
    }

    public async Task<IReadOnlyList<RolloutDto>> ListRolloutsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<RolloutRow>("SELECT * FROM rollouts ORDER BY created_at DESC, id LIMIT 200")).AsList();
        var list = new List<RolloutDto>();
        foreach (var row in rows)
            list.Add(await ToDtoAsync(c, row));
        return list;
    }

    private async Task<RolloutDto> ToDtoAsync(DbConnection c, RolloutRow row)
    {
        var spec = EngineInputs.SpecOf(row, await ValidatedBuildsAsync(c, null, row));
        var exposed = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM host_channels WHERE channel = @channel AND active_hash = @sha", new { channel = row.Channel, sha = row.Sha256 });
        var status = Enum.Parse<RolloutStatus>(row.Status);
        var census = await CensusAsync(c, row, spec, exposed);
        var rings = new List<RingProgress>();
        for (var i = 0; i < spec.Plan.Rings.Count; i++)
        {
            var (name, percent, bake) = EngineInputs.Describe(spec, i);
            var gate = i < row.CurrentRing || status == RolloutStatus.Completed ? "passed"
                : i == row.CurrentRing ? status switch { RolloutStatus.Halted or RolloutStatus.RolledBack => "failed", RolloutStatus.Progressing or RolloutStatus.Paused => "running", _ => "pending" }
                : "pending";
            rings.Add(new RingProgress(i, name, percent, bake, census.EligibleUpTo(i),
                i == row.CurrentRing ? exposed : 0, i == row.CurrentRing && row.RingEnteredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, gate));
        }
        return new RolloutDto(row.Id, row.Channel, row.Version, row.Sha256, row.Emergency != 0, status, (int)row.CurrentRing, rings,
            JsonSerializer.Deserialize(row.ApproversJson, ServerJsonContext.Default.ListString) ?? [],
            DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy, row.StatusReason);
    }

    private static async Task<List<string>> ValidatedBuildsAsync(DbConnection c, DbTransaction? tx, RolloutRow row)
    {
        var json = await c.ExecuteScalarAsync<string>("SELECT validated_builds_json FROM channel_files WHERE channel = @channel AND version = @version",
            new { channel = row.Channel, version = row.Version }, tx);
        return json is null ? [] : JsonSerializer.Deserialize(json, ServerJsonContext.Default.ListString) ?? [];
    }

    // Ring sizes per rollout (the engine places every stored host), reused while the fleet's size and the exposure stay the same.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Hosts, long Exposed, Rollouts.RingCensus Census)> _census = new(StringComparer.Ordinal);

    private async Task<Rollouts.RingCensus> CensusAsync(DbConnection c, RolloutRow row, Ringfence.Rollouts.Reconcile.RolloutSpec spec, long exposed)
    {
        var hosts = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");
        if (_census.TryGetValue(row.Id, out var cached) && cached.Hosts == hosts && cached.Exposed == exposed)
            return cached.Census;
        var census = Rollouts.RingCensus.Take(spec, EngineInputs.StateOf(row), await HostStore.PlacementRowsAsync(c), await HostStore.ActiveHashesAsync(c, row.Channel),
            row.Sha256, options.DogfoodGroups);
        _census[row.Id] = (hosts, exposed, census);
        return census;
    }

    public enum RolloutAction
    {
        Approve,
        Pause,
        Resume,
        Halt,
        Rollback,
    }

    /// <summary>
    /// Operator actions on a rollout, through the rollout engine (<see cref="Ringfence.Rollouts.Reconcile.Reconciler"/>):
    /// what it refuses is a 409 and changes nothing; what it accepts is stored with its decisions and an audit entry in
    /// one transaction.
    /// </summary>
    public async Task<Outcome<RolloutDto>> ActAsync(OperatorPrincipal by, string id, RolloutAction action, string? reason, CancellationToken ct)
    {
        if (reason is { Length: > 1024 })
            return Problems.Invalid("$.reason: at most 1024 characters");
        var now = Now;
        var problem = await db.InTransactionAsync<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?>(async (c, tx) =>
        {
            var row = await c.QueryFirstOrDefaultAsync<RolloutRow>("SELECT * FROM rollouts WHERE id = @id", new { id }, tx);
            if (row is null)
                return Problems.NotFound($"rollout {id} does not exist");
            var state = EngineInputs.StateOf(row);
            var status = RolloutReconciler.StatusOf(state.Phase);
            var spec = EngineInputs.SpecOf(row, await ValidatedBuildsAsync(c, tx, row))
                with { RequiresTwoApprovals = await RetiringChannelFiles.IsRetiringAsync(c, tx, row.Channel, row.Version) };
            var kill = await c.ExecuteScalarAsync<long>("SELECT engaged FROM kill_switch WHERE id = 1", transaction: tx) != 0;
            var command = new OperatorCommand(action switch
            {
                RolloutAction.Approve => OperatorCommandKind.Approve,
                RolloutAction.Pause => OperatorCommandKind.Pause,
                RolloutAction.Resume => OperatorCommandKind.Resume,
                RolloutAction.Halt => OperatorCommandKind.Halt,
                _ => OperatorCommandKind.Rollback,
            }, by.Name, reason);
            var result = RolloutReconciler.Command(spec, state, command, DateTimeOffset.FromUnixTimeMilliseconds(now), kill);
            if (result.Refusal is { } refusal)
                return Problems.Conflict($"rollout {id}: {refusal}");
            var next = result.State;
            var nextStatus = RolloutReconciler.StatusOf(next.Phase);
            var kind = action.ToString().ToLowerInvariant();
            var why = reason ?? $"{kind} by {by.Name}";
            string[] approvers = [.. new[] { next.FirstApprover, next.SecondApprover }.OfType<string>()];
            var updated = await c.ExecuteAsync(
                """
                UPDATE rollouts SET status = @next, current_ring = @ring, approvers_json = @approvers, status_reason = @why, ring_entered_at = @ringEnteredAt,
                    engine_state_json = @engine, updated_at = @now
                WHERE id = @id AND updated_at = @was
                """,
                new
                {
                    next = nextStatus.ToString(), ring = (long)next.Ring, approvers = Json([.. approvers], ServerJsonContext.Default.ListString), why,
                    ringEnteredAt = next.RingStartedAt?.ToUnixTimeMilliseconds(), engine = JsonSerializer.Serialize(next, ServerJsonContext.Default.RolloutState),
                    now = Math.Max(now, row.UpdatedAt + 1), id, was = row.UpdatedAt,
                }, tx);
            if (updated == 0)
                return Problems.Conflict($"rollout {id} changed meanwhile; retry");
            foreach (var d in result.Decisions)
                if (!await TryInsertDecisionAsync(c, tx, d.Id, id, d.Kind, d.Ring, now, by.Actor, d.Reason, null))
                    return Problems.Conflict($"rollout {id} changed meanwhile; retry");
            // The engine's rollback sends every exposed host back and agents refuse the content from then on; a halt keeps hosts as they are.
            if (nextStatus == RolloutStatus.RolledBack && status != nextStatus)
                await AddKnownBadAsync(c, tx, tuf, row, why, now);
            if (action == RolloutAction.Resume && status == RolloutStatus.Halted)
            {
                // Resuming a halted rollout takes its content off the known-bad list: an operator judged the halt wrong.
                if (await c.ExecuteAsync("DELETE FROM known_bad WHERE sha256 = @sha", new { sha = row.Sha256 }, tx) > 0)
                    await BumpKnownBadVersionAsync(c, tx);
                await tuf.RemoveKnownBadAsync(c, tx, row.Sha256);
            }
            await AuditAsync(c, tx, by.Actor, "rollout." + kind, id, Details(("from", status), ("to", nextStatus), ("ring", next.Ring), ("reason", reason)));
            return null;
        }, ct);
        if (problem is not null)
            return problem;
        await snapshot.RefreshAsync(ct);
        return (await GetRolloutAsync(id, ct))!;
    }

    internal static async Task<bool> TryInsertDecisionAsync(DbConnection c, DbTransaction tx, string id, string rolloutId, string kind, int ring, long at, string actor, string reason, string? evidenceJson)
    {
        var inserted = await c.ExecuteAsync(
            "INSERT INTO decisions (id, rollout_id, kind, ring, at, actor, reason, evidence_json) VALUES (@id, @rolloutId, @kind, @ring, @at, @actor, @reason, @evidenceJson) ON CONFLICT DO NOTHING",
            new { id, rolloutId, kind, ring = (long)ring, at, actor, reason, evidenceJson }, tx);
        return inserted == 1;
    }

    /// <summary>Lists the rollout's content as known-bad in the database and in the signed list agents fetch, in one transaction.</summary>
    internal static async Task AddKnownBadAsync(DbConnection c, DbTransaction tx, Tuf.ServerTufRepository tuf, RolloutRow row, string reason, long now)
    {
        var added = await c.ExecuteAsync("INSERT INTO known_bad (sha256, channel, version, reason, added_at) VALUES (@sha, @channel, @version, @reason, @now) ON CONFLICT DO NOTHING",
            new { sha = row.Sha256, channel = row.Channel, version = row.Version, reason, now }, tx);
        if (added > 0)
            await BumpKnownBadVersionAsync(c, tx);
        await tuf.AddKnownBadAsync(c, tx, row.Sha256, $"{row.Channel}/{row.Version}: {reason}");
    }

    /// <summary>The known-bad list's version only goes up, on every change (agents refetch when it grows).</summary>
    internal static Task BumpKnownBadVersionAsync(DbConnection c, DbTransaction tx) =>
        c.ExecuteAsync("UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'known_bad_version'", transaction: tx);

    // ---------------------------------------------------------------- kill switch, fleet, logs

    public async Task<KillSwitchDto> GetKillSwitchAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleAsync<KillSwitchRow>("SELECT engaged, reason, changed_at, changed_by FROM kill_switch WHERE id = 1");
        return new KillSwitchDto(row.Engaged != 0, row.Reason, row.ChangedAt is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : null, row.ChangedBy);
    }

    public async Task<Outcome<KillSwitchDto>> SetKillSwitchAsync(OperatorPrincipal by, KillSwitchRequest request, CancellationToken ct)
    {
        if (request.Reason is { Length: > 1024 })
            return Problems.Invalid("$.reason: at most 1024 characters");
        await db.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("UPDATE kill_switch SET engaged = @engaged, reason = @reason, changed_at = @now, changed_by = @by WHERE id = 1",
                new { engaged = request.Engaged ? 1L : 0L, reason = request.Reason, now = Now, by = by.Name }, tx);
            await AuditAsync(c, tx, by.Actor, request.Engaged ? "kill-switch.engage" : "kill-switch.release", "global", Details(("reason", request.Reason)));
            return 0;
        }, ct);
        await snapshot.RefreshAsync(ct);
        return await GetKillSwitchAsync(ct);
    }

    /// <summary>
    /// The fleet's configurations and how a new rollout of the default plan would cover them, by the engine
    /// (<see cref="Ringfence.Rollouts.Rings.CoverageComposer"/>: composed over the fleet now, then
    /// <c>CoverageByRing</c> per configuration).
    /// </summary>
    public async Task<FleetOverview> FleetAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var hour = Now - 3_600_000;
        var total = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");
        var seen = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts WHERE last_seen >= @hour", new { hour });
        var configs = await HostStore.ConfigurationCountsAsync(c);
        var dogfood = (await HostStore.PlacementRowsAsync(c))
            .Where(h => EngineInputs.TagsOf(h.GroupsJson, options.DogfoodGroups).HasFlag(Ringfence.Rollouts.Fleet.HostTags.Dogfood))
            .GroupBy(h => Ringfence.Rollouts.Fleet.FleetIds.Configuration(h.AgentBuild, h.Os, h.OsBuild)).ToDictionary(g => g.Key, g => (long)g.Count());
        var built = EngineInputs.Create("fleet-preview", "preview", 1, false, null, configs.Select(x => x.AgentBuild), configs);
        var plan = built.Spec.Plan;
        var early = Math.Min(plan.Rings.Count - 1, Ringfence.Rollouts.Rings.RolloutDefaults.CoverageRing);
        var list = new List<FleetConfiguration>();
        var ringHosts = new double[plan.Rings.Count];
        var ringCovered = new int[plan.Rings.Count];
        foreach (var cfg in configs)
        {
            var key = Ringfence.Rollouts.Fleet.FleetIds.Configuration(cfg.AgentBuild, cfg.Os, cfg.OsBuild);
            var byRing = Ringfence.Rollouts.Rings.CoverageComposer.CoverageByRing(plan, new Ringfence.Rollouts.Rings.ConfigurationCount(key.AgentBuild, key.OsBuild, cfg.Hosts),
                dogfood.GetValueOrDefault(key), Ringfence.Rollouts.Rings.RolloutDefaults.Coverage);
            var names = new List<string>();
            for (var i = 0; i < plan.Rings.Count; i++)
            {
                ringHosts[i] += byRing[i].ExpectedHosts;
                if (byRing[i].Covered)
                {
                    names.Add(plan.Rings[i].Name);
                    ringCovered[i]++;
                }
            }
            list.Add(new FleetConfiguration(cfg.AgentBuild, cfg.Os, cfg.OsBuild, cfg.Hosts, names, !byRing.Take(early + 1).Any(r => r.Covered)));
        }
        var rings = plan.Rings.Select((r, i) => new RingCoverage(r.Name, (long)Math.Round(ringHosts[i]), ringCovered[i], list.Count)).ToList();
        return new FleetOverview(total, seen, list, rings);
    }

    public async Task<IReadOnlyList<DecisionDto>> DecisionsAsync(string? rolloutId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<DecisionRow>(
            rolloutId is null ? "SELECT * FROM decisions ORDER BY at DESC, id LIMIT 500" : "SELECT * FROM decisions WHERE rollout_id = @rolloutId ORDER BY at, id",
            new { rolloutId });
        return rows.Select(r => new DecisionDto(r.Id, r.RolloutId, r.Kind, (int)r.Ring, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Actor, r.Reason,
            r.EvidenceJson is null ? null : JsonDocument.Parse(r.EvidenceJson).RootElement.Clone())).ToList();
    }

    public async Task<AuditPage> AuditAsync(long after, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var entries = await AuditLog.ReadAsync(c, after, limit);
        var dtos = entries.Select(e => new AuditEntryDto(e.Seq, DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.Actor, e.Action, e.Subject,
            e.DetailsJson is null ? null : JsonDocument.Parse(e.DetailsJson).RootElement.Clone(), e.PrevHash, e.Hash)).ToList();
        return new AuditPage(dtos, dtos.Count == limit ? dtos[^1].Sequence : null);
    }

    public async Task<AuditVerification> VerifyAuditAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await AuditLog.VerifyAsync(c, ct)).ToDto();
    }

    public async Task<KnownBadListDto> KnownBadAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<KnownBadRow>("SELECT * FROM known_bad ORDER BY added_at, sha256")).AsList();
        var version = long.Parse(await c.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE name = 'known_bad_version'") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return new KnownBadListDto(version, rows.Select(r => new KnownBadEntryDto(r.Sha256, r.Channel, r.Version, r.Reason, DateTimeOffset.FromUnixTimeMilliseconds(r.AddedAt))).ToList());
    }
}
