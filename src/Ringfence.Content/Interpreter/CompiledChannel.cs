namespace Ringfence.Content;

/// <summary>
/// A channel file compiled against its template type: every criterion turned into a precompiled matcher,
/// ordered cheapest first. Immutable and thread-safe; evaluate through a <see cref="ChannelEvaluator"/>.
/// </summary>
public sealed class CompiledChannel
{
    private CompiledChannel(ChannelFile file, TemplateType type, CompiledInstance[] instances, bool indexCandidates, int matcherCount)
    {
        MatcherCount = matcherCount;
        File = file;
        Type = type;
        Instances = instances;
        Index = indexCandidates ? CandidateIndex.Build(instances, type) : null;
    }

    public ChannelFile File { get; }
    public TemplateType Type { get; }
    internal CompiledInstance[] Instances { get; }

    /// <summary>The candidate index, or null when compiled with <see cref="InterpreterOptions.IndexCandidates"/> off (linear scan only).</summary>
    internal CandidateIndex? Index { get; }

    /// <summary>Distinct matchers (identical criteria on the same field are compiled once and shared).</summary>
    internal int MatcherCount { get; }

    /// <summary>True when events are matched through the candidate index (see <see cref="InterpreterOptions.IndexCandidates"/>).</summary>
    public bool IsIndexed => Index is not null;

    public int InstanceCount => Instances.Length;

    /// <summary>The fewest values an event must carry so that no instance faults: 1 + the highest non-wildcard field index.</summary>
    public int RequiredValues => Instances.Length == 0 ? 0 : Instances.Max(i => i.RequiredLength);

    /// <summary>
    /// Compiles <paramref name="file"/> against <paramref name="type"/>. Throws <see cref="ContentCompileException"/> when the
    /// content does not fit the type: wrong type id, an instance whose criteria count differs from the field count
    /// (the compile-time field-count check), a criterion kind the field does not allow, or a regex the engine refuses.
    /// </summary>
    public static CompiledChannel Compile(ChannelFile file, TemplateType type, InterpreterOptions? options = null)
    {
        options = (options ?? InterpreterOptions.Default).Validate();
        if (file.TemplateTypeId != type.Id)
            throw new ContentCompileException($"channel file {file.Id} is for template type '{file.TemplateTypeId}', not '{type.Id}'");
        var compiled = new CompiledInstance[file.Instances.Count];
        var shared = new Dictionary<(int Field, Criterion Criterion), Matcher>();
        for (var i = 0; i < compiled.Length; i++)
        {
            var instance = file.Instances[i];
            if (instance.Criteria.Count != type.FieldCount)
                throw new ContentCompileException(
                    $"instance {instance.Id} has {instance.Criteria.Count} criteria but template type {type.Id} has {type.FieldCount} fields", instance.Id);
            var matchers = new List<Matcher>();
            for (var f = 0; f < instance.Criteria.Count; f++)
            {
                var c = instance.Criteria[f];
                if (c.IsWildcard)
                    continue;
                if (!CriterionRules.Fits(type.Fields[f], c, out var why))
                    throw new ContentCompileException($"instance {instance.Id}, {type.DescribeField(f)}: {why}", instance.Id, f);
                try
                {
                    if (!shared.TryGetValue((f, c), out var matcher))
                    {
                        matcher = Matcher.Create(f, c, options);
                        matcher.Id = shared.Count;
                        shared[(f, c)] = matcher;
                    }
                    matchers.Add(matcher);
                }
                catch (ArgumentException ex)
                {
                    throw new ContentCompileException($"instance {instance.Id}, {type.DescribeField(f)}: regex does not compile: {OneLine(ex.Message)}", instance.Id, f);
                }
                catch (NotSupportedException ex)
                {
                    throw new ContentCompileException($"instance {instance.Id}, {type.DescribeField(f)}: regex needs backtracking: {OneLine(ex.Message)}", instance.Id, f);
                }
            }
            var required = matchers.Count == 0 ? 0 : matchers.Max(m => m.FieldIndex) + 1;
            // Cheapest first; ties keep field order so evaluation stays deterministic.
            var ordered = matchers.OrderBy(m => m.Cost).ThenBy(m => m.FieldIndex).ToArray();
            compiled[i] = new CompiledInstance(i, instance, ordered, required);
        }
        var uses = new int[shared.Count];
        foreach (var m in compiled.SelectMany(c => c.Matchers))
            m.Shared = ++uses[m.Id] > 1;
        return new CompiledChannel(file, type, compiled, options.IndexCandidates, shared.Count);
    }

    internal static string OneLine(string s) => s.ReplaceLineEndings(" ");

    public ChannelEvaluator CreateEvaluator(Action<EvaluationFault>? onFault = null) => new(this, onFault);

    /// <summary>
    /// Static answer to "what faults on a build that supplies <paramref name="suppliedValues"/> values?": one fault per
    /// instance that has a non-wildcard criterion on a field at or beyond that count (naming the first such field).
    /// Exactly what <see cref="ChannelEvaluator"/> reports on the first event of that length.
    /// </summary>
    public IReadOnlyList<EvaluationFault> PredictFaults(int suppliedValues)
    {
        var faults = new List<EvaluationFault>();
        foreach (var instance in Instances)
        {
            if (instance.RequiredLength > suppliedValues)
                faults.Add(instance.MissingFieldFault(this, suppliedValues));
        }
        return faults;
    }

    /// <summary>Fields at or beyond <paramref name="suppliedValues"/> that some instance puts only a wildcard on (never read on that build).</summary>
    public IReadOnlyList<(string InstanceId, int FieldIndex)> UnreachableWildcards(int suppliedValues)
    {
        var list = new List<(string, int)>();
        foreach (var instance in File.Instances)
        {
            for (var f = suppliedValues; f < instance.Criteria.Count; f++)
            {
                if (instance.Criteria[f].IsWildcard)
                    list.Add((instance.Id, f));
            }
        }
        return list;
    }
}

internal sealed class CompiledInstance(int index, TemplateInstance source, Matcher[] matchers, int requiredLength)
{
    public int Index { get; } = index;
    public string Id => Source.Id;
    public TemplateInstance Source { get; } = source;
    public Matcher[] Matchers { get; } = matchers;

    /// <summary>1 + highest field index with a non-wildcard criterion; events shorter than this fault before any value is read.</summary>
    public int RequiredLength { get; } = requiredLength;

    public EvaluationFault MissingFieldFault(CompiledChannel channel, int supplied)
    {
        // Name the first field the instance needs that was not supplied.
        var field = Matchers.Where(m => m.FieldIndex >= supplied).Min(m => m.FieldIndex);
        return new EvaluationFault(channel.File.Id, Id, Index, field, channel.Type.Fields[field].Name, FaultKind.MissingField, supplied);
    }
}
