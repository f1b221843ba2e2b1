using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ringfence.Trust.Json;

/// <summary>
/// OLPC canonical JSON, as python-tuf (securesystemslib) and tuf-js sign it: object keys sorted by ordinal,
/// no whitespace, integers only, and inside strings only <c>"</c> and <c>\</c> escaped.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Canonical bytes of a parsed JSON value (used to verify signatures over what was received).</summary>
    public static byte[] Encode(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Write(element, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Canonical bytes of a JSON tree (used to sign what we produce).</summary>
    public static byte[] Encode(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Write(node, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<KeyValuePair<string, JsonElement>>();
                foreach (var property in element.EnumerateObject())
                    properties.Add(new(property.Name, property.Value));
                properties.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                WriteByte(output, (byte)'{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        // Duplicate keys would let two parsers see two different documents under one signature.
                        if (properties[i].Key == properties[i - 1].Key)
                            throw new FormatException($"duplicate key \"{properties[i].Key}\"");
                        WriteByte(output, (byte)',');
                    }
                    WriteString(properties[i].Key, output);
                    WriteByte(output, (byte)':');
                    Write(properties[i].Value, output);
                }
                WriteByte(output, (byte)'}');
                break;
            case JsonValueKind.Array:
                WriteByte(output, (byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                        WriteByte(output, (byte)',');
                    first = false;
                    Write(item, output);
                }
                WriteByte(output, (byte)']');
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetInt64(out var number))
                    throw new FormatException($"non-integer number {element.GetRawText()} is not allowed in canonical JSON");
                WriteAscii(number.ToString(CultureInfo.InvariantCulture), output);
                break;
            case JsonValueKind.True:
                WriteAscii("true", output);
                break;
            case JsonValueKind.False:
                WriteAscii("false", output);
                break;
            case JsonValueKind.Null:
                WriteAscii("null", output);
                break;
            default:
                throw new FormatException($"unexpected JSON value kind {element.ValueKind}");
        }
    }

    public static void Write(JsonNode? node, IBufferWriter<byte> output)
    {
        switch (node)
        {
            case null:
                WriteAscii("null", output);
                break;
            case JsonObject obj:
                var properties = obj.ToList();
                properties.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                WriteByte(output, (byte)'{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                        WriteByte(output, (byte)',');
                    WriteString(properties[i].Key, output);
                    WriteByte(output, (byte)':');
                    Write(properties[i].Value, output);
                }
                WriteByte(output, (byte)'}');
                break;
            case JsonArray array:
                WriteByte(output, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                        WriteByte(output, (byte)',');
                    Write(array[i], output);
                }
                WriteByte(output, (byte)']');
                break;
            default:
                // Values: round-trip through an element so every representation (long, string, bool) is handled once.
                using (var doc = JsonDocument.Parse(node.ToJsonString()))
                    Write(doc.RootElement, output);
                break;
        }
    }

    private static void WriteString(string value, IBufferWriter<byte> output)
    {
        WriteByte(output, (byte)'"');
        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length) * 2;
        var span = output.GetSpan(maxBytes);
        var written = 0;
        if (value.AsSpan().IndexOfAny('"', '\\') < 0)
        {
            written = Encoding.UTF8.GetBytes(value, span);
        }
        else
        {
            foreach (var rune in value.EnumerateRunes())
            {
                if (rune.Value is '"' or '\\')
                    span[written++] = (byte)'\\';
                written += rune.EncodeToUtf8(span[written..]);
            }
        }
        output.Advance(written);
        WriteByte(output, (byte)'"');
    }

    private static void WriteAscii(string text, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
            span[i] = (byte)text[i];
        output.Advance(text.Length);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
