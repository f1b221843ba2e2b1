namespace Ringfence.Rollouts;

/// <summary>One problem in a configuration record: where (a JSON-style path) and what.</summary>
public sealed record ValidationError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
