using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ringfence.Rollouts.Rings;

/// <summary>
/// SHA-256 of exactly 16 bytes (two little-endian 64-bit keys), returning the first 32-bit word of the digest.
/// The general-purpose <c>SHA256.HashData</c> goes through the platform crypto library, whose per-call overhead
/// (microseconds with OpenSSL 3) dominates for a 16-byte message. Here the single compression block is fully
/// unrolled (generated), with the constant padding words folded in. Tests check it against <c>SHA256</c> on
/// random inputs.
/// </summary>
internal static class Sha256Block
{
    /// <summary>First four digest bytes of SHA-256(LE(a) ‖ LE(b)), read as a little-endian uint.</summary>
    public static uint FirstWord(ulong a, ulong b)
    {
        // Message words (big-endian reads of the little-endian keys); w4 = 0x80000000 (padding), w5..w14 = 0,
        // w15 = 128 (length in bits) are folded into the code below.
        var w0 = BinaryPrimitives.ReverseEndianness((uint)a);
        var w1 = BinaryPrimitives.ReverseEndianness((uint)(a >> 32));
        var w2 = BinaryPrimitives.ReverseEndianness((uint)b);
        var w3 = BinaryPrimitives.ReverseEndianness((uint)(b >> 32));
        var w16 = Sigma0(w1) + w0;
        var w17 = Sigma1(0x00000080u) + Sigma0(w2) + w1;
        var w18 = Sigma1(w16) + Sigma0(w3) + w2;
        var w19 = Sigma1(w17) + Sigma0(0x80000000u) + w3;
        var w20 = Sigma1(w18) + 0x80000000u;
        var w21 = Sigma1(w19);
        var w22 = Sigma1(w20) + 0x00000080u;
        var w23 = Sigma1(w21) + w16;
        var w24 = Sigma1(w22) + w17;
        var w25 = Sigma1(w23) + w18;
        var w26 = Sigma1(w24) + w19;
        var w27 = Sigma1(w25) + w20;
        var w28 = Sigma1(w26) + w21;
        var w29 = Sigma1(w27) + w22;
        var w30 = Sigma1(w28) + w23 + Sigma0(0x00000080u);
        var w31 = Sigma1(w29) + w24 + Sigma0(w16) + 0x00000080u;
        var w32 = Sigma1(w30) + w25 + Sigma0(w17) + w16;
        var w33 = Sigma1(w31) + w26 + Sigma0(w18) + w17;
        var w34 = Sigma1(w32) + w27 + Sigma0(w19) + w18;
        var w35 = Sigma1(w33) + w28 + Sigma0(w20) + w19;
        var w36 = Sigma1(w34) + w29 + Sigma0(w21) + w20;
        var w37 = Sigma1(w35) + w30 + Sigma0(w22) + w21;
        var w38 = Sigma1(w36) + w31 + Sigma0(w23) + w22;
        var w39 = Sigma1(w37) + w32 + Sigma0(w24) + w23;
        var w40 = Sigma1(w38) + w33 + Sigma0(w25) + w24;
        var w41 = Sigma1(w39) + w34 + Sigma0(w26) + w25;
        var w42 = Sigma1(w40) + w35 + Sigma0(w27) + w26;
        var w43 = Sigma1(w41) + w36 + Sigma0(w28) + w27;
        var w44 = Sigma1(w42) + w37 + Sigma0(w29) + w28;
        var w45 = Sigma1(w43) + w38 + Sigma0(w30) + w29;
        var w46 = Sigma1(w44) + w39 + Sigma0(w31) + w30;
        var w47 = Sigma1(w45) + w40 + Sigma0(w32) + w31;
        var w48 = Sigma1(w46) + w41 + Sigma0(w33) + w32;
        var w49 = Sigma1(w47) + w42 + Sigma0(w34) + w33;
        var w50 = Sigma1(w48) + w43 + Sigma0(w35) + w34;
        var w51 = Sigma1(w49) + w44 + Sigma0(w36) + w35;
        var w52 = Sigma1(w50) + w45 + Sigma0(w37) + w36;
        var w53 = Sigma1(w51) + w46 + Sigma0(w38) + w37;
        var w54 = Sigma1(w52) + w47 + Sigma0(w39) + w38;
        var w55 = Sigma1(w53) + w48 + Sigma0(w40) + w39;
        var w56 = Sigma1(w54) + w49 + Sigma0(w41) + w40;
        var w57 = Sigma1(w55) + w50 + Sigma0(w42) + w41;
        var w58 = Sigma1(w56) + w51 + Sigma0(w43) + w42;
        var w59 = Sigma1(w57) + w52 + Sigma0(w44) + w43;
        var w60 = Sigma1(w58) + w53 + Sigma0(w45) + w44;
        var w61 = Sigma1(w59) + w54 + Sigma0(w46) + w45;
        var w62 = Sigma1(w60) + w55 + Sigma0(w47) + w46;
        var w63 = Sigma1(w61) + w56 + Sigma0(w48) + w47;
        uint ra = 0x6a09e667, rb = 0xbb67ae85, rc = 0x3c6ef372, rd = 0xa54ff53a;
        uint re = 0x510e527f, rf = 0x9b05688c, rg = 0x1f83d9ab, rh = 0x5be0cd19;
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0x428a2f98u + w0);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0x71374491u + w1);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0xb5c0fbcfu + w2);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0xe9b5dba5u + w3);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0xb956c25bu);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0x59f111f1u);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x923f82a4u);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0xab1c5ed5u);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0xd807aa98u);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0x12835b01u);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0x243185beu);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0x550c7dc3u);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0x72be5d74u);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0x80deb1feu);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x9bdc06a7u);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0xc19bf1f4u);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0xe49b69c1u + w16);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0xefbe4786u + w17);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0x0fc19dc6u + w18);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0x240ca1ccu + w19);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0x2de92c6fu + w20);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0x4a7484aau + w21);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x5cb0a9dcu + w22);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0x76f988dau + w23);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0x983e5152u + w24);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0xa831c66du + w25);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0xb00327c8u + w26);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0xbf597fc7u + w27);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0xc6e00bf3u + w28);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0xd5a79147u + w29);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x06ca6351u + w30);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0x14292967u + w31);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0x27b70a85u + w32);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0x2e1b2138u + w33);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0x4d2c6dfcu + w34);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0x53380d13u + w35);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0x650a7354u + w36);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0x766a0abbu + w37);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x81c2c92eu + w38);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0x92722c85u + w39);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0xa2bfe8a1u + w40);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0xa81a664bu + w41);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0xc24b8b70u + w42);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0xc76c51a3u + w43);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0xd192e819u + w44);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0xd6990624u + w45);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0xf40e3585u + w46);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0x106aa070u + w47);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0x19a4c116u + w48);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0x1e376c08u + w49);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0x2748774cu + w50);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0x34b0bcb5u + w51);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0x391c0cb3u + w52);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0x4ed8aa4au + w53);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0x5b9cca4fu + w54);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0x682e6ff3u + w55);
        Round(ra, rb, rc, ref rd, re, rf, rg, ref rh, 0x748f82eeu + w56);
        Round(rh, ra, rb, ref rc, rd, re, rf, ref rg, 0x78a5636fu + w57);
        Round(rg, rh, ra, ref rb, rc, rd, re, ref rf, 0x84c87814u + w58);
        Round(rf, rg, rh, ref ra, rb, rc, rd, ref re, 0x8cc70208u + w59);
        Round(re, rf, rg, ref rh, ra, rb, rc, ref rd, 0x90befffau + w60);
        Round(rd, re, rf, ref rg, rh, ra, rb, ref rc, 0xa4506cebu + w61);
        Round(rc, rd, re, ref rf, rg, rh, ra, ref rb, 0xbef9a3f7u + w62);
        Round(rb, rc, rd, ref re, rf, rg, rh, ref ra, 0xc67178f2u + w63);

        return BinaryPrimitives.ReverseEndianness(0x6a09e667 + ra);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(uint a, uint b, uint c, ref uint d, uint e, uint f, uint g, ref uint h, uint kw)
    {
        var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25)) + ((e & f) ^ (~e & g)) + kw;
        d += t1;
        h = t1 + (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Sigma0(uint x) => BitOperations.RotateRight(x, 7) ^ BitOperations.RotateRight(x, 18) ^ (x >> 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Sigma1(uint x) => BitOperations.RotateRight(x, 17) ^ BitOperations.RotateRight(x, 19) ^ (x >> 10);
}
