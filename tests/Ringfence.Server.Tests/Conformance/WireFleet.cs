using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Server.Tests.Conformance;

/// <summary>
/// A host speaking the agent protocol over real HTTP, on the test's virtual clock: it enrolls, checks in every
/// <see cref="ConformanceScenario.CheckInMinutes"/>, loads what it is targeted, and reports heartbeats and crashes as
/// telemetry. Faults are decided here, in the test (a boundary the test is not about): a crash on load leaves a
/// breadcrumb naming the instance and the host reverts, as the self-healing agent does; a time bomb or a raised crash
/// rate takes the host down outside the interpreter, with no breadcrumb; background crashes hit every host.
/// </summary>
internal sealed class WireHost(string hostId, string credential, HostConfiguration configuration, double phaseMinutes, int seed, bool dogfood)
{
    private readonly Random _random = new(seed);
    private readonly List<TelemetryEvent> _outbox = [];
    private readonly HashSet<string> _quarantined = new(StringComparer.Ordinal);
    private ChannelTarget? _active;
    private long? _lastKnownGood;
    private double _loadedAt;
    private double _downUntil = double.NegativeInfinity;
    private int _crashesSinceCheckIn;
    private int _batches;

    public string HostId => hostId;
    public HostConfiguration Configuration => configuration;

    /// <summary>Enrolled in the "dogfood" group (the vendor's own hosts).</summary>
    public bool Dogfood => dogfood;
    public double NextCheckIn { get; private set; } = phaseMinutes;
    public ChannelTarget? Active => _active;

    /// <summary>Ring of the rollout in force when the server first served this host the rollout's content; null = never.</summary>
    public int? FirstServedRing { get; private set; }

    /// <summary>Virtual minute of that first serve.</summary>
    public double? FirstServedAt { get; private set; }

    /// <summary>Faults, background crashes and the clock's minute; one call per virtual minute.</summary>
    public void Live(double minute, ConformanceScenario scenario, DateTimeOffset now)
    {
        if (minute < _downUntil)
            return;
        var rate = scenario.BackgroundCrashesPerHostDay / 1440;
        var fault = scenario.Fault;
        var hit = fault is not null && _active is not null && _active.RolloutId is not null && fault.OsBuild == configuration.OsBuild;
        if (hit && fault!.Kind == FaultKinds.CrashRate)
            rate *= fault.Factor;
        if (hit && fault!.Kind == FaultKinds.TimeBomb && minute - _loadedAt >= fault.DelayMinutes)
        {
            CrashOutsideInterpreter(minute, scenario, now);
            _loadedAt = minute + scenario.BootMinutes; // reloaded at boot: it goes off again a delay later
            return;
        }
        if (_random.NextDouble() < rate)
            CrashOutsideInterpreter(minute, scenario, now);
    }

    private void CrashOutsideInterpreter(double minute, ConformanceScenario scenario, DateTimeOffset now)
    {
        GoDown(minute, scenario);
        _outbox.Add(new TelemetryEvent(TelemetryKind.Crash, now, _active?.Channel, _active?.Version, _active?.Sha256, InstanceId: null, BootCrash: false,
            Detail: "crash outside the interpreter: no breadcrumb"));
    }

    /// <summary>The host is down for a boot; it reports at the check-in it makes as soon as it is back up.</summary>
    private void GoDown(double minute, ConformanceScenario scenario)
    {
        _downUntil = minute + scenario.BootMinutes;
        _crashesSinceCheckIn++;
        NextCheckIn = _downUntil;
    }

    /// <summary>Checks in if due and up; applies the answer; sends telemetry. <paramref name="ring"/> is the rollout's ring right now.</summary>
    public async Task CycleAsync(HttpClient http, double minute, DateTimeOffset now, ConformanceScenario scenario, string rolloutId, int ring, string firstInstance)
    {
        if (minute < NextCheckIn)
            return;
        NextCheckIn += scenario.CheckInMinutes;
        if (minute < _downUntil)
            return;
        _outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, now, _active?.Channel, _active?.Version, _active?.Sha256));
        var channels = _active is null ? new List<ChannelState>() : [new ChannelState(_active.Channel, _active.Version, _active.Sha256, _lastKnownGood)];
        var body = new CheckInRequest(hostId, configuration, channels, new HostHealth(0, _crashesSinceCheckIn, [.. _quarantined]));
        var answer = await PostAsync<CheckInResponse>(http, Routes.CheckIn, body);
        _crashesSinceCheckIn = 0;
        foreach (var target in answer.Targets)
        {
            if (target.RolloutId == rolloutId && FirstServedRing is null)
            {
                FirstServedRing = ring;
                FirstServedAt = minute;
            }
            if (_active?.Sha256 == target.Sha256 || _quarantined.Contains(target.Sha256))
                continue;
            Load(target, minute, now, scenario, firstInstance);
        }
        if (minute < _downUntil)
            return; // it went down loading the content: nothing more is sent until it has booted
        // Heartbeats go every second check-in; crashes and loads at the next one regardless.
        _batches++;
        if (_outbox.Count > 0 && (_batches % 2 == 0 || _outbox.Any(e => e.Kind != TelemetryKind.Heartbeat)))
        {
            await PostAsync<TelemetryAck>(http, Routes.Telemetry, new TelemetryBatch(hostId, $"b{_batches}", [.. _outbox]));
            _outbox.Clear();
        }
    }

    private void Load(ChannelTarget target, double minute, DateTimeOffset now, ConformanceScenario scenario, string firstInstance)
    {
        var fault = scenario.Fault;
        if (fault is { Kind: FaultKinds.CrashOnLoad } && target.RolloutId is not null && fault.OsBuild == configuration.OsBuild)
        {
            // Down inside the interpreter: the next boot finds the breadcrumb, reports it, reverts and quarantines.
            GoDown(minute, scenario);
            _quarantined.Add(target.Sha256);
            _outbox.Add(new TelemetryEvent(TelemetryKind.Crash, now, target.Channel, target.Version, target.Sha256, firstInstance, BootCrash: true,
                Detail: "breadcrumb: crashed while evaluating this content"));
            _outbox.Add(new TelemetryEvent(TelemetryKind.Revert, now, target.Channel, target.Version, target.Sha256, Detail: "crashed on load: reverted"));
            return;
        }
        _lastKnownGood = _active?.Version;
        _active = target;
        _loadedAt = minute;
        _outbox.Add(new TelemetryEvent(TelemetryKind.Loaded, now, target.Channel, target.Version, target.Sha256));
    }

    private async Task<T> PostAsync<T>(HttpClient http, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body, body.GetType(), options: ServerHarness.Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{path} for {hostId}: {(int)response.StatusCode} {text}");
        return JsonSerializer.Deserialize<T>(text, ServerHarness.Json)!;
    }

    public static async Task<WireHost> EnrollAsync(HttpClient http, HostConfiguration configuration, string hostname, double phaseMinutes, int seed, bool dogfood)
    {
        var request = new EnrollRequest(ServerHarness.EnrollmentToken, hostname, configuration, dogfood ? ["dogfood"] : null);
        using var response = await http.PostAsJsonAsync(Routes.Enroll, request, ServerHarness.Json);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"enroll {hostname}: {(int)response.StatusCode} {text}");
        var enrolled = JsonSerializer.Deserialize<EnrollResponse>(text, ServerHarness.Json)!;
        return new WireHost(enrolled.HostId, enrolled.Credential, configuration, phaseMinutes, seed, dogfood);
    }
}
