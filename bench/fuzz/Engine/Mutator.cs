using System.Text;

namespace Ringfence.Fuzz;

/// <summary>
/// Seeded mutations of a seed corpus: bit flips, interesting bytes, truncation, chunk deletion and duplication, splices
/// of two seeds, insertion of hostile JSON tokens, deep nesting and huge numbers. Deterministic for a given seed.
/// </summary>
public static class Mutator
{
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "-0", "0", "-1", "1e309", "-1e309", "1e-400",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
            "1" + new string('0', 400), "0.1e99999999999", "NaN", "Infinity", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
            "\"\\uZZZZ\"", "\\", "\"\\\"", "/*", "*/", "//", "\u00ff", "\ufeff", "\"$schema\"", "\"__proto__\"", "\"a\":1,\"a\":2",
            "\"id\":", "\"version\":", "\"instances\":[]", "\"criteria\":", "\"retire\":true", "\"signed\":", "\"_type\":\"root\"",
            "\"keys\":{}", "\"roles\":{}", "\"threshold\":0", "\"threshold\":-1", "\"expires\":\"9999-12-31T23:59:59Z\"",
            "\"expires\":\"2024-02-30T00:00:00Z\"", "\"length\":-1", "\"hashes\":{\"sha256\":\"zz\"}", "\"rings\":[null]",
            "\"events\":[{}]", "\"channels\":[null]", "\"percent\":1e308", "\"bakeMinutes\":2147483648",
            "\"../../etc/passwd\"", "\"C-0000\\u0000291\"", "\"" + new string('A', 5000) + "\"",
        }.Select(Encoding.UTF8.GetBytes),
        [0x00], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF, 0xFF, 0xFF, 0x7F], [0xFF, 0xFF, 0xFF, 0xFF],
    ];

    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF, (byte)'"', (byte)'\\', (byte)'{', (byte)'[', (byte)'0', (byte)'-'];

    public static byte[] Mutate(Random random, byte[] input, IReadOnlyList<byte[]> sameKind, int maxLength)
    {
        var data = new List<byte>(input);
        var rounds = 1 + random.Next(random.Next(2) == 0 ? 2 : 8);
        for (var i = 0; i < rounds; i++)
            MutateOnce(random, data, sameKind, maxLength);
        if (data.Count > maxLength)
            data.RemoveRange(maxLength, data.Count - maxLength);
        return [.. data];
    }

    private static void MutateOnce(Random random, List<byte> data, IReadOnlyList<byte[]> sameKind, int maxLength)
    {
        var at = data.Count == 0 ? 0 : random.Next(data.Count);
        switch (random.Next(13))
        {
            case 0 when data.Count > 0: // bit flip
                data[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[at] = Interesting[random.Next(Interesting.Length)];
                break;
            case 2 when data.Count > 0:
                data[at] = (byte)random.Next(256);
                break;
            case 3: // truncation
                data.RemoveRange(at, data.Count - at);
                break;
            case 4 when data.Count > 0: // delete a chunk
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(64)));
                break;
            case 5 when data.Count > 0 && data.Count < maxLength: // duplicate a chunk
                {
                    var length = Math.Min(data.Count - at, 1 + random.Next(256));
                    var chunk = data.GetRange(at, length);
                    data.InsertRange(random.Next(data.Count + 1), chunk);
                    break;
                }
            case 6 when sameKind.Count > 0: // splice: our head, another seed's tail
                {
                    var other = sameKind[random.Next(sameKind.Count)];
                    var from = other.Length == 0 ? 0 : random.Next(other.Length);
                    data.RemoveRange(at, data.Count - at);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
            case 7 or 8: // hostile token
                data.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                break;
            case 9: // deep nesting
                {
                    var depth = random.Next(2) == 0 ? 1 + random.Next(70) : 1 + random.Next(20_000);
                    var open = (byte)(random.Next(2) == 0 ? '[' : '{');
                    var nest = new byte[depth];
                    Array.Fill(nest, open);
                    data.InsertRange(at, open == '{' ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth))) : nest);
                    break;
                }
            case 10: // huge or odd number
                data.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(4) switch
                {
                    0 => random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    1 => "-" + new string('9', 1 + random.Next(2000)),
                    2 => "1e" + random.Next(),
                    _ => "0." + new string('0', random.Next(500)) + "1",
                }));
                break;
            case 11 when data.Count >= 4: // binary: a little-endian u32 length set to an edge value
                {
                    var pos = random.Next(data.Count - 3);
                    var value = random.Next(4) switch { 0 => uint.MaxValue, 1 => 0x7FFFFFFFu, 2 => 0u, _ => (uint)random.Next(0, 1 << 20) };
                    for (var b = 0; b < 4; b++)
                        data[pos + b] = (byte)(value >> (8 * b));
                    break;
                }
            default: // a run of one byte
                data.InsertRange(at, Enumerable.Repeat(Interesting[random.Next(Interesting.Length)], 1 + random.Next(random.Next(2) == 0 ? 16 : 4096)));
                break;
        }
    }
}
