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

    // Candidate-index path (null when the channel was compiled without an index).
    private readonly CandidateIndex? _index;
    private readonly ulong[] _enabled = [];
    private readonly ulong[] _candidates = [];

    // Per-event memo of shared matchers' outcomes (indexed path): a matcher used by several candidates runs once per
    // event. Valid for the event whose number is in _memoEvent; regex timeouts are not memoised (they are re-run).
    private readonly MatchOutcome[] _memo = [];
    private readonly int[] _memoEvent = [];
    private int _event;

    // The instance being evaluated (-1 between events): a crash handler reads it to name the rule in the breadcrumb.
    private int _current = -1;

    // The most values any enabled instance needs; events at least this long cannot cause a missing-field fault.
    // Recomputed lazily after faults (which disable instances) and on Reset.
    private int _enabledRequired;
    private bool _requiredStale = true;

    internal ChannelEvaluator(CompiledChannel channel, Action<EvaluationFault>? onFault)
    {
        Channel = channel;
        _instances = channel.Instances;
        _disabled = new bool[_instances.Length];
        _onFault = onFault;
        _index = channel.Index;
        if (_index is not null)
        {
            _enabled = new ulong[_index.Words];
            _candidates = new ulong[_index.Words];
            _memo = new MatchOutcome[channel.MatcherCount];
            _memoEvent = new int[channel.MatcherCount];
            EnableAll();
        }
    }

    public CompiledChannel Channel { get; }

    /// <summary>Every fault so far, one per disabled instance, in the order they happened.</summary>
    public IReadOnlyList<EvaluationFault> Faults => _faults;

    public int DisabledCount => _faults.Count;

    public bool IsDisabled(int instanceIndex) => _disabled[instanceIndex];

    /// <summary>
    /// Index of the instance being evaluated, or -1 between events. Evaluation never throws by design, so when
    /// something does escape <see cref="Evaluate(ReadOnlySpan{InputValue}, Span{int})"/> this names the instance it
    /// was on (a crash breadcrumb). One field store per evaluated instance, no allocation.
    /// </summary>
    public int CurrentInstance => _current;

    /// <summary>
    /// Evaluates one event (the values the agent supplies, in field order) against every enabled instance.
    /// Writes the indexes of matching instances into <paramref name="matches"/> (as many as fit, in ascending order) and
    /// returns how many matched. Allocation-free unless an instance faults.
    /// </summary>
    public int Evaluate(ReadOnlySpan<InputValue> values, Span<int> matches)
    {
        int count;
        if (_index is null)
        {
            count = EvaluateLinear(values, matches);
        }
        else
        {
            if (_requiredStale)
                RecomputeRequired();
            // The index only skips instances that would return NoMatch without faulting, which needs every read value
            // supplied and well typed; anything else takes the linear scan, which reports the faults.
            count = values.Length < _enabledRequired || !_index.WellTyped(values)
                ? EvaluateLinear(values, matches)
                : EvaluateIndexed(values, matches);
        }
        _current = -1;
        return count;
    }

    private int EvaluateIndexed(ReadOnlySpan<InputValue> values, Span<int> matches)
    {
        var index = _index!;
        var candidates = _candidates.AsSpan();
        index.Candidates(values, candidates);
        var enabled = _enabled;
        var rest = index.Rest;
        if (++_event == int.MaxValue)
        {
            Array.Clear(_memoEvent);
            _event = 1;
        }
        var count = 0;
        for (var w = 0; w < candidates.Length; w++)
        {
            var bits = candidates[w] & enabled[w];
            while (bits != 0)
            {
                var i = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                _current = i;
                if (RunMemoised(i, rest[i], values))
                {
                    if (count < matches.Length)
                        matches[count] = i;
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>
    /// The plain scan: every enabled instance, in order, all its matchers cheapest first. The reference the indexed path
    /// must agree with; also the path for events that are short or carry a value of the wrong type.
    /// </summary>
    internal int EvaluateLinear(ReadOnlySpan<InputValue> values, Span<int> matches)
    {
        var count = 0;
        var instances = _instances;
        for (var i = 0; i < instances.Length; i++)
        {
            if (_disabled[i])
                continue;
            _current = i;
            var instance = instances[i];
            if (values.Length < instance.RequiredLength)
            {
                // Bounds check before any read: this is the check whose absence caused 19 July 2024.
                Fault(instance.MissingFieldFault(Channel, values.Length));
                continue;
            }
            if (Run(i, instance.Matchers, values))
            {
                if (count < matches.Length)
                    matches[count] = i;
                count++;
            }
        }
        return count;
    }

    /// <summary>As <see cref="Run"/>, reusing outcomes of shared matchers already computed for this event.</summary>
    private bool RunMemoised(int i, Matcher[] matchers, ReadOnlySpan<InputValue> values)
    {
        var memo = _memo;
        var memoEvent = _memoEvent;
        var current = _event;
        foreach (var matcher in matchers)
        {
            var id = matcher.Id;
            MatchOutcome outcome;
            if (!matcher.Shared)
            {
                outcome = matcher.Match(in values[matcher.FieldIndex]);
            }
            else if (memoEvent[id] == current)
            {
                outcome = memo[id];
            }
            else
            {
                outcome = matcher.Match(in values[matcher.FieldIndex]);
                if (outcome != MatchOutcome.RegexTimeout)
                {
                    memo[id] = outcome;
                    memoEvent[id] = current;
                }
            }
            if (outcome == MatchOutcome.Match)
                continue;
            if (outcome != MatchOutcome.NoMatch)
                Fault(FaultFor(i, matcher, outcome, values.Length));
            return false;
        }
        return true;
    }

    private EvaluationFault FaultFor(int i, Matcher matcher, MatchOutcome outcome, int supplied) =>
        new(Channel.File.Id, _instances[i].Id, i, matcher.FieldIndex, Channel.Type.Fields[matcher.FieldIndex].Name,
            outcome == MatchOutcome.TypeMismatch ? FaultKind.TypeMismatch : FaultKind.RegexTimeout, supplied);

    /// <summary>Runs matchers in order; the first that does not match decides. A type mismatch or regex timeout faults the instance.</summary>
    private bool Run(int i, Matcher[] matchers, ReadOnlySpan<InputValue> values)
    {
        foreach (var matcher in matchers)
        {
            var outcome = matcher.Match(in values[matcher.FieldIndex]);
            if (outcome == MatchOutcome.Match)
                continue;
            if (outcome != MatchOutcome.NoMatch)
            {
                var kind = outcome == MatchOutcome.TypeMismatch ? FaultKind.TypeMismatch : FaultKind.RegexTimeout;
                Fault(new EvaluationFault(Channel.File.Id, _instances[i].Id, i, matcher.FieldIndex,
                    Channel.Type.Fields[matcher.FieldIndex].Name, kind, values.Length));
            }
            return false;
        }
        return true;
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
        EnableAll();
    }

    private void EnableAll()
    {
        Array.Fill(_enabled, ulong.MaxValue);
        if (_enabled.Length > 0 && _instances.Length % 64 != 0)
            _enabled[^1] = (1UL << (_instances.Length % 64)) - 1;
        _requiredStale = true;
    }

    private void RecomputeRequired()
    {
        var required = 0;
        for (var i = 0; i < _instances.Length; i++)
        {
            if (!_disabled[i])
                required = Math.Max(required, _instances[i].RequiredLength);
        }
        _enabledRequired = required;
        _requiredStale = false;
    }

    private void Fault(EvaluationFault fault)
    {
        var i = fault.InstanceIndex;
        _disabled[i] = true;
        if (_enabled.Length > 0)
            _enabled[i >> 6] &= ~(1UL << (i & 63));
        _requiredStale = true;
        _faults.Add(fault);
        _onFault?.Invoke(fault);
    }
}

/// <summary>What one event matched, and the faults it caused.</summary>
public sealed record EvaluationResult(IReadOnlyList<TemplateInstance> Matches, IReadOnlyList<EvaluationFault> NewFaults)
{
    public IEnumerable<string> MatchedIds => Matches.Select(m => m.Id);
}
