namespace Ringfence.Content;

/// <summary>Why an instance could not be evaluated. Numeric values are stable.</summary>
public enum FaultKind : byte
{
    /// <summary>A non-wildcard criterion is on a field the agent did not supply (the Channel File 291 bug).</summary>
    MissingField = 1,

    /// <summary>The agent supplied a value of the wrong type (a string for an integer field, or the reverse).</summary>
    TypeMismatch = 2,

    /// <summary>A regex exceeded its match timeout.</summary>
    RegexTimeout = 3,
}

/// <summary>
/// A typed evaluation fault: the interpreter disabled one instance instead of reading out of bounds or throwing.
/// <see cref="FieldNumber"/> is 1-based, as people say "field 21".
/// </summary>
public sealed record EvaluationFault(
    string ChannelFileId,
    string InstanceId,
    int InstanceIndex,
    int FieldIndex,
    string FieldName,
    FaultKind Kind,
    int SuppliedValues)
{
    public int FieldNumber => FieldIndex + 1;

    public string Message => Kind switch
    {
        FaultKind.MissingField => $"instance {InstanceId} has a criterion on field {FieldNumber} ({FieldName}) but only {SuppliedValues} values were supplied",
        FaultKind.TypeMismatch => $"instance {InstanceId}: field {FieldNumber} ({FieldName}) was supplied a value of the wrong type",
        _ => $"instance {InstanceId}: regex on field {FieldNumber} ({FieldName}) exceeded its match timeout",
    };

    public override string ToString() => Message;
}

/// <summary>The content does not fit its template type, so it cannot be compiled (the compile-time field-count check and friends).</summary>
public sealed class ContentCompileException(string message, string? instanceId = null, int? fieldIndex = null) : Exception(message)
{
    public string? InstanceId { get; } = instanceId;
    public int? FieldIndex { get; } = fieldIndex;
}

/// <summary>Interpreter settings, with their defaults in one place.</summary>
public sealed record InterpreterOptions
{
    public static InterpreterOptions Default { get; } = new();

    /// <summary>Match timeout for every regex (which also runs on the non-backtracking engine). Range: 1 ms to 10 s.</summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Build a candidate index (hash lookup of each event value against the exact/set criteria) so only instances that can
    /// match are evaluated. Results and faults are identical either way; false keeps the plain linear scan (the reference
    /// path, used by tests and the benchmark baseline).
    /// </summary>
    public bool IndexCandidates { get; init; } = true;

    public InterpreterOptions Validate() =>
        RegexMatchTimeout < TimeSpan.FromMilliseconds(1) || RegexMatchTimeout > TimeSpan.FromSeconds(10)
            ? throw new ArgumentOutOfRangeException(nameof(RegexMatchTimeout), RegexMatchTimeout, "must be between 1 ms and 10 s")
            : this;
}
