namespace Ringfence.Agent.Swarm;

/// <summary>
/// A clock that runs <see cref="Factor"/> times faster than the one beneath it, starting at <see cref="Start"/>.
/// Timers shrink by the same factor, so <c>Task.Delay(TimeSpan.FromMinutes(10), clock)</c> waits ten minutes of
/// compressed time: with a factor of 600, one real second. The demo runs the server and its agents on one of these,
/// so bake times and check-in intervals keep their real meaning while the story fits in a minute.
/// </summary>
public sealed class CompressedTimeProvider : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly long _innerStart;

    public CompressedTimeProvider(DateTimeOffset start, double factor, TimeProvider? inner = null)
    {
        if (!double.IsFinite(factor) || factor < 1 || factor > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "the compression factor must be between 1 and 1,000,000");
        _inner = inner ?? System;
        _innerStart = _inner.GetTimestamp();
        Start = start;
        Factor = factor;
    }

    /// <summary>The compressed instant at which this clock was created.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>How many compressed seconds pass per real second.</summary>
    public double Factor { get; }

    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromTicks((long)(_inner.GetElapsedTime(_innerStart).Ticks * Factor));

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override long GetTimestamp() => _innerStart + (long)((_inner.GetTimestamp() - _innerStart) * Factor);

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_inner.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)), this);

    /// <summary>The real duration that corresponds to <paramref name="compressed"/> on this clock; infinite stays infinite.</summary>
    public TimeSpan ToReal(TimeSpan compressed) =>
        compressed == Timeout.InfiniteTimeSpan || compressed <= TimeSpan.Zero
            ? compressed
            : TimeSpan.FromTicks(Math.Max(1, (long)(compressed.Ticks / Factor)));

    private sealed class ScaledTimer(ITimer inner, CompressedTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.ToReal(dueTime), clock.ToReal(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
