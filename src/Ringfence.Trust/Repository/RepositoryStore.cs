using Ringfence.Trust.Client;

namespace Ringfence.Trust.Repository;

/// <summary>
/// The files of a published repository, by relative path (<c>metadata/…</c>, <c>targets/…</c>).
/// The file-system implementation lives outside the core (Ringfence.Server/Tuf); this one keeps the core testable.
/// </summary>
public interface IRepositoryStore
{
    byte[]? Read(string path);

    /// <summary>Writes the whole file at once (readers see the old or the new file, never half of one).</summary>
    void Write(string path, byte[] bytes);
}

/// <summary>A repository in memory; also a fetcher over itself, for tests and benchmarks.</summary>
public sealed class InMemoryRepositoryStore : IRepositoryStore, IRepositoryFetcher
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyCollection<string> Paths
    {
        get
        {
            lock (_gate)
                return [.. _files.Keys];
        }
    }

    public byte[]? Read(string path)
    {
        lock (_gate)
            return _files.TryGetValue(path, out var bytes) ? bytes : null;
    }

    public void Write(string path, byte[] bytes)
    {
        lock (_gate)
            _files[path] = bytes;
    }

    public void Delete(string path)
    {
        lock (_gate)
            _files.Remove(path);
    }

    public ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Read(path));
}

/// <summary>Fetches from a repository store, as a client would over the network (used by <c>repo verify</c>).</summary>
public sealed class RepositoryStoreFetcher(IRepositoryStore store) : IRepositoryFetcher
{
    public ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken) =>
        ValueTask.FromResult(store.Read(path));
}
