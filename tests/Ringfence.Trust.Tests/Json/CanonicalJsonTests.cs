using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Ringfence.Trust.Json;

namespace Ringfence.Trust.Tests.Json;

public sealed class CanonicalJsonTests
{
    private static string Canonical(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Encoding.UTF8.GetString(CanonicalJson.Encode(doc.RootElement));
    }

    [Fact]
    public void Encode_UnsortedObjectWithWhitespace_SortsKeysAndDropsWhitespace() =>
        Canonical("""{ "b": 1, "a": [true, false, null], "c": {"z": "x", "y": -5} }""")
            .ShouldBe("""{"a":[true,false,null],"b":1,"c":{"y":-5,"z":"x"}}""");

    [Fact]
    public void Encode_StringWithEscapes_EscapesOnlyQuoteAndBackslash() =>
        Canonical("""{"k":"line\nbreak \"q\" back\\slash \u00e9"}""")
            .ShouldBe("{\"k\":\"line\nbreak \\\"q\\\" back\\\\slash é\"}");

    [Fact]
    public void Encode_PemKeyFromNodeAndFromElement_SameBytes()
    {
        var node = new JsonObject { ["public"] = "-----BEGIN PUBLIC KEY-----\nABC+/=\n-----END PUBLIC KEY-----\n", ["n"] = 3 };
        using var doc = JsonDocument.Parse(node.ToJsonString());
        CanonicalJson.Encode(doc.RootElement).ShouldBe(CanonicalJson.Encode(node));
    }

    [Theory]
    [InlineData("""{"a":1.5}""")]
    [InlineData("""{"a":1e3}""")]
    public void Encode_NonInteger_Throws(string json) => Should.Throw<FormatException>(() => Canonical(json));

    [Fact]
    public void Encode_DuplicateKeys_Throws() =>
        Should.Throw<FormatException>(() => Canonical("""{"a":1,"a":2}""")).Message.ShouldContain("duplicate key");

    [Fact]
    public void Encode_NonAsciiKeys_SortedByUtf16CodeUnits() =>
        Canonical("""{"é":1,"z":2,"A":3}""").ShouldBe("""{"A":3,"z":2,"é":1}""");

    [Fact]
    public void Encode_AnyStringMap_IsIdempotentAndSorted()
    {
        Prop.ForAll<Dictionary<string, string>>(map =>
        {
            var node = new JsonObject();
            // Canonical JSON leaves control characters raw (not valid JSON to re-parse), so the property keeps to printable text.
            static bool Printable(string? text) => text is not null && !text.Any(char.IsControl) && !text.Any(char.IsSurrogate);
            foreach (var (key, value) in map.Where(kv => Printable(kv.Key) && Printable(kv.Value)))
                node[key] = value;
            var once = CanonicalJson.Encode(node);
            using var doc = JsonDocument.Parse(once);
            var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            return keys.SequenceEqual(keys.Order(StringComparer.Ordinal)) && CanonicalJson.Encode(doc.RootElement).SequenceEqual(once);
        }).QuickCheckThrowOnFailure();
    }
}
