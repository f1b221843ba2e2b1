using System.Text.Json;
using System.Text.Json.Serialization;
using Ringfence.Agent.StateMachine;
using Ringfence.Protocol;

namespace Ringfence.Agent.Runtime;

/// <summary>Content the agent holds: which channel file version, by its hash and TUF target name.</summary>
public sealed record ContentRef(string Channel, long Version, string Sha256, string TargetName);

/// <summary>
/// One channel's durable state: the agent state machine's own state (slots by version, quarantine, boot counter,
/// breadcrumb flags), which content each version it mentions is, and the template instance the breadcrumb names.
/// </summary>
public sealed record ChannelDocument
{
    public AgentState Machine { get; init; }

    /// <summary>Content of the versions the machine refers to (active, staged, last-known-good, quarantined).</summary>
    public IReadOnlyList<ContentRef> Contents { get; init; } = [];

    /// <summary>The template instance under evaluation when the interpreter was entered (the breadcrumb's detail).</summary>
    public string? BreadcrumbInstance { get; init; }

    public ContentRef? Find(long version) => version == 0 ? null : Contents.FirstOrDefault(c => c.Version == version);
}

/// <summary>Everything an agent keeps in its data directory between runs, in one document written crash-safely.</summary>
public sealed record AgentStateDocument
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required string Hostname { get; init; }
    public required HostConfiguration Configuration { get; init; }
    public string? HostId { get; init; }
    public string? Credential { get; init; }

    /// <summary>The TUF root pinned at enrollment.</summary>
    public string? TrustedRoot { get; init; }

    /// <summary>Version of the known-bad list last fetched (the check-in answer says when it grew; the list itself is cached, verified, with the TUF metadata).</summary>
    public long KnownBadVersion { get; init; }
    public long Boots { get; init; }
    public Dictionary<string, ChannelDocument> Channels { get; init; } = new(StringComparer.Ordinal);
    /// <summary>True from a boot until a clean stop: still true at the next boot means the host crashed.</summary>
    public bool Up { get; init; }

    /// <summary>The current boot reached its first cycle; a crash before that is a failed boot.</summary>
    public bool BootCompleted { get; init; }

    /// <summary>Crashes found at boot and not yet reported in a check-in's health.</summary>
    public long CrashesSinceCheckIn { get; init; }
    public long TelemetrySequence { get; init; }
    public PendingBatch? TelemetryInFlight { get; init; }
    public IReadOnlyList<TelemetryEvent> TelemetryQueued { get; init; } = [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AgentStateDocument))]
internal sealed partial class AgentStateJsonContext : JsonSerializerContext;

/// <summary>What <see cref="AgentStateStore.ReadContent"/> found on disk.</summary>
public enum BlobState
{
    Intact,
    Missing,
    /// <summary>The bytes no longer match their SHA-256 (a flipped bit, a bad sector): deleted, to be fetched again.</summary>
    Corrupt,
}

/// <summary>The agent's state file could not be read. The message is one line naming the file and where it is broken.</summary>
public sealed class AgentStateException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads and writes the state in <c>DIR/agent-state.json</c> and <c>DIR/agent-state.alt.json</c> (a <see cref="SlotFile"/>),
/// and the content blobs in <c>DIR/content/{sha256}.bin</c> (temp file and rename: written once each).
/// A crash at any moment leaves the previous state or the new one, never half a file.
/// A state file that does not parse is refused with one line, not guessed at: the agent must not invent which
/// content it was running.
/// </summary>
public sealed class AgentStateStore
{
    public const string StateFileName = "agent-state.json";
    private const int MaxStateBytes = 16 * 1024 * 1024;

    public AgentStateStore(string directory, bool durable = true)
    {
        Durable = durable;
        Directory = directory;
        StatePath = Path.Combine(directory, StateFileName);
        _slots = new SlotFile(StatePath, durable);
        ContentDirectory = Path.Combine(directory, "content");
        TufDirectory = Path.Combine(directory, "tuf");
    }

    public string Directory { get; }

    /// <summary>Whether writes reach the disk before they are renamed into place (see <see cref="AgentRuntimeOptions.DurableWrites"/>).</summary>
    public bool Durable { get; }
    /// <summary>The state's first slot; <see cref="AlternateStatePath"/> is the second.</summary>
    public string StatePath { get; }
    public string AlternateStatePath => _slots.AlternatePath;
    public string ContentDirectory { get; }
    public string TufDirectory { get; }

