using System.Text.RegularExpressions;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Interpreter;

/// <summary>
/// The candidate-indexed evaluator must give exactly what the linear scan gives (matches, their order, faults and
/// their order, disabled instances), and what a straightforward reimplementation of the criterion semantics gives,
/// on many seeded random channel files and event streams: short events, wrong value types, case variants,
/// non-ASCII look-alikes (Kelvin sign, long s, dotted I), shared keys, empty sets and duplicate set values included.
/// </summary>
public class IndexedEvaluationEquivalenceTests
{
    // These tests compare match semantics, not speed: on a loaded machine a regex can exceed the default 100 ms
    // limit and count as no match, so they allow the interpreter's longest limit.
    private static readonly InterpreterOptions Patient = new() { RegexMatchTimeout = TimeSpan.FromSeconds(10) };

    private const int Seed = 20261130;

    private static readonly string[] Words = ["a", "ab", "abc", "svc", "svc_x", "root", "k", "s", "K", "S", "x1", "", "tmp", "sk", "Ks"];
    private static readonly string[] Odd = ["\u212A", "\u017F", "\u0130", "\u00E9", "\uD801\uDC00", "\uD801\uDC28", "\\", "*", "?"];
    private static readonly string[] RegexPatterns = ["^ab", "a.c", "(svc|root)$", "x[0-9]+", "^svc_[a-z]+$", "k.s", "^sk", "tmp", "^$", "b"];
    private static readonly string[] EnumValues = ["low", "medium", "high", "SYSTEM"];

    [Fact]
    public void Evaluate_RandomChannelsAndEvents_IndexedAgreesWithLinearScan()
    {
        var random = new Random(Seed);
        var checkedEvents = 0;
        for (var round = 0; round < 400; round++)
        {
            var (type, file) = RandomChannel(random);
            var indexed = CompiledChannel.Compile(file, type, Patient);
            var linear = CompiledChannel.Compile(file, type, Patient with { IndexCandidates = false });
            indexed.IsIndexed.ShouldBeTrue();
            linear.IsIndexed.ShouldBeFalse();
            var events = Enumerable.Range(0, 60).Select(_ => RandomEvent(random, type, file)).ToList();

            var disagreement = FirstDisagreement(indexed, linear, events);

            disagreement.ShouldBeNull($"round {round}");
            checkedEvents += events.Count;
        }
        checkedEvents.ShouldBe(400 * 60);
    }

    [Fact]
    public void Evaluate_RandomWellTypedAsciiEvents_MatchesReferenceSemantics()
    {
        var random = new Random(Seed + 1);
        var totalMatches = 0;
        for (var round = 0; round < 300; round++)
        {
            var (type, file) = RandomChannel(random, asciiOnly: true);
            var evaluator = CompiledChannel.Compile(file, type, Patient).CreateEvaluator();
            var buffer = new int[file.Instances.Count];
            for (var e = 0; e < 60; e++)
            {
                var values = RandomEvent(random, type, file, wellTypedAscii: true);

                var n = evaluator.Evaluate(values, buffer);

                var expected = Enumerable.Range(0, file.Instances.Count).Where(i => ReferenceMatches(type, file.Instances[i], values)).ToArray();
                buffer[..n].ShouldBe(expected, $"round {round}, event {e}: {string.Join(", ", values)}");
                totalMatches += n;
            }
            evaluator.Faults.ShouldBeEmpty();
        }
        totalMatches.ShouldBeGreaterThan(1000); // the generator really produces hits, not only rejections
    }

    [Fact]
    public void Evaluate_IndexBuiltFromChannelDifferingInOneCriterion_DisagreementFound()
    {
        // The comparison can fail: an index built from a file with one changed key criterion must be caught.
        var random = new Random(Seed + 2);
        var found = 0;
        for (var round = 0; round < 50; round++)
        {
            var (type, file) = RandomChannel(random);
            if (ChangeOneExactCriterion(file, type) is not var (changed, target))
                continue;
            var events = Enumerable.Range(0, 60).Select(k => RandomEvent(random, type, file, forced: k % 2 == 0 ? file.Instances[target] : null)).ToList();

            var disagreement = FirstDisagreement(CompiledChannel.Compile(changed, type, Patient), CompiledChannel.Compile(file, type, Patient with { IndexCandidates = false }), events);

            if (disagreement is not null)
                found++;
        }
        found.ShouldBeGreaterThan(10);
    }

    [Fact]
    public void Evaluate_AfterFaultsAndReset_IndexedAgreesWithLinearScan()
    {
        var random = new Random(Seed + 3);
        for (var round = 0; round < 100; round++)
        {
            var (type, file) = RandomChannel(random);
            var a = CompiledChannel.Compile(file, type, Patient).CreateEvaluator();
            var b = CompiledChannel.Compile(file, type, Patient with { IndexCandidates = false }).CreateEvaluator();
            for (var e = 0; e < 40; e++)
            {
                if (e % 13 == 12)
                {
                    a.Reset();
                    b.Reset();
                }
                var values = RandomEvent(random, type, file);
                Result(a, values).ShouldBe(Result(b, values), $"round {round}, event {e}");
            }
            a.Faults.ShouldBe(b.Faults);
        }
    }

