using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>A host as placement needs it: its ids and groups.</summary>
public sealed class HostPlacementRow
{
    public string HostId { get; set; } = "";
    public string AgentBuild { get; set; } = "";
    public string Os { get; set; } = "";
    public string OsBuild { get; set; } = "";
    public string GroupsJson { get; set; } = "[]";
}

/// <summary>How many hosts one (agent build, OS, OS build) configuration has.</summary>
public sealed class ConfigurationCountRow
{
    public string AgentBuild { get; set; } = "";
    public string Os { get; set; } = "";
    public string OsBuild { get; set; } = "";
    public long Hosts { get; set; }
}

/// <summary>Crashes a host's check-ins reported that neither source has counted yet.</summary>
public sealed class UncountedCrashRow
{
    public string HostId { get; set; } = "";
    public string AgentBuild { get; set; } = "";
    public string OsBuild { get; set; } = "";
    public long Uncounted { get; set; }
}

/// <summary>The SQL of hosts for placement, coverage and crash counting.</summary>
public static class HostStore
{
    public static Task<string?> GroupsJsonAsync(DbConnection c, string hostId) =>
        c.ExecuteScalarAsync<string?>("SELECT groups_json FROM hosts WHERE host_id = @hostId", new { hostId });

    public static async Task<List<HostPlacementRow>> PlacementRowsAsync(DbConnection c, DbTransaction? tx = null) =>
        (await c.QueryAsync<HostPlacementRow>("SELECT host_id, agent_build, os, os_build, groups_json FROM hosts ORDER BY host_id", transaction: tx)).AsList();

    /// <summary>What each host runs on <paramref name="channel"/>: host id → active hash.</summary>
    public static async Task<Dictionary<string, string?>> ActiveHashesAsync(DbConnection c, string channel, DbTransaction? tx = null) =>
        (await c.QueryAsync<(string, string?)>("SELECT host_id, active_hash FROM host_channels WHERE channel = @channel", new { channel }, tx))
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    public static async Task<List<ConfigurationCountRow>> ConfigurationCountsAsync(DbConnection c, DbTransaction? tx = null) =>
        (await c.QueryAsync<ConfigurationCountRow>(
            "SELECT agent_build, os, os_build, COUNT(*) AS hosts FROM hosts GROUP BY agent_build, os, os_build ORDER BY agent_build, os, os_build", transaction: tx)).AsList();

    /// <summary>Adds the crashes a check-in reports (HostHealth.CrashesSinceLastCheckIn).</summary>
    public static Task AddReportedCrashesAsync(DbConnection c, DbTransaction tx, string hostId, int crashes, long now) =>
        c.ExecuteAsync("UPDATE hosts SET crashes_reported = crashes_reported + @crashes, crashes_reported_at = @now WHERE host_id = @hostId",
            new { crashes = (long)crashes, now, hostId }, tx);

    /// <summary>
    /// Records <paramref name="events"/> more Crash events of a host and returns how many of them count: those beyond
    /// what was already counted from its check-in reports.
    /// </summary>
    public static async Task<long> CountCrashEventsAsync(DbConnection c, DbTransaction tx, string hostId, long events)
    {
        var (seen, counted) = await c.QuerySingleAsync<(long, long)>("SELECT crash_events, crashes_counted FROM hosts WHERE host_id = @hostId", new { hostId }, tx);
        var total = seen + events;
        await c.ExecuteAsync("UPDATE hosts SET crash_events = @total, crashes_counted = @counted WHERE host_id = @hostId",
            new { total, counted = Math.Max(counted, total), hostId }, tx);
        return Math.Max(0, total - Math.Max(counted, seen));
    }

    /// <summary>Hosts whose check-ins reported more crashes than were counted, reported at or before <paramref name="before"/>.</summary>
    public static async Task<List<UncountedCrashRow>> UncountedReportsAsync(DbConnection c, DbTransaction tx, long before) =>
        (await c.QueryAsync<UncountedCrashRow>(
            """
            SELECT host_id, agent_build, os_build, crashes_reported - crashes_counted AS uncounted FROM hosts
            WHERE crashes_reported > crashes_counted AND crashes_reported_at <= @before ORDER BY host_id LIMIT 2000
            """, new { before }, tx)).AsList();

