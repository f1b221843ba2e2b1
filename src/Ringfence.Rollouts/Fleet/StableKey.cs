using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ringfence.Rollouts.Fleet;

/// <summary>Stable 64-bit keys of names (host ids, organisations, rollout ids): the first 8 bytes of their SHA-256.</summary>
public static class StableKey
{
    /// <summary>Key of <paramref name="name"/>; never 0 (0 means "none"), identical on every machine and run.</summary>
    public static ulong Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var max = Encoding.UTF8.GetMaxByteCount(name.Length);
        // Names are short; fall back to the heap only for unusual ones.
        var buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(name, buffer);
        SHA256.HashData(buffer[..length], hash);
        var key = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        return key == 0 ? 1 : key;
    }
}
