using System.Text.Json;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Services;

/// <summary>One piece of content a host may be told to run.</summary>
public sealed record ContentTarget(string Channel, long Version, string Sha256, string TargetName, long Length, HashSet<string> ValidatedBuilds);

/// <summary>A check-in answer with its JSON bytes and ETag (a hash of those bytes: equal answers, equal tags).</summary>
public sealed record CheckInAnswer(CheckInResponse Response, byte[] Json, string ETag)
{
    public static CheckInAnswer Of(CheckInResponse response)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Default.CheckInResponse);
        return new(response, json, "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json).AsSpan(0, 16)) + "\"");
    }
}

/// <summary>A rollout that currently exposes hosts: hosts below BucketLimit (plus each configuration's representative from RepresentativesFromRing on) get it.</summary>
public sealed record ActiveRollout(string Id, ContentTarget Content, int CurrentRing, int BucketLimit);

/// <summary>
/// Everything target resolution needs, read from storage in a few queries and swapped atomically, so a check-in is a
/// pure computation over memory. Every node refreshes it on a short period and after its own writes; a halt on
/// another node reaches this node's agents within one refresh period (well inside one check-in interval).
/// </summary>
public sealed record TargetSnapshot(
    IReadOnlyDictionary<string, ContentTarget> Baselines,
    IReadOnlyDictionary<string, ActiveRollout> Active,
    IReadOnlyDictionary<(string AgentBuild, string OsBuild), int> MinBucketByConfiguration,
    HashSet<string> KnownBad,
    long KnownBadVersion,
    long RepositoryVersion,
    bool KillSwitchEngaged,
    int RepresentativesFromRing)
{
    public static TargetSnapshot Empty { get; } = new(
        new Dictionary<string, ContentTarget>(), new Dictionary<string, ActiveRollout>(),
        new Dictionary<(string, string), int>(), [], 0, 0, false, 1);

    // Answers depend only on the agent build and on which active rollouts' rings hold the host, so a fleet of any
    // size shares a handful of them: each is resolved, serialised and hashed once per snapshot.
    // A `with` copy would share this field, so the cache remembers its owner and a copy starts its own.
    private AnswerCache? _cache;
    private const int MaxCachedAnswers = 4096;

    private sealed class AnswerCache(TargetSnapshot owner)
    {
        public TargetSnapshot Owner { get; } = owner;
        public System.Collections.Concurrent.ConcurrentDictionary<(string AgentBuild, ulong InRing, int Interval), CheckInAnswer> Answers { get; } = new();
    }

    private System.Collections.Concurrent.ConcurrentDictionary<(string AgentBuild, ulong InRing, int Interval), CheckInAnswer> Answers
    {
        get
        {
            var cache = _cache;
            if (cache is null || !ReferenceEquals(cache.Owner, this))
                _cache = cache = new AnswerCache(this);
            return cache.Answers;
        }
    }

    /// <summary>The check-in answer for a host: its targets, serialised once with their ETag.</summary>
    public CheckInAnswer Answer(int bucket, HostConfiguration configuration, int checkInIntervalSeconds)
    {
        ulong inRing = 0;
        var i = 0;
        foreach (var active in Active.Values)
        {
            if (i == 64)
                return CheckInAnswer.Of(Response(bucket, configuration, checkInIntervalSeconds));
            if (InRing(active, bucket, configuration))
                inRing |= 1UL << i;
            i++;
        }
        var key = (configuration.AgentBuild, inRing, checkInIntervalSeconds);
        var answers = Answers;
        if (answers.TryGetValue(key, out var cached))
            return cached;
        var answer = CheckInAnswer.Of(Response(bucket, configuration, checkInIntervalSeconds));
        if (answers.Count < MaxCachedAnswers)
            answers.TryAdd(key, answer);
        return answer;
    }

    private CheckInResponse Response(int bucket, HostConfiguration configuration, int checkInIntervalSeconds) =>
        new(Resolve(bucket, configuration), KnownBadVersion, RepositoryVersion, checkInIntervalSeconds, KillSwitchEngaged);

    /// <summary>Target resolution: for each channel, the rollout's content if this host is in its exposed rings, else the baseline.</summary>
    private IReadOnlyList<ChannelTarget> Resolve(int bucket, HostConfiguration configuration)
    {
        var targets = new List<ChannelTarget>();
        foreach (var channel in Baselines.Keys.Union(Active.Keys).Order(StringComparer.Ordinal))
        {
            ContentTarget? chosen = null;
            string? rolloutId = null;
            if (Baselines.TryGetValue(channel, out var baseline) && baseline.ValidatedBuilds.Contains(configuration.AgentBuild) && !KnownBad.Contains(baseline.Sha256))
                chosen = baseline;
            if (Active.TryGetValue(channel, out var active) && InRing(active, bucket, configuration)
                && active.Content.ValidatedBuilds.Contains(configuration.AgentBuild) && !KnownBad.Contains(active.Content.Sha256))
            {
                chosen = active.Content;
                rolloutId = active.Id;
            }
            if (chosen is not null)
                targets.Add(new ChannelTarget(channel, chosen.Version, chosen.Sha256, chosen.TargetName, chosen.Length, rolloutId));
        }
        return targets;
    }

    private bool InRing(ActiveRollout active, int bucket, HostConfiguration configuration) =>
        bucket < active.BucketLimit
        || (RepresentativesFromRing >= 0 && active.CurrentRing >= RepresentativesFromRing
            && MinBucketByConfiguration.TryGetValue((configuration.AgentBuild, configuration.OsBuild), out var min) && bucket == min);

    public static async Task<TargetSnapshot> LoadAsync(Database db, int representativesFromRing, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var files = (await connection.QueryAsync<ChannelFileRow>(
            "SELECT channel, version, sha256, target_name, length, '' AS content, published_at, published_by, validated_builds_json, '[]' AS findings_json FROM channel_files")).AsList();
        var byKey = files.ToDictionary(f => (f.Channel, f.Version), ToTarget);
        var rollouts = (await connection.QueryAsync<RolloutRow>(
            "SELECT * FROM rollouts WHERE status IN ('Completed', 'Progressing', 'Paused') ORDER BY updated_at")).AsList();

        var baselines = new Dictionary<string, ContentTarget>(StringComparer.Ordinal);
        var active = new Dictionary<string, ActiveRollout>(StringComparer.Ordinal);
        foreach (var r in rollouts)
        {
            if (!byKey.TryGetValue((r.Channel, r.Version), out var content))
                continue;
            if (r.Status == nameof(RolloutStatus.Completed))
            {
                if (!baselines.TryGetValue(r.Channel, out var existing) || existing.Version < r.Version)
                    baselines[r.Channel] = content;
            }
            else
            {
                var plan = JsonSerializer.Deserialize(r.PlanJson, ServerJsonContext.Default.ListRingSpec) ?? [];
                var ring = (int)Math.Clamp(r.CurrentRing, 0, Math.Max(0, plan.Count - 1));
                active[r.Channel] = new ActiveRollout(r.Id, content, ring, plan.Count == 0 ? 0 : RolloutPlans.BucketLimit(plan[ring]));
            }
        }

        var minBuckets = (await connection.QueryAsync<(string, string, long)>(
            "SELECT agent_build, os_build, MIN(bucket) FROM hosts GROUP BY agent_build, os_build"))
            .ToDictionary(x => (x.Item1, x.Item2), x => (int)x.Item3);
        var knownBad = (await connection.QueryAsync<string>("SELECT sha256 FROM known_bad")).ToHashSet(StringComparer.Ordinal);
        var knownBadVersion = long.Parse(await connection.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE name = 'known_bad_version'") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var kill = await connection.QuerySingleAsync<KillSwitchRow>("SELECT engaged, reason, changed_at, changed_by FROM kill_switch WHERE id = 1");
        return new TargetSnapshot(baselines, active, minBuckets, knownBad, knownBadVersion, files.Count + knownBadVersion,
            kill.Engaged != 0, representativesFromRing);
    }

    private static ContentTarget ToTarget(ChannelFileRow f) => new(f.Channel, f.Version, f.Sha256, f.TargetName, f.Length,
        (JsonSerializer.Deserialize(f.ValidatedBuildsJson, ServerJsonContext.Default.ListString) ?? []).ToHashSet(StringComparer.Ordinal));
}

/// <summary>Holds the current snapshot; refreshed by <see cref="SnapshotRefresher"/> and after local writes.</summary>
public sealed class TargetSnapshotHolder(Database db, Hosting.RingfenceServerOptions options)
{
    private volatile TargetSnapshot _current = TargetSnapshot.Empty;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TargetSnapshot Current => _current;

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _current = await TargetSnapshot.LoadAsync(db, options.RepresentativesFromRing, ct);
        }
        finally
        {
            _gate.Release();
        }
    }
}
