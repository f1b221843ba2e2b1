using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ringfence.Trust.Keys;

/// <summary>Wrong passphrase, or an encrypted key file that was changed.</summary>
public sealed class KeyDecryptionException(string message) : Exception(message);

/// <summary>
/// Private keys at rest: PBKDF2-HMAC-SHA256 derives a 256-bit key from the passphrase and a random salt,
/// AES-256-GCM encrypts the private key with the key id and role as associated data (so a file cannot be swapped
/// for another role's). The file is JSON; only bytes in and out here, the caller stores them.
/// </summary>
public static class KeyEncryption
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;
    public const int MinimumIterations = 10_000;
    public const int MaximumIterations = 10_000_000;

    public static byte[] Encrypt(SigningKey key, string role, string passphrase, int iterations = DefaultIterations)
    {
        if (iterations is < MinimumIterations or > MaximumIterations)
            throw new ArgumentOutOfRangeException(nameof(iterations), $"iterations must be in [{MinimumIterations}, {MaximumIterations}]");
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var aesKey = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
        var plain = key.ExportPrivate();
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        using (var gcm = new AesGcm(aesKey, 16))
            gcm.Encrypt(nonce, plain, cipher, tag, AssociatedData(key.KeyId, role, key.Algorithm));
        CryptographicOperations.ZeroMemory(plain);
        CryptographicOperations.ZeroMemory(aesKey);
        var json = new JsonObject
        {
            ["format"] = "ringfence-key-1",
            ["role"] = role,
            ["keyid"] = key.KeyId,
            ["algorithm"] = key.Algorithm.ToString(),
            ["public"] = key.PublicKey.ToJson(),
            ["kdf"] = new JsonObject { ["name"] = "pbkdf2-hmac-sha256", ["iterations"] = iterations, ["salt"] = Hex.Encode(salt) },
            ["cipher"] = new JsonObject { ["name"] = "aes-256-gcm", ["nonce"] = Hex.Encode(nonce), ["tag"] = Hex.Encode(tag), ["ciphertext"] = Hex.Encode(cipher) },
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads the key id and role without the passphrase.</summary>
    public static (string KeyId, string Role) ReadHeader(ReadOnlySpan<byte> file, string name)
    {
        var (keyId, role, _, _, _, _, _, _) = Parse(file, name);
        return (keyId, role);
    }

    public static SigningKey Decrypt(ReadOnlySpan<byte> file, string passphrase, string name)
    {
        var (keyId, role, algorithm, iterations, salt, nonce, tag, cipher) = Parse(file, name);
        var aesKey = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
        var plain = new byte[cipher.Length];
        try
        {
            using var gcm = new AesGcm(aesKey, 16);
            gcm.Decrypt(nonce, cipher, tag, plain, AssociatedData(keyId, role, algorithm));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new KeyDecryptionException($"{name}: wrong passphrase or the key file was altered");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(aesKey);
        }
        var key = SigningKey.Import(algorithm, plain);
        CryptographicOperations.ZeroMemory(plain);
        if (key.KeyId != keyId)
            throw new KeyDecryptionException($"{name}: decrypted key does not match key id {keyId}");
        return key;
    }

    private static byte[] AssociatedData(string keyId, string role, KeyAlgorithm algorithm) =>
        Encoding.UTF8.GetBytes($"ringfence-key-1|{role}|{keyId}|{algorithm}");

    private static (string, string, KeyAlgorithm, int, byte[], byte[], byte[], byte[]) Parse(ReadOnlySpan<byte> file, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(file.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != "ringfence-key-1")
                throw new KeyDecryptionException($"{name}: $.format: not a ringfence-key-1 file");
            var keyId = root.GetProperty("keyid").GetString() ?? "";
            var role = root.GetProperty("role").GetString() ?? "";
            if (!Enum.TryParse<KeyAlgorithm>(root.GetProperty("algorithm").GetString(), out var algorithm))
                throw new KeyDecryptionException($"{name}: $.algorithm: unknown algorithm");
            var kdf = root.GetProperty("kdf");
            var iterations = kdf.GetProperty("iterations").GetInt32();
            if (iterations is < MinimumIterations or > MaximumIterations)
                throw new KeyDecryptionException($"{name}: $.kdf.iterations: out of range");
            var cipher = root.GetProperty("cipher");
            var salt = Hex.TryDecode(kdf.GetProperty("salt").GetString());
            var nonce = Hex.TryDecode(cipher.GetProperty("nonce").GetString());
            var tag = Hex.TryDecode(cipher.GetProperty("tag").GetString());
            var ciphertext = Hex.TryDecode(cipher.GetProperty("ciphertext").GetString());
            if (salt is null || nonce is not { Length: 12 } || tag is not { Length: 16 } || ciphertext is null)
                throw new KeyDecryptionException($"{name}: $.kdf/$.cipher: bad hex field");
            return (keyId, role, algorithm, iterations, salt, nonce, tag, ciphertext);
        }
        catch (JsonException ex)
        {
            throw new KeyDecryptionException($"{name}: not a key file: {ex.Message}");
        }
        catch (KeyNotFoundException)
        {
            throw new KeyDecryptionException($"{name}: not a key file: a required field is missing");
        }
        catch (InvalidOperationException)
        {
            throw new KeyDecryptionException($"{name}: not a key file: a field has the wrong type");
        }
        catch (FormatException)
        {
            throw new KeyDecryptionException($"{name}: not a key file: a number does not parse");
        }
    }
}
