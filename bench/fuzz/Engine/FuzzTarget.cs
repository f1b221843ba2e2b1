namespace Ringfence.Fuzz;

/// <summary>Thrown by a target to say the parser refused the input in its documented way without throwing (e.g. a 4xx answer).</summary>
public sealed class FuzzRefusal() : Exception("refused as documented");

/// <summary>One seed input: <see cref="Kind"/> says which reader it is for (splices only mix seeds of one kind).</summary>
public sealed record FuzzSeed(string Kind, byte[] Bytes);

/// <summary>
/// A parser under fuzz. <see cref="Run"/> feeds it one input; it may throw only an exception that
/// <see cref="IsDocumented"/> accepts (the parser's documented format exception), and it must stay within the runner's
/// per-input time and allocation limits. Anything else is a crash.
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<FuzzSeed> Seeds, Action<string, byte[]> Run, Func<Exception, bool> IsDocumented)
{
    /// <summary>Applied to every mutated input before <see cref="Run"/> (e.g. re-sealing a checksum so the parser gets past it).</summary>
    public Func<byte[], Random, byte[]>? FixUp { get; init; }
}
