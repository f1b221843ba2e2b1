using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
        return (await HostStore.BuildCountsAsync(c)).Select(x => new BuildHostCount(x.AgentBuild, x.Hosts)).ToList();
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
            if (await CatalogStore.HasVersionAtLeastAsync(c, tx, channel, version))
                return false;
            await CatalogStore.InsertChannelFileAsync(c, tx, channel, version, sha, targetName, bytes.Length, request.Content, now, by.Name,
                Json(validated, ServerJsonContext.Default.ListString), Json([.. inspection.Findings], ServerJsonContext.Default.ListValidationFinding));
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
        var rows = await CatalogStore.ListChannelFilesAsync(c);
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
            var file = await CatalogStore.FindChannelFileAsync(c, tx, request.Channel, request.Version);
            if (file is null)
                return Problems.NotFound($"channel file {request.Channel}/{request.Version} is not published");
            if (await RolloutStore.IsKnownBadAsync(c, tx, file.Sha256))
                return Problems.Conflict($"channel file {request.Channel}/{request.Version} is on the known-bad list");
            var busy = await RolloutStore.ActiveOnChannelAsync(c, tx, request.Channel);
            if (busy is not null)
                return Problems.Conflict($"rollout {busy} is still active on channel {request.Channel}; halt it or let it complete first");
            // The engine builds the spec, composing the coverage ring over the fleet as it is now; stored, never recomputed.
            var validated = JsonSerializer.Deserialize(file.ValidatedBuildsJson, ServerJsonContext.Default.ListString) ?? [];
            var spec = EngineInputs.Create(id, request.Channel, request.Version, request.Emergency, rings, validated, await HostStore.ConfigurationCountsAsync(c, tx)).Spec;
            // Published content passed the fleet-aware validator: the engine starts at Validated, waiting for approval.
            var engine = JsonSerializer.Serialize(new Ringfence.Rollouts.Reconcile.RolloutState(id, Ringfence.Rollouts.Reconcile.RolloutPhase.Validated, 0, 0), ServerJsonContext.Default.RolloutState);
            await RolloutStore.InsertAsync(c, tx, id, request.Channel, request.Version, file.Sha256, request.Emergency, now, by.Name, request.Reason, engine, EngineInputs.Serialize(spec));
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
        var row = await RolloutStore.FindAsync(c, null, id);
        return row is null ? null : await ToDtoAsync(c, row);
    }

    public async Task<IReadOnlyList<RolloutDto>> ListRolloutsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await RolloutStore.LatestAsync(c);
        var list = new List<RolloutDto>();
        foreach (var row in rows)
            list.Add(await ToDtoAsync(c, row));
        return list;
    }

    private async Task<RolloutDto> ToDtoAsync(DbConnection c, RolloutRow row)
    {
        var spec = EngineInputs.SpecOf(row, await ValidatedBuildsAsync(c, null, row));
        var exposed = await RolloutStore.ExposedHostsAsync(c, row.Channel, row.Sha256);
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
        var json = await CatalogStore.ValidatedBuildsJsonAsync(c, tx, row.Channel, row.Version);
        return json is null ? [] : JsonSerializer.Deserialize(json, ServerJsonContext.Default.ListString) ?? [];
    }

    // Ring sizes per rollout (the engine places every stored host), reused while the fleet's size and the exposure stay the same.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Hosts, long Exposed, Rollouts.RingCensus Census)> _census = new(StringComparer.Ordinal);

    private async Task<Rollouts.RingCensus> CensusAsync(DbConnection c, RolloutRow row, Ringfence.Rollouts.Reconcile.RolloutSpec spec, long exposed)
    {
        var hosts = await HostStore.CountAsync(c);
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
        Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? problem;
        try
        {
            problem = await db.InTransactionAsync<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?>(async (c, tx) =>
            {
                var row = await RolloutStore.FindAsync(c, tx, id);
                if (row is null)
                    return Problems.NotFound($"rollout {id} does not exist");
                var state = EngineInputs.StateOf(row);
                var status = RolloutReconciler.StatusOf(state.Phase);
                var spec = EngineInputs.SpecOf(row, await ValidatedBuildsAsync(c, tx, row))
                    with { RequiresTwoApprovals = await RetiringChannelFiles.IsRetiringAsync(c, tx, row.Channel, row.Version) };
                var kill = await CatalogStore.KillSwitchEngagedAsync(c, tx);
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
                var transition = new RolloutTransition(row, next, result.Decisions, by.Actor, why, RollbackReason: why,
                    ApproversJson: Json([.. approvers], ServerJsonContext.Default.ListString),
                    Audit: new TransitionAudit("rollout." + kind, Details(("from", status), ("to", nextStatus), ("ring", next.Ring), ("reason", reason))));
                if (!await transitions.ApplyAsync(c, tx, transition, now))
                    return Problems.Conflict($"rollout {id} changed meanwhile; retry");
                return null;
            }, ct);
        }
        catch (DecisionAlreadyTakenException)
        {
            return Problems.Conflict($"rollout {id} changed meanwhile; retry");
        }
        if (problem is not null)
            return problem;
        await snapshot.RefreshAsync(ct);
        return (await GetRolloutAsync(id, ct))!;
    }

    // ---------------------------------------------------------------- kill switch, fleet, logs

    public async Task<KillSwitchDto> GetKillSwitchAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await CatalogStore.KillSwitchAsync(c);
        return new KillSwitchDto(row.Engaged != 0, row.Reason, row.ChangedAt is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : null, row.ChangedBy);
    }

    public async Task<Outcome<KillSwitchDto>> SetKillSwitchAsync(OperatorPrincipal by, KillSwitchRequest request, CancellationToken ct)
    {
        if (request.Reason is { Length: > 1024 })
            return Problems.Invalid("$.reason: at most 1024 characters");
        await db.InTransactionAsync(async (c, tx) =>
        {
            await CatalogStore.SetKillSwitchAsync(c, tx, request.Engaged, request.Reason, Now, by.Name);
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
        var total = await HostStore.CountAsync(c);
        var seen = await HostStore.CountSeenSinceAsync(c, hour);
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
        var rows = await RolloutStore.DecisionsAsync(c, rolloutId);
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
        var rows = await RolloutStore.KnownBadAsync(c);
        var version = await CatalogStore.KnownBadVersionAsync(c);
        return new KnownBadListDto(version, rows.Select(r => new KnownBadEntryDto(r.Sha256, r.Channel, r.Version, r.Reason, DateTimeOffset.FromUnixTimeMilliseconds(r.AddedAt))).ToList());
    }
}
