using Ringfence.Trust.Client;

namespace Ringfence.Agent.Updates;

/// <summary>Trusted metadata on the agent's disk: one file per role (root.json, timestamp.json, …), replaced atomically.</summary>
public sealed class FileTrustedMetadataStore(string directory) : ITrustedMetadataStore
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public byte[]? Load(string role)
    {
        var path = PathFor(role);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public void Save(string role, byte[] bytes)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(role);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string role) => File.Delete(PathFor(role));

    private string PathFor(string role) =>
        role.Length is > 0 and <= 32 && role.All(c => char.IsAsciiLetterLower(c) || c == '-')
            ? Path.Combine(Directory, role + ".json")
            : throw new ArgumentException($"not a metadata role name: \"{role}\"", nameof(role));
}
