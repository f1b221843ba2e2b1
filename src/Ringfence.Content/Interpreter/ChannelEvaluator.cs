namespace Ringfence.Content;

/// <summary>
/// Evaluates events against a <see cref="CompiledChannel"/>. Holds which instances are disabled by faults, so use one
/// per thread (create more with <see cref="CompiledChannel.CreateEvaluator"/>; the compiled channel is shared).
/// It never reads past the values supplied: an instance whose criteria reach beyond the event faults before any
/// value is read, is disabled, and is reported through <see cref="Faults"/> and the fault callback. No exception escapes.
/// </summary>
public sealed class ChannelEvaluator
{
    private readonly CompiledInstance[] _instances;
    private readonly bool[] _disabled;
    private readonly List<EvaluationFault> _faults = [];
    private readonly Action<EvaluationFault>? _onFault;

    internal ChannelEvaluator(CompiledChannel channel, Action<EvaluationFault>? onFault)
    {
        Channel = channel;
        _instances = channel.Instances;
        _disabled = new bool[_instances.Length];
        _onFault = onFault;
    }

    public CompiledChannel Channel { get; }

    /// <summary>Every fault so far, one per disabled instance, in the order they happened.</summary>
    public IReadOnlyList<EvaluationFault> Faults => _faults;

    public int DisabledCount => _faults.Count;

    public bool IsDisabled(int instanceIndex) => _disabled[instanceIndex];

    /// <summary>
    /// Evaluates one event (the values the agent supplies, in field order) against every enabled instance.
    /// Writes the indexes of matching instances into <paramref name="matches"/> (as many as fit) and returns how many matched.
    /// Allocation-free unless an instance faults.
    /// </summary>
    public int Evaluate(ReadOnlySpan<InputValue> values, Span<int> matches)
    {
        var count = 0;
        var instances = _instances;
        for (var i = 0; i < instances.Length; i++)
        {
            if (_disabled[i])
                continue;
            var instance = instances[i];
            if (values.Length < instance.RequiredLength)
            {
                // Bounds check before any read: this is the check whose absence caused 19 July 2024.
                Fault(instance.MissingFieldFault(Channel, values.Length));
                continue;
            }
            var matched = true;
            foreach (var matcher in instance.Matchers)
            {
                var outcome = matcher.Match(in values[matcher.FieldIndex]);
                if (outcome == MatchOutcome.Match)
                    continue;
                matched = false;
                if (outcome != MatchOutcome.NoMatch)
                {
                    var kind = outcome == MatchOutcome.TypeMismatch ? FaultKind.TypeMismatch : FaultKind.RegexTimeout;
                    Fault(new EvaluationFault(Channel.File.Id, instance.Id, i, matcher.FieldIndex,
                        Channel.Type.Fields[matcher.FieldIndex].Name, kind, values.Length));
                }
                break;
            }
            if (matched)
            {
                if (count < matches.Length)
                    matches[count] = i;
                count++;
            }
        }
        return count;
    }

    /// <summary>Convenience form: returns the matching instances and any faults this event caused (allocates).</summary>
    public EvaluationResult Evaluate(ReadOnlySpan<InputValue> values)
    {
        var before = _faults.Count;
        Span<int> buffer = _instances.Length <= 256 ? stackalloc int[_instances.Length] : new int[_instances.Length];
        var n = Evaluate(values, buffer);
        var matched = new List<TemplateInstance>(n);
        foreach (var index in buffer[..n])
            matched.Add(_instances[index].Source);
        return new EvaluationResult(matched, _faults.GetRange(before, _faults.Count - before));
    }

    /// <summary>Re-enables every instance and forgets the faults (e.g. after new content is loaded into a fresh evaluator instead).</summary>
    public void Reset()
    {
        Array.Clear(_disabled);
        _faults.Clear();
    }

    private void Fault(EvaluationFault fault)
    {
        _disabled[fault.InstanceIndex] = true;
        _faults.Add(fault);
        _onFault?.Invoke(fault);
    }
}

/// <summary>What one event matched, and the faults it caused.</summary>
public sealed record EvaluationResult(IReadOnlyList<TemplateInstance> Matches, IReadOnlyList<EvaluationFault> NewFaults)
{
    public IEnumerable<string> MatchedIds => Matches.Select(m => m.Id);
}
