using Ringfence.Agent.Runtime;
using Ringfence.Trust.Client;

namespace Ringfence.Agent.Updates;

/// <summary>
/// Trusted metadata on the agent's disk: one <see cref="SlotFile"/> per role (root.json, timestamp.json, …), so a
/// crash mid-write keeps the previous version and a refresh costs no rename. Every load is verified again by the
/// TUF client, which treats a broken file as missing.
/// </summary>
public sealed class FileTrustedMetadataStore(string directory, bool durable = true) : ITrustedMetadataStore
{
    private readonly Dictionary<string, SlotFile> _slots = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.GetFullPath(directory);

    public byte[]? Load(string role) => SlotFor(role).Read()?.Body;

    public void Save(string role, byte[] bytes) => SlotFor(role).Write(bytes);

    public void Delete(string role) => SlotFor(role).Delete();

    private SlotFile SlotFor(string role)
    {
        if (!(role.Length is > 0 and <= 32 && role.All(c => char.IsAsciiLetterLower(c) || c == '-')))
            throw new ArgumentException($"not a metadata role name: \"{role}\"", nameof(role));
        lock (_slots)
        {
            if (!_slots.TryGetValue(role, out var slot))
                _slots[role] = slot = new SlotFile(Path.Combine(Directory, role + ".json"), durable);
            return slot;
        }
    }
}
