using System.Text;

namespace Ringfence.Content;

/// <summary>
/// Seeded random events for a template type: boundary values (empty, very long, extreme integers, range edges)
/// mixed with values taken from the instances' own criteria so that matchers are exercised, not just rejected.
/// </summary>
internal sealed class EventFuzzer
{
    private readonly Random _random;
    private readonly TemplateType _type;
    private readonly List<string>[] _strings;
    private readonly List<long>[] _integers;
    private readonly int _longString;

    public EventFuzzer(TemplateType type, ChannelFile file, int seed, ContentLimits limits)
    {
        _random = new Random(seed);
        _type = type;
        _longString = limits.MaxStringBytes;
        _strings = new List<string>[type.FieldCount];
        _integers = new List<long>[type.FieldCount];
        for (var f = 0; f < type.FieldCount; f++)
        {
            _strings[f] = ["", "a", "\u00e9\u4e2d\U0001F600", @"C:\Windows\System32\drivers\etc\hosts", "/usr/bin/env", @"\\.\pipe\x"];
            _strings[f].AddRange(type.Fields[f].EnumValues);
            _integers[f] = [0, 1, -1, long.MinValue, long.MaxValue, int.MaxValue, int.MinValue];
        }
        foreach (var instance in file.Instances)
        {
            for (var f = 0; f < Math.Min(instance.Criteria.Count, type.FieldCount); f++)
            {
                var c = instance.Criteria[f];
                if (c.Text is { } t)
                {
                    _strings[f].Add(t);
                    _strings[f].Add(t.Replace("*", "x", StringComparison.Ordinal).Replace("?", "y", StringComparison.Ordinal));
                }
                _strings[f].AddRange(c.Texts.Take(20));
                if (c.Integer is { } i)
                    _integers[f].Add(i);
                if (c.Kind == CriterionKind.Range)
                {
                    _integers[f].AddRange([c.Min, c.Max, c.Min == long.MinValue ? c.Min : c.Min - 1, c.Max == long.MaxValue ? c.Max : c.Max + 1]);
                }
                _integers[f].AddRange(c.Integers.Take(20));
            }
        }
    }

    /// <summary>Fills <paramref name="values"/> with one random event (as many values as the span holds).</summary>
    public void Next(Span<InputValue> values)
    {
        for (var f = 0; f < values.Length; f++)
        {
            var field = f < _type.FieldCount ? _type.Fields[f] : null;
            values[f] = field?.Type == FieldType.Integer ? NextInteger(f) : NextString(f < _type.FieldCount ? f : 0);
        }
    }

    private InputValue NextInteger(int f) => _random.Next(4) switch
    {
        0 => _random.NextInt64(long.MinValue, long.MaxValue),
        1 => _random.Next(-1000, 1000),
        _ => _integers[f][_random.Next(_integers[f].Count)],
    };

    private InputValue NextString(int f)
    {
        switch (_random.Next(6))
        {
            case 0:
                return new string((char)_random.Next('a', 'z' + 1), _random.Next(2) == 0 ? _longString : _random.Next(1, 64));
            case 1:
                var sb = new StringBuilder();
                var n = _random.Next(0, 40);
                for (var i = 0; i < n; i++)
                    sb.Append((char)_random.Next(0x20, 0x250));
                return sb.ToString();
            case 2:
                var s = _strings[f][_random.Next(_strings[f].Count)];
                return _random.Next(2) == 0 ? s.ToUpperInvariant() : s + (char)_random.Next('a', 'z' + 1);
            default:
                return _strings[f][_random.Next(_strings[f].Count)];
        }
    }
}