    private static string? FirstDisagreement(CompiledChannel candidate, CompiledChannel reference, IReadOnlyList<InputValue[]> events)
    {
        var a = candidate.CreateEvaluator();
        var b = reference.CreateEvaluator();
        for (var e = 0; e < events.Count; e++)
        {
            var ra = Result(a, events[e]);
            var rb = Result(b, events[e]);
            if (ra != rb)
                return $"event {e} ({string.Join(", ", events[e])}): {ra} vs {rb}";
        }
        if (!a.Faults.SequenceEqual(b.Faults))
            return "fault lists differ";
        for (var i = 0; i < candidate.InstanceCount; i++)
        {
            if (a.IsDisabled(i) != b.IsDisabled(i))
                return $"instance {i} disabled differs";
        }
        return null;
    }

    private static string Result(ChannelEvaluator evaluator, InputValue[] values)
    {
        var before = evaluator.Faults.Count;
        var buffer = new int[evaluator.Channel.InstanceCount];
        var n = evaluator.Evaluate(values, buffer);
        var faults = evaluator.Faults.Skip(before).Select(f => $"{f.InstanceIndex}:{f.FieldIndex}:{f.Kind}");
        return $"[{string.Join(",", buffer[..n])}] faults [{string.Join(",", faults)}]";
    }

    private static (TemplateType, ChannelFile) RandomChannel(Random random, bool asciiOnly = false)
    {
        var fieldCount = random.Next(1, 9);
        var fields = new List<TemplateField>();
        for (var f = 0; f < fieldCount; f++)
        {
            fields.Add(random.Next(4) switch
            {
                0 => TemplateField.String($"s{f}"),
                1 => TemplateField.Path($"p{f}"),
                2 => TemplateField.Integer($"n{f}"),
                _ => TemplateField.Enum($"e{f}", EnumValues),
            });
        }
        var type = new TemplateType("t", "random", fields);
        var count = random.Next(1, 150);
        var instances = new List<TemplateInstance>();
        for (var i = 0; i < count; i++)
        {
            var criteria = fields.Select(field => random.Next(10) < 5 ? Criterion.Wildcard : RandomCriterion(random, field, asciiOnly)).ToArray();
            instances.Add(new TemplateInstance($"i{i}", "detect", Severity.Low, criteria));
        }
        return (type, new ChannelFile("c", "t", 1, instances));
    }

