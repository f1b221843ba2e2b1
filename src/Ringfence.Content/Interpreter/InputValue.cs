namespace Ringfence.Content;

/// <summary>
/// One input value the agent supplies to the interpreter: a string (string, path and enum fields) or an integer.
/// A small struct, so an event is a <c>ReadOnlySpan&lt;InputValue&gt;</c> with no allocation per event.
/// </summary>
public readonly struct InputValue : IEquatable<InputValue>
{
    private readonly string? _text;
    private readonly long _integer;

    private InputValue(string? text, long integer)
    {
        _text = text;
        _integer = integer;
    }

    public static InputValue Of(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), 0);

    public static InputValue Of(long integer) => new(null, integer);

    public static implicit operator InputValue(string text) => Of(text);

    public static implicit operator InputValue(long integer) => Of(integer);

    public bool IsInteger => _text is null;

    /// <summary>The string value, or null when this is an integer.</summary>
    public string? Text => _text;

    public long Integer => _integer;

    public bool Equals(InputValue other) => _text is null ? other._text is null && _integer == other._integer : _text == other._text;

    public override bool Equals(object? obj) => obj is InputValue v && Equals(v);

    public override int GetHashCode() => _text is null ? _integer.GetHashCode() : _text.GetHashCode(StringComparison.Ordinal);

    public static bool operator ==(InputValue left, InputValue right) => left.Equals(right);

    public static bool operator !=(InputValue left, InputValue right) => !left.Equals(right);

    public override string ToString() => _text is null ? _integer.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"\"{_text}\"";
}

/// <summary>A sample event for replay: the full values of one event of a template type, and optionally which instances it should match.</summary>
public sealed record SampleEvent(string TemplateTypeId, ValueList<InputValue> Values)
{
    public string Name { get; init; } = "";

    /// <summary>Instance ids this event should match on a build that supplies every field; null = not checked.</summary>
    public ValueList<string>? ExpectMatches { get; init; }
}
