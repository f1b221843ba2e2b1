using System.Buffers.Binary;
using System.Numerics;

namespace Ringfence.Rollouts.Rings;

/// <summary>
/// SHA-256 of exactly 16 bytes (two little-endian 64-bit keys), returning the first 32-bit word of the digest.
/// The general-purpose <c>SHA256.HashData</c> goes through the platform crypto library, whose per-call overhead
/// (microseconds with OpenSSL 3) dominates for a 16-byte message; one managed compression block costs a few
/// hundred nanoseconds. Tests check it against <c>SHA256</c> on random inputs.
/// </summary>
internal static class Sha256Block
{
    private static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>First four digest bytes of SHA-256(LE(a) ‖ LE(b)), read as a little-endian uint.</summary>
    public static uint FirstWord(ulong a, ulong b)
    {
        Span<uint> w = stackalloc uint[64];
        // The message bytes are little-endian keys; SHA-256 reads big-endian words.
        w[0] = BinaryPrimitives.ReverseEndianness((uint)a);
        w[1] = BinaryPrimitives.ReverseEndianness((uint)(a >> 32));
        w[2] = BinaryPrimitives.ReverseEndianness((uint)b);
        w[3] = BinaryPrimitives.ReverseEndianness((uint)(b >> 32));
        w[4] = 0x80000000; // padding bit
        for (var i = 5; i < 15; i++)
        {
            w[i] = 0;
        }

        w[15] = 128; // message length in bits
        for (var i = 16; i < 64; i++)
        {
            var x = w[i - 15];
            var y = w[i - 2];
            var s0 = BitOperations.RotateRight(x, 7) ^ BitOperations.RotateRight(x, 18) ^ (x >> 3);
            var s1 = BitOperations.RotateRight(y, 17) ^ BitOperations.RotateRight(y, 19) ^ (y >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }

        uint h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
        uint h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
        uint ra = h0, rb = h1, rc = h2, rd = h3, re = h4, rf = h5, rg = h6, rh = h7;
        var k = K;
        for (var i = 0; i < 64; i++)
        {
            var s1 = BitOperations.RotateRight(re, 6) ^ BitOperations.RotateRight(re, 11) ^ BitOperations.RotateRight(re, 25);
            var ch = (re & rf) ^ (~re & rg);
            var t1 = rh + s1 + ch + k[i] + w[i];
            var s0 = BitOperations.RotateRight(ra, 2) ^ BitOperations.RotateRight(ra, 13) ^ BitOperations.RotateRight(ra, 22);
            var maj = (ra & rb) ^ (ra & rc) ^ (rb & rc);
            var t2 = s0 + maj;
            rh = rg;
            rg = rf;
            rf = re;
            re = rd + t1;
            rd = rc;
            rc = rb;
            rb = ra;
            ra = t1 + t2;
        }

        return BinaryPrimitives.ReverseEndianness(h0 + ra);
    }
}
