namespace Ringfence.Trust.Client;

/// <summary>
/// Gets repository files. Paths are relative to the repository: <c>metadata/timestamp.json</c>, <c>metadata/3.root.json</c>,
/// <c>targets/&lt;sha256&gt;.&lt;name&gt;</c>. HTTP, a directory, or memory all fit behind it.
/// </summary>
public interface IRepositoryFetcher
{
    /// <summary>
    /// Returns the file's bytes, or null when the repository does not have it (HTTP 404).
    /// Must not read more than <paramref name="maxLength"/> + 1 bytes (the client refuses anything longer: endless data).
    /// Other failures (network, I/O) may throw; the client reports them as <see cref="RepositoryUnavailableException"/>.
    /// </summary>
    ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken);
}

/// <summary>Where the client keeps the metadata it trusts between refreshes (keyed by role name: root, timestamp, snapshot, targets).</summary>
public interface ITrustedMetadataStore
{
    byte[]? Load(string role);
    void Save(string role, byte[] bytes);
    void Delete(string role);
}

/// <summary>A trusted-metadata store in memory (tests, benchmarks, short-lived clients).</summary>
public sealed class InMemoryTrustedMetadataStore : ITrustedMetadataStore
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public byte[]? Load(string role)
    {
        lock (_gate)
            return _files.TryGetValue(role, out var bytes) ? bytes : null;
    }

    public void Save(string role, byte[] bytes)
    {
        lock (_gate)
            _files[role] = bytes;
    }

    public void Delete(string role)
    {
        lock (_gate)
            _files.Remove(role);
    }
}
