using System.Text;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.KnownBad;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Tests.Client;

public sealed class TufUpdaterTests
{
    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.Ed25519)]
    public async Task DownloadTargetAsync_FreshRepository_ReturnsSignedBytes(KeyAlgorithm algorithm)
    {
        using var repo = new TestRepository(algorithm: algorithm);
        var content = Encoding.UTF8.GetBytes("channel file 291, fixed");
        repo.Repository.AddTarget("C-00000291.rfc", content, repo.Keys);

        var client = repo.Client();
        var set = await client.RefreshAsync();
        var bytes = await client.DownloadTargetAsync("C-00000291.rfc");

        bytes.ShouldBe(content);
        set.Targets!.Signed.Version.ShouldBe(2);
        set.Timestamp!.Signed.Version.ShouldBe(2);
    }

    [Fact]
    public async Task RefreshAsync_PersistsTrustedMetadata_SecondRefreshUsesIt()
    {
        using var repo = new TestRepository();
        var store = new InMemoryTrustedMetadataStore();
        await repo.Client(store).RefreshAsync();

        store.Load(Roles.Timestamp).ShouldBe(repo.Store.Read("metadata/timestamp.json"));
        store.Load(Roles.Snapshot).ShouldNotBeNull();
        store.Load(Roles.Targets).ShouldNotBeNull();

        repo.Repository.AddTarget("a.rfc", [1, 2, 3], repo.Keys);
        var set = await repo.Client(store).RefreshAsync();
        set.Targets!.Signed.Targets.ContainsKey("a.rfc").ShouldBeTrue();
    }

    [Fact]
    public async Task RefreshAsync_SameClientTwice_ReusesTheVerifiedRootAndSeesNewTargets()
    {
        using var repo = new TestRepository();
        var store = new InMemoryTrustedMetadataStore();
        var client = repo.Client(store);
        var first = await client.RefreshAsync();

        repo.Repository.AddTarget("b.rfc", [4, 5, 6], repo.Keys);
        var second = await client.RefreshAsync();

        second.Root.ShouldBeSameAs(first.Root);
        second.Targets!.Signed.Targets.ContainsKey("b.rfc").ShouldBeTrue();
        (await client.DownloadTargetAsync("b.rfc")).ShouldBe(new byte[] { 4, 5, 6 });
    }

    [Fact]
    public async Task RefreshAsync_StoredRootSwappedAfterARefresh_VerifiesItAgainAndRefuses()
    {
        using var repo = new TestRepository();
        using var other = new TestRepository();
        var store = new InMemoryTrustedMetadataStore();
        var client = repo.Client(store);
        await client.RefreshAsync();

        // The agent's trusted root on disk is replaced by another repository's (self-signed, valid on its own): the root
        // reused from the last refresh must not hide the change, so this repository's timestamp no longer verifies.
        store.Save(Roles.Root, other.PinnedRoot);
        var refused = await Should.ThrowAsync<TrustException>(() => client.RefreshAsync());

        refused.Failure.ShouldBe(TrustFailure.ThresholdNotMet);
        client.Trusted.ShouldBeNull();
    }

    [Fact]
    public async Task RefreshAsync_AfterRootKeyRotation_FollowsTheChain()
    {
        using var repo = new TestRepository();
        repo.Repository.RotateKey(Roles.Root, SigningKey.Generate(KeyAlgorithm.EcdsaP256), repo.Keys, repo.RootKeys[0].KeyId);
        repo.Repository.RotateKey(Roles.Targets, SigningKey.Generate(KeyAlgorithm.Ed25519), repo.Keys);
        repo.Repository.AddTarget("b.rfc", [9], repo.Keys);

        var client = repo.Client();
        var set = await client.RefreshAsync();

        set.Root.Signed.Version.ShouldBe(3);
        (await client.DownloadTargetAsync("b.rfc")).ShouldBe(new byte[] { 9 });
    }

    [Fact]
    public async Task DownloadKnownBadListAsync_AfterAddKnownBad_ContainsTheHash()
    {
        using var repo = new TestRepository();
        var bad = Hex.Sha256("bad content"u8);
        repo.Repository.AddKnownBad(bad, "rollout halted", repo.Keys);

        var client = repo.Client();
        await client.RefreshAsync();
        var list = await client.DownloadKnownBadListAsync();

        list.Contains(bad).ShouldBeTrue();
        list.Contains(Hex.Sha256("good content"u8)).ShouldBeFalse();
        list.Find(bad)!.Reason.ShouldBe("rollout halted");
    }

    [Fact]
    public async Task GetTargetInfo_UnknownTarget_ThrowsTargetNotFound()
    {
        using var repo = new TestRepository();
        var client = repo.Client();
        await client.RefreshAsync();

        Should.Throw<TargetNotFoundException>(() => client.GetTargetInfo("nope.rfc")).Failure.ShouldBe(TrustFailure.TargetNotFound);
    }

    [Fact]
    public async Task KnownBadList_EmptyRepository_IsPublishedAndEmpty()
    {
        using var repo = new TestRepository();
        var client = repo.Client();
        await client.RefreshAsync();

        client.GetTargetInfo(KnownBadList.TargetPath).Length.ShouldBeGreaterThan(0);
        (await client.DownloadKnownBadListAsync()).Entries.ShouldBeEmpty();
    }
}