    private static Criterion RandomCriterion(Random random, TemplateField field, bool asciiOnly)
    {
        var ignoreCase = random.Next(2) == 0;
        if (field.Type == FieldType.Integer)
        {
            return random.Next(3) switch
            {
                0 => Criterion.Exact(random.Next(-2, 6)),
                1 => Criterion.Range(random.Next(-2, 3), random.Next(3, 6)),
                _ => Criterion.Set(Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(-2, 6))),
            };
        }
        if (field.Type == FieldType.Enum)
        {
            return random.Next(2) == 0
                ? Criterion.Exact(EnumValues[random.Next(EnumValues.Length)], ignoreCase)
                : Criterion.Set(Enumerable.Range(0, random.Next(0, 3)).Select(_ => EnumValues[random.Next(EnumValues.Length)]), ignoreCase);
        }
        return random.Next(5) switch
        {
            0 => Criterion.Exact(RandomText(random, asciiOnly), ignoreCase),
            1 or 2 => Criterion.Glob(RandomGlob(random, asciiOnly), ignoreCase),
            3 => Criterion.Regex(RegexPatterns[random.Next(RegexPatterns.Length)], ignoreCase),
            _ => Criterion.Set(Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomText(random, asciiOnly)), ignoreCase),
        };
    }

    private static string RandomText(Random random, bool asciiOnly)
    {
        var parts = random.Next(0, 3);
        var s = "";
        for (var p = 0; p < parts; p++)
            s += !asciiOnly && random.Next(6) == 0 ? Odd[random.Next(Odd.Length)] : Words[random.Next(Words.Length)];
        return s;
    }

    private static string RandomGlob(Random random, bool asciiOnly)
    {
        var s = "";
        var parts = random.Next(1, 5);
        for (var p = 0; p < parts; p++)
        {
            s += random.Next(3) switch
            {
                0 => "*",
                1 when random.Next(3) == 0 => "?",
                _ => RandomText(random, asciiOnly),
            };
        }
        return s;
    }

    /// <summary>
    /// Mostly complete, well-typed events, some derived from an instance so it (nearly) matches; sometimes short, longer
    /// than the type, or with a value of the wrong type; strings in random case.
    /// </summary>
    private static InputValue[] RandomEvent(Random random, TemplateType type, ChannelFile file, bool wellTypedAscii = false, TemplateInstance? forced = null)
    {
        var length = type.FieldCount;
        if (!wellTypedAscii)
        {
            length = random.Next(10) switch
            {
                0 => random.Next(0, type.FieldCount + 1),
                1 => type.FieldCount + random.Next(1, 3),
                _ => type.FieldCount,
            };
        }
        var template = forced ?? (random.Next(2) == 0 ? file.Instances[random.Next(file.Instances.Count)] : null);
        var values = new InputValue[length];
        for (var f = 0; f < length; f++)
        {
            var field = f < type.FieldCount ? type.Fields[f] : TemplateField.String("extra");
            var c = template is not null && f < type.FieldCount ? template.Criteria[f] : Criterion.Wildcard;
            values[f] = field.Type == FieldType.Integer ? IntegerFor(random, c) : TextFor(random, field, c, wellTypedAscii);
            if (!wellTypedAscii && random.Next(40) == 0)
                values[f] = values[f].IsInteger ? InputValue.Of("3") : InputValue.Of(3);
        }
        return values;
    }

    private static InputValue IntegerFor(Random random, Criterion c) => c.Kind switch
    {
        CriterionKind.Exact when c.Integer is { } i && random.Next(4) > 0 => i,
        CriterionKind.Set when c.Integers.Count > 0 && random.Next(4) > 0 => c.Integers[random.Next(c.Integers.Count)],
        CriterionKind.Range when random.Next(4) > 0 => c.Min + random.NextInt64(c.Max - c.Min + 1),
        _ => random.Next(-3, 7),
    };

    private static InputValue TextFor(Random random, TemplateField field, Criterion c, bool asciiOnly)
    {
        var text = c.Kind switch
        {
            CriterionKind.Exact when random.Next(4) > 0 => c.Text!,
            CriterionKind.Set when c.Texts.Count > 0 && random.Next(4) > 0 => c.Texts[random.Next(c.Texts.Count)],
            CriterionKind.Glob when random.Next(4) > 0 => c.Text!.Replace("*", random.Next(2) == 0 ? "" : RandomText(random, asciiOnly), StringComparison.Ordinal)
                .Replace("?", random.Next(2) == 0 ? "q" : "", StringComparison.Ordinal),
            CriterionKind.Regex when random.Next(2) > 0 => RandomText(random, asciiOnly) + c.Text!.Trim('^', '$').Replace("[0-9]+", "7", StringComparison.Ordinal)
                .Replace("[a-z]+", "z", StringComparison.Ordinal).Replace(".", "x", StringComparison.Ordinal).Replace("(svc|root)", "root", StringComparison.Ordinal),
            _ => field.Type == FieldType.Enum ? EnumValues[random.Next(EnumValues.Length)] : RandomText(random, asciiOnly),
        };
        return random.Next(4) switch
        {
            0 => text.ToUpperInvariant(),
            1 => text.ToLowerInvariant(),
            _ => text,
        };
    }

    private static Criterion? ChangeOneCriterionOrNull(Criterion c) => c.Kind switch
    {
        CriterionKind.Exact when c.Integer is { } i => Criterion.Exact(i + 1),
        CriterionKind.Exact => c with { Text = c.Text + "x" },
        _ => null,
    };

    private static (ChannelFile File, int Instance)? ChangeOneExactCriterion(ChannelFile file, TemplateType type)
    {
        for (var i = 0; i < file.Instances.Count; i++)
        {
            var criteria = file.Instances[i].Criteria.ToArray();
            for (var f = 0; f < criteria.Length; f++)
            {
                if (type.Fields[f].Type == FieldType.Enum || ChangeOneCriterionOrNull(criteria[f]) is not { } changed)
                    continue;
                criteria[f] = changed;
                var instances = file.Instances.ToArray();
                instances[i] = instances[i] with { Criteria = criteria };
                return (file with { Instances = instances }, i);
            }
        }
        return null;
    }

    /// <summary>The criterion semantics written out plainly (ASCII inputs and patterns only): all criteria must match.</summary>
    private static bool ReferenceMatches(TemplateType type, TemplateInstance instance, InputValue[] values)
    {
        for (var f = 0; f < type.FieldCount; f++)
        {
            var c = instance.Criteria[f];
            var v = values[f];
            var comparison = c.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var ok = c.Kind switch
            {
                CriterionKind.Wildcard => true,
                CriterionKind.Exact when c.Integer is { } i => v.Integer == i,
                CriterionKind.Exact => string.Equals(v.Text, c.Text, comparison),
                CriterionKind.Range => v.Integer >= c.Min && v.Integer <= c.Max,
                CriterionKind.Set when c.IsIntegerSet => c.Integers.Contains(v.Integer),
                CriterionKind.Set => c.Texts.Any(t => string.Equals(v.Text, t, comparison)),
                CriterionKind.Glob => Regex.IsMatch(v.Text!, "^" + string.Concat(c.Text!.Select(ch => ch switch
                {
                    '*' => ".*",
                    '?' => ".",
                    _ => Regex.Escape(ch.ToString()),
                })) + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant | (c.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None)),
                _ => Regex.IsMatch(v.Text!, c.Text!, RegexOptions.CultureInvariant | (c.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None)),
            };
            if (!ok)
                return false;
        }
        return true;
    }
}
