using System.Data.Common;
using Dapper;

namespace Ringfence.Server.Storage;

/// <summary>The SQL of the catalog: published channel files, settings and the kill switch. The caller owns the connection.</summary>
public static class CatalogStore
{
    public static async Task<bool> KillSwitchEngagedAsync(DbConnection c, DbTransaction? tx = null) =>
        await c.ExecuteScalarAsync<long>("SELECT engaged FROM kill_switch WHERE id = 1", transaction: tx) != 0;

    /// <summary>The agent builds a published channel file was validated against, as stored (JSON); null when it is not published.</summary>
    public static Task<string?> ValidatedBuildsJsonAsync(DbConnection c, DbTransaction? tx, string channel, long version) =>
        c.ExecuteScalarAsync<string?>("SELECT validated_builds_json FROM channel_files WHERE channel = @channel AND version = @version", new { channel, version }, tx);

    private const string FileColumns = "channel, version, sha256, target_name, length, '' AS content, published_at, published_by, validated_builds_json, findings_json";

    /// <summary>Whether <paramref name="channel"/> has <paramref name="version"/> or a later one published (versions only go up).</summary>
    public static async Task<bool> HasVersionAtLeastAsync(DbConnection c, DbTransaction tx, string channel, long version) =>
        await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM channel_files WHERE channel = @channel AND version >= @version", new { channel, version }, tx) > 0;

    public static Task InsertChannelFileAsync(DbConnection c, DbTransaction tx, string channel, long version, string sha, string targetName, long length, string content,
        long now, string by, string validatedJson, string findingsJson) =>
        c.ExecuteAsync(
            """
            INSERT INTO channel_files (channel, version, sha256, target_name, length, content, published_at, published_by, validated_builds_json, findings_json)
            VALUES (@channel, @version, @sha, @targetName, @length, @content, @now, @by, @validatedJson, @findingsJson)
            """, new { channel, version, sha, targetName, length, content, now, by, validatedJson, findingsJson }, tx);

    /// <summary>Published channel files without their content, newest first.</summary>
    public static async Task<List<ChannelFileRow>> ListChannelFilesAsync(DbConnection c) =>
        (await c.QueryAsync<ChannelFileRow>($"SELECT {FileColumns} FROM channel_files ORDER BY published_at DESC, channel, version DESC")).AsList();

    /// <summary>One published channel file without its content; null when it is not published.</summary>
    public static Task<ChannelFileRow?> FindChannelFileAsync(DbConnection c, DbTransaction? tx, string channel, long version) =>
        c.QueryFirstOrDefaultAsync<ChannelFileRow>($"SELECT {FileColumns} FROM channel_files WHERE channel = @channel AND version = @version", new { channel, version }, tx);

    public static Task<KillSwitchRow> KillSwitchAsync(DbConnection c) =>
        c.QuerySingleAsync<KillSwitchRow>("SELECT engaged, reason, changed_at, changed_by FROM kill_switch WHERE id = 1");

    public static Task SetKillSwitchAsync(DbConnection c, DbTransaction tx, bool engaged, string? reason, long now, string by) =>
        c.ExecuteAsync("UPDATE kill_switch SET engaged = @engaged, reason = @reason, changed_at = @now, changed_by = @by WHERE id = 1",
            new { engaged = engaged ? 1L : 0L, reason, now, by }, tx);

    /// <summary>The known-bad list's version (it only goes up).</summary>
    public static async Task<long> KnownBadVersionAsync(DbConnection c) =>
        long.Parse(await c.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE name = 'known_bad_version'") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every published channel file, without its content or findings (what target resolution needs).</summary>
    public static async Task<List<ChannelFileRow>> TargetsAsync(DbConnection c) =>
        (await c.QueryAsync<ChannelFileRow>(
            "SELECT channel, version, sha256, target_name, length, '' AS content, published_at, published_by, validated_builds_json, '[]' AS findings_json FROM channel_files")).AsList();
}
