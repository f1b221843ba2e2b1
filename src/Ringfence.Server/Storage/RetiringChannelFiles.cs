using System.Data.Common;
using Dapper;
using Ringfence.Content;

namespace Ringfence.Server.Storage;

/// <summary>
/// Whether a published channel file retires its channel (<see cref="ChannelFile.Retire"/>): such a rollout removes every
/// detection on the channel, so the engine is told to wait for two distinct approvers.
/// </summary>
public static class RetiringChannelFiles
{
    public static async Task<bool> IsRetiringAsync(DbConnection c, DbTransaction tx, string channel, long version)
    {
        var content = await c.ExecuteScalarAsync<string?>(
            "SELECT content FROM channel_files WHERE channel = @channel AND version = @version", new { channel, version }, tx);
        if (content is null)
            return false;
        try
        {
            return ContentJson.ReadChannelFile(content).Value is { Retire: true };
        }
        catch (ContentFormatException)
        {
            return false; // not a Ringfence authoring file (a server run with another inspector): nothing retires
        }
    }
}
