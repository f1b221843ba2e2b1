using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringfence.Agent.Runtime;

namespace Ringfence.Agent.Swarm;

/// <summary>How to run many agents in one process (<c>ringfence agent --simulate N</c>, the demo, load tests).</summary>
public sealed record AgentSwarmSetup
{
    public required AgentRuntimeOptions Options { get; init; }
    public required string DataDirectory { get; init; }
    public required int Count { get; init; }
    public required AgentBuildCatalog Catalog { get; init; }
    public IReadOnlyList<FleetMixEntry>? Mix { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public ISimulatedCrashes? Faults { get; init; }
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Most connections to the server for the whole swarm.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Told (from any thread) about each host that fails, at open or while it runs; the others go on.</summary>
    public Action<SwarmHostFailure>? OnHostFailed { get; init; }
}

/// <summary>One host of a swarm that stopped: which (index and directory) and why, in one line.</summary>
public sealed record SwarmHostFailure(int Index, string Directory, string Reason)
{
    public override string ToString() => $"host {Index:D6} ({Directory}) failed: {Reason}";
}

/// <summary>
/// N agents in one process: each an <see cref="AgentRuntime"/> with its own directory (<c>DIR/hosts/000042</c>) and
/// seed, all async on the thread pool (no thread per agent), sharing one <see cref="HttpClient"/> and its pool.
/// A host that fails (a corrupt state directory at open, an unexpected error while it runs) is reported through
/// <see cref="AgentSwarmSetup.OnHostFailed"/> and <see cref="Failures"/>, and the others go on.
/// </summary>
public sealed class AgentSwarm : IDisposable
{
    private readonly HttpClient _http;
    private readonly AgentSwarmSetup _setup;

    private readonly List<SwarmHostFailure> _failures = [];
    private readonly Lock _failuresGate = new();
    private readonly IReadOnlyList<(int Index, string Directory)> _places;

    private AgentSwarm(AgentSwarmSetup setup, HttpClient http, IReadOnlyList<AgentRuntime> agents, IReadOnlyList<(int, string)> places, IEnumerable<SwarmHostFailure> failures)
    {
        _setup = setup;
        _http = http;
        Agents = agents;
        _places = places;
        _failures.AddRange(failures);
    }

    /// <summary>The hosts that opened (a host whose state could not be read is in <see cref="Failures"/> instead).</summary>
    public IReadOnlyList<AgentRuntime> Agents { get; }

    /// <summary>The hosts that failed so far, at open or while running.</summary>
    public IReadOnlyList<SwarmHostFailure> Failures
    {
        get
        {
            lock (_failuresGate)
                return [.. _failures];
        }
    }

    /// <summary>
    /// Creates (or reopens, from the same directory) the swarm. A host whose state is corrupt is reported and left
    /// out; the others open.
    /// </summary>
    public static AgentSwarm Create(AgentSwarmSetup setup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(setup.Count, 1);
        var http = CreateHttpClient(setup.Options, setup.MaxConnections);
        try
        {
            var profiles = SimulatedFleet.Generate(setup.Count, setup.Options.Seed, setup.Mix);
            var logger = setup.LoggerFactory.CreateLogger<AgentRuntime>();
            var agents = new List<AgentRuntime>(setup.Count);
            var places = new List<(int, string)>(setup.Count);
            var failures = new List<SwarmHostFailure>();
            var compiled = new CompiledChannelCache();
            for (var i = 0; i < setup.Count; i++)
            {
                var directory = Path.Combine(setup.DataDirectory, "hosts", i.ToString("D6", CultureInfo.InvariantCulture));
                try
                {
                    Directory.CreateDirectory(directory);
                    agents.Add(OpenHost(setup, http, profiles[i], directory, i, compiled, logger));
                    places.Add((i, directory));
                }
                catch (Exception ex) when (ex is AgentStateException or IOException or UnauthorizedAccessException)
                {
                    var failure = new SwarmHostFailure(i, directory, OneLine(ex.Message));
                    failures.Add(failure);
                    setup.OnHostFailed?.Invoke(failure);
                }
            }
            return new AgentSwarm(setup, http, agents, places, failures);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    private static AgentRuntime OpenHost(AgentSwarmSetup setup, HttpClient http, HostProfile profile, string directory, int i, CompiledChannelCache compiled, ILogger logger) =>
                AgentRuntime.Open(new AgentRuntimeSetup
                {
                    Options = setup.Options with { Seed = unchecked(setup.Options.Seed * 1_000_003 + i) },
                    Profile = profile,
                    DataDirectory = directory,
                    Http = http,
                    Catalog = setup.Catalog,
                    Time = setup.Time,
                    SimulatedCrashes = setup.Faults,
                    CompiledChannels = compiled,
                    Logger = logger,
                });

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    /// <summary>The HTTP client agents share: keep-alive pooled connections, bounded per server.</summary>
    public static HttpClient CreateHttpClient(AgentRuntimeOptions options, int maxConnections) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = options.RequestTimeout,
        };

    /// <summary>Runs every agent until cancelled. Start times are spread over one check-in interval so the fleet does not arrive at once.</summary>
    public Task RunAsync(CancellationToken ct)
    {
        var random = new Random(_setup.Options.Seed);
        var offsets = Agents.Select(_ => _setup.Options.CheckInInterval * random.NextDouble()).ToList();
        return Task.WhenAll(Agents.Select((agent, i) => RunOneAsync(agent, _places[i], offsets[i], ct)));
    }

    private async Task RunOneAsync(AgentRuntime agent, (int Index, string Directory) place, TimeSpan offset, CancellationToken ct)
    {
        try
        {
            await Task.Delay(offset, _setup.Time, ct);
            await agent.RunAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopped with the others
        }
#pragma warning disable CA1031 // one host's failure, whatever it is, must not stop the swarm: it is reported instead
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var failure = new SwarmHostFailure(place.Index, place.Directory, OneLine($"{ex.GetType().Name}: {ex.Message}"));
            lock (_failuresGate)
                _failures.Add(failure);
            _setup.OnHostFailed?.Invoke(failure);
        }
    }

    /// <summary>Totals over every agent right now.</summary>
    public SwarmSummary Summarize()
    {
        var statuses = Agents.Select(a => a.Status).ToList();
        var versions = statuses
            .SelectMany(s => s.Active.Values)
            .GroupBy(c => (c.Channel, c.Version))
            .ToDictionary(g => $"{g.Key.Channel} v{g.Key.Version}", g => g.Count(), StringComparer.Ordinal);
        return new SwarmSummary(
            statuses.Count,
            Failures.Count,
            statuses.Count(s => s.HostId is not null),
            statuses.Count(s => s.ServerReachable),
            versions,
            statuses.Sum(s => s.CheckIns),
            statuses.Sum(s => s.EventsEvaluated),
            statuses.Sum(s => s.Crashes),
            statuses.Sum(s => s.Reverts),
            statuses.Count(s => s.Reverts > 0),
            statuses.Sum(s => s.Quarantines),
            statuses.Sum(s => s.Refusals),
            statuses.Sum(s => s.TelemetryEventsAcknowledged));
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A swarm at a glance.</summary>
public sealed record SwarmSummary(
    int Agents,
    /// <summary>Hosts that failed (at open or while running) and are not running.</summary>
    int Failed,
    int Enrolled,
    int Reachable,
    IReadOnlyDictionary<string, int> HostsByContent,
    long CheckIns,
    long EventsEvaluated,
    long Crashes,
    long Reverts,
    int HostsThatReverted,
    long Quarantines,
    long Refusals,
    long TelemetryEventsAcknowledged);
