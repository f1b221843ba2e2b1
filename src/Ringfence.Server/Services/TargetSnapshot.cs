using System.Text;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
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

/// <summary>A rollout of a channel as the resolver indexes it: its id (null once completed: settled content) and content.</summary>
public sealed record PlacedRollout(string? RolloutId, ContentTarget Content);

/// <summary>
/// One content channel: the engine's <see cref="TargetResolver"/> over the channel's rollouts (specs and engine states
/// as stored), the kill switch and the customer policies, plus the content each resolved version stands for.
/// </summary>
public sealed record ChannelPlacement(string Channel, TargetResolver Resolver, IReadOnlyList<PlacedRollout> Rollouts, IReadOnlyDictionary<long, ContentTarget> Files);

/// <summary>
/// Everything target resolution needs, read from storage in a few queries and swapped atomically, so a check-in is a
/// pure computation over memory. Every node refreshes it on a short period and after its own writes; a halt on
/// another node reaches this node's agents within one refresh period (well inside one check-in interval).
/// Placement, rings and what a halt or rollback leaves on hosts are the engine's (<see cref="TargetResolver"/>).
/// </summary>
public sealed record TargetSnapshot(
    IReadOnlyList<ChannelPlacement> Channels,
    HashSet<string> KnownBad,
    long KnownBadVersion,
    long RepositoryVersion,
    bool KillSwitchEngaged)
{
    public static TargetSnapshot Empty { get; } = new([], [], 0, 0, false);

    // An answer depends only on which content each channel resolves to (and the interval), so a fleet of any size
    // shares a handful: each is serialised and hashed once per snapshot; resolution itself runs per check-in.
    // A `with` copy would share this field, so the cache remembers its owner and a copy starts its own.
    private AnswerCache? _cache;
    private const int MaxCachedAnswers = 4096;

    private sealed class AnswerCache(TargetSnapshot owner)
    {
        public TargetSnapshot Owner { get; } = owner;
        public System.Collections.Concurrent.ConcurrentDictionary<string, CheckInAnswer> Answers { get; } = new(StringComparer.Ordinal);
    }

    private System.Collections.Concurrent.ConcurrentDictionary<string, CheckInAnswer> Answers
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
    /// <param name="host">The host's facts (<see cref="EngineInputs.Facts(string, HostConfiguration, HostTags)"/>).</param>
    /// <param name="configuration">Its reported configuration (validated builds are checked on the strings too).</param>
    /// <param name="channels">What it reports running, per channel.</param>
    /// <param name="now">The time.</param>
    /// <param name="checkInIntervalSeconds">The interval to tell it.</param>
    public CheckInAnswer Answer(in HostFacts host, HostConfiguration configuration, IReadOnlyList<ChannelState> channels, DateTimeOffset now, int checkInIntervalSeconds)
    {
        var chosen = new List<(ContentTarget Content, string? RolloutId)>(Channels.Count);
        var key = new StringBuilder(32).Append(checkInIntervalSeconds);
        foreach (var placement in Channels)
        {
            long current = 0;
            foreach (var c in channels)
            {
                if (string.Equals(c.Channel, placement.Channel, StringComparison.Ordinal))
                    current = c.ActiveVersion ?? 0;
            }
            var target = placement.Resolver.Resolve(host, current, now);
            ContentTarget? content;
            string? rolloutId = null;
            if (target.RolloutIndex >= 0)
            {
                var placed = placement.Rollouts[target.RolloutIndex];
                content = placed.Content;
                rolloutId = placed.RolloutId;
            }
            else
            {
                content = placement.Files.GetValueOrDefault(target.ContentVersion);
            }
            // Trust, not placement: never name content that is known bad or not validated for this exact build.
            if (content is null || !content.ValidatedBuilds.Contains(configuration.AgentBuild) || KnownBad.Contains(content.Sha256))
                continue;
            chosen.Add((content, rolloutId));
            key.Append('|').Append(placement.Channel).Append(':').Append(content.Version).Append(':').Append(rolloutId);
        }

        var answers = Answers;
        var k = key.ToString();
        if (answers.TryGetValue(k, out var cached))
            return cached;
        var answer = CheckInAnswer.Of(new CheckInResponse(
            [.. chosen.Select(c => new ChannelTarget(c.Content.Channel, c.Content.Version, c.Content.Sha256, c.Content.TargetName, c.Content.Length, c.RolloutId))],
            KnownBadVersion, RepositoryVersion, checkInIntervalSeconds, KillSwitchEngaged));
        if (answers.Count < MaxCachedAnswers)
            answers.TryAdd(k, answer);
        return answer;
    }

    /// <summary>Completed rollouts kept per channel: the newest, and older ones for hosts that may not take it yet.</summary>
    private const int CompletedPerChannel = 3;

    public static async Task<TargetSnapshot> LoadAsync(Database db, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var files = await CatalogStore.TargetsAsync(connection);
        var byKey = files.ToDictionary(f => (f.Channel, f.Version), ToTarget);
        var rollouts = await RolloutStore.ApprovedAsync(connection);
        var knownBad = await RolloutStore.KnownBadHashesAsync(connection);
        var knownBadVersion = await CatalogStore.KnownBadVersionAsync(connection);
        var kill = await CatalogStore.KillSwitchAsync(connection);
        var engaged = kill.Engaged != 0;

        var channels = new List<ChannelPlacement>();
        foreach (var group in rollouts.GroupBy(r => r.Channel, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var completed = group.Where(r => r.Status == nameof(RolloutStatus.Completed)).Take(CompletedPerChannel).ToList();
            // Content older than the oldest kept completed rollout is superseded: that rollout exposes every host.
            var floor = completed.Count == CompletedPerChannel ? completed[^1].Version : long.MinValue;
            var entries = new List<RolloutEntry>();
            var placed = new List<PlacedRollout>();
            foreach (var r in group)
            {
                if (!byKey.TryGetValue((r.Channel, r.Version), out var content) || r.Version < floor)
                    continue;
                var isCompleted = r.Status == nameof(RolloutStatus.Completed);
                if (isCompleted && !completed.Contains(r))
                    continue;
                entries.Add(new RolloutEntry(EngineInputs.SpecOf(r, content.ValidatedBuilds), EngineInputs.StateOf(r)));
                placed.Add(new PlacedRollout(isCompleted ? null : r.Id, content));
            }
            if (entries.Count == 0)
                continue;
            var resolver = TargetResolver.Create(new ResolverSnapshot(entries, EngineInputs.Policies, engaged, BaselineVersion: 0));
            var channelFiles = files.Where(f => f.Channel == group.Key).ToDictionary(f => f.Version, f => byKey[(f.Channel, f.Version)]);
            channels.Add(new ChannelPlacement(group.Key, resolver, placed, channelFiles));
        }
        return new TargetSnapshot(channels, knownBad, knownBadVersion, files.Count + knownBadVersion, engaged);
    }

    private static ContentTarget ToTarget(ChannelFileRow f) => new(f.Channel, f.Version, f.Sha256, f.TargetName, f.Length,
        (JsonSerializer.Deserialize(f.ValidatedBuildsJson, ServerJsonContext.Default.ListString) ?? []).ToHashSet(StringComparer.Ordinal));
}

/// <summary>Holds the current snapshot; refreshed by <see cref="SnapshotRefresher"/> and after local writes.</summary>
public sealed class TargetSnapshotHolder(Database db)
{
    private volatile TargetSnapshot _current = TargetSnapshot.Empty;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public TargetSnapshot Current => _current;

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _current = await TargetSnapshot.LoadAsync(db, ct);
        }
        finally
        {
            _gate.Release();
        }
    }
}
