using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Ringfence.Trust.Keys;

/// <summary>The two algorithms we generate keys for.</summary>
public enum KeyAlgorithm
{
    EcdsaP256,
    Ed25519,
}

/// <summary>A private key that signs metadata. Signatures are DER for ECDSA (as securesystemslib writes them) and 64 raw bytes for Ed25519.</summary>
public abstract class SigningKey : IDisposable
{
    public abstract TufKey PublicKey { get; }
    public string KeyId => PublicKey.KeyId;
    public abstract KeyAlgorithm Algorithm { get; }

    public abstract byte[] Sign(ReadOnlySpan<byte> data);

    /// <summary>The private key bytes: PKCS#8 for ECDSA, the 32-byte seed for Ed25519. Encrypt before storing.</summary>
    public abstract byte[] ExportPrivate();

    /// <summary>A new key from the operating system's cryptographic random source.</summary>
    public static SigningKey Generate(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => new EcdsaSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        KeyAlgorithm.Ed25519 => new Ed25519SigningKey(new Ed25519PrivateKeyParameters(new SecureRandom())),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static SigningKey Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> privateKey)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.EcdsaP256:
                var ecdsa = ECDsa.Create();
                try
                {
                    ecdsa.ImportPkcs8PrivateKey(privateKey, out _);
                }
                catch (CryptographicException ex)
                {
                    ecdsa.Dispose();
                    throw new FormatException($"ecdsa private key does not parse: {ex.Message}");
                }
                if (ecdsa.KeySize != 256)
                {
                    ecdsa.Dispose();
                    throw new FormatException("ecdsa private key is not on P-256");
                }
                return new EcdsaSigningKey(ecdsa);
            case KeyAlgorithm.Ed25519:
                if (privateKey.Length != 32)
                    throw new FormatException("ed25519 private key must be 32 bytes");
                return new Ed25519SigningKey(new Ed25519PrivateKeyParameters(privateKey.ToArray(), 0));
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm));
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    private sealed class EcdsaSigningKey : SigningKey
    {
        private readonly ECDsa _ecdsa;

        public EcdsaSigningKey(ECDsa ecdsa)
        {
            _ecdsa = ecdsa;
            PublicKey = new TufKey(KeySchemes.EcdsaKeyType, KeySchemes.EcdsaScheme, ecdsa.ExportSubjectPublicKeyInfoPem());
        }

        public override TufKey PublicKey { get; }
        public override KeyAlgorithm Algorithm => KeyAlgorithm.EcdsaP256;

        public override byte[] Sign(ReadOnlySpan<byte> data) =>
            _ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        public override byte[] ExportPrivate() => _ecdsa.ExportPkcs8PrivateKey();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _ecdsa.Dispose();
        }
    }

    private sealed class Ed25519SigningKey : SigningKey
    {
        private readonly Ed25519PrivateKeyParameters _key;

        public Ed25519SigningKey(Ed25519PrivateKeyParameters key)
        {
            _key = key;
            PublicKey = new TufKey(KeySchemes.Ed25519KeyType, KeySchemes.Ed25519Scheme, Hex.Encode(key.GeneratePublicKey().GetEncoded()));
        }

        public override TufKey PublicKey { get; }
        public override KeyAlgorithm Algorithm => KeyAlgorithm.Ed25519;

        public override byte[] Sign(ReadOnlySpan<byte> data)
        {
            var signer = new Ed25519Signer();
            signer.Init(true, _key);
            var bytes = data.ToArray();
            signer.BlockUpdate(bytes, 0, bytes.Length);
            return signer.GenerateSignature();
        }

        public override byte[] ExportPrivate() => _key.GetEncoded();
    }
}
