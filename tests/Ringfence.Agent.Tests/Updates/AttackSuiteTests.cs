using System.Text;
using Ringfence.Agent.Updates;
using Ringfence.Trust;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Agent.Tests.Updates;

/// <summary>
/// One test per attack of the TUF threat model that applies to Ringfence. Each starts from an agent running verified content
/// "good-1", lets the attacker act, and checks the typed refusal and that the agent still runs "good-1".
/// </summary>
public sealed class AttackSuiteTests : IDisposable
{
    private readonly UpdatesFixture _f = new();

    public AttackSuiteTests()
    {
        _f.Publish("good-1");
    }

    public void Dispose() => _f.Dispose();

    private async Task StartOnGood1()
    {
        (await _f.Agent.UpdateAsync(_f.Verifier, UpdatesFixture.Target)).IsVerified.ShouldBeTrue();
        _f.CurrentText.ShouldBe("good-1");
    }

    private async Task<UpdateVerification> UpdateAsync() => await _f.Agent.UpdateAsync(_f.Verifier, UpdatesFixture.Target);

    private async Task ShouldBeRefused(TrustFailure failure)
    {
        var result = await UpdateAsync();
        result.IsVerified.ShouldBeFalse();
        result.Failure.ShouldBe(failure, result.Reason);
        result.Reason.ShouldNotBeNullOrWhiteSpace();
        result.Reason!.ShouldNotContain("\n");
        _f.CurrentText.ShouldBe("good-1");
        _f.Agent.Reported.ShouldContain(failure);
    }

    /// <summary>An attacker without keys serves its own metadata and payload ("fake fix").</summary>
    [Fact]
    public async Task ArbitraryInstallation_MetadataSignedByUnknownKeys_RefusedThresholdNotMet()
    {
        await StartOnGood1();
        using var attackerKey = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var evil = Encoding.UTF8.GetBytes("evil-fix");
        var targets = _f.Repository.Targets.Signed with
        {
            Version = 3,
            Targets = new Dictionary<string, TargetFileInfo> { [UpdatesFixture.Target] = TargetFileInfo.For(evil) },
        };
        var signedTargets = MetadataCodec.Sign(targets, [attackerKey]);
        var snapshot = new SnapshotMetadata(3, _f.Clock.Now.AddDays(7), new Dictionary<string, MetaFileInfo> { ["targets.json"] = new(3) });
        var signedSnapshot = MetadataCodec.Sign(snapshot, [attackerKey]);
        var timestamp = MetadataCodec.Sign(new TimestampMetadata(3, _f.Clock.Now.AddDays(1), new MetaFileInfo(3)), [attackerKey]);
        _f.Mirror.Replaced["metadata/timestamp.json"] = timestamp.Raw;
        _f.Mirror.Replaced["metadata/3.snapshot.json"] = signedSnapshot.Raw;
        _f.Mirror.Replaced["metadata/3.targets.json"] = signedTargets.Raw;
        _f.Mirror.Replaced[$"targets/{Hex.Sha256(evil)}.{UpdatesFixture.Target}"] = evil;

        await ShouldBeRefused(TrustFailure.ThresholdNotMet);
    }

    /// <summary>An attacker replays an older, validly signed timestamp (and with it older content).</summary>
    [Fact]
    public async Task Rollback_OlderTimestampReplayed_RefusedRollbackAttack()
    {
        await StartOnGood1();
        var oldTimestamp = _f.Store.Read("metadata/timestamp.json")!;
        _f.Publish("good-2");
        await UpdateAsync();
        _f.CurrentText.ShouldBe("good-2");
        _f.Repository.RemoveTarget(UpdatesFixture.Target, _f.Keys); // make the "current" state differ from good-2's as well
        _f.Mirror.Replaced["metadata/timestamp.json"] = oldTimestamp;

        var result = await UpdateAsync();

        result.Failure.ShouldBe(TrustFailure.RollbackAttack);
        _f.CurrentText.ShouldBe("good-2");
    }

