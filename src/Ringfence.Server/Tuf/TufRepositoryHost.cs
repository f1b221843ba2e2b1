using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Server.Tuf;

/// <summary>
/// A repository directory plus its online keys, for a long-running process (the server): publishes targets, adds hashes to the
/// signed known-bad list when a rollout is halted, refreshes the timestamp. Operations are serialised.
/// Root keys are never loaded here: they stay offline.
/// </summary>
public sealed class TufRepositoryHost : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly KeyRing _keys;

    public TufRepositoryHost(string repositoryDirectory, string keysDirectory, string passphrase, TimeProvider time)
    {
        Store = new FileSystemRepositoryStore(repositoryDirectory);
        _time = time;
        var repository = TufRepository.Open(Store, time);
        _keys = new RepositoryKeyStore(keysDirectory).Load(passphrase, repository.Root.Signed, Roles.Targets, Roles.Snapshot, Roles.Timestamp);
        // Fail at start-up, not at the first halt.
        foreach (var role in new[] { Roles.Targets, Roles.Snapshot, Roles.Timestamp })
            _keys.For(repository.Root.Signed, role);
    }

    public FileSystemRepositoryStore Store { get; }

    /// <summary>Adds a content hash to the signed known-bad list and publishes new targets, snapshot and timestamp.</summary>
    public KnownBadList AddKnownBad(string sha256, string reason)
    {
        lock (_gate)
            return TufRepository.Open(Store, _time).AddKnownBad(sha256, reason, _keys);
    }

    public KnownBadList KnownBad
    {
        get
        {
            lock (_gate)
                return TufRepository.Open(Store, _time).KnownBad;
        }
    }

    /// <summary>Publishes a target (a channel file) under <paramref name="path"/>.</summary>
    public TargetFileInfo AddTarget(string path, byte[] content)
    {
        lock (_gate)
            return TufRepository.Open(Store, _time).AddTarget(path, content, _keys);
    }

    /// <summary>Call more often than the timestamp expiry (default one day).</summary>
    public void RefreshTimestamp()
    {
        lock (_gate)
            TufRepository.Open(Store, _time).RefreshTimestamp(_keys);
    }

    public void Dispose() => _keys.Dispose();
}
