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
    public const string Agent = "agent";

    public static IServiceCollection AddRingfenceRateLimits(this IServiceCollection services, RingfenceServerOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Operator, http => Bucket("op:" + PartitionKey(http), options.OperatorRequestsPerSecond));
            limiter.AddPolicy(Agent, http => Bucket("agent:" + PartitionKey(http), options.AgentRequestsPerSecond));
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Problems.Create(429, "rate-limited", "Too many requests", "slow down and retry after the Retry-After delay")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond * 2,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    /// <summary>The credential (never stored, only used as a partition key) or, without one, the client address.</summary>
    private static string PartitionKey(HttpContext http)
    {
        var key = Auth.OperatorAuth.ReadKey(http.Request);
        return key is { Length: > 0 } ? Auth.Secrets.Hash(key) : http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}