    /// <summary>An attacker keeps serving the last timestamp so the agent never sees the new content (or the known-bad list).</summary>
    [Fact]
    public async Task IndefiniteFreeze_StaleTimestampPastExpiry_RefusedExpiredMetadata()
    {
        await StartOnGood1();
        _f.Mirror.Replaced["metadata/timestamp.json"] = _f.Store.Read("metadata/timestamp.json")!;
        _f.Publish("good-2");
        _f.Clock.Now += TimeSpan.FromDays(2);

        await ShouldBeRefused(TrustFailure.ExpiredMetadata);
    }

    /// <summary>An attacker answers with more bytes than signed (a target that never ends).</summary>
    [Fact]
    public async Task EndlessData_TargetLongerThanSigned_RefusedEndlessData()
    {
        await StartOnGood1();
        _f.Publish("good-2");
        var info = _f.Repository.Targets.Signed.Targets[UpdatesFixture.Target];
        var path = $"targets/{info.Sha256}.{UpdatesFixture.Target}";
        _f.Mirror.Replaced[path] = [.. _f.Store.Read(path)!, .. new byte[1024 * 1024]];

        await ShouldBeRefused(TrustFailure.EndlessData);
    }

    /// <summary>An endless timestamp: more than the client's fixed limit for a file with no signed length.</summary>
    [Fact]
    public async Task EndlessData_OversizedTimestamp_RefusedEndlessData()
    {
        await StartOnGood1();
        _f.Mirror.Replaced["metadata/timestamp.json"] = new byte[64 * 1024];

        await ShouldBeRefused(TrustFailure.EndlessData);
    }

    /// <summary>An attacker combines the current timestamp and snapshot with authentic targets metadata of another version.</summary>
    [Fact]
    public async Task MixAndMatch_OldTargetsUnderNewSnapshot_RefusedMixAndMatch()
    {
        await StartOnGood1();
        var oldTargets = _f.Store.Read($"metadata/{_f.Repository.Targets.Signed.Version}.targets.json")!;
        _f.Publish("good-2");
        _f.Mirror.Replaced[$"metadata/{_f.Repository.Targets.Signed.Version}.targets.json"] = oldTargets;

        await ShouldBeRefused(TrustFailure.MixAndMatch);
    }

    /// <summary>The signed metadata is genuine but the payload is not (wrong software).</summary>
    [Fact]
    public async Task WrongSoftware_TargetBytesChanged_RefusedHashMismatch()
    {
        await StartOnGood1();
        _f.Publish("good-2");
        var info = _f.Repository.Targets.Signed.Targets[UpdatesFixture.Target];
        _f.Mirror.Replaced[$"targets/{info.Sha256}.{UpdatesFixture.Target}"] = Encoding.UTF8.GetBytes("evil-2");

        await ShouldBeRefused(TrustFailure.HashMismatch);
    }

    /// <summary>One of three root keys (threshold two) is stolen: a new root naming the attacker's keys is signed with it alone.</summary>
    [Fact]
    public async Task KeyCompromiseBelowThreshold_RootSignedByOneOfTwoNeeded_RefusedThresholdNotMet()
    {
        await StartOnGood1();
        using var attacker = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var root = _f.Repository.Root.Signed;
        var keys = new Dictionary<string, Ringfence.Trust.Keys.TufKey>(root.Keys) { [attacker.KeyId] = attacker.PublicKey };
        var roles = root.RoleKeys.ToDictionary(r => r.Key, r => r.Key == Roles.Root ? r.Value : new RoleKeys([attacker.KeyId], 1));
        var evilRoot = MetadataCodec.Sign(root with { Version = 2, Keys = keys, RoleKeys = roles }, [_f.RootKeys[0], attacker]);
        _f.Mirror.Replaced["metadata/2.root.json"] = evilRoot.Raw;

        await ShouldBeRefused(TrustFailure.ThresholdNotMet);
        _f.AgentStore.Load(Roles.Root).ShouldNotBe(evilRoot.Raw);
    }

