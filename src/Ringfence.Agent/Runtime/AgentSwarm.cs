using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ringfence.Agent.Runtime;

/// <summary>How to run many agents in one process (<c>ringfence agent --simulate N</c>, the demo, load tests).</summary>
public sealed record AgentSwarmSetup
{
    public required AgentRuntimeOptions Options { get; init; }
    public required string DataDirectory { get; init; }
    public required int Count { get; init; }
    public required AgentBuildCatalog Catalog { get; init; }
    public IReadOnlyList<FleetMixEntry>? Mix { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public FaultHook? Faults { get; init; }
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Most connections to the server for the whole swarm.</summary>
    public int MaxConnections { get; init; } = 64;
}

/// <summary>
/// N agents in one process: each an <see cref="AgentRuntime"/> with its own directory (<c>DIR/hosts/000042</c>) and
/// seed, all async on the thread pool (no thread per agent), sharing one <see cref="HttpClient"/> and its pool.
/// </summary>
public sealed class AgentSwarm : IDisposable
{
    private readonly HttpClient _http;
    private readonly AgentSwarmSetup _setup;

    private AgentSwarm(AgentSwarmSetup setup, HttpClient http, IReadOnlyList<AgentRuntime> agents)
    {
        _setup = setup;
        _http = http;
        Agents = agents;
    }

    public IReadOnlyList<AgentRuntime> Agents { get; }

    /// <summary>Creates (or reopens, from the same directory) the swarm. Throws <see cref="AgentStateException"/> for a corrupt host state.</summary>
    public static AgentSwarm Create(AgentSwarmSetup setup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(setup.Count, 1);
        var http = CreateHttpClient(setup.Options, setup.MaxConnections);
        try
        {
            var profiles = SimulatedFleet.Generate(setup.Count, setup.Options.Seed, setup.Mix);
            var logger = setup.LoggerFactory.CreateLogger<AgentRuntime>();
            var agents = new AgentRuntime[setup.Count];
            var compiled = new CompiledChannelCache();
            for (var i = 0; i < setup.Count; i++)
            {
                var directory = Path.Combine(setup.DataDirectory, "hosts", i.ToString("D6", CultureInfo.InvariantCulture));
                Directory.CreateDirectory(directory);
                agents[i] = AgentRuntime.Open(new AgentRuntimeSetup
                {
                    Options = setup.Options with { Seed = unchecked(setup.Options.Seed * 1_000_003 + i) },
                    Profile = profiles[i],
                    DataDirectory = directory,
                    Http = http,
                    Catalog = setup.Catalog,
                    Time = setup.Time,
                    Faults = setup.Faults,
                    CompiledChannels = compiled,
                    Logger = logger,
                });
            }
            return new AgentSwarm(setup, http, agents);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

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
        return Task.WhenAll(Agents.Select((agent, i) => RunOneAsync(agent, offsets[i], ct)));
    }

    private async Task RunOneAsync(AgentRuntime agent, TimeSpan offset, CancellationToken ct)
    {
        try
        {
            await Task.Delay(offset, _setup.Time, ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await agent.RunAsync(ct);
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
