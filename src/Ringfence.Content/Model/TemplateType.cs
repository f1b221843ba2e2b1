namespace Ringfence.Content;

/// <summary>The type of one input field. Numeric values are stable: they are written in the binary format.</summary>
public enum FieldType : byte
{
    String = 1,
    Path = 2,
    Integer = 3,
    Enum = 4,
}

/// <summary>The kinds of criterion a template instance can put on a field. Numeric values are stable (binary format).</summary>
public enum CriterionKind : byte
{
    Wildcard = 1,
    Exact = 2,
    Glob = 3,
    Regex = 4,
    Range = 5,
    Set = 6,
}

/// <summary>One ordered input field of a template type.</summary>
/// <param name="Name">Field name, unique within the type.</param>
/// <param name="Type">Value type the agent supplies for this field.</param>
/// <param name="AllowedKinds">Criterion kinds instances may use on this field.</param>
/// <param name="EnumValues">For <see cref="FieldType.Enum"/> fields: the allowed values.</param>
public sealed record TemplateField(string Name, FieldType Type, ValueList<CriterionKind> AllowedKinds, ValueList<string>? EnumValues = null)
{
    public ValueList<string> EnumValues { get; init; } = EnumValues ?? ValueList<string>.Empty;

    /// <summary>The criterion kinds that make sense for a field type (the widest set a type definition may allow).</summary>
    public static ValueList<CriterionKind> KindsFor(FieldType type) => type switch
    {
        FieldType.Integer => [CriterionKind.Wildcard, CriterionKind.Exact, CriterionKind.Range, CriterionKind.Set],
        FieldType.Enum => [CriterionKind.Wildcard, CriterionKind.Exact, CriterionKind.Set],
        _ => [CriterionKind.Wildcard, CriterionKind.Exact, CriterionKind.Glob, CriterionKind.Regex, CriterionKind.Set],
    };

    public static TemplateField String(string name) => new(name, FieldType.String, KindsFor(FieldType.String));

    public static TemplateField Path(string name) => new(name, FieldType.Path, KindsFor(FieldType.Path));

    public static TemplateField Integer(string name) => new(name, FieldType.Integer, KindsFor(FieldType.Integer));

    public static TemplateField Enum(string name, params string[] values) => new(name, FieldType.Enum, KindsFor(FieldType.Enum), values);
}

/// <summary>
/// A template type: compiled into agent builds, it fixes the ordered fields every instance has one criterion for.
/// Field numbers shown to people are 1-based ("field 21"); indexes in code are 0-based.
/// </summary>
public sealed record TemplateType(string Id, string Name, ValueList<TemplateField> Fields)
{
    public int FieldCount => Fields.Count;

    /// <summary>The 1-based field number and name, as findings and faults print it: <c>field 21 (target_path)</c>.</summary>
    public string DescribeField(int index) =>
        index >= 0 && index < Fields.Count ? $"field {index + 1} ({Fields[index].Name})" : $"field {index + 1}";
}
