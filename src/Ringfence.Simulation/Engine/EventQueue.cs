namespace Ringfence.Simulation.Engine;

internal enum EventKind : byte
{
    Load,
    Crash,
    Boot,
    RepairDone,
    BackgroundCrash,
    ExtraCrash,
    ReportExposed,
    ReportCrash,
    RecoveryChannel,
    Rollback,
    HeartbeatCheck,
}

internal struct SimEvent
{
    public float Time;
    public int Host;
    public EventKind Kind;
    public byte Arg;
}

/// <summary>
/// A calendar queue of one-minute buckets: O(1) insert and pop, events within a bucket in insertion order, which is
/// deterministic because the engine is single-threaded. Events past the horizon are dropped.
/// </summary>
internal sealed class EventQueue(int minutes)
{
    private readonly SimEvent[]?[] _buckets = new SimEvent[]?[minutes + 1];
    private readonly int[] _counts = new int[minutes + 1];

    public int Minutes { get; } = minutes;

    public long Scheduled { get; private set; }

    public void Add(double time, int host, EventKind kind, byte arg = 0)
    {
        if (!(time < Minutes) || time < 0)
            return;
        var b = (int)time;
        var arr = _buckets[b];
        var n = _counts[b];
        if (arr is null)
        {
            arr = new SimEvent[16];
            _buckets[b] = arr;
        }
        else if (n == arr.Length)
        {
            Array.Resize(ref arr, arr.Length * 2);
            _buckets[b] = arr;
        }
        arr[n] = new SimEvent { Time = (float)time, Host = host, Kind = kind, Arg = arg };
        _counts[b] = n + 1;
        Scheduled++;
    }

    /// <summary>Visits bucket <paramref name="minute"/>, including events added to it while visiting, then frees it.</summary>
    public void Drain(int minute, Action<SimEvent> visit)
    {
        for (var i = 0; i < _counts[minute]; i++)
            visit(_buckets[minute]![i]);
        _buckets[minute] = null;
        _counts[minute] = 0;
    }
}
