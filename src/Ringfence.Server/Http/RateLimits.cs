using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Ringfence.Server.Hosting;

namespace Ringfence.Server.Http;

/// <summary>
/// The built-in rate limiter: a token bucket per operator key (or client address) and per host credential. A
/// refusal is a 429 ProblemDetails with Retry-After.
/// </summary>
public static class RateLimits
{
    public const string Operator = "operator";

    public static IServiceCollection AddRingfenceRateLimits(this IServiceCollection services, RingfenceServerOptions options, TimeProvider time)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Operator, http => RateLimitPartition.GetTokenBucketLimiter("op:" + PartitionKey(http), _ => Bucket(options.OperatorRequestsPerSecond, auto: true)));
            // Agents are many: their buckets live in AgentRateLimiter, which has no per-host timers or sweeps.
            limiter.GlobalLimiter = new AgentRateLimiter(options.AgentRequestsPerSecond, time);
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Create(429, "rate-limited", "Too many requests", "slow down and retry after the Retry-After delay")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    /// <summary>Marks an endpoint group as agent traffic: limited per host credential by <see cref="AgentRateLimiter"/>.</summary>
    public static TBuilder RequireAgentRateLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AgentRateLimited.Instance);

    internal static TokenBucketRateLimiterOptions Bucket(int perSecond, bool auto) => new()
    {
        TokenLimit = perSecond * 2,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = auto,
    };

    /// <summary>The credential (never stored, only used as a partition key) or, without one, the client address.</summary>
    internal static string PartitionKey(HttpContext http)
    {
        var key = Auth.OperatorAuth.ReadKey(http.Request);
        return key is { Length: > 0 } ? Auth.Secrets.Hash(key) : http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}

/// <summary>Endpoint metadata: this endpoint serves agents.</summary>
public sealed class AgentRateLimited
{
    public static AgentRateLimited Instance { get; } = new();

    private AgentRateLimited()
    {
    }
}

/// <summary>
/// A token bucket per host credential for agent endpoints; every other request passes. The stock partitioned limiter
/// visits every partition ten times a second and each auto-replenishing bucket owns a timer, which with a fleet of
/// 100k hosts costs more than the check-ins do. Here buckets refill when used, and buckets idle for
/// <see cref="IdleAfter"/> are dropped by a sweep that runs at most once per <see cref="SweepEvery"/>.
/// </summary>
public sealed class AgentRateLimiter(int perSecond, TimeProvider time) : PartitionedRateLimiter<HttpContext>
{
    public static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);

    private readonly TokenBucketRateLimiterOptions _bucket = RateLimits.Bucket(perSecond, auto: false);
    private readonly ConcurrentDictionary<string, Entry> _buckets = new(StringComparer.Ordinal);
    private long _lastSweep = time.GetTimestamp();
    private int _sweeping;

    private sealed class Entry(TokenBucketRateLimiter limiter, long now)
    {
        public TokenBucketRateLimiter Limiter { get; } = limiter;
        public long LastUsed = now;
    }

    /// <summary>Buckets currently held (for tests and metrics).</summary>
    public int Count => _buckets.Count;

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        if (resource.GetEndpoint()?.Metadata.GetMetadata<AgentRateLimited>() is null)
            return Granted.Lease;
        var now = time.GetTimestamp();
        var entry = _buckets.GetOrAdd(RateLimits.PartitionKey(resource), static (_, s) =>
            new Entry(new TokenBucketRateLimiter(s.Self._bucket), s.Now), (Self: this, Now: now));
        Volatile.Write(ref entry.LastUsed, now);
        // Not auto-replenishing: refilled here, in proportion to the time since the last refill.
        entry.Limiter.TryReplenish();
        var lease = entry.Limiter.AttemptAcquire(permitCount);
        if (time.GetElapsedTime(Volatile.Read(ref _lastSweep), now) >= SweepEvery && Interlocked.Exchange(ref _sweeping, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Sweep(), this, preferLocal: false);
        return lease;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    /// <summary>Drops buckets not used for <see cref="IdleAfter"/>: a host that comes back starts with a full bucket.</summary>
    public void Sweep()
    {
        try
        {
            var now = time.GetTimestamp();
            Volatile.Write(ref _lastSweep, now);
            foreach (var (key, entry) in _buckets)
            {
                if (time.GetElapsedTime(Volatile.Read(ref entry.LastUsed), now) >= IdleAfter && _buckets.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
                    entry.Limiter.Dispose();
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var entry in _buckets.Values)
                entry.Limiter.Dispose();
            _buckets.Clear();
        }
        base.Dispose(disposing);
    }

    private sealed class Granted : RateLimitLease
    {
        public static readonly Granted Lease = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
