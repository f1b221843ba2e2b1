using System.Text;
using Ringfence.Agent.Updates;
using Ringfence.Trust;
using Ringfence.Trust.Metadata;

namespace Ringfence.Agent.Tests.Updates;

public sealed class ContentUpdateVerifierTests : IDisposable
{
    private readonly UpdatesFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task VerifyAsync_GenuineTarget_ReturnsBytesHashAndVersion()
    {
        _f.Publish("good-1");

        var result = await _f.Verifier.VerifyAsync(UpdatesFixture.Target);

        result.IsVerified.ShouldBeTrue(result.Reason);
        result.Content!.Bytes.ShouldBe(Encoding.UTF8.GetBytes("good-1"));
        result.Content.Sha256.ShouldBe(Hex.Sha256("good-1"u8));
        result.Content.TargetsVersion.ShouldBe(_f.Repository.Targets.Signed.Version);
    }

    [Fact]
    public async Task IsKnownBad_AfterRebootWithoutNetwork_UsesCachedSignedList()
    {
        _f.Publish("good-1");
        _f.Repository.AddKnownBad(Hex.Sha256("bad-291"u8), "halted", _f.Keys);
        await _f.Verifier.VerifyAsync(UpdatesFixture.Target);
        _f.Mirror.Offline = true;

        var afterReboot = _f.NewVerifier();

        afterReboot.IsKnownBad(Hex.Sha256("bad-291"u8)).ShouldBeTrue();
        afterReboot.IsKnownBad(Hex.Sha256("good-1"u8)).ShouldBeFalse();
    }

    [Fact]
    public async Task IsKnownBad_CachedListTampered_IgnoresIt()
    {
        _f.Publish("good-1");
        _f.Repository.AddKnownBad(Hex.Sha256("bad-291"u8), "halted", _f.Keys);
        await _f.Verifier.VerifyAsync(UpdatesFixture.Target);
        _f.AgentStore.Save(ContentUpdateVerifier.KnownBadStoreKey, Encoding.UTF8.GetBytes("{\"format\":\"ringfence-known-bad-1\",\"entries\":[]}"));

        _f.NewVerifier().KnownBad.Entries.ShouldBeEmpty();
    }

    [Fact]
    public async Task RefreshKnownBadListAsync_AfterHalt_ListsHashWithoutStaging()
    {
        _f.Publish("good-1");
        await _f.Verifier.VerifyAsync(UpdatesFixture.Target);
        _f.Repository.AddKnownBad(Hex.Sha256("good-1"u8), "halted after crashes", _f.Keys);

        (await _f.Verifier.RefreshKnownBadListAsync()).ShouldBeNull();

        _f.Verifier.IsKnownBad(Hex.Sha256("good-1"u8)).ShouldBeTrue();
        _f.Verifier.KnownBad.Find(Hex.Sha256("good-1"u8))!.Reason.ShouldBe("halted after crashes");
    }

    [Fact]
    public async Task FileTrustedMetadataStore_PersistsAcrossInstances()
    {
        _f.Publish("good-1");
        var dir = Directory.CreateTempSubdirectory("ringfence-agent-tuf-").FullName;
        try
        {
            var store = new FileTrustedMetadataStore(dir);
            var verifier = new ContentUpdateVerifier(_f.Mirror, store, _f.PinnedRoot, _f.Clock);
            (await verifier.VerifyAsync(UpdatesFixture.Target)).IsVerified.ShouldBeTrue();

            var reopened = new FileTrustedMetadataStore(dir);
            reopened.Load(Roles.Timestamp).ShouldBe(_f.Store.Read("metadata/timestamp.json"));
            File.Exists(Path.Combine(dir, "known-bad.json")).ShouldBeTrue();
            Should.Throw<ArgumentException>(() => reopened.Load("../escape"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