    /// <summary>The saved state, or null when this directory has none yet (a new host).</summary>
    public AgentStateDocument? Load()
    {
        SlotContent? slot;
        try
        {
            slot = _slots.Read(MaxStateBytes);
        }
        catch (SlotFileTooLargeException ex)
        {
            throw new AgentStateException($"agent state {ex.Path} is {ex.Length} bytes, over the {ex.Limit}-byte limit");
        }
        if (slot is null)
            return null;
        var bytes = slot.Body;
        var statePath = slot.Path;
        AgentStateDocument? state;
        try
        {
            state = JsonSerializer.Deserialize(bytes, AgentStateJsonContext.Default.AgentStateDocument);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            throw new AgentStateException($"agent state {statePath} is corrupt at {ex.Path ?? "$"}{where}: {FirstSentence(ex.Message)}; move it away to enroll this host afresh", ex);
        }
        if (state is null)
            throw new AgentStateException($"agent state {statePath} is corrupt at $: null instead of an object; move it away to enroll this host afresh");
        var problems = Check(state);
        if (problems.Count > 0)
            throw new AgentStateException($"agent state {statePath} is inconsistent: {string.Join("; ", problems)}; move it away to enroll this host afresh");
        _lastSaved = slot.Sealed ? bytes : null;
        return state;
    }

    public void Save(AgentStateDocument state)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, AgentStateJsonContext.Default.AgentStateDocument);
        // The same state as the last save is already on disk: skip the write.
        if (_lastSaved is { } last && last.AsSpan().SequenceEqual(bytes))
            return;
        _slots.Write(bytes);
        _lastSaved = bytes;
    }

    private readonly SlotFile _slots;
    private byte[]? _lastSaved;

    public void SaveContent(string sha256, byte[] bytes) => AtomicFile.Write(ContentPath(sha256), bytes, Durable);

    /// <summary>The stored blob, or null when it is missing or no longer matches its hash (it is then deleted).</summary>
    public byte[]? LoadContent(string sha256) => ReadContent(sha256, out var bytes) == BlobState.Intact ? bytes : null;

    /// <summary>Reads the stored blob; one that no longer matches its hash is deleted (it must be fetched again).</summary>
    public BlobState ReadContent(string sha256, out byte[]? bytes)
    {
        bytes = null;
        var path = ContentPath(sha256);
        if (!File.Exists(path))
            return BlobState.Missing;
        var read = File.ReadAllBytes(path);
        if (!string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(read)), sha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(path);
            return BlobState.Corrupt;
        }
        bytes = read;
        return BlobState.Intact;
    }

    private string ContentPath(string sha256) =>
        sha256.Length == 64 && sha256.All(char.IsAsciiHexDigit)
            ? Path.Combine(ContentDirectory, sha256.ToLowerInvariant() + ".bin")
            : throw new ArgumentException($"'{sha256}' is not a SHA-256 in hex", nameof(sha256));

    private static List<string> Check(AgentStateDocument s)
    {
        var problems = new List<string>();
        if (s.Format != AgentStateDocument.CurrentFormat)
            problems.Add($"$.format is {s.Format}, this agent reads format {AgentStateDocument.CurrentFormat}");
        if ((s.HostId is null) != (s.Credential is null) || (s.HostId is not null && s.TrustedRoot is null))
            problems.Add("$.hostId, $.credential and $.trustedRoot must be all present or all absent");
        foreach (var (channel, doc) in s.Channels)
        {
            var m = doc.Machine;
            foreach (var (name, version) in new[] { ("active", m.Active), ("staged", m.Staged), ("lastKnownGood", m.LastKnownGood) })
            {
                if (version < 0)
                    problems.Add($"$.channels.{channel}.machine.{name} is negative");
                else if (version != 0 && doc.Find(version) is null)
                    problems.Add($"$.channels.{channel}.machine.{name} names version {version}, which $.channels.{channel}.contents does not list");
            }
            foreach (var c in doc.Contents)
            {
                if (c.Sha256.Length != 64 || !c.Sha256.All(char.IsAsciiHexDigit))
                    problems.Add($"$.channels.{channel}.contents (version {c.Version}).sha256 is not a SHA-256 in hex");
            }
        }
        if (s.CrashesSinceCheckIn < 0)
            problems.Add("$.crashesSinceCheckIn is negative");
        if (s.TelemetrySequence < 0)
            problems.Add("$.telemetrySequence is negative");
        return problems;
    }

    private static string FirstSentence(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        var cut = line.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? line[..cut] : line;
    }
}
