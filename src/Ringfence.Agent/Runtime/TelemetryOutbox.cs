using Ringfence.Protocol;

namespace Ringfence.Agent.Runtime;

/// <summary>A batch handed to the server: retried with the same key until acknowledged, so the server counts it once.</summary>
/// <remarks><see cref="Sequence"/> is 0 for a batch persisted by an older agent (its key still carries it).</remarks>
public sealed record PendingBatch(string IdempotencyKey, IReadOnlyList<TelemetryEvent> Events, long Sequence = 0);

/// <summary>
/// Telemetry waiting to be sent. Events join the queue; <see cref="Next"/> cuts a batch with a fresh idempotency key
/// and keeps returning that same batch until <see cref="Acknowledge"/>. When the server stays away and the queue
/// reaches its limit, heartbeats are dropped first: crashes, reverts and quarantines are what the health gate needs.
/// </summary>
public sealed class TelemetryOutbox(int limit)
{
    private readonly List<TelemetryEvent> _queue = [];

    public PendingBatch? InFlight { get; private set; }

    /// <summary>Sequence number of the last batch cut; the idempotency key is "{hostId}-{sequence}".</summary>
    public long Sequence { get; private set; }

    /// <summary>Events dropped because the queue was full (reported in the next heartbeat's detail).</summary>
    public long Dropped { get; private set; }

    public int Queued => _queue.Count;

    public IReadOnlyList<TelemetryEvent> QueuedEvents => _queue;

    public void Add(TelemetryEvent e)
    {
        if (_queue.Count >= limit)
        {
            var heartbeat = _queue.FindIndex(x => x.Kind == TelemetryKind.Heartbeat);
            _queue.RemoveAt(heartbeat >= 0 ? heartbeat : 0);
            Dropped++;
        }
        _queue.Add(e);
    }

    public PendingBatch? Next(string hostId, int maxEvents)
    {
        if (InFlight is not null)
            return InFlight;
        if (_queue.Count == 0)
            return null;
        var take = Math.Min(maxEvents, _queue.Count);
        var events = _queue.GetRange(0, take);
        _queue.RemoveRange(0, take);
        Sequence++;
        InFlight = new PendingBatch($"{hostId}-{Sequence}", events, Sequence);
        return InFlight;
    }

    /// <summary>
    /// The server already holds different content under the batch's key: this host's state went backwards (a restored
    /// backup or VM snapshot). Moves the sequence past the server's highest and gives the batch in flight a fresh key,
    /// so it is sent again and counted, not dropped.
    /// </summary>
    public PendingBatch? Rebase(string hostId, long serverHighest)
    {
        Sequence = Math.Max(Sequence, serverHighest) + 1;
        if (InFlight is { } batch)
            InFlight = batch with { IdempotencyKey = $"{hostId}-{Sequence}", Sequence = Sequence };
        return InFlight;
    }

    public void Acknowledge() => InFlight = null;

    /// <summary>Restores what was persisted: the batch in flight keeps its key, so a retry after a restart is still a duplicate.</summary>
    public void Restore(long sequence, PendingBatch? inFlight, IEnumerable<TelemetryEvent> queued)
    {
        Sequence = sequence;
        InFlight = inFlight;
        _queue.Clear();
        foreach (var e in queued)
            Add(e);
    }
}
