using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Repository;

/// <summary>The private keys at hand for one operation, by key id. Owns (and disposes) the keys added to it.</summary>
public sealed class KeyRing : IDisposable
{
    private readonly Dictionary<string, SigningKey> _keys = new(StringComparer.Ordinal);

    public KeyRing(params IEnumerable<SigningKey> keys)
    {
        foreach (var key in keys)
            Add(key);
    }

    public IReadOnlyCollection<SigningKey> Keys => _keys.Values;

    public void Add(SigningKey key) => _keys.TryAdd(key.KeyId, key);

    public bool Contains(string keyId) => _keys.ContainsKey(keyId);

    /// <summary>The keys of <paramref name="role"/> we hold; throws <see cref="RepositoryException"/> when fewer than its threshold.</summary>
    public IReadOnlyList<SigningKey> For(RootMetadata root, string role)
    {
        var roleKeys = root.For(role);
        var held = roleKeys.KeyIds.Where(_keys.ContainsKey).Select(id => _keys[id]).ToList();
        if (held.Count < roleKeys.Threshold)
            throw new RepositoryException($"signing {role} needs {roleKeys.Threshold} of its keys, {held.Count} available");
        return held;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
            key.Dispose();
        _keys.Clear();
    }
}

/// <summary>A repository operation that cannot be done (missing keys, bad target path, missing files).</summary>
public sealed class RepositoryException(string message) : Exception(message);
