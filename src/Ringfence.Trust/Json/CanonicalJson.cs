using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// Canonical bytes of already-validated raw JSON (used to verify signatures over what was received): the same bytes as
    /// <see cref="Encode(JsonElement)"/>, without walking a document.
    /// </summary>
    public static byte[] Encode(ReadOnlyMemory<byte> utf8Json) => CanonicalJsonReader.Encode(utf8Json);

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
                WriteObject(element, output);
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
                // Hot path (a targets file has thousands of strings): without a backslash the raw UTF-8 between the quotes
                // is the value itself, and it cannot contain '"' either, so it is already canonical.
                var raw = JsonMarshal.GetRawUtf8Value(element);
                if (raw.IndexOf((byte)'\\') < 0)
                    WriteBytes(raw, output);
                else
                    WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetInt64(out _))
                    throw new FormatException($"non-integer number {element.GetRawText()} is not allowed in canonical JSON");
                var digits = JsonMarshal.GetRawUtf8Value(element);
                if (digits.IndexOfAny((byte)'e', (byte)'E') >= 0 || digits.IndexOf((byte)'.') >= 0 || (digits.Length > 1 && digits[0] == '0') || (digits.Length >= 2 && digits[0] == '-' && digits[1] == '0'))
                    WriteAscii(element.GetInt64().ToString(CultureInfo.InvariantCulture), output);
                else
                    WriteBytes(digits, output);
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

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var properties = new List<JsonProperty>();
        var plainNames = true;
        foreach (var property in element.EnumerateObject())
        {
            properties.Add(property);
            // Plain ASCII names without escapes sort the same as bytes as they do as UTF-16 code units (what tuf-js sorts by).
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (name.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) || name.IndexOf((byte)'\\') >= 0)
                plainNames = false;
        }
        if (plainNames)
            properties.Sort(static (a, b) => JsonMarshal.GetRawUtf8PropertyName(a).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(b)));
        else
            properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        WriteByte(output, (byte)'{');
        for (var i = 0; i < properties.Count; i++)
        {
            if (i > 0)
            {
                // Duplicate keys would let two parsers see two different documents under one signature.
                var duplicate = plainNames
                    ? JsonMarshal.GetRawUtf8PropertyName(properties[i]).SequenceEqual(JsonMarshal.GetRawUtf8PropertyName(properties[i - 1]))
                    : properties[i].Name == properties[i - 1].Name;
                if (duplicate)
                    throw new FormatException($"duplicate key \"{properties[i].Name}\"");
                WriteByte(output, (byte)',');
            }
            if (plainNames)
            {
                WriteByte(output, (byte)'"');
                WriteBytes(JsonMarshal.GetRawUtf8PropertyName(properties[i]), output);
                WriteByte(output, (byte)'"');
            }
            else
            {
                WriteString(properties[i].Name, output);
            }
            WriteByte(output, (byte)':');
            Write(properties[i].Value, output);
        }
        WriteByte(output, (byte)'}');
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
            case JsonValue value when value.TryGetValue<string>(out var text):
                WriteString(text, output);
                break;
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                WriteAscii(flag ? "true" : "false", output);
                break;
            case JsonValue value when value.TryGetValue<long>(out var number):
                WriteAscii(number.ToString(CultureInfo.InvariantCulture), output);
                break;
            case JsonValue value when value.TryGetValue<int>(out var small):
                WriteAscii(small.ToString(CultureInfo.InvariantCulture), output);
                break;
            default:
                // Any other value representation: round-trip through an element so it is handled in one place.
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

    private static void WriteBytes(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
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
