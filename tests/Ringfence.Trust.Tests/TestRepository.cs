using Microsoft.Extensions.Time.Testing;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Repository;

namespace Ringfence.Trust.Tests;

/// <summary>An in-memory repository with its keys and clock, and a client pinned to its first root.</summary>
public sealed class TestRepository : IDisposable
{
    public static readonly DateTimeOffset Start = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    public TestRepository(int rootKeys = 3, int threshold = 2, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, RepositoryOptions? options = null)
    {
        RootKeys = [.. Enumerable.Range(0, rootKeys).Select(_ => SigningKey.Generate(algorithm))];
        TargetsKey = SigningKey.Generate(algorithm);
        SnapshotKey = SigningKey.Generate(algorithm);
        TimestampKey = SigningKey.Generate(algorithm);
        Repository = TufRepository.Create(Store, RootKeys, threshold, TargetsKey, SnapshotKey, TimestampKey, Clock, options);
        Keys = new KeyRing([.. RootKeys, TargetsKey, SnapshotKey, TimestampKey]);
        PinnedRoot = Store.Read("metadata/1.root.json")!;
    }

    public FakeTimeProvider Clock { get; } = new(Start);
    public InMemoryRepositoryStore Store { get; } = new();
    public IReadOnlyList<SigningKey> RootKeys { get; }
    public SigningKey TargetsKey { get; }
    public SigningKey SnapshotKey { get; }
    public SigningKey TimestampKey { get; }
    public KeyRing Keys { get; }
    public TufRepository Repository { get; }
    public byte[] PinnedRoot { get; }

    public TufUpdater Client(ITrustedMetadataStore? trusted = null, IRepositoryFetcher? fetcher = null, TufClientOptions? options = null) =>
        new(fetcher ?? Store, trusted ?? new InMemoryTrustedMetadataStore(), PinnedRoot, Clock, options);

    public void Dispose() => Keys.Dispose();
}
