using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringfence.Protocol;
using Ringfence.Server.Audit;
using Ringfence.Server.Auth;
using Ringfence.Server.Hosting;
using Ringfence.Server.Http;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Services;

/// <summary>A value or the problem that stopped it.</summary>
public readonly record struct Outcome<T>(T? Value, ProblemHttpResult? Problem)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);
    public static implicit operator Outcome<T>(ProblemHttpResult problem) => new(default, problem);
}

/// <summary>
/// The operations behind the HTTP API. Every state change and its audit entry commit in one transaction; decisions
/// have deterministic ids, so a repeated or concurrent action fails on the unique key instead of happening twice.
/// </summary>
public sealed partial class ControlPlane(
    Database db,
    TimeProvider time,
    RingfenceServerOptions options,
    IChannelFileInspector inspector,
    TargetSnapshotHolder snapshot,
    HostAuth hostAuth,
    Tuf.ServerTufRepository tuf,
    RolloutTransitions transitions,
    ILogger<ControlPlane> logger)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private readonly TelemetryStore _telemetry = new(db);

    private static string Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    private static string Details(params (string Key, object? Value)[] pairs)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
            if (v is not null)
                map[k] = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return Json(map, ServerJsonContext.Default.SortedDictionaryStringString);
    }

    private Task AuditAsync(DbConnection c, DbTransaction tx, string actor, string action, string subject, string? details) =>
        AuditLog.AppendAsync(c, tx, db.Provider, Now, actor, action, subject, details);

    // ---------------------------------------------------------------- bootstrap

    /// <summary>
    /// Makes sure an admin key and an enrollment token exist. Configured ones are stored (hashed) if new; when none
    /// exists and none is configured, fresh ones are generated and returned so the caller prints them once.
    /// </summary>
    public async Task<(string? AdminKey, string? EnrollmentToken)> BootstrapAsync(CancellationToken ct)
    {
        return await db.InTransactionAsync(async (c, tx) =>
        {
            string? printedKey = null, printedToken = null;
            var keys = await ApiKeyStore.CountAsync(c, tx);
            if (options.BootstrapAdminKey is { } configured)
            {
                var hash = Secrets.Hash(configured);
                if (!await ApiKeyStore.ExistsByHashAsync(c, tx, hash))
                    await InsertKeyAsync(c, tx, "bootstrap-admin", OperatorRole.Admin, hash, "system:bootstrap");
            }
            else if (keys == 0)
            {
                printedKey = Secrets.New("rfk_");
                await InsertKeyAsync(c, tx, "bootstrap-admin", OperatorRole.Admin, Secrets.Hash(printedKey), "system:bootstrap");
            }

            var tokens = await EnrollmentTokenStore.CountAsync(c, tx);
            if (options.BootstrapEnrollmentToken is { } token)
            {
                var hash = Secrets.Hash(token);
                if (!await EnrollmentTokenStore.ExistsByHashAsync(c, tx, hash))
                    await InsertTokenAsync(c, tx, "bootstrap", null, hash, "system:bootstrap");
            }
            else if (tokens == 0)
            {
                printedToken = Secrets.New("rfe_");
                await InsertTokenAsync(c, tx, "bootstrap", null, Secrets.Hash(printedToken), "system:bootstrap");
            }
            return (printedKey, printedToken);
        }, ct);
    }

    private async Task<string> InsertKeyAsync(DbConnection c, DbTransaction tx, string name, OperatorRole role, string hash, string actor, long? expiresAt = null)
    {
        var id = Secrets.NewId("key_");
        await ApiKeyStore.InsertAsync(c, tx, id, name, role.ToString(), hash, Now, expiresAt);
        await AuditAsync(c, tx, actor, "api-key.create", id, Details(("name", name), ("role", role),
            ("expiresAt", expiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e).ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null)));
        return id;
    }

    private async Task<string> InsertTokenAsync(DbConnection c, DbTransaction tx, string name, int? maxHosts, string hash, string actor)
    {
        var id = Secrets.NewId("tok_");
        await EnrollmentTokenStore.InsertAsync(c, tx, id, name, hash, maxHosts, Now);
        await AuditAsync(c, tx, actor, "enrollment-token.create", id, Details(("name", name), ("maxHosts", maxHosts)));
        return id;
    }

    public async Task<Outcome<ApiKeyCreated>> CreateApiKeyAsync(OperatorPrincipal by, CreateApiKeyRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 64)
            return Problems.Invalid("$.name: required, at most 64 characters");
        if (!Enum.IsDefined(request.Role))
            return Problems.Invalid("$.role: unknown role");
        var (expiresAt, expiryError) = CredentialLifecycle.ResolveExpiry(request.ExpiresAt, request.ExpiresInDays, Now);
        if (expiryError is not null)
            return Problems.Invalid(expiryError);
        var key = Secrets.New("rfk_");
        var id = await db.InTransactionAsync((c, tx) => InsertKeyAsync(c, tx, request.Name, request.Role, Secrets.Hash(key), by.Actor, expiresAt), ct);
        return new ApiKeyCreated(id, request.Name, request.Role, key, expiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null);
    }

    public async Task<Outcome<EnrollmentTokenCreated>> CreateEnrollmentTokenAsync(OperatorPrincipal by, CreateEnrollmentTokenRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 64)
            return Problems.Invalid("$.name: required, at most 64 characters");
        if (request.MaxHosts is < 1)
            return Problems.Invalid("$.maxHosts: must be at least 1");
        var token = Secrets.New("rfe_");
        var id = await db.InTransactionAsync((c, tx) => InsertTokenAsync(c, tx, request.Name, request.MaxHosts, Secrets.Hash(token), by.Actor), ct);
        return new EnrollmentTokenCreated(id, request.Name, token);
    }

    // ---------------------------------------------------------------- agents

    private static string? CheckConfiguration(HostConfiguration? configuration, string path)
    {
        if (configuration is null)
            return $"{path}: required";
        if (!IsToken(configuration.AgentBuild))
            return $"{path}.agentBuild: 1..64 characters of letters, digits, '.', '-', '_'";
        if (!IsToken(configuration.Os))
            return $"{path}.os: 1..64 characters of letters, digits, '.', '-', '_'";
        if (!IsToken(configuration.OsBuild))
            return $"{path}.osBuild: 1..64 characters of letters, digits, '.', '-', '_'";
        return null;
    }

    private static bool IsToken(string? s) =>
        s is { Length: > 0 and <= 64 } && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_');

    public async Task<Outcome<EnrollResponse>> EnrollAsync(EnrollRequest request, string trustedRoot, CancellationToken ct)
    {
        if (CheckConfiguration(request.Configuration, "$.configuration") is { } bad)
            return Problems.Invalid(bad);
        if (string.IsNullOrWhiteSpace(request.Hostname) || request.Hostname.Length > 255)
            return Problems.Invalid("$.hostname: required, at most 255 characters");
        if (request.Groups is { } groups && (groups.Count > 32 || groups.Any(g => !IsToken(g))))
            return Problems.Invalid("$.groups: at most 32 groups of 1..64 letters, digits, '.', '-', '_'");
        if (string.IsNullOrEmpty(request.EnrollmentToken))
            return Problems.Unauthenticated("$.enrollmentToken: required");

        var tokenHash = Secrets.Hash(request.EnrollmentToken);
        var hostId = Secrets.NewId("h_");
        var credential = HostAuth.MakeCredential(hostId);
        var credentialHash = Secrets.Hash(credential);
        var ok = await db.InTransactionAsync(async (c, tx) =>
        {
            var token = await EnrollmentTokenStore.FindByHashAsync(c, tx, tokenHash);
            if (token is null || (token.Max is { } max && token.Used >= max))
                return false;
            await EnrollmentTokenStore.MarkUsedAsync(c, tx, token.Id);
            var cfg = request.Configuration;
            await HostStore.InsertAsync(c, tx, hostId, request.Hostname, credentialHash, cfg.AgentBuild, cfg.Os, cfg.OsBuild,
                Json([.. request.Groups ?? []], ServerJsonContext.Default.ListString), Now);
            return true;
        }, ct);
        if (!ok)
            return Problems.Unauthenticated("the enrollment token is not known or is used up");
        hostAuth.Remember(hostId, credentialHash);
        _tags[hostId] = EngineInputs.TagsOf(request.Groups ?? [], options.DogfoodGroups);
        LogEnrolled(hostId, request.Configuration.AgentBuild, request.Configuration.OsBuild);
        return new EnrollResponse(hostId, credential, trustedRoot, options.CheckInIntervalSeconds);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Reported State, long WrittenAt)> _lastCheckIn = new();

    /// <summary>What a host last reported that is stored: compared field by field, so an unchanged check-in builds nothing.</summary>
    private sealed record Reported(HostConfiguration Configuration, int FailedBoots, ChannelState[] Channels)
    {
        public static Reported Of(CheckInRequest r) => new(r.Configuration, r.Health.ConsecutiveFailedBoots, [.. r.Channels]);

        public bool Matches(CheckInRequest r)
        {
            if (Configuration != r.Configuration || FailedBoots != r.Health.ConsecutiveFailedBoots || Channels.Length != r.Channels.Count)
                return false;
            for (var i = 0; i < Channels.Length; i++)
            {
                if (Channels[i] != r.Channels[i])
                    return false;
            }
            return true;
        }
    }
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _pendingLastSeen = new();

    /// <summary>last_seen only feeds "seen in the last hour": a minute's resolution is plenty.</summary>
    private const long LastSeenResolutionMs = 60_000;

    private const int LastSeenRowsPerTransaction = 500;

    /// <summary>
    /// Writes the last_seen times of hosts whose check-ins changed nothing, in one transaction (every node's snapshot
    /// refresher calls it each period). A crash loses at most one period of these times, never a reported state.
    /// </summary>
    public async Task<int> FlushLastSeenAsync(CancellationToken ct)
    {
        if (_pendingLastSeen.IsEmpty)
            return 0;
        var batch = new List<object>();
        foreach (var hostId in _pendingLastSeen.Keys)
        {
            if (_pendingLastSeen.TryRemove(hostId, out var seen))
                batch.Add(new { hostId, seen });
        }
        if (batch.Count == 0)
            return 0;
        // Short transactions, so check-ins that do change something never wait long for the single writer.
        foreach (var chunk in batch.Chunk(LastSeenRowsPerTransaction))
            await db.InUnsyncedTransactionAsync(async (c, tx) =>
            {
                await HostStore.TouchLastSeenAsync(c, tx, chunk);
                return 0;
            }, ct);
        return batch.Count;
    }

    /// <summary>Records what the host reports (only when it changed, or once a minute for last-seen) and resolves its targets.</summary>
    public async Task<Outcome<CheckInAnswer>> CheckInAsync(HostPrincipal host, CheckInRequest request, CancellationToken ct)
    {
        if (request.HostId != host.HostId)
            return Problems.Forbidden($"$.hostId: '{request.HostId}' is not the host this credential was issued to");
        if (CheckConfiguration(request.Configuration, "$.configuration") is { } bad)
            return Problems.Invalid(bad);
        if (request.Channels is null || request.Channels.Count > 256)
            return Problems.Invalid("$.channels: required, at most 256");
        var reportedChannels = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Channels.Count; i++)
        {
            var ch = request.Channels[i];
            if (ch is null || !IsToken(ch.Channel))
                return Problems.Invalid($"$.channels[{i}].channel: 1..64 letters, digits, '.', '-', '_'");
            if (!reportedChannels.Add(ch.Channel))
                return Problems.Invalid($"$.channels[{i}].channel: duplicate channel '{ch.Channel}'");
            if (ch.ActiveHash is { } h && (h.Length != 64 || !h.All(char.IsAsciiHexDigitLower)))
                return Problems.Invalid($"$.channels[{i}].activeHash: 64 lowercase hex digits");
        }
        if (request.Health is null || request.Health.ConsecutiveFailedBoots < 0 || request.Health.CrashesSinceLastCheckIn < 0)
            return Problems.Invalid("$.health: required, counts must not be negative");

        var now = Now;
        var cfg = request.Configuration;
        if (_lastCheckIn.TryGetValue(host.HostId, out var last) && last.State.Matches(request))
        {
            // Nothing changed but the time: last_seen is written in bulk by FlushLastSeenAsync, at most once a minute per host.
            if (now - last.WrittenAt > LastSeenResolutionMs)
            {
                _pendingLastSeen[host.HostId] = now;
                _lastCheckIn[host.HostId] = (last.State, now);
            }
        }
        else
        {
            var channelsJson = Json([.. request.Channels], ServerJsonContext.Default.ListChannelState);
            // Unsynced: the host re-sends this report at every check-in (Database.InUnsyncedTransactionAsync).
            await db.InUnsyncedTransactionAsync(async (c, tx) =>
            {
                // Only reached when the report changed (or this node has not seen the host yet).
                await HostStore.WriteReportAsync(c, tx, host.HostId, cfg.AgentBuild, cfg.Os, cfg.OsBuild, channelsJson, request.Health.ConsecutiveFailedBoots,
                    request.Channels.Select(ch => (ch.Channel, ch.ActiveVersion, ch.ActiveHash)), now);
                return 0;
            }, ct);
            _lastCheckIn[host.HostId] = (Reported.Of(request), now);
        }

        if (request.Health.CrashesSinceLastCheckIn > 0)
            await db.InTransactionAsync(async (c, tx) => { await HostStore.AddReportedCrashesAsync(c, tx, host.HostId, request.Health.CrashesSinceLastCheckIn, now); return 0; }, ct);
        var facts = EngineInputs.Facts(host.HostId, cfg, await TagsAsync(host.HostId, ct));
        return snapshot.Current.Answer(facts, cfg, request.Channels, time.GetUtcNow(), options.CheckInIntervalSeconds);
    }

    /// <summary>Engine tags of a host (dogfood from its enrollment groups), read once per host and node: groups never change.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Ringfence.Rollouts.Fleet.HostTags> _tags = new(StringComparer.Ordinal);

    private async ValueTask<Ringfence.Rollouts.Fleet.HostTags> TagsAsync(string hostId, CancellationToken ct)
    {
        if (_tags.TryGetValue(hostId, out var tags))
            return tags;
        await using var c = await db.OpenAsync(ct);
        tags = EngineInputs.TagsOf(await HostStore.GroupsJsonAsync(c, hostId) ?? "[]", options.DogfoodGroups);
        _tags[hostId] = tags;
        return tags;
    }

    public async Task<Outcome<TelemetryAck>> IngestTelemetryAsync(HostPrincipal host, TelemetryBatch batch, CancellationToken ct)
    {
        if (batch.HostId != host.HostId)
            return Problems.Forbidden($"$.hostId: '{batch.HostId}' is not the host this credential was issued to");
        if (batch.IdempotencyKey is not { Length: > 0 and <= 64 } key || !key.All(ch => ch > ' ' && ch < 127))
            return Problems.Invalid("$.idempotencyKey: 1..64 printable ASCII characters");
        if (batch.Events is null || batch.Events.Count > 10_000)
            return Problems.Invalid("$.events: required, at most 10000");
        for (var i = 0; i < batch.Events.Count; i++)
        {
            var e = batch.Events[i];
            if (e is null || !Enum.IsDefined(e.Kind))
                return Problems.Invalid($"$.events[{i}].kind: unknown kind");
            if (e.Channel is { } ch && !IsToken(ch))
                return Problems.Invalid($"$.events[{i}].channel: 1..64 letters, digits, '.', '-', '_'");
            if (e.ContentHash is { } h && (h.Length != 64 || !h.All(char.IsAsciiHexDigitLower)))
                return Problems.Invalid($"$.events[{i}].contentHash: 64 lowercase hex digits");
            if (e.InstanceId is { Length: > 128 } || e.Detail is { Length: > 1024 })
                return Problems.Invalid($"$.events[{i}]: instanceId at most 128 and detail at most 1024 characters");
        }

        if (batch.Sequence is < 1)
            return Problems.Invalid("$.sequence: at least 1 when present");

        var appended = await _telemetry.AppendAsync(host.HostId, batch, FoldHeartbeats(batch.Events), Now, ct);
        if (appended.Conflict)
            return Problems.Create(409, TelemetryConflict.Code, "Idempotency key reused with different content",
                $"$.idempotencyKey: '{key}' is already stored with other events (was this host's state restored from a backup?); send them again under a key past sequence {appended.HighestSequence}",
                appended.HighestSequence is { } highest ? new Dictionary<string, object?> { [TelemetryConflict.HighestSequenceMember] = highest } : null);
        return new TelemetryAck(key, appended.Stored ? batch.Events.Count : 0, !appended.Stored);
    }

    /// <summary>
    /// One stored row per event, except that a run of heartbeats in the same minute about the same content becomes one
    /// row with its count: heartbeats are nearly all telemetry and are only ever counted per minute, so storing each
    /// one would make the database, not the network, the limit on ingest.
    /// </summary>
    public static List<(int Index, TelemetryEvent Event, int Count)> FoldHeartbeats(IReadOnlyList<TelemetryEvent> events)
    {
        var rows = new List<(int Index, TelemetryEvent Event, int Count)>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (rows.Count > 0 && rows[^1] is var (index, last, count) && SameHeartbeatRun(last, e))
                rows[^1] = (index, last, count + 1);
            else
                rows.Add((i, e, 1));
        }
        return rows;
    }

    private static bool SameHeartbeatRun(TelemetryEvent a, TelemetryEvent b) =>
        a.Kind == TelemetryKind.Heartbeat && b.Kind == TelemetryKind.Heartbeat
        && a.At.ToUnixTimeMilliseconds() / TelemetryStore.WindowMs == b.At.ToUnixTimeMilliseconds() / TelemetryStore.WindowMs
        && a.Channel == b.Channel && a.ContentVersion == b.ContentVersion && a.ContentHash == b.ContentHash
        && a.InstanceId == b.InstanceId && a.BootCrash == b.BootCrash && a.Detail == b.Detail;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Enrolled host {HostId} ({AgentBuild} on {OsBuild})")]
    private partial void LogEnrolled(string hostId, string agentBuild, string osBuild);
}
