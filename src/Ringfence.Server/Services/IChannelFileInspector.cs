using System.Text.Json;
using Ringfence.Protocol;

namespace Ringfence.Server.Services;

/// <summary>What publishing learns from a channel file: its identity and every validation finding.</summary>
public sealed record ChannelFileInspection(string? Channel, long? Version, IReadOnlyList<ValidationFinding> Findings)
{
    public bool Rejected => Channel is null || Version is null || Findings.Any(f => f.Severity == "error");
}

/// <summary>Parses and validates a channel file against the fleet's agent builds (with their host counts).</summary>
public interface IChannelFileInspector
{
    ChannelFileInspection Inspect(string content, IReadOnlyList<BuildHostCount> builds);
}

/// <summary>
/// Fallback used until Ringfence.Content's validator is wired: reads only the "channel" and "version" members of a
/// JSON channel file and reports no contract findings.
/// </summary>
public sealed class MinimalChannelFileInspector : IChannelFileInspector
{
    public ChannelFileInspection Inspect(string content, IReadOnlyList<BuildHostCount> builds)
    {
        try
        {
            using var doc = JsonDocument.Parse(content);
            var root = doc.RootElement;
            string? channel = root.TryGetProperty("channel", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            long? version = root.TryGetProperty("version", out var v) && v.TryGetInt64(out var n) ? n : null;
            var findings = new List<ValidationFinding>();
            if (channel is null)
                findings.Add(new("RF-FILE-CHANNEL", "error", "the channel file has no \"channel\" string", "$.channel"));
            if (version is null)
                findings.Add(new("RF-FILE-VERSION", "error", "the channel file has no integer \"version\"", "$.version"));
            return new ChannelFileInspection(channel, version, findings);
        }
        catch (JsonException ex)
        {
            return new ChannelFileInspection(null, null, [new("RF-FILE-SYNTAX", "error", ex.Message.Split(" Path:")[0], ex.Path ?? "$")]);
        }
    }
}
