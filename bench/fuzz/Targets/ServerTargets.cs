using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Ringfence.Content;
using Ringfence.Protocol;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Server.Http;
using Ringfence.Server.Rollouts;

namespace Ringfence.Fuzz.Targets;

/// <summary>
/// Every HTTP body the server reads, in process and without HTTP: <c>JsonBody.ReadAsync</c> (the endpoints' one entry
/// point) for each request type, then the validators an endpoint runs on what it read before touching storage.
/// </summary>
public static class ServerTargets
{
    /// <summary>The server's default body limit (RingfenceServerOptions.MaxRequestBodyBytes).</summary>
    private const long Limit = 1024 * 1024;

    private static readonly Dictionary<string, Action<byte[]>> Readers = new(StringComparer.Ordinal)
    {
        ["EnrollRequest"] = input => Read(input, ProtocolJsonContext.Default.EnrollRequest),
        ["CheckInRequest"] = input => Read(input, ProtocolJsonContext.Default.CheckInRequest),
        ["TelemetryBatch"] = input => Read(input, ProtocolJsonContext.Default.TelemetryBatch),
        ["CreateApiKeyRequest"] = input => Read(input, ProtocolJsonContext.Default.CreateApiKeyRequest),
        ["CreateEnrollmentTokenRequest"] = input => Read(input, ProtocolJsonContext.Default.CreateEnrollmentTokenRequest),
        ["PublishChannelFileRequest"] = input =>
        {
            if (Read(input, ProtocolJsonContext.Default.PublishChannelFileRequest) is { Content: { } content })
            {
                try
                {
                    _ = ContentJson.ReadChannelFile(content); // what publishing's inspector reads first
                }
                catch (ContentFormatException)
                {
                    // documented: the inspector turns it into a finding
                }
            }
        },
        ["CreateRolloutRequest"] = input =>
        {
            // What rollout creation checks of a given plan: the engine's plan of percentage rings, validated.
            if (Read(input, ProtocolJsonContext.Default.CreateRolloutRequest) is { Rings: { } rings })
                _ = RolloutSpecs.PercentPlan(rings.Select(r => new PercentRing(r.Name ?? "", r.Percent, TimeSpan.FromMinutes(r.BakeMinutes)))).Validate();
        },
        ["RolloutActionRequest"] = input => Read(input, ProtocolJsonContext.Default.RolloutActionRequest),
        ["KillSwitchRequest"] = input => Read(input, ProtocolJsonContext.Default.KillSwitchRequest),
    };

    /// <summary>Request types with a reader here (a test checks each has seeds).</summary>
    public static IReadOnlyCollection<string> RequestTypes => Readers.Keys;

    /// <summary>
    /// Seeds: bench/fuzz/corpus/http/TYPE[.N].json. Invariant: no exception at all; the reader answers a value or a
    /// 4xx ProblemDetails with a one-line detail, never both and never neither (a refusal is reported as <see cref="FuzzRefusal"/>).
    /// </summary>
    public static FuzzTarget Bodies()
    {
        var seeds = Corpus.Folder("bench/fuzz/corpus/http").Select(f => new FuzzSeed(f.Name.Split('.')[0], f.Bytes)).ToList();
        return new FuzzTarget("http-bodies", seeds, (kind, input) => Readers[kind](input), ex => ex is FuzzRefusal);
    }

    private static T? Read<T>(byte[] input, JsonTypeInfo<T> type)
        where T : class
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = input.Length;
        http.Request.Body = new MemoryStream(input, writable: false);
        var task = JsonBody.ReadAsync(http, type, Limit);
        if (!task.IsCompleted)
            throw new InvalidOperationException("reading an in-memory body did not complete synchronously");
        var (value, problem) = task.Result;
        if ((value is null) == (problem is null))
            throw new InvalidOperationException($"{typeof(T).Name}: expected a value or a problem, got {(value is null ? "neither" : "both")}");
        if (problem is not null)
        {
            if (problem.StatusCode is < 400 or > 499)
                throw new InvalidOperationException($"{typeof(T).Name}: status {problem.StatusCode}, not a 4xx");
            if (problem.ProblemDetails.Detail is { } detail && (detail.Contains('\n', StringComparison.Ordinal) || detail.Contains("   at ", StringComparison.Ordinal)))
                throw new InvalidOperationException($"{typeof(T).Name}: the problem detail is not one line: {detail}");
            throw new FuzzRefusal();
        }
        return value;
    }
}