    /// <summary>
    /// With the timestamp key stolen, an attacker fast-forwards the agent to timestamp version 1,000,000 so genuine timestamps
    /// look like rollbacks. After the repository rotates the timestamp key, the agent drops the fast-forwarded timestamp and recovers.
    /// </summary>
    [Fact]
    public async Task FastForward_RecoveryAfterTimestampKeyRotation_AgentUpdatesAgain()
    {
        await StartOnGood1();
        var current = _f.Repository.Timestamp.Signed;
        var forged = MetadataCodec.Sign(current with { Version = 1_000_000 }, [_f.TimestampKey]);
        _f.Mirror.Replaced["metadata/timestamp.json"] = forged.Raw;
        (await UpdateAsync()).IsVerified.ShouldBeTrue(); // same snapshot and content: accepted, nothing changes
        _f.Mirror.Replaced.Clear();

        _f.Publish("good-2");
        await ShouldBeRefused(TrustFailure.RollbackAttack);

        _f.Repository.RotateKey(Roles.Timestamp, SigningKey.Generate(KeyAlgorithm.EcdsaP256), _f.Keys);
        var recovered = await UpdateAsync();
        recovered.IsVerified.ShouldBeTrue(recovered.Reason);
        _f.CurrentText.ShouldBe("good-2");

        _f.Mirror.Replaced["metadata/timestamp.json"] = forged.Raw;
        (await UpdateAsync()).Failure.ShouldBe(TrustFailure.ThresholdNotMet);
        _f.CurrentText.ShouldBe("good-2");
    }

    /// <summary>A mirror rewrites the targets metadata to point at its own payload; it cannot re-sign it.</summary>
    [Fact]
    public async Task MaliciousMirror_RewrittenTargetsMetadata_RefusedHashMismatch()
    {
        await StartOnGood1();
        _f.Publish("good-2");
        var evil = Encoding.UTF8.GetBytes("evil-2");
        var path = $"metadata/{_f.Repository.Targets.Signed.Version}.targets.json";
        var genuine = MetadataCodec.ParseTargets(_f.Store.Read(path)!, path);
        var rewritten = genuine.Signed with
        {
            Targets = new Dictionary<string, TargetFileInfo>(genuine.Signed.Targets) { [UpdatesFixture.Target] = TargetFileInfo.For(evil) },
        };
        using var mirrorKey = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        _f.Mirror.Replaced[path] = MetadataCodec.Sign(rewritten, [mirrorKey]).Raw;
        _f.Mirror.Replaced[$"targets/{Hex.Sha256(evil)}.{UpdatesFixture.Target}"] = evil;

        await ShouldBeRefused(TrustFailure.HashMismatch);
    }

    /// <summary>A mirror extends the snapshot's expiry (same length, signatures untouched): the timestamp's hash gives it away.</summary>
    [Fact]
    public async Task MaliciousMirror_AlteredSnapshot_RefusedHashMismatch()
    {
        await StartOnGood1();
        _f.Publish("good-2");
        var path = $"metadata/{_f.Repository.Snapshot.Signed.Version}.snapshot.json";
        var text = Encoding.UTF8.GetString(_f.Store.Read(path)!);
        var altered = text.Replace("\"expires\":\"2024-", "\"expires\":\"2099-", StringComparison.Ordinal);
        altered.ShouldNotBe(text);
        _f.Mirror.Replaced[path] = Encoding.UTF8.GetBytes(altered);

        await ShouldBeRefused(TrustFailure.HashMismatch);
    }

    /// <summary>Halting a rollout puts the content's hash on the signed known-bad list; agents refuse it even though it is signed.</summary>
    [Fact]
    public async Task KnownBad_HaltedContentStillSigned_RefusedKnownBadContent()
    {
        await StartOnGood1();
        _f.Publish("bad-291");
        _f.Repository.AddKnownBad(Hex.Sha256("bad-291"u8), "rollout halted: boot loops in ring 1", _f.Keys);

        await ShouldBeRefused(TrustFailure.KnownBadContent);
    }

    /// <summary>Control plane down: the agent keeps running what it has (safety invariant 6).</summary>
    [Fact]
    public async Task RepositoryDown_FetchFails_RefusedRepositoryUnavailable()
    {
        await StartOnGood1();
        _f.Publish("good-2");
        _f.Mirror.Offline = true;

        await ShouldBeRefused(TrustFailure.RepositoryUnavailable);
    }
}
