using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Ringfence.Protocol;

/// <summary>
/// Reads a request body the way a server must: every member the contract requires (a constructor parameter
/// without a default) is present, no member the contract does not know, no key twice, no explicit null where the
/// contract has no "?" and no null element in an array, enums by name only, property names in their exact case.
/// A failure is a <see cref="StrictJsonError"/>: the JSON path and a one-line reason with no .NET type names.
/// <para>
/// Only what a server READS is strict. Clients reading the server's answers (the agent, the CLI, the dashboard) keep
/// using <see cref="ProtocolJsonContext"/>, which ignores unknown members, so the server can add answer members
/// without breaking older agents. The price of strict requests: add a request member to the server before any
/// client sends it, and give every nullable request member a default (<c>= null</c>), since clients omit nulls.
/// </para>
/// </summary>
public static partial class StrictJson
{
    private static readonly ConcurrentDictionary<JsonSerializerOptions, JsonSerializerOptions> StrictByLenient = new();

    /// <summary>The strict request options for <see cref="ProtocolJsonContext"/>.</summary>
    public static JsonSerializerOptions Options { get; } = Strict(ProtocolJsonContext.Default.Options);

    /// <summary>The strict form of <paramref name="lenient"/>'s type (same resolver, strict reading rules).</summary>
    public static JsonTypeInfo<T> For<T>(JsonTypeInfo<T> lenient)
    {
        ArgumentNullException.ThrowIfNull(lenient);
        var options = ReferenceEquals(lenient.Options, ProtocolJsonContext.Default.Options)
            ? Options
            : StrictByLenient.GetOrAdd(lenient.Options, Strict);
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }

    private static JsonSerializerOptions Strict(JsonSerializerOptions lenient)
    {
        var options = new JsonSerializerOptions(lenient)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectRequiredConstructorParameters = true,
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
            PropertyNameCaseInsensitive = false,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
        };
        // Enums by name only: "role": 7 is not a role.
        options.Converters.Add(new JsonStringEnumConverter<OperatorRole>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new JsonStringEnumConverter<TelemetryKind>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new JsonStringEnumConverter<RolloutStatus>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Reads one JSON value of type <typeparamref name="T"/> strictly: the value, or the first error.</summary>
    public static (T? Value, StrictJsonError? Error) Read<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> lenient)
        where T : class
    {
        var type = For(lenient);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(utf8, type);
        }
        catch (JsonException ex)
        {
            return (null, Explain(ex, type));
        }
        if (value is null)
            return (null, new StrictJsonError("$", "expected an object, got null", null, null));
        // The framework does not apply nullability to collection elements: "rings": [null] would read as a null ring.
        return FindNull(value, type, "$") is { } path
            ? (null, new StrictJsonError(path, "null is not allowed here", null, null))
            : (value, null);
    }

    /// <summary>The path of the first null array element (or null member the contract does not allow) under <paramref name="value"/>.</summary>
    private static string? FindNull(object value, JsonTypeInfo type, string path)
    {
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in type.Properties)
                {
                    if (property.Get is null)
                        continue;
                    // A null member was allowed by its "?" (RespectNullableAnnotations refused the others).
                    if (property.Get(value) is not { } member)
                        continue;
                    if (FindNull(member, type.Options.GetTypeInfo(property.PropertyType), path + "." + property.Name) is { } found)
                        return found;
                }
                return null;
            case JsonTypeInfoKind.Enumerable when value is IEnumerable items && type.ElementType is { } elementType:
                var elementInfo = type.Options.GetTypeInfo(elementType);
                var i = 0;
                foreach (var item in items)
                {
                    var itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]");
                    if (item is null)
                        return itemPath;
                    if (FindNull(item, elementInfo, itemPath) is { } found)
                        return found;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>Turns the serializer's exception into a path and a one-line reason without .NET type names.</summary>
    public static StrictJsonError Explain(JsonException ex, JsonTypeInfo root)
    {
        ArgumentNullException.ThrowIfNull(ex);
        ArgumentNullException.ThrowIfNull(root);
        var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        long? line = ex.LineNumber is { } l ? l + 1 : null;
        long? position = ex.BytePositionInLine is { } b ? b + 1 : null;
        var message = ex.Message;

        if (MissingRequired().Match(message) is { Success: true } missing)
        {
            var names = Quoted().Matches(missing.Groups["names"].Value).Select(m => Join(path, m.Groups[1].Value)).ToList();
            if (names.Count > 0)
                return new StrictJsonError(names[0], "required", line, position, names.Count > 1 ? string.Join("; ", names.Select(n => n + ": required")) : null);
        }
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            return new StrictJsonError(path, "unknown member", line, position);
        if (message.StartsWith("Duplicate property", StringComparison.Ordinal))
            return new StrictJsonError(path, "duplicate member", line, position);
        if (message.Contains("doesn't allow null values", StringComparison.Ordinal) || ex.InnerException?.Message.Contains("token type 'Null'", StringComparison.Ordinal) == true)
            return new StrictJsonError(path, "null is not allowed here", line, position);
        if (message.Contains("could not be converted to", StringComparison.Ordinal))
            return new StrictJsonError(path, "expected " + Expected(root, path), line, position);
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            return new StrictJsonError(path, $"nested deeper than {root.Options.EffectiveMaxDepth()} levels", line, position);
        // A reader error ("'x' is an invalid start of a value."): the framework's sentence without its position suffix.
        var why = message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd(' ', '.', '|');
        return new StrictJsonError(path, TypeName().Replace(why, "a value"), line, position);
    }

    private static int EffectiveMaxDepth(this JsonSerializerOptions options) => options.MaxDepth == 0 ? 64 : options.MaxDepth;

    private static string Join(string path, string name) => path + "." + name;

    /// <summary>What the contract expects at <paramref name="path"/>, in JSON terms ("an integer", "one of viewer, admin").</summary>
    private static string Expected(JsonTypeInfo root, string path)
    {
        var type = root;
        foreach (Match step in PathStep().Matches(path))
        {
            if (step.Groups["index"].Success)
            {
                if (type.ElementType is null)
                    return "a valid value";
                type = type.Options.GetTypeInfo(type.ElementType);
            }
            else
            {
                var name = step.Groups["name"].Value;
                var property = type.Kind == JsonTypeInfoKind.Object ? type.Properties.FirstOrDefault(p => p.Name == name) : null;
                if (property is null)
                    return "a valid value";
                type = type.Options.GetTypeInfo(property.PropertyType);
            }
        }
        return Describe(type);
    }

    private static string Describe(JsonTypeInfo type)
    {
        var t = Nullable.GetUnderlyingType(type.Type) ?? type.Type;
        if (t.IsEnum)
            return "one of " + string.Join(", ", Enum.GetNames(t).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n)));
        if (t == typeof(string))
            return "a string";
        if (t == typeof(bool))
            return "true or false";
        if (t == typeof(int) || t == typeof(long) || t == typeof(short))
            return $"an integer within {MinOf(t)}..{MaxOf(t)}";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal))
            return "a number";
        if (t == typeof(DateTimeOffset) || t == typeof(DateTime))
            return "an ISO 8601 date and time, e.g. \"2024-07-19T04:09:00Z\"";
        return type.Kind switch
        {
            JsonTypeInfoKind.Object => "an object",
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Dictionary => "an object",
            _ => "a valid value",
        };
    }

    private static string MinOf(Type t) => t == typeof(int) ? int.MinValue.ToString(CultureInfo.InvariantCulture)
        : t == typeof(short) ? short.MinValue.ToString(CultureInfo.InvariantCulture) : long.MinValue.ToString(CultureInfo.InvariantCulture);

    private static string MaxOf(Type t) => t == typeof(int) ? int.MaxValue.ToString(CultureInfo.InvariantCulture)
        : t == typeof(short) ? short.MaxValue.ToString(CultureInfo.InvariantCulture) : long.MaxValue.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"missing required properties including: (?<names>.*)\.$", RegexOptions.Singleline)]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>\d+)\]|\['(?<name>[^']*)'\]")]
    private static partial Regex PathStep();

    /// <summary>.NET type names ("Ringfence.Protocol.KillSwitchRequest", "System.Int64") never reach a client.</summary>
    [GeneratedRegex(@"'?\b(?:System|Ringfence|Microsoft)\.[\w.`\[\], ]+'?")]
    private static partial Regex TypeName();
}

/// <summary>Where a strictly read body breaks its contract: a JSON path ("$.rings[0]") and why ("required").</summary>
public sealed record StrictJsonError(string Path, string Reason, long? Line, long? BytePosition, string? AllMissing = null)
{
    /// <summary>One line: "$.engaged: required (line 1, byte 16)".</summary>
    public override string ToString()
    {
        var what = AllMissing ?? $"{Path}: {Reason}";
        return Line is { } l && BytePosition is { } b ? string.Create(CultureInfo.InvariantCulture, $"{what} (line {l}, byte {b})") : what;
    }
}
