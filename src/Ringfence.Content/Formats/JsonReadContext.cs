using System.Globalization;
using System.Text.Json;

namespace Ringfence.Content;

/// <summary>A schema error in a JSON authoring file: where (JSON path) and what.</summary>
public sealed record JsonSchemaError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>The result of reading a JSON authoring file: a value when there were no schema errors, and every schema error found.</summary>
public sealed record JsonReadResult<T>(T? Value, IReadOnlyList<JsonSchemaError> Errors)
    where T : class
{
    public bool Succeeded => Value is not null && Errors.Count == 0;

    /// <summary>The value, or a <see cref="ContentFormatException"/> naming the first schema error.</summary>
    public T GetValueOrThrow() =>
        Succeeded ? Value! : throw new ContentFormatException($"{Errors[0].Path}: {Errors[0].Message}", jsonPath: Errors.Count > 0 ? Errors[0].Path : "$");
}

/// <summary>Walks a JsonDocument collecting every schema error (path + message) instead of stopping at the first.</summary>
internal sealed class JsonReadContext(ContentLimits limits)
{
    public List<JsonSchemaError> Errors { get; } = [];
    public ContentLimits Limits => limits;

    public void Error(string path, string message) => Errors.Add(new JsonSchemaError(ContentFormatException.OneLine(path), ContentFormatException.OneLine(message)));

    public static JsonDocument Parse(string json, ContentLimits limits)
    {
        if (json.Length > limits.MaxFileBytes)
            throw new ContentFormatException($"JSON is {json.Length} characters, over the {limits.MaxFileBytes}-byte limit", 0, "$");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is { } l ? $"line {l + 1}, " : "";
            var col = ex.BytePositionInLine is { } b ? $"byte {b + 1}" : "";
            var message = ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.');
            throw new ContentFormatException($"malformed JSON at {line}{col} (path {ex.Path ?? "$"}): {message}", null, ex.Path ?? "$");
        }
        try
        {
            RefuseInvalidEscapes(json);
        }
        catch
        {
            doc.Dispose();
            throw;
        }
        return doc;
    }

    /// <summary>
    /// JsonDocument accepts an escaped lone surrogate (<c>"\udfff"</c>) and throws InvalidOperationException only when the
    /// string is read, deep in a reader (found by bench/fuzz). Only escaped strings can hold one, so only they are decoded here.
    /// </summary>
    private static void RefuseInvalidEscapes(string json)
    {
        if (!json.Contains("\\u", StringComparison.Ordinal))
            return;
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 32, CommentHandling = JsonCommentHandling.Skip });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                continue;
            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException)
            {
                throw new ContentFormatException(
                    $"malformed JSON at byte {reader.TokenStartIndex + 1}: a string escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF), which is not text", reader.TokenStartIndex, "$");
            }
        }
    }

    public bool IsObject(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Object)
            return true;
        Error(path, $"expected an object, found {Describe(e)}");
        return false;
    }

    public void OnlyProperties(JsonElement obj, string path, params string[] allowed)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Name == "$schema")
                continue;
            if (System.Array.IndexOf(allowed, p.Name) < 0)
                Error($"{path}.{p.Name}", $"unknown property (allowed: {string.Join(", ", allowed)})");
        }
    }

    public JsonElement? Property(JsonElement obj, string path, string name, bool required)
    {
        if (obj.TryGetProperty(name, out var value))
            return value;
        if (required)
            Error($"{path}.{name}", "required property is missing");
        return null;
    }

    public string? String(JsonElement obj, string path, string name, bool required = true, bool allowEmpty = false)
    {
        if (Property(obj, path, name, required) is not { } v)
            return null;
        return StringValue(v, $"{path}.{name}", allowEmpty);
    }

    public string? StringValue(JsonElement v, string path, bool allowEmpty = false)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            Error(path, $"expected a string, found {Describe(v)}");
            return null;
        }
        var s = v.GetString()!;
        if (!allowEmpty && s.Length == 0)
        {
            Error(path, "must not be empty");
            return null;
        }
        if (System.Text.Encoding.UTF8.GetByteCount(s) > limits.MaxStringBytes)
        {
            Error(path, $"string is over the {limits.MaxStringBytes}-byte limit");
            return null;
        }
        return s;
    }

    public long? Integer(JsonElement obj, string path, string name, bool required = true)
    {
        if (Property(obj, path, name, required) is not { } v)
            return null;
        return IntegerValue(v, $"{path}.{name}");
    }

    public long? IntegerValue(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
            return n;
        Error(path, $"expected a 64-bit integer, found {Describe(v)}");
        return null;
    }

    public bool? Bool(JsonElement obj, string path, string name)
    {
        if (Property(obj, path, name, required: false) is not { } v)
            return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return v.GetBoolean();
        Error($"{path}.{name}", $"expected true or false, found {Describe(v)}");
        return null;
    }

    /// <summary>An array property (or an array at <paramref name="path"/> when name is null), bounded by <paramref name="maxItems"/>.</summary>
    public List<(JsonElement Item, string Path)>? Array(JsonElement obj, string path, string name, int maxItems, bool required = true)
    {
        if (Property(obj, path, name, required) is not { } v)
            return null;
        return ArrayValue(v, $"{path}.{name}", maxItems);
    }

    public List<(JsonElement Item, string Path)>? ArrayValue(JsonElement v, string path, int maxItems)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            Error(path, $"expected an array, found {Describe(v)}");
            return null;
        }
        var n = v.GetArrayLength();
        if (n > maxItems)
        {
            Error(path, $"{n} items, over the limit of {maxItems}");
            return null;
        }
        var list = new List<(JsonElement, string)>(n);
        var i = 0;
        foreach (var item in v.EnumerateArray())
            list.Add((item, $"{path}[{i++}]"));
        return list;
    }

    public T? EnumValue<T>(JsonElement obj, string path, string name, IReadOnlyDictionary<string, T> names, bool required = true)
        where T : struct
    {
        var text = String(obj, path, name, required);
        if (text is null)
            return null;
        if (names.TryGetValue(text, out var value))
            return value;
        Error($"{path}.{name}", $"'{text}' is not one of: {string.Join(", ", names.Keys)}");
        return null;
    }

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    public static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}
