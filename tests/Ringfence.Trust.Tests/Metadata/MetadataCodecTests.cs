using System.Text;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;

namespace Ringfence.Trust.Tests.Metadata;

public sealed class MetadataCodecTests
{
    private static byte[] Timestamp(string signed) => Encoding.UTF8.GetBytes($$"""{"signatures":[],"signed":{{signed}}}""");

    [Theory]
    [InlineData("timestamp")]
    [InlineData("signatures")]
    public void ParseTimestamp_InvalidUtf8InsideAString_MalformedMetadataNotInvalidOperation(string where)
    {
        // Regression (bench/fuzz): JsonDocument accepts the structure; reading the string threw InvalidOperationException.
        var json = where == "timestamp" ? Timestamp("{\"_type\":\"time\u00ffstamp\"}") : Encoding.UTF8.GetBytes("{\"signatures\":[{\"keyid\":\"\u00ff\",\"sig\":\"00\"}],\"signed\":{}}");
        var at = Array.IndexOf(json, (byte)0xC3); // the UTF-8 lead byte of U+00FF; alone it is invalid UTF-8
        json[at] = 0xFF;
        json = [.. json[..(at + 1)], .. json[(at + 2)..]];

        var ex = Should.Throw<MalformedMetadataException>(() => MetadataCodec.ParseTimestamp(json, "timestamp.json"));

        ex.Message.ShouldContain("timestamp.json: not valid UTF-8");
    }

    [Theory]
    [InlineData("""{"signatures":[],"signed":{"_type":"\udfff"}}""")]
    [InlineData("""{"signatures":[{"keyid":"\ud800","sig":"00"}],"signed":{}}""")]
    [InlineData("""{"signatures":[],"signed":{"\ud800x":1}}""")]
    public void ParseTimestamp_EscapedLoneSurrogate_MalformedMetadataNotInvalidOperation(string json)
    {
        // Regression (bench/fuzz, as above for an escaped surrogate, which is valid UTF-8 but not text).
        var ex = Should.Throw<MalformedMetadataException>(() => MetadataCodec.ParseTimestamp(Encoding.UTF8.GetBytes(json), "timestamp.json"));

        ex.Message.ShouldContain("lone UTF-16 surrogate");
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("{\"signed\":", "not valid JSON")]
    [InlineData("[]", "$: expected an object")]
    [InlineData("{\"signatures\":[]}", "$.signed: missing")]
    [InlineData("{\"signed\":{},\"signatures\":{}}", "$.signatures: expected array")]
    [InlineData("{\"signed\":{\"_type\":\"targets\"},\"signatures\":[]}", "$.signed._type: expected \"timestamp\", found \"targets\"")]
    public void ParseTimestamp_Malformed_ThrowsNamingPath(string json, string expected)
    {
        var ex = Should.Throw<MalformedMetadataException>(() => MetadataCodec.ParseTimestamp(Encoding.UTF8.GetBytes(json), "timestamp.json"));
        ex.Message.ShouldStartWith("timestamp.json: ");
        ex.Message.ShouldContain(expected);
        ex.Failure.ShouldBe(TrustFailure.MalformedMetadata);
    }

    [Theory]
    [InlineData("""{"_type":"timestamp","spec_version":"2.0.0","version":1,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}""", "$.signed.spec_version")]
    [InlineData("""{"_type":"timestamp","spec_version":"1.0.31","version":0,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}""", "$.signed.version: must be at least 1")]
    [InlineData("""{"_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"tomorrow","meta":{"snapshot.json":{"version":1}}}""", "$.signed.expires")]
    [InlineData("""{"_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","meta":{}}""", "$.signed.meta.snapshot.json: missing")]
    [InlineData("""{"_type":"timestamp","spec_version":"1.0.31","version":1.5,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}""", "$.signed: non-integer number 1.5")]
    [InlineData("""{"_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1,"hashes":{"sha256":5}}}}""", "hashes.sha256: expected a hex string")]
    public void ParseTimestamp_BadSignedFields_ThrowsNamingPath(string signed, string expected) =>
        Should.Throw<MalformedMetadataException>(() => MetadataCodec.ParseTimestamp(Timestamp(signed), "timestamp.json")).Message.ShouldContain(expected);

