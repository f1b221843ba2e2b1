namespace Ringfence.Agent.Runtime;

/// <summary>
/// How an agent process behaves. Defaults and allowed ranges live here and nowhere else; <see cref="Validate"/>
/// returns every problem at once. Intervals are on the agent's <see cref="TimeProvider"/>, so on the demo's
/// compressed clock a 60 s check-in interval passes in a fraction of a real second.
/// </summary>
public sealed record AgentRuntimeOptions
{
    public static readonly TimeSpan DefaultCheckInInterval = TimeSpan.FromSeconds(60);

    /// <summary>Base address of the Ringfence server, e.g. http://127.0.0.1:5080/.</summary>
    public required Uri Server { get; init; }

    /// <summary>Enrollment token presented once, to obtain the per-host credential.</summary>
    public string EnrollmentToken { get; init; } = "demo";

    /// <summary>Time between check-ins when the server answers. Range 100 ms .. 1 day.</summary>
    public TimeSpan CheckInInterval { get; init; } = DefaultCheckInInterval;

    /// <summary>Each wait is the interval times a uniform factor in [1 - j, 1 + j], so a fleet does not check in in lockstep. Range 0 .. 0.5.</summary>
    public double CheckInJitter { get; init; } = 0.1;

    /// <summary>First retry delay after the server could not be reached. Range 10 ms .. 1 h.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest retry delay. Range BackoffBase .. 1 day.</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Synthetic events evaluated by the interpreter per check-in cycle. Range 0 .. 100,000.</summary>
    public int EventsPerCycle { get; init; } = 32;

    /// <summary>Most telemetry events sent in one batch. Range 1 .. 10,000.</summary>
    public int TelemetryBatchSize { get; init; } = 500;

    /// <summary>
    /// Heartbeats are sent every this many cycles; crashes, reverts, quarantines and loads go at the next cycle
    /// regardless. Range 1 .. 1,000.
    /// </summary>
    public int HeartbeatFlushCycles { get; init; } = 1;

    /// <summary>Most telemetry events kept while the server is unreachable; the oldest heartbeats go first. Range 10 .. 1,000,000.</summary>
    public int TelemetryOutboxLimit { get; init; } = 5_000;

    /// <summary>Real-time limit for one HTTP request. Range 100 ms .. 5 min.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long new content must run without a crash before it becomes last-known-good. Range 1 s .. 7 days.</summary>
    public TimeSpan HealthWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a simulated crash keeps the host down before it boots again. Range 0 .. 1 h.</summary>
    public TimeSpan RebootTime { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Seeds backoff jitter, check-in jitter and synthetic events: same seed, same behaviour.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Flush state and content to the disk before each atomic rename (power-cut safe). Simulated fleets of thousands of
    /// agents in one process (demo, --simulate) turn it off: they model a power cut differently, and fsync per host
    /// would make one shared disk the bottleneck.
    /// </summary>
    public bool DurableWrites { get; init; } = true;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Server.IsAbsoluteUri || (Server.Scheme != Uri.UriSchemeHttp && Server.Scheme != Uri.UriSchemeHttps))
            errors.Add($"server '{Server}' must be an absolute http:// or https:// URL");
        if (string.IsNullOrWhiteSpace(EnrollmentToken))
            errors.Add("enrollment token must not be empty");
        Range(errors, "check-in interval", CheckInInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
        if (!(CheckInJitter is >= 0 and <= 0.5))
            errors.Add($"check-in jitter {CheckInJitter} must be between 0 and 0.5");
        Range(errors, "backoff base", BackoffBase, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(errors, "backoff max", BackoffMax, BackoffBase, TimeSpan.FromDays(1));
        if (EventsPerCycle is < 0 or > 100_000)
            errors.Add($"events per cycle {EventsPerCycle} must be between 0 and 100000");
        if (TelemetryBatchSize is < 1 or > 10_000)
            errors.Add($"telemetry batch size {TelemetryBatchSize} must be between 1 and 10000");
        if (HeartbeatFlushCycles is < 1 or > 1_000)
            errors.Add($"heartbeat flush cycles {HeartbeatFlushCycles} must be between 1 and 1000");
        if (TelemetryOutboxLimit is < 10 or > 1_000_000)
            errors.Add($"telemetry outbox limit {TelemetryOutboxLimit} must be between 10 and 1000000");
        Range(errors, "health window", HealthWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        Range(errors, "reboot time", RebootTime, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, "request timeout", RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        return errors;
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
            errors.Add($"{name} {value} must be between {min} and {max}");
    }
}
