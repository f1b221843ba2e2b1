using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Fuzz;

/// <summary>Writes the TUF seed corpus (bench/fuzz/corpus/tuf): a real signed repository with one target, one file per role.</summary>
public static class TufSeeds
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public static void Write(string directory)
    {
        var store = new InMemoryRepositoryStore();
        SigningKey[] rootKeys = [SigningKey.Generate(KeyAlgorithm.EcdsaP256), SigningKey.Generate(KeyAlgorithm.Ed25519), SigningKey.Generate(KeyAlgorithm.EcdsaP256)];
        SigningKey[] online = [SigningKey.Generate(KeyAlgorithm.Ed25519), SigningKey.Generate(KeyAlgorithm.EcdsaP256), SigningKey.Generate(KeyAlgorithm.Ed25519)];
        var repository = TufRepository.Create(store, rootKeys, 2, online[0], online[1], online[2], new FixedTime(new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero)));
        using var keys = new KeyRing([.. rootKeys, .. online]);
        repository.AddTarget("channels/C-00000291/C-00000291-000007.rfc", "RFCF"u8.ToArray(), keys);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, Roles.Root + ".json"), store.Read("metadata/root.json")!);
        File.WriteAllBytes(Path.Combine(directory, Roles.Timestamp + ".json"), store.Read("metadata/timestamp.json")!);
        var snapshot = store.Paths.Where(p => p.EndsWith(".snapshot.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Last();
        var targets = store.Paths.Where(p => p.EndsWith(".targets.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Last();
        File.WriteAllBytes(Path.Combine(directory, Roles.Snapshot + ".json"), store.Read(snapshot)!);
        File.WriteAllBytes(Path.Combine(directory, Roles.Targets + ".json"), store.Read(targets)!);
    }
}