    [Fact]
    public void ParseTimestamp_TooDeep_ThrowsMalformed()
    {
        var deep = new string('[', 100) + new string(']', 100);
        Should.Throw<MalformedMetadataException>(() => MetadataCodec.ParseTimestamp(Encoding.UTF8.GetBytes(deep), "timestamp.json"));
    }

    [Fact]
    public void Sign_ThenParse_RoundTripsAndVerifies()
    {
        using var key = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var signed = MetadataCodec.Sign(new TimestampMetadata(7, expires, new MetaFileInfo(3, 120, new Dictionary<string, string> { ["sha256"] = new string('a', 64) })), [key]);
        var root = new RootMetadata(1, expires, new Dictionary<string, TufKey> { [key.KeyId] = key.PublicKey },
            Roles.All.ToDictionary(r => r, _ => new RoleKeys([key.KeyId], 1)));

        var parsed = MetadataCodec.ParseTimestamp(signed.Raw, "timestamp.json");

        parsed.Signed.Version.ShouldBe(7);
        parsed.Signed.Expires.ShouldBe(expires);
        parsed.Signed.SnapshotMeta.ShouldBe(signed.Signed.SnapshotMeta with { Hashes = parsed.Signed.SnapshotMeta.Hashes });
        parsed.CanonicalSigned.ToArray().ShouldBe(signed.CanonicalSigned.ToArray());
        Should.NotThrow(() => MetadataCodec.VerifyThreshold(parsed, root, Roles.Timestamp));
    }

    [Fact]
    public void VerifyThreshold_SameKeySignatureTwice_CountsOnce()
    {
        using var a = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        using var b = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var signed = MetadataCodec.Sign(new TimestampMetadata(1, expires, new MetaFileInfo(1)), [a]);
        var doubled = new SignedMetadata<TimestampMetadata>(signed.Signed, [.. signed.Signatures, .. signed.Signatures], signed.CanonicalSigned, signed.Raw);
        var root = new RootMetadata(1, expires, new Dictionary<string, TufKey> { [a.KeyId] = a.PublicKey, [b.KeyId] = b.PublicKey },
            Roles.All.ToDictionary(r => r, _ => new RoleKeys([a.KeyId, b.KeyId], 2)));

        var ex = Should.Throw<ThresholdNotMetException>(() => MetadataCodec.VerifyThreshold(doubled, root, Roles.Timestamp));

        ex.ValidSignatures.ShouldBe(1);
        ex.Threshold.ShouldBe(2);
    }

    [Fact]
    public void VerifyThreshold_SignedBytesChanged_ThresholdNotMet()
    {
        using var key = SigningKey.Generate(KeyAlgorithm.Ed25519);
        var expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var signed = MetadataCodec.Sign(new TimestampMetadata(1, expires, new MetaFileInfo(1)), [key]);
        // The signed part's own version is the last "version" in the file (keys are sorted; meta's comes first).
        var text = Encoding.UTF8.GetString(signed.Raw);
        var at = text.LastIndexOf("\"version\":1", StringComparison.Ordinal);
        var tampered = MetadataCodec.ParseTimestamp(Encoding.UTF8.GetBytes(text[..at] + "\"version\":9" + text[(at + "\"version\":1".Length)..]), "t");
        var root = new RootMetadata(1, expires, new Dictionary<string, TufKey> { [key.KeyId] = key.PublicKey },
            Roles.All.ToDictionary(r => r, _ => new RoleKeys([key.KeyId], 1)));

        tampered.Signed.Version.ShouldBe(9);
        Should.Throw<ThresholdNotMetException>(() => MetadataCodec.VerifyThreshold(tampered, root, Roles.Timestamp));
    }
}
