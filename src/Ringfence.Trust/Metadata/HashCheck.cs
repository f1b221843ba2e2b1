using System.Security.Cryptography;

namespace Ringfence.Trust.Metadata;

/// <summary>Checks bytes against a signed length and hashes.</summary>
public static class HashCheck
{
    /// <summary>
    /// Throws <see cref="HashMismatchException"/> naming the failed check when the length differs or any supported hash differs.
    /// At least one supported hash (sha256, sha512) must be present when <paramref name="hashes"/> is given.
    /// </summary>
    public static void Verify(ReadOnlySpan<byte> bytes, long? length, IReadOnlyDictionary<string, string>? hashes, string what)
    {
        if (length is { } expected && bytes.Length != expected)
            throw new HashMismatchException(what, $"length check failed: expected {expected} bytes, got {bytes.Length}");
        if (hashes is null)
            return;
        var checkedAny = false;
        foreach (var (algorithm, hex) in hashes)
        {
            string actual;
            switch (algorithm)
            {
                case "sha256":
                    actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
                    break;
                case "sha512":
                    actual = Convert.ToHexStringLower(SHA512.HashData(bytes));
                    break;
                default:
                    continue;
            }
            checkedAny = true;
            if (!string.Equals(actual, hex, StringComparison.OrdinalIgnoreCase))
                throw new HashMismatchException(what, $"{algorithm} hash check failed: expected {Short(hex)}, got {Short(actual)}");
        }
        if (!checkedAny)
            throw new HashMismatchException(what, "hash check failed: no supported hash algorithm (sha256, sha512)");
    }

    private static string Short(string hex) => hex.Length > 16 ? hex[..16] + "…" : hex;
}
