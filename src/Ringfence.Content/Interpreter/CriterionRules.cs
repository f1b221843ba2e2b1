namespace Ringfence.Content;

/// <summary>Which criterion fits which field: shared by the compiler (refuses) and the validator (reports every misfit).</summary>
public static class CriterionRules
{
    public static bool Fits(TemplateField field, Criterion c, out string why)
    {
        why = "";
        if (!field.AllowedKinds.Contains(c.Kind))
        {
            why = $"{ContentJson.Name(c.Kind)} criteria are not allowed on this field (allowed: {string.Join(", ", field.AllowedKinds.Select(ContentJson.Name))})";
            return false;
        }
        if (c.IsWildcard)
            return true;
        var integerField = field.Type == FieldType.Integer;
        if (integerField != c.IsIntegerValued)
        {
            why = integerField
                ? $"{ContentJson.Name(c.Kind)} criterion compares strings but the field is an integer"
                : $"{ContentJson.Name(c.Kind)} criterion compares integers but the field is a {ContentJson.Name(field.Type)}";
            return false;
        }
        if (c.Kind == CriterionKind.Range && c.Min > c.Max)
        {
            why = $"empty range [{c.Min}, {c.Max}]: min is greater than max";
            return false;
        }
        if (field.Type == FieldType.Enum)
        {
            var values = c.Kind == CriterionKind.Exact ? [c.Text ?? ""] : c.Texts.ToArray();
            var comparer = c.IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
            var unknown = values.Where(v => !field.EnumValues.Contains(v, comparer)).ToList();
            if (unknown.Count > 0)
            {
                why = $"'{unknown[0]}' is not a value of this enum (values: {string.Join(", ", field.EnumValues)})";
                return false;
            }
        }
        return true;
    }
}
