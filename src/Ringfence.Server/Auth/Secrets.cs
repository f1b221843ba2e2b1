using System.Security.Cryptography;
using System.Text;

namespace Ringfence.Server.Auth;

/// <summary>Random secrets and their stored form (SHA-256, lowercase hex). Secrets are never stored in clear.</summary>
public static class Secrets
{
    /// <summary>A new secret: prefix + 32 random bytes, base64url (e.g. "rfk_...").</summary>
    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Constant-time comparison of two hex hashes.</summary>
    public static bool HashEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
