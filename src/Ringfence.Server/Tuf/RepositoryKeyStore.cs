using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Server.Tuf;

/// <summary>
/// Encrypted private keys in a directory: <c>offline/root-&lt;keyid&gt;.key</c> for root keys (move them off the machine
/// once the repository is set up) and <c>online/&lt;role&gt;-&lt;keyid&gt;.key</c> for targets, snapshot and timestamp.
/// Each file is <see cref="KeyEncryption"/> JSON (PBKDF2-HMAC-SHA256 + AES-256-GCM).
/// </summary>
public sealed class RepositoryKeyStore(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string Save(SigningKey key, string role, string passphrase, int iterations = KeyEncryption.DefaultIterations)
    {
        var folder = Path.Combine(Directory, role == Roles.Root ? "offline" : "online");
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{role}-{key.KeyId[..16]}.key");
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, KeyEncryption.Encrypt(key, role, passphrase, iterations));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>Decrypts the keys of the given roles that the repository's current root still uses.</summary>
    public KeyRing Load(string passphrase, RootMetadata root, params IReadOnlyCollection<string> roles)
    {
        var ring = new KeyRing();
        try
        {
            foreach (var file in KeyFiles())
            {
                var bytes = File.ReadAllBytes(file);
                var name = Path.GetRelativePath(Directory, file);
                var (keyId, role) = KeyEncryption.ReadHeader(bytes, name);
                if (!roles.Contains(role) || !root.RoleKeys.TryGetValue(role, out var roleKeys) || !roleKeys.KeyIds.Contains(keyId))
                    continue;
                ring.Add(KeyEncryption.Decrypt(bytes, passphrase, name));
            }
            return ring;
        }
        catch
        {
            ring.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the file of a key that is no longer used (after a rotation).</summary>
    public void Retire(string keyId)
    {
        foreach (var file in KeyFiles())
        {
            if (Path.GetFileNameWithoutExtension(file).EndsWith("-" + keyId[..16], StringComparison.Ordinal))
                File.Move(file, file + ".retired", overwrite: true);
        }
    }

    private IEnumerable<string> KeyFiles() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.key", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [];
}
