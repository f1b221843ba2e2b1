using Ringfence.Agent.Updates;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Repository;

namespace Ringfence.Agent.Tests.Updates;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The network between agent and repository. Serves the real repository, except for paths an attacker has replaced.
/// Like a real fetcher it returns whatever it is given; the client must enforce every limit itself.
/// </summary>
public sealed class Mirror(IRepositoryFetcher upstream) : IRepositoryFetcher
{
    public Dictionary<string, byte[]> Replaced { get; } = new(StringComparer.Ordinal);
    public bool Offline { get; set; }
    public List<string> Requests { get; } = [];

    public ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken)
    {
        Requests.Add(path);
        if (Offline)
            throw new HttpRequestException("connection refused");
        return Replaced.TryGetValue(path, out var bytes) ? ValueTask.FromResult<byte[]?>(bytes) : upstream.FetchAsync(path, maxLength, cancellationToken);
    }
}

/// <summary>An agent stand-in: it only replaces its content with what the verifier hands to the stage callback.</summary>
public sealed class AgentContent
{
    public byte[]? Current { get; private set; }
    public List<Ringfence.Trust.TrustFailure> Reported { get; } = [];

    public async Task<UpdateVerification> UpdateAsync(ContentUpdateVerifier verifier, string target)
    {
        var result = await verifier.VerifyAndStageAsync(target, (content, _) =>
        {
            Current = content.Bytes;
            return Task.CompletedTask;
        });
        if (result.Failure is { } failure)
            Reported.Add(failure);
        return result;
    }
}

/// <summary>An in-memory repository with its keys and clock, a mirror in front of it, and an enrolled agent.</summary>
public sealed class UpdatesFixture : IDisposable
{
    public const string Target = "C-00000291.rfc";
    public static readonly DateTimeOffset Start = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    public UpdatesFixture()
    {
        RootKeys = [.. Enumerable.Range(0, 3).Select(_ => SigningKey.Generate(KeyAlgorithm.EcdsaP256))];
        TargetsKey = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        SnapshotKey = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        TimestampKey = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        Repository = TufRepository.Create(Store, RootKeys, 2, TargetsKey, SnapshotKey, TimestampKey, Clock);
        Keys = new KeyRing([.. RootKeys, TargetsKey, SnapshotKey, TimestampKey]);
        PinnedRoot = Store.Read("metadata/1.root.json")!;
        Mirror = new Mirror(Store);
        Verifier = NewVerifier();
    }

    public ManualTimeProvider Clock { get; } = new(Start);
    public InMemoryRepositoryStore Store { get; } = new();
    public IReadOnlyList<SigningKey> RootKeys { get; }
    public SigningKey TargetsKey { get; }
    public SigningKey SnapshotKey { get; }
    public SigningKey TimestampKey { get; }
    public KeyRing Keys { get; }
    public TufRepository Repository { get; }
    public byte[] PinnedRoot { get; }
    public Mirror Mirror { get; }
    public InMemoryTrustedMetadataStore AgentStore { get; } = new();
    public ContentUpdateVerifier Verifier { get; }
    public AgentContent Agent { get; } = new();

    /// <summary>A second verifier over the same agent store (as after a reboot).</summary>
    public ContentUpdateVerifier NewVerifier(IRepositoryFetcher? fetcher = null) => new(fetcher ?? Mirror, AgentStore, PinnedRoot, Clock);

    public void Publish(string content) => Repository.AddTarget(Target, System.Text.Encoding.UTF8.GetBytes(content), Keys);

    public string CurrentText => Agent.Current is null ? "" : System.Text.Encoding.UTF8.GetString(Agent.Current);

    public void Dispose() => Keys.Dispose();
}
