using System.Security.Cryptography;

namespace Ringfence.Trust;

/// <summary>Lowercase hex and SHA-256 helpers; TUF writes hashes and signatures as lowercase hex.</summary>
public static class Hex
{
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Decodes hex, or returns null when it is not hex of whole bytes.</summary>
    public static byte[]? TryDecode(string? text)
    {
        if (text is null || text.Length % 2 != 0)
            return null;
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>True for exactly 64 lowercase or uppercase hex digits.</summary>
    public static bool IsSha256(string? text) => text is { Length: 64 } && text.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF") is false;
}
