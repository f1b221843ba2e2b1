namespace Ringfence.Agent.Runtime;

/// <summary>
/// Exponential backoff with "equal jitter": the n-th delay is uniform in [cap/2, cap] where cap = min(max, base * 2^n).
/// The floor keeps a down server from being hammered; the jitter spreads a fleet that lost the server at the same moment.
/// Randomness comes from a seeded <see cref="Random"/>, so a run is reproducible.
/// </summary>
public sealed class Backoff(TimeSpan baseDelay, TimeSpan maxDelay, Random random)
{
    private int _attempt;

    /// <summary>Failures since the last success.</summary>
    public int Attempts => _attempt;

    public TimeSpan NextDelay()
    {
        // 2^30 is far past any sensible max; clamping the exponent keeps the arithmetic finite.
        var exponent = Math.Min(_attempt, 30);
        _attempt++;
        var capTicks = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(capTicks / 2 + (random.NextDouble() * capTicks / 2)));
    }

    public void Reset() => _attempt = 0;
}
