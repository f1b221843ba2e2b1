using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringfence.Trust.Json;

namespace Ringfence.Trust.Tests.Json;

/// <summary>The streaming canonicaliser must give exactly the bytes (or the same error) as the reference document walker.</summary>
public sealed class CanonicalJsonReaderTests
{
    private static readonly string[] Strings =
    [
        "", "a", "b", "A", "keyid", "sig", "é", "z", "\u00e9t\u00e9", "日本", "😀", "with \"quote\"", "back\\slash", "line\nbreak",
        "tab\there", "-----BEGIN PUBLIC KEY-----\nMFkw+/=\n-----END PUBLIC KEY-----\n", "channels/C-00000001.rfc", "\u007f", " ",
    ];

    private static readonly string[] Numbers = ["0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "-0", "1.5", "1e3", "1E2", "1.0", "100", "12345678901234567890"];

    /// <summary>Escapes a string for JSON text, choosing at random between raw characters and \u escapes so both paths run.</summary>
    private static string Quote(string value, Random random)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
                text.Append('\\').Append(c);
            else if (c < 0x20 || (!char.IsSurrogate(c) && random.Next(6) == 0))
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                text.Append(c);
        }
        return text.Append('"').ToString();
    }

    private static string Value(Random random, int depth)
    {
        var kind = depth >= 4 ? random.Next(4) : random.Next(7);
        switch (kind)
        {
            case 0:
                return Quote(Strings[random.Next(Strings.Length)], random);
            case 1:
                // Mostly integers; sometimes a form that must be normalised or refused.
                return random.Next(5) == 0 ? Numbers[random.Next(Numbers.Length)] : random.NextInt64(-1_000_000, 1_000_000).ToString(CultureInfo.InvariantCulture);
            case 2:
                return random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" };
            case 3:
                return Quote(random.Next(100_000).ToString("x", CultureInfo.InvariantCulture), random);
            case 4:
                var items = Enumerable.Range(0, random.Next(5)).Select(_ => Value(random, depth + 1));
                return "[ " + string.Join(" ,", items) + "]";
            default:
                var count = random.Next(kind == 6 ? 20 : 6);
                var members = Enumerable.Range(0, count).Select(_ =>
                {
                    // Small key alphabet so duplicates (including escaped duplicates) sometimes occur.
                    var key = random.Next(4) == 0 ? Strings[random.Next(Strings.Length)] : ((char)('a' + random.Next(12))).ToString();
                    return Quote(key, random) + " : " + Value(random, depth + 1);
                });
                return "{\n" + string.Join(",\n  ", members) + "}";
        }
    }

    private static (byte[]? Bytes, string? Error) Reference(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        try
        {
            return (CanonicalJson.Encode(doc.RootElement), null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }

    private static (byte[]? Bytes, string? Error) Streamed(byte[] json)
    {
        try
        {
            return (CanonicalJson.Encode(json.AsMemory()), null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }

    [Fact]
    public void Encode_ManyRandomDocuments_SameBytesOrSameErrorAsReference()
    {
        var random = new Random(291);
        var failures = 0;
        for (var i = 0; i < 3000; i++)
        {
            var json = Encoding.UTF8.GetBytes("{" + Quote("signed", random) + ":" + Value(random, 0) + "," + Quote("x", random) + ":" + Value(random, 0) + "}");
            var expected = Reference(json);
            var actual = Streamed(json);
            if (expected.Error is not null)
                failures++;
            actual.Error.ShouldBe(expected.Error, Encoding.UTF8.GetString(json));
            actual.Bytes.ShouldBe(expected.Bytes, Encoding.UTF8.GetString(json));
        }
        // The generator must exercise both outcomes, or the comparison proves little.
        failures.ShouldBeInRange(100, 2900);
    }

    [Fact]
    public void Encode_LargeUnsortedObject_SameBytesAsReference()
    {
        var random = new Random(7);
        var node = new JsonObject();
        foreach (var i in Enumerable.Range(0, 2000).OrderBy(_ => random.Next()))
            node[$"channels/C-{i:D8}.rfc"] = new JsonObject { ["length"] = i, ["hashes"] = new JsonObject { ["sha256"] = new string('a', 64) } };
        var json = Encoding.UTF8.GetBytes(node.ToJsonString());

        Streamed(json).Bytes.ShouldBe(Reference(json).Bytes);
    }

    [Fact]
    public void ParseTargets_RealRepositoryMetadata_CanonicalBytesMatchReferenceAndSigner()
    {
        using var repo = new TestRepository();
        var random = new Random(3);
        repo.Repository.AddTargets(Enumerable.Range(0, 300).Select(i =>
        {
            var content = new byte[32];
            random.NextBytes(content);
            var custom = i % 3 == 0 ? new JsonObject { ["channel"] = "C-291", ["note"] = "ü \"quoted\" \\ path", ["n"] = i } : null;
            return ($"channels/C-{i:D8}.rfc", content, custom);
        }), repo.Keys);

        foreach (var (raw, signedCanonical) in new[]
                 {
                     (repo.Repository.Targets.Raw, repo.Repository.Targets.CanonicalSigned.ToArray()),
                     (repo.Repository.Snapshot.Raw, repo.Repository.Snapshot.CanonicalSigned.ToArray()),
                     (repo.Repository.Timestamp.Raw, repo.Repository.Timestamp.CanonicalSigned.ToArray()),
                     (repo.PinnedRoot, (byte[]?)null),
                 })
        {
            using var doc = JsonDocument.Parse(raw);
            var signed = doc.RootElement.GetProperty("signed");
            var reference = CanonicalJson.Encode(signed);
            CanonicalJson.Encode(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(signed).ToArray().AsMemory()).ShouldBe(reference);
            if (signedCanonical is not null)
                reference.ShouldBe(signedCanonical);
        }
    }

    [Fact]
    public void IsCanonical_RandomDocuments_TrueExactlyWhenTheBytesAreTheirOwnCanonicalForm()
    {
        var random = new Random(20240719);
        var canonicalSeen = 0;
        for (var i = 0; i < 3000; i++)
        {
            var text = Value(random, 0);
            var bytes = Encoding.UTF8.GetBytes(text);
            byte[]? canonical;
            try
            {
                canonical = CanonicalJson.Encode(bytes.AsMemory());
            }
            catch (FormatException)
            {
                canonical = null;
            }
            // Safety: whenever the fast check says yes, encoding would give the very same bytes.
            if (CanonicalJsonReader.IsCanonical(bytes))
                canonical.ShouldBe(bytes, text);
            if (canonical is null || canonical.AsSpan().ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) || canonical.AsSpan().IndexOf((byte)'\\') >= 0)
                continue;
            // Completeness for what our repository writes (printable ASCII, no escapes): canonical output is recognised.
            CanonicalJsonReader.IsCanonical(canonical).ShouldBeTrue(Encoding.UTF8.GetString(canonical));
            canonicalSeen++;
        }
        canonicalSeen.ShouldBeGreaterThan(500);
    }

    [Theory]
    [InlineData("{\"a\":1,\"b\":2}", true)]
    [InlineData("{\"b\":1,\"a\":2}", false)]
    [InlineData("{\"a\":1,\"a\":2}", false)]
    [InlineData("{\"a\": 1}", false)]
    [InlineData(" {\"a\":1}", false)]
    [InlineData("{\"a\":1} ", false)]
    [InlineData("{\"a\":01}", false)]
    [InlineData("{\"a\":-0}", false)]
    [InlineData("{\"a\":1.0}", false)]
    [InlineData("{\"a\":\"\\u0041\"}", false)]
    [InlineData("[1,[true,false,null],{}]", true)]
    [InlineData("[1,[true,false,null],{}", false)]
    public void IsCanonical_Examples(string json, bool expected) =>
        CanonicalJsonReader.IsCanonical(Encoding.UTF8.GetBytes(json)).ShouldBe(expected, json);
}
