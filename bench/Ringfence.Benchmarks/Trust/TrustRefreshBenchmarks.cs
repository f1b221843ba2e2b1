using BenchmarkDotNet.Attributes;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Repository;

namespace Ringfence.Benchmarks.Trust;

/// <summary>
/// Agent-side verification of one refresh against a repository of 1,000 targets (ECDSA P-256 keys, root 2 of 3).
/// Target: ≤ 2 ms for timestamp, snapshot and targets.
/// Run: dotnet run -c Release --project bench/Ringfence.Benchmarks -- --filter '*TrustRefresh*' --job short
/// </summary>
[MemoryDiagnoser]
public class TrustRefreshBenchmarks
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private readonly FixedClock _clock = new(new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero));
    private InMemoryRepositoryStore _store = null!;
    private byte[] _root = null!;
    private byte[] _timestamp = null!;
    private byte[] _snapshot = null!;
    private byte[] _targets = null!;
    private Ringfence.Trust.Metadata.SignedMetadata<Ringfence.Trust.Metadata.RootMetadata> _verifiedRoot = null!;

    [Params(1000)]
    public int Targets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new InMemoryRepositoryStore();
        var roots = Enumerable.Range(0, 3).Select(_ => SigningKey.Generate(KeyAlgorithm.EcdsaP256)).ToList();
        var online = Enumerable.Range(0, 3).Select(_ => SigningKey.Generate(KeyAlgorithm.EcdsaP256)).ToList();
        var repository = TufRepository.Create(_store, roots, 2, online[0], online[1], online[2], _clock);
        using var keys = new KeyRing([.. roots, .. online]);
        var random = new Random(291);
        var files = Enumerable.Range(0, Targets).Select(i =>
        {
            var content = new byte[64];
            random.NextBytes(content);
            return ($"channels/C-{i:D8}-00000000-00000032.rfc", content, (System.Text.Json.Nodes.JsonObject?)null);
        });
        repository.AddTargets(files, keys);
        _root = _store.Read("metadata/1.root.json")!;
        _timestamp = repository.Timestamp.Raw;
        _snapshot = repository.Snapshot.Raw;
        _targets = repository.Targets.Raw;
        _verifiedRoot = new TrustedMetadataSet(_root, _clock.GetUtcNow()).Root;
        // Let tiered JIT reach optimised code before measuring: each call is long enough that a short job would otherwise
        // measure tier-0 code.
        for (var i = 0; i < 200; i++)
            VerifyTimestampSnapshotTargets();
        Thread.Sleep(500);
        for (var i = 0; i < 50; i++)
        {
            VerifyTimestampSnapshotTargets();
            RefreshWithVerifiedRoot();
        }
    }

    /// <summary>The pure core: trusted root, then timestamp, snapshot and targets (signatures, versions, expiry, lengths, hashes).</summary>
    [Benchmark(Baseline = true)]
    public int VerifyTimestampSnapshotTargets()
    {
        var set = new TrustedMetadataSet(_root, _clock.GetUtcNow());
        set.UpdateTimestamp(_timestamp);
        set.UpdateSnapshot(_snapshot);
        set.UpdateTargets(_targets);
        return set.Targets!.Signed.Targets.Count;
    }

    /// <summary>
    /// What an enrolled agent verifies on a refresh (the figure): timestamp, snapshot and targets against a root this
    /// process verified before (<see cref="TufUpdater"/> reuses it while the stored root bytes are unchanged).
    /// </summary>
    [Benchmark]
    public int RefreshWithVerifiedRoot()
    {
        var set = TrustedMetadataSet.FromVerifiedRoot(_verifiedRoot, _clock.GetUtcNow());
        set.UpdateTimestamp(_timestamp);
        set.UpdateSnapshot(_snapshot);
        set.UpdateTargets(_targets);
        return set.Targets!.Signed.Targets.Count;
    }

    /// <summary>The whole client workflow from the pinned root with an empty local store: root-chain probe, fetch, verify, persist.</summary>
    [Benchmark]
    public async Task<int> UpdaterColdRefresh()
    {
        var updater = new TufUpdater(_store, new InMemoryTrustedMetadataStore(), _root, _clock);
        var set = await updater.RefreshAsync();
        return set.Targets!.Signed.Targets.Count;
    }
}
