namespace Ringfence.Content;

/// <summary>A reason a criterion does not fit its field, with the validator code that reports it.</summary>
public sealed record CriterionProblem(string Code, string Message);

/// <summary>Which criterion fits which field: shared by the compiler (refuses) and the validator (reports every misfit).</summary>
public static class CriterionRules
{
    public static bool Fits(TemplateField field, Criterion c, out string why)
    {
        var problem = Check(field, c);
        why = problem?.Message ?? "";
        return problem is null;
    }

    public static CriterionProblem? Check(TemplateField field, Criterion c)
    {
        if (!field.AllowedKinds.Contains(c.Kind))
        {
            return new(FindingCodes.KindNotAllowed,
                $"{ContentJson.Name(c.Kind)} criteria are not allowed on this field (allowed: {string.Join(", ", field.AllowedKinds.Select(ContentJson.Name))})");
        }
        if (c.IsWildcard)
            return null;
        var integerField = field.Type == FieldType.Integer;
        if (integerField != c.IsIntegerValued)
        {
            return new(FindingCodes.ValueTypeMismatch, integerField
                ? $"{ContentJson.Name(c.Kind)} criterion compares strings but the field is an integer"
                : $"{ContentJson.Name(c.Kind)} criterion compares integers but the field is a {ContentJson.Name(field.Type)}");
        }
        if (c.Kind == CriterionKind.Range && c.Min > c.Max)
            return new(FindingCodes.EmptyRange, $"empty range [{c.Min}, {c.Max}]: min is greater than max");
        if (field.Type == FieldType.Enum)
        {
            var values = c.Kind == CriterionKind.Exact ? [c.Text ?? ""] : c.Texts.ToArray();
            var comparer = c.IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
            var unknown = values.Where(v => !field.EnumValues.Contains(v, comparer)).ToList();
            if (unknown.Count > 0)
                return new(FindingCodes.ValueTypeMismatch, $"'{unknown[0]}' is not a value of this enum (values: {string.Join(", ", field.EnumValues)})");
        }
        return null;
    }
}
