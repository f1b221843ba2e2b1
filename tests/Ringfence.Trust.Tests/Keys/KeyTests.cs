using System.Security.Cryptography;
using Ringfence.Trust.Keys;

namespace Ringfence.Trust.Tests.Keys;

public sealed class KeyTests
{
    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.Ed25519)]
    public void Sign_ThenVerify_TrueOnlyForSameBytes(KeyAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var signature = key.Sign("channel 291"u8);

        key.PublicKey.Verify("channel 291"u8, signature).ShouldBeTrue();
        key.PublicKey.Verify("channel 292"u8, signature).ShouldBeFalse();
    }

    [Fact]
    public void EcdsaKey_PublicValue_IsPemSubjectPublicKeyInfoWithTufNames()
    {
        using var key = SigningKey.Generate(KeyAlgorithm.EcdsaP256);

        key.PublicKey.KeyType.ShouldBe("ecdsa");
        key.PublicKey.Scheme.ShouldBe("ecdsa-sha2-nistp256");
        key.PublicKey.PublicValue.ShouldStartWith("-----BEGIN PUBLIC KEY-----");
        key.KeyId.Length.ShouldBe(64);
    }

    [Fact]
    public void EcdsaKey_HexUncompressedPoint_AcceptedAsWrittenByOlderTools()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(false).Q;
        var hex = Hex.Encode([4, .. q.X!, .. q.Y!]);
        var key = new TufKey("ecdsa", "ecdsa-sha2-nistp256", hex);
        var signature = ecdsa.SignData("x"u8, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        key.Verify("x"u8, signature).ShouldBeTrue();
    }

    [Fact]
    public void TufKey_EcdsaPemNamingAnUnknownCurve_ThrowsFormatException()
    {
        // Regression (bench/fuzz): a changed arc in the curve's OID made the platform throw PlatformNotSupportedException,
        // which escaped root parsing as something other than MalformedMetadata.
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = ecdsa.ExportSubjectPublicKeyInfo();
        byte[] p256 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
        var at = der.AsSpan().IndexOf(p256);
        at.ShouldBeGreaterThan(0);
        der[at + 5] = 0x7F; // 1.2.840.10045.127.1.7: no such curve
        var pem = PemEncoding.WriteString("PUBLIC KEY", der);

        var ex = Should.Throw<FormatException>(() => new TufKey("ecdsa", "ecdsa-sha2-nistp256", pem));

        ex.Message.ShouldContain("does not parse");
    }

    [Theory]
    [InlineData("rsa", "rsassa-pss-sha256", "x")]
    [InlineData("ed25519", "ed25519", "abcd")]
    [InlineData("ecdsa", "ecdsa-sha2-nistp256", "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----")]
    public void TufKey_UnsupportedOrBrokenKey_ThrowsFormatException(string type, string scheme, string value) =>
        Should.Throw<FormatException>(() => new TufKey(type, scheme, value));

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.Ed25519)]
    public void KeyEncryption_RoundTrip_SameKey(KeyAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var file = KeyEncryption.Encrypt(key, "targets", "passphrase!", KeyEncryption.MinimumIterations);

        using var back = KeyEncryption.Decrypt(file, "passphrase!", "targets.key");

        back.KeyId.ShouldBe(key.KeyId);
        back.PublicKey.Verify("y"u8, back.Sign("y"u8)).ShouldBeTrue();
        KeyEncryption.ReadHeader(file, "targets.key").ShouldBe((key.KeyId, "targets"));
    }

    [Fact]
    public void KeyEncryption_WrongPassphrase_Throws()
    {
        using var key = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var file = KeyEncryption.Encrypt(key, "root", "right one", KeyEncryption.MinimumIterations);

        Should.Throw<KeyDecryptionException>(() => KeyEncryption.Decrypt(file, "wrong one", "root.key")).Message.ShouldContain("wrong passphrase");
    }

    [Fact]
    public void KeyEncryption_RoleChangedInFile_DecryptionFails()
    {
        using var key = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var file = System.Text.Encoding.UTF8.GetString(KeyEncryption.Encrypt(key, "timestamp", "pass", KeyEncryption.MinimumIterations));
        var swapped = System.Text.Encoding.UTF8.GetBytes(file.Replace("\"timestamp\"", "\"root\"", StringComparison.Ordinal));

        Should.Throw<KeyDecryptionException>(() => KeyEncryption.Decrypt(swapped, "pass", "k"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"format\":\"ringfence-key-1\"}")]
    public void KeyEncryption_MalformedFile_ThrowsOneLine(string content)
    {
        var ex = Should.Throw<KeyDecryptionException>(() => KeyEncryption.Decrypt(System.Text.Encoding.UTF8.GetBytes(content), "p", "bad.key"));
        ex.Message.ShouldStartWith("bad.key: ");
        ex.Message.ShouldNotContain("\n");
    }
}
