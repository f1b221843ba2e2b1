using Ringfence.Content;

namespace Ringfence.Agent.Runtime;

/// <summary>
/// Synthetic sensor events for a template type, as a build with a given contract supplies them: exactly
/// <c>suppliedValues</c> values, never more. That is the point of the exercise: a build on the 20-value contract
/// hands the interpreter 20 values even when the type defines 21, and the interpreter must cope.
/// Seeded, so the same seed gives the same events.
/// </summary>
public sealed class SyntheticEvents(Random random)
{
    private static readonly string[] Words = ["svchost", "explorer", "pipe", "mojo", "chrome", "update", "agent", "temp", "system32", "evil", "spool", "lsass"];

    public InputValue[] Next(TemplateType type, int suppliedValues)
    {
        var count = Math.Clamp(suppliedValues, 0, type.FieldCount);
        var values = new InputValue[count];
        for (var i = 0; i < count; i++)
            values[i] = ValueFor(type.Fields[i]);
        return values;
    }

    private InputValue ValueFor(TemplateField field) => field.Type switch
    {
        FieldType.Integer => InputValue.Of(random.Next(0, 65_536)),
        FieldType.Enum when field.EnumValues.Count > 0 => InputValue.Of(field.EnumValues[random.Next(field.EnumValues.Count)]),
        FieldType.Path => InputValue.Of($@"C:\{Word()}\{Word()}\{Word()}.exe"),
        _ => InputValue.Of($@"\\.\pipe\{Word()}-{random.Next(1000)}"),
    };

    private string Word() => Words[random.Next(Words.Length)];
}
