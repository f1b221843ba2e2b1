using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Ringfence.Trust.Json;

namespace Ringfence.Trust.Keys;

/// <summary>The signature algorithms we accept, spelled as in the TUF specification.</summary>
public static class KeySchemes
{
    public const string EcdsaKeyType = "ecdsa";
    public const string EcdsaScheme = "ecdsa-sha2-nistp256";
    public const string Ed25519KeyType = "ed25519";
    public const string Ed25519Scheme = "ed25519";
}

/// <summary>
/// A public key as it appears in root metadata: <c>{"keytype","scheme","keyval":{"public"}}</c>.
/// ECDSA public keys are PEM SubjectPublicKeyInfo (what python-tuf and tuf-js write); Ed25519 keys are 64 hex digits.
/// The key id is the SHA-256 of the key's canonical JSON.
/// </summary>
public sealed class TufKey : IEquatable<TufKey>
{
    private readonly object _gate = new();
    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PublicKeyParameters? _ed25519;

    public TufKey(string keyType, string scheme, string publicValue)
    {
        KeyType = keyType;
        Scheme = scheme;
        PublicValue = publicValue;
        switch (keyType, scheme)
        {
            case ("ecdsa" or "ecdsa-sha2-nistp256", KeySchemes.EcdsaScheme):
                _ecdsa = ImportEcdsa(publicValue);
                break;
            case (KeySchemes.Ed25519KeyType, KeySchemes.Ed25519Scheme):
                var raw = Hex.TryDecode(publicValue);
                if (raw is not { Length: 32 })
                    throw new FormatException("ed25519 public key must be 64 hex digits");
                _ed25519 = new Ed25519PublicKeyParameters(raw, 0);
                break;
            default:
                throw new FormatException($"unsupported key type/scheme {keyType}/{scheme}");
        }
        KeyId = Hex.Sha256(CanonicalJson.Encode(ToJson()));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, string), TufKey> Cache = new();

    /// <summary>
    /// The same key object for the same key text: every refresh re-reads root metadata, and importing a key costs far more
    /// than looking it up. Bounded so a stream of hostile roots cannot grow it without limit.
    /// </summary>
    public static TufKey Get(string keyType, string scheme, string publicValue)
    {
        if (Cache.TryGetValue((keyType, scheme, publicValue), out var cached))
            return cached;
        var key = new TufKey(keyType, scheme, publicValue);
        if (Cache.Count < 1024)
            Cache.TryAdd((keyType, scheme, publicValue), key);
        return key;
    }

    public string KeyType { get; }
    public string Scheme { get; }
    public string PublicValue { get; }
    public string KeyId { get; }

    public JsonObject ToJson() => new()
    {
        ["keytype"] = KeyType,
        ["scheme"] = Scheme,
        ["keyval"] = new JsonObject { ["public"] = PublicValue },
    };

    /// <summary>True if <paramref name="signature"/> (raw bytes: DER for ECDSA, 64 bytes for Ed25519) signs <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (_ecdsa is not null)
        {
            // ECDsa instances are not documented as thread-safe; verification is short.
            lock (_gate)
                return _ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        if (signature.Length != 64)
            return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, _ed25519);
        var bytes = data.ToArray();
        verifier.BlockUpdate(bytes, 0, bytes.Length);
        return verifier.VerifySignature(signature.ToArray());
    }

    private static ECDsa ImportEcdsa(string publicValue)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            if (publicValue.StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
            {
                ecdsa.ImportFromPem(publicValue);
            }
            else
            {
                // Older securesystemslib writes the uncompressed point in hex.
                var point = Hex.TryDecode(publicValue);
                if (point is not { Length: 65 } || point[0] != 4)
                    throw new FormatException("ecdsa public key must be PEM SubjectPublicKeyInfo or a hex uncompressed point");
                ecdsa.ImportParameters(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = point[1..33], Y = point[33..] },
                });
            }
            if (ecdsa.KeySize != 256)
                throw new FormatException("ecdsa public key is not on P-256");
            return ecdsa;
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new FormatException($"ecdsa public key does not parse: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            ecdsa.Dispose();
            throw new FormatException($"ecdsa public key does not parse: {ex.Message}");
        }
        catch (PlatformNotSupportedException ex)
        {
            // A key naming a curve this platform lacks (found by bench/fuzz: a flipped digit in the curve's OID).
            ecdsa.Dispose();
            throw new FormatException($"ecdsa public key does not parse: {ex.Message}");
        }
    }

    public bool Equals(TufKey? other) => other is not null && KeyId == other.KeyId;
    public override bool Equals(object? obj) => Equals(obj as TufKey);
    public override int GetHashCode() => KeyId.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => $"{KeyType}:{KeyId[..12]}";
}