    public static Task MarkReportsCountedAsync(DbConnection c, DbTransaction tx, string hostId) =>
        c.ExecuteAsync("UPDATE hosts SET crashes_counted = crashes_reported WHERE host_id = @hostId AND crashes_reported > crashes_counted", new { hostId }, tx);

    /// <summary>The content hash a host runs on each channel.</summary>
    public static async Task<Dictionary<string, string?>> ChannelsOfAsync(DbConnection c, DbTransaction tx, string hostId) =>
        (await c.QueryAsync<(string, string?)>("SELECT channel, active_hash FROM host_channels WHERE host_id = @hostId", new { hostId }, tx))
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    /// <summary>
    /// Hosts last seen in [<paramref name="from"/>, <paramref name="cutoff"/>), counted by whether they run
    /// <paramref name="sha"/> on <paramref name="channel"/> (1) or not (0).
    /// </summary>
    public static async Task<Dictionary<long, long>> SilentHostsAsync(DbConnection c, string sha, string channel, long cutoff, long from) =>
        (await c.QueryAsync<(long, long)>(
            """
            SELECT CASE WHEN hc.active_hash = @sha THEN 1 ELSE 0 END, COUNT(*)
            FROM hosts h LEFT JOIN host_channels hc ON hc.host_id = h.host_id AND hc.channel = @channel
            WHERE h.last_seen < @cutoff AND h.last_seen >= @from
            GROUP BY CASE WHEN hc.active_hash = @sha THEN 1 ELSE 0 END
            """, new { sha, channel, cutoff, from }))
            .ToDictionary(x => x.Item1, x => x.Item2);

    public static Task<long> CountAsync(DbConnection c) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts");

    public static Task<long> CountSeenSinceAsync(DbConnection c, long since) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hosts WHERE last_seen >= @since", new { since });

    /// <summary>The fleet's agent builds with host counts.</summary>
    public static async Task<List<(string AgentBuild, long Hosts)>> BuildCountsAsync(DbConnection c) =>
        (await c.QueryAsync<(string, long)>("SELECT agent_build, COUNT(*) FROM hosts GROUP BY agent_build ORDER BY agent_build")).AsList();

    /// <summary>Stores a newly enrolled host, seen now.</summary>
    public static Task InsertAsync(DbConnection c, DbTransaction tx, string hostId, string hostname, string credentialHash, string agentBuild, string os, string osBuild,
        string groupsJson, long now) =>
        c.ExecuteAsync(
            """
            INSERT INTO hosts (host_id, hostname, credential_hash, agent_build, os, os_build, groups_json, channels_json, failed_boots, enrolled_at, last_seen)
            VALUES (@hostId, @hostname, @credentialHash, @agentBuild, @os, @osBuild, @groupsJson, '[]', 0, @now, @now)
            """, new { hostId, hostname, credentialHash, agentBuild, os, osBuild, groupsJson, now }, tx);

    /// <summary>Moves hosts' last_seen forward (never back); each parameter carries hostId and seen.</summary>
    public static Task TouchLastSeenAsync(DbConnection c, DbTransaction tx, IEnumerable<object> hostsSeen) =>
        c.ExecuteAsync("UPDATE hosts SET last_seen = @seen WHERE host_id = @hostId AND last_seen < @seen", hostsSeen, tx);

    /// <summary>Stores what a check-in reports: the host's configuration, failed boots, and what it runs on each channel.</summary>
    public static async Task WriteReportAsync(DbConnection c, DbTransaction tx, string hostId, string agentBuild, string os, string osBuild, string channelsJson, long failedBoots,
        IEnumerable<(string Channel, long? Version, string? Hash)> channels, long now)
    {
        await c.ExecuteAsync(
            "UPDATE hosts SET agent_build = @agentBuild, os = @os, os_build = @osBuild, channels_json = @channelsJson, failed_boots = @failedBoots, last_seen = @now WHERE host_id = @hostId",
            new { agentBuild, os, osBuild, channelsJson, failedBoots, now, hostId }, tx);
        await c.ExecuteAsync("DELETE FROM host_channels WHERE host_id = @hostId", new { hostId }, tx);
        foreach (var (channel, version, hash) in channels)
            await c.ExecuteAsync(
                "INSERT INTO host_channels (host_id, channel, active_version, active_hash) VALUES (@hostId, @channel, @version, @hash)",
                new { hostId, channel, version, hash }, tx);
    }
}
