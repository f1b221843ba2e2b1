using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringfence.Agent.StateMachine;
using Ringfence.Agent.Updates;
using Ringfence.Content;
using Ringfence.Protocol;
using Ringfence.Trust;
using ChannelTarget = Ringfence.Protocol.ChannelTarget;

namespace Ringfence.Agent.Runtime;

/// <summary>Everything one agent needs; many agents of one process share the <see cref="Http"/> client and the clock.</summary>
public sealed record AgentRuntimeSetup
{
    public required AgentRuntimeOptions Options { get; init; }
    public required HostProfile Profile { get; init; }
    public required string DataDirectory { get; init; }
    public required HttpClient Http { get; init; }
    public required AgentBuildCatalog Catalog { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>When a simulated host goes down (swarms, tests); null for a real agent, whose crashes are real.</summary>
    public ISimulatedCrashes? SimulatedCrashes { get; init; }

    /// <summary>Compiled channels shared with the other agents of the process; null compiles privately.</summary>
    public CompiledChannelCache? CompiledChannels { get; init; }
    public ILogger Logger { get; init; } = NullLogger.Instance;
}

/// <summary>What an agent is doing, for progress lines and tests. A snapshot: safe to read from any thread.</summary>
public sealed record AgentStatus(
    string Hostname,
    HostConfiguration Configuration,
    string? HostId,
    IReadOnlyDictionary<string, ContentRef> Active,
    IReadOnlyList<string> Quarantined,
    bool ServerReachable,
    /// <summary>True between a (simulated) crash and the reboot that follows it.</summary>
    bool Down,
    long CheckIns,
    long CheckInFailures,
    long EventsEvaluated,
    long Matches,
    long EvaluationFaults,
    long Crashes,
    long Reverts,
    long Quarantines,
    long Refusals,
    long TelemetryEventsAcknowledged,
    string? LastError);

/// <summary>
/// The agent SDK running as a process (or as one of many in <c>--simulate</c>). Each cycle it evaluates synthetic
/// events with the content it has, then, if the server answers: enrolls once, checks in (ETag/304), verifies any new
/// target through TUF and the known-bad list, stages and activates it through the agent state machine, and sends its
/// telemetry in idempotent batches. When the server does not answer it changes nothing, keeps evaluating, and
/// retries with jittered exponential backoff. State lives in the data directory and survives restarts.
/// </summary>
public sealed partial class AgentRuntime
{
    private readonly AgentRuntimeSetup _setup;
    private readonly AgentRuntimeOptions _options;
    private readonly StateMachine.AgentOptions _machineOptions;
    private readonly AgentStateStore _store;
    private readonly AgentApiClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Random _random;
    private readonly Backoff _backoff;
    private readonly SyntheticEvents _events;
    private readonly TelemetryOutbox _outbox;
    private readonly AgentBuildDefinition? _build;
    private readonly Dictionary<string, LoadedChannel> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();

    private AgentStateDocument _state;
    private ContentUpdateVerifier? _verifier;
    private CheckInResponse? _lastAnswer;
    private string? _etag;
    private bool _pendingReboot;
    private bool _serverReachable;
    private long _checkIns, _checkInFailures, _eventsEvaluated, _matches, _evaluationFaults, _crashes, _reverts, _quarantines, _refusals, _acknowledged;
    private long _cycles;
    private readonly Dictionary<string, BlobState> _refetch = new(StringComparer.Ordinal);
    private string? _lastError;
    private AgentStatus? _status;

    private AgentRuntime(AgentRuntimeSetup setup, AgentStateStore store, AgentStateDocument state)
    {
        _setup = setup;
        _options = setup.Options;
        _machineOptions = new StateMachine.AgentOptions(HealthWindow: setup.Options.HealthWindow);
        _store = store;
        _state = state;
        _client = new AgentApiClient(setup.Http, setup.Options.Server);
        _time = setup.Time;
        _log = setup.Logger;
        _random = new Random(setup.Options.Seed);
        _backoff = new Backoff(setup.Options.BackoffBase, setup.Options.BackoffMax, new Random(setup.Options.Seed ^ 0x5EED));
        _events = new SyntheticEvents(new Random(setup.Options.Seed ^ 0xE7E7));
        _outbox = new TelemetryOutbox(setup.Options.TelemetryOutboxLimit);
        _outbox.Restore(state.TelemetrySequence, state.TelemetryInFlight, state.TelemetryQueued);
        _build = setup.Catalog.Find(state.Configuration.AgentBuild);
        if (state.TrustedRoot is not null)
            _verifier = CreateVerifier(state.TrustedRoot);
    }

    /// <summary>The Updates component: TUF refresh from the pinned root, the signed known-bad list (cached on disk for boot), target hashes.</summary>
    private ContentUpdateVerifier CreateVerifier(string trustedRoot) =>
        new(new HttpRepositoryFetcher(_setup.Http, new Uri(_options.Server, Routes.Tuf.TrimStart('/') + "/")), new FileTrustedMetadataStore(_store.TufDirectory, _store.Durable),
            System.Text.Encoding.UTF8.GetBytes(trustedRoot), _time);

    /// <summary>
    /// Opens the agent whose state is in <see cref="AgentRuntimeSetup.DataDirectory"/> (which must exist), or a new one
    /// when it holds no state yet. Throws <see cref="AgentStateException"/> for a corrupt state file.
    /// </summary>
    public static AgentRuntime Open(AgentRuntimeSetup setup)
    {
        var errors = setup.Options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid agent options: " + string.Join("; ", errors));
        var store = new AgentStateStore(setup.DataDirectory, setup.Options.DurableWrites);
        var state = store.Load() ?? new AgentStateDocument { Hostname = setup.Profile.Hostname, Configuration = setup.Profile.Configuration };
        return new AgentRuntime(setup, store, state);
    }

    public AgentStatus Status
    {
        get
        {
            lock (_statusGate)
                return _status ??= BuildStatus();
        }
    }

    /// <summary>The persisted state as of the last save (tests compare it across a server outage).</summary>
    public AgentStateDocument State => _state;

    /// <summary>Boots, then cycles until cancelled; stops cleanly (a clean stop is never mistaken for a crash).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        Boot();
        while (!ct.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                delay = await CycleAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            try
            {
                await Task.Delay(delay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Stop();
    }

    /// <summary>
    /// A boot of the host, with no network: the state machine infers a crash from the flags left on disk, reverts and
    /// quarantines what crashed the host, then the active content of every channel is loaded into the interpreter.
    /// </summary>
    public void Boot()
    {
        var now = _time.GetUtcNow();
        _loaded.Clear();
        _pendingReboot = false;
        ReportCrashFoundAtBoot(now);
        foreach (var channel in _state.Channels.Keys.ToList())
        {
            var doc = _state.Channels[channel];
            var step = AgentMachine.Boot(doc.Machine, now, new BootEnvironment(NetworkAvailable: _serverReachable), _machineOptions);
            Report(channel, doc, step);
            doc = doc with { Machine = step.State, BreadcrumbInstance = step.State.IsEvaluating ? doc.BreadcrumbInstance : null };
            // Content the signed known-bad list names is not loaded again, not even once, at boot: no network needed.
            if (doc.Find(doc.Machine.Active) is { } active && IsKnownBad(active.Sha256))
            {
                var rollback = AgentMachine.Rollback(doc.Machine, active.Version, 0, _machineOptions);
                Report(channel, doc, rollback);
                doc = Prune(doc with { Machine = rollback.State, BreadcrumbInstance = null });
            }
            SetChannel(channel, doc);
        }
        // Up until a clean stop: still up at the next boot means this run crashed; booted once the first cycle ran.
        _state = _state with { Boots = _state.Boots + 1, Up = true, BootCompleted = false };
        Save();
        foreach (var channel in _state.Channels.Keys.ToList())
        {
            LoadActive(channel, fromBoot: true);
            if (_pendingReboot)
                break;
        }
        Publish();
    }

    /// <summary>
    /// A boot that finds the last run did not stop cleanly reports one crash, whatever caused it, with what the host
    /// was running: the channel in the interpreter (its breadcrumb names the instance, when known), else the content
    /// under evaluation, else the first channel's; the detail lists every channel. A crash before the boot's first
    /// cycle is a failed boot.
    /// </summary>
    private void ReportCrashFoundAtBoot(DateTimeOffset now)
    {
        var channels = _state.Channels.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var crashed = _state.Up || channels.Any(kv => (kv.Value.Machine.Flags & AgentFlags.Running) != 0);
        if (!crashed)
            return;
        var inInterpreter = channels.FirstOrDefault(kv => (kv.Value.Machine.Flags & AgentFlags.InInterpreter) != 0);
        var (channel, doc) = inInterpreter.Value is not null ? inInterpreter
            : channels.FirstOrDefault(kv => kv.Value.Machine.IsEvaluating) is { Value: not null } evaluating ? evaluating
            : channels.FirstOrDefault(kv => kv.Value.Machine.Active != 0);
        var content = doc?.Find(doc.Machine.Active);
        var failedBoot = _state.Up && !_state.BootCompleted;
        var running = channels
            .Select(kv => kv.Value.Find(kv.Value.Machine.Active))
            .Where(c => c is not null)
            .Select(c => $"{c!.Channel} v{c.Version} ({c.Sha256[..12]})")
            .ToList();
        var where = inInterpreter.Value is not null
            ? $"inside the interpreter evaluating {channel} v{content?.Version}" + (doc!.BreadcrumbInstance is { } id ? $", instance {id}" : ", instance unknown")
            : "outside the interpreter";
        var detail = $"{(failedBoot ? "failed boot" : "crash")} {where}; running {(running.Count == 0 ? "no content" : string.Join(", ", running))}";
        _outbox.Add(new TelemetryEvent(TelemetryKind.Crash, now, content is null ? null : channel, content?.Version, content?.Sha256,
            inInterpreter.Value is not null ? doc!.BreadcrumbInstance : null, BootCrash: failedBoot, Detail: Truncate(detail, 1024)));
        _crashes++;
        _state = _state with { CrashesSinceCheckIn = _state.CrashesSinceCheckIn + 1 };
        LogCrashed(_log, _state.Hostname, detail);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>One cycle: evaluate, then talk to the server if it answers. Returns how long to wait before the next one.</summary>
    public async Task<TimeSpan> CycleAsync(CancellationToken ct)
    {
        if (_pendingReboot)
            Boot();
        if (_pendingReboot)
            return _options.RebootTime;
        if (_setup.SimulatedCrashes?.CrashOutsideInterpreter(_setup.Profile, [.. _loaded.Values.Select(l => l.Content)], _time.GetUtcNow()) == true)
        {
            GoDown(null);
            return _options.RebootTime;
        }
        EvaluateEvents();
        if (_pendingReboot)
            return _options.RebootTime;
        Tick();
        if (!_state.BootCompleted)
        {
            _state = _state with { BootCompleted = true };
            Save();
        }
        _outbox.Add(Heartbeat());
        try
        {
            await EnsureEnrolledAsync(ct);
            await CheckInAsync(ct);
            if (_lastAnswer is not null)
                await ApplyAnswerAsync(_lastAnswer, ct);
            if (!_pendingReboot)
                await RefetchBlobsAsync(ct);
            await FlushTelemetryAsync(ct);
            _backoff.Reset();
            _serverReachable = true;
            Save();
            Publish();
            return _pendingReboot ? _options.RebootTime : NextInterval();
        }
        catch (AgentApiException ex)
        {
            _serverReachable = false;
            _checkInFailures++;
            _lastError = ex.Message;
            LogServerUnavailable(_log, _state.Hostname, ex.Message);
            Save();
            Publish();
            return _pendingReboot ? _options.RebootTime : _backoff.NextDelay();
        }
    }

    /// <summary>Persists a clean stop: the next boot will not count it as a crash.</summary>
    public void Stop()
    {
        if (_pendingReboot)
            return; // the host is "down" after a crash: its next start is the reboot that finds the breadcrumb
        foreach (var channel in _state.Channels.Keys.ToList())
            SetChannel(channel, _state.Channels[channel] with { Machine = AgentMachine.Shutdown(_state.Channels[channel].Machine) });
        _state = _state with { Up = false };
        Save();
    }

    private async Task EnsureEnrolledAsync(CancellationToken ct)
    {
        if (_state.HostId is not null)
            return;
        var answer = await _client.EnrollAsync(
            new EnrollRequest(_options.EnrollmentToken, _state.Hostname, _state.Configuration, _setup.Profile.Groups), ct);
        _state = _state with { HostId = answer.HostId, Credential = answer.Credential, TrustedRoot = answer.TrustedRoot };
        _verifier = CreateVerifier(answer.TrustedRoot);
        Save();
        LogEnrolled(_log, _state.Hostname, answer.HostId);
    }

    private async Task CheckInAsync(CancellationToken ct)
    {
        var channels = _state.Channels
            .Select(kv => new ChannelState(kv.Key, NullIfZero(kv.Value.Machine.Active), kv.Value.Find(kv.Value.Machine.Active)?.Sha256, NullIfZero(kv.Value.Machine.LastKnownGood)))
            .ToList();
        var failedBoots = _state.Channels.Values.Select(d => (int)d.Machine.FailedBoots).DefaultIfEmpty(0).Max();
        var quarantined = QuarantinedHashes();
        var request = new CheckInRequest(_state.HostId!, _state.Configuration, channels,
            new HostHealth(failedBoots, (int)Math.Min(int.MaxValue, _state.CrashesSinceCheckIn), quarantined.Count == 0 ? null : quarantined));
        var result = await _client.CheckInAsync(_state.Credential!, request, _etag, ct);
        _checkIns++;
        _state = _state with { CrashesSinceCheckIn = 0 };
        if (!result.NotModified)
        {
            _lastAnswer = result.Response;
            _etag = result.ETag;
        }
    }

    private async Task ApplyAnswerAsync(CheckInResponse answer, CancellationToken ct)
    {
        if (answer.KnownBadListVersion > _state.KnownBadVersion)
            await RefreshKnownBadAsync(answer.KnownBadListVersion, ct);
        // The kill switch freezes every host on what it runs: nothing new is loaded.
        if (answer.KillSwitchEngaged)
            return;
        foreach (var target in answer.Targets)
        {
            if (_pendingReboot)
                return;
            await ApplyTargetAsync(target, ct);
        }
    }

    private async Task ApplyTargetAsync(ChannelTarget target, CancellationToken ct)
    {
        var doc = _state.Channels.GetValueOrDefault(target.Channel) ?? new ChannelDocument { Machine = AgentState.Initial(0) };
        var machine = doc.Machine;
        if (target.Version == machine.Active || machine.IsQuarantined(target.Version) || IsKnownBad(target.Sha256))
            return;
        if (machine.Active != 0 && target.Version < machine.Active)
        {
            // The control plane went back to older content: the state machine leaves the active content for
            // last-known-good and quarantines it.
            var rollback = AgentMachine.Rollback(machine, machine.Active, target.Version, _machineOptions);
            Report(target.Channel, doc, rollback);
            SetChannel(target.Channel, Prune(doc with { Machine = rollback.State, BreadcrumbInstance = null }));
            Save();
            if (rollback.Has(AgentEffects.LoadContent))
                LoadActive(target.Channel, fromBoot: false);
            if (!rollback.Has(AgentEffects.RequestFetch))
                return;
            doc = _state.Channels[target.Channel];
        }
        var content = new ContentRef(target.Channel, target.Version, target.Sha256.ToLowerInvariant(), target.TargetName);
        // Forged, stale, rolled back or known bad: refused, and we keep what we run.
        var bytes = await FetchVerifiedAsync(content, ct);
        if (bytes is null)
            return;
        if (IsKnownBad(content.Sha256))
        {
            Refuse(content, "on the signed known-bad list");
            return;
        }
        if (!TryCompile(content, bytes, out var compiled, out var why))
        {
            Refuse(content, why);
            return;
        }
        _store.SaveContent(content.Sha256, bytes);
        var step = AgentMachine.Offer(doc.Machine, content.Version, _time.GetUtcNow(), _machineOptions);
        if (step.Has(AgentEffects.RefusedQuarantined))
        {
            Refuse(content, "quarantined on this host");
            return;
        }
        var contents = doc.Contents.Where(c => c.Version != content.Version).Append(content).ToList();
        SetChannel(content.Channel, Prune(doc with { Machine = step.State, Contents = contents, BreadcrumbInstance = null }));
        Save();
        if (step.Has(AgentEffects.LoadContent))
            Load(content.Channel, content, compiled!, fromBoot: false);
    }

    /// <summary>
    /// The target's bytes, verified by the Updates component (TUF metadata, known-bad list, length and hashes), or null
    /// with the refusal recorded. A repository that does not answer is the server being down: retried later.
    /// </summary>
    private async Task<byte[]?> FetchVerifiedAsync(ContentRef content, CancellationToken ct)
    {
        // Content we already hold (a return to last-known-good) is not downloaded again; its hash was checked when stored.
        if (_store.LoadContent(content.Sha256) is { } local)
            return local;
        var result = await _verifier!.VerifyAsync(content.TargetName, ct);
        if (result.Failure == TrustFailure.RepositoryUnavailable)
            throw new AgentApiException($"repository unavailable: {result.Reason}", null, null);
        if (result.Content is not { } verified)
        {
            Refuse(content, $"verification failed ({result.Failure}): {result.Reason}");
            return null;
        }
        if (verified.Sha256 != content.Sha256)
        {
            Refuse(content, $"the signed target {content.TargetName} has SHA-256 {verified.Sha256}, the check-in named {content.Sha256}");
            return null;
        }
        return verified.Bytes;
    }

    /// <summary>
    /// Fetches again, through TUF, the active content of every channel whose stored blob was missing or corrupt,
    /// and loads it when the signed target still has the hash the agent recorded. A repository that does not answer
    /// is the server being down: retried at the next cycle. Nothing here quarantines: only crashes do.
    /// </summary>
    private async Task RefetchBlobsAsync(CancellationToken ct)
    {
        foreach (var (channel, blob) in _refetch.ToList())
        {
            if (_pendingReboot || _verifier is null)
                return;
            if (_state.Channels.GetValueOrDefault(channel) is not { } doc || doc.Find(doc.Machine.Active) is not { } active || _loaded.ContainsKey(channel))
            {
                _refetch.Remove(channel);
                continue;
            }
            var result = await _verifier.VerifyAsync(active.TargetName, ct);
            if (result.Failure == TrustFailure.RepositoryUnavailable)
                throw new AgentApiException($"repository unavailable: {result.Reason}", null, null);
            if (result.Content is not { } verified)
            {
                Refuse(active, $"fetching the stored blob again failed ({result.Failure}): {result.Reason}");
                continue;
            }
            if (!string.Equals(verified.Sha256, active.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                Refuse(active, $"fetching the stored blob again: the signed target {active.TargetName} now has SHA-256 {verified.Sha256}, the agent runs {active.Sha256}");
                continue;
            }
            if (!TryCompile(active, verified.Bytes, out var compiled, out var why))
            {
                Refuse(active, why);
                continue;
            }
            _store.SaveContent(active.Sha256, verified.Bytes);
            _refetch.Remove(channel);
            Load(channel, active, compiled!, fromBoot: false, detail: blob == BlobState.Corrupt
                ? "CorruptBlobRefetched: the stored blob did not match its SHA-256; fetched again and verified through TUF"
                : "MissingBlobRefetched: the stored blob was missing; fetched again and verified through TUF");
        }
    }

    private async Task RefreshKnownBadAsync(long version, CancellationToken ct)
    {
        if (await _verifier!.RefreshKnownBadListAsync(ct) is { } refused)
        {
            if (refused.Failure == TrustFailure.RepositoryUnavailable)
                throw new AgentApiException($"repository unavailable: {refused.Reason}", null, null);
            _lastError = $"known-bad list refresh refused ({refused.Failure}): {refused.Reason}";
            return;
        }
        _state = _state with { KnownBadVersion = version };
        // Content we run that the control plane has since declared bad goes, through the state machine, at once.
        foreach (var (channel, doc) in _state.Channels.ToList())
        {
            if (doc.Find(doc.Machine.Active) is { } active && IsKnownBad(active.Sha256))
            {
                var step = AgentMachine.Rollback(doc.Machine, active.Version, doc.Machine.LastKnownGood == active.Version ? 0 : doc.Machine.LastKnownGood, _machineOptions);
                Report(channel, doc, step);
                SetChannel(channel, Prune(doc with { Machine = step.State, BreadcrumbInstance = null }));
                Save();
                LoadActive(channel, fromBoot: false);
            }
        }
    }

    private bool TryCompile(ContentRef content, byte[] bytes, out CompiledChannel? compiled, out string why)
    {
        compiled = null;
        why = "";
        if (_build is null)
        {
            why = $"agent build {_state.Configuration.AgentBuild} is not in this agent's build catalog";
            return false;
        }
        try
        {
            // Agents load the compact binary form; a repository may also serve the JSON authoring form.
            var file = bytes.AsSpan().StartsWith(ChannelFileBinary.Magic)
                ? ChannelFileBinary.Read(bytes)
                : ContentJson.ReadChannelFile(System.Text.Encoding.UTF8.GetString(bytes)).GetValueOrThrow();
            if (!_build.TemplateTypes.TryGetValue(file.TemplateTypeId, out var type))
            {
                why = $"build {_build.Build.BuildId} does not compile template type {file.TemplateTypeId}";
                return false;
            }
            compiled = _setup.CompiledChannels is { } cache
                ? cache.GetOrCompile(bytes, type, () => file)
                : CompiledChannel.Compile(file, type);
            return true;
        }
        catch (Exception ex) when (ex is ContentFormatException or ContentCompileException)
        {
            why = $"content {content.TargetName} does not load: {ex.Message}";
            return false;
        }
    }

    /// <summary>Loads the channel's active content (after boot, rollback or revert), from the blob kept on disk.</summary>
    private void LoadActive(string channel, bool fromBoot)
    {
        var doc = _state.Channels[channel];
        _loaded.Remove(channel);
        if (doc.Find(doc.Machine.Active) is not { } active)
            return;
        var blob = _store.ReadContent(active.Sha256, out var bytes);
        if (blob != BlobState.Intact)
        {
            // The blob vanished or rotted on disk: that says nothing about the content, so it is not quarantined. The
            // channel runs nothing until the signed target is fetched again and verified through TUF (next contact).
            _refetch[channel] = blob;
            _lastError = $"{channel} v{active.Version}: stored blob {active.Sha256} is {(blob == BlobState.Corrupt ? "corrupt (its SHA-256 does not match)" : "missing")}; fetching it again";
            LogBlobUnusable(_log, _state.Hostname, channel, active.Version, blob.ToString());
            return;
        }
        if (!TryCompile(active, bytes!, out var compiled, out _))
        {
            // Verified bytes this build cannot load: the content cannot run here; go back to last-known-good.
            var step = AgentMachine.Rollback(doc.Machine, active.Version, 0, _machineOptions);
            Report(channel, doc, step);
            SetChannel(channel, Prune(doc with { Machine = step.State }));
            Save();
            if (step.State.Active != 0 && step.State.Active != active.Version)
                LoadActive(channel, fromBoot);
            return;
        }
        Load(channel, active, compiled!, fromBoot);
    }

    /// <summary>
    /// Loads content into the interpreter. The first evaluation of content under evaluation happens inside the
    /// breadcrumb: the "in interpreter" flag is on disk while it runs, so a crash there is attributed to the content
    /// at the next boot. (Later evaluations are not bracketed: one disk write per event would cost more than it tells.)
    /// </summary>
    private void Load(string channel, ContentRef content, CompiledChannel compiled, bool fromBoot, string? detail = null)
    {
        var doc = _state.Channels[channel];
        var underEvaluation = doc.Machine.IsEvaluating;
        if (underEvaluation)
        {
            // Which instance a real crash here would hit is not known in advance: the breadcrumb names none until one is known.
            SetChannel(channel, doc with { Machine = AgentMachine.EnterInterpreter(doc.Machine), BreadcrumbInstance = null });
            Save();
        }
        if (_setup.SimulatedCrashes?.CrashInInterpreter(_setup.Profile, content, compiled.File) is { } crashIndex)
        {
            // A simulated fault: the host goes down right here, inside the interpreter, on that instance. Nothing after
            // this runs until the "reboot" at the next cycle (after RebootTime), whose Boot finds the flags on disk.
            CrashInInterpreter(channel, compiled, crashIndex);
            return;
        }
        var evaluator = compiled.CreateEvaluator();
        _loaded[channel] = new LoadedChannel(content, compiled, evaluator);
        if (underEvaluation)
        {
            if (!EvaluateChannel(_loaded[channel], 1))
                return;
            SetChannel(channel, _state.Channels[channel] with { Machine = AgentMachine.LeaveInterpreter(_state.Channels[channel].Machine) });
            Save();
        }
        if (!fromBoot || detail is not null)
            _outbox.Add(new TelemetryEvent(TelemetryKind.Loaded, _time.GetUtcNow(), content.Channel, content.Version, content.Sha256, Detail: detail));
    }

    /// <summary>
    /// The host goes down inside the interpreter while it evaluates instance <paramref name="instanceIndex"/> of the
    /// channel: the flag and the instance are on disk first, as a crash handler would leave them, for the next boot.
    /// </summary>
    private void CrashInInterpreter(string channel, CompiledChannel compiled, int instanceIndex)
    {
        var doc = _state.Channels[channel];
        var instances = compiled.File.Instances;
        var instance = instanceIndex >= 0 && instanceIndex < instances.Count ? instances[instanceIndex].Id : null;
        SetChannel(channel, doc with { Machine = AgentMachine.EnterInterpreter(doc.Machine), BreadcrumbInstance = instance });
        Save();
        GoDown(channel);
    }

    /// <summary>The host stops here, as a crashed host would: nothing runs until the reboot at the next cycle.</summary>
    private void GoDown(string? channel)
    {
        _pendingReboot = true;
        _loaded.Clear();
        Save();
        Publish();
        LogWentDown(_log, _state.Hostname, channel ?? "(outside the interpreter)");
    }

    private void Tick()
    {
        var now = _time.GetUtcNow();
        foreach (var (channel, doc) in _state.Channels.ToList())
        {
            var step = AgentMachine.Tick(doc.Machine, now, _machineOptions);
            if (step.Has(AgentEffects.PromotedLastKnownGood))
            {
                SetChannel(channel, Prune(doc with { Machine = step.State, BreadcrumbInstance = null }));
                Save();
            }
        }
    }

    private void EvaluateEvents()
    {
        foreach (var loaded in _loaded.Values.ToList())
        {
            if (!EvaluateChannel(loaded, _options.EventsPerCycle))
                return;
        }
    }

    /// <summary>
    /// Evaluates synthetic events. The interpreter lets no exception escape by design, so one that does is the
    /// interpreter crashing: the host goes down with the breadcrumb naming the instance it was evaluating. False then.
    /// </summary>
    private bool EvaluateChannel(LoadedChannel loaded, int events)
    {
        if (_build is null || events == 0)
            return true;
        Span<int> matches = stackalloc int[64];
        var supplied = _build.Build.SuppliedValues(loaded.Compiled.Type.Id) ?? 0;
        var faultsBefore = loaded.Evaluator.DisabledCount;
        try
        {
            for (var i = 0; i < events; i++)
            {
                var values = _events.Next(loaded.Compiled.Type, supplied);
                _matches += loaded.Evaluator.Evaluate(values, matches);
                _eventsEvaluated++;
            }
        }
#pragma warning disable CA1031 // whatever escapes the interpreter is a crash of it, and is recorded as one
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _lastError = $"the interpreter crashed evaluating {loaded.Content.Channel} v{loaded.Content.Version}: {ex.GetType().Name}: {ex.Message}";
            CrashInInterpreter(loaded.Content.Channel, loaded.Compiled, loaded.Evaluator.CurrentInstance);
            return false;
        }
        _evaluationFaults += loaded.Evaluator.DisabledCount - faultsBefore;
        return true;
    }

    private TelemetryEvent Heartbeat()
    {
        var first = _loaded.Values.FirstOrDefault();
        return new TelemetryEvent(TelemetryKind.Heartbeat, _time.GetUtcNow(), first?.Content.Channel, first?.Content.Version, first?.Content.Sha256,
            Detail: _outbox.Dropped > 0 ? $"{_outbox.Dropped} telemetry events dropped while the server was unreachable" : null);
    }

    private async Task FlushTelemetryAsync(CancellationToken ct)
    {
        _cycles++;
        var urgent = _outbox.InFlight is not null || _outbox.QueuedEvents.Any(e => e.Kind != TelemetryKind.Heartbeat);
        if (!urgent && _cycles % _options.HeartbeatFlushCycles != 0)
            return;
        // A few batches per cycle at most, so a long outage's backlog drains without starving check-ins.
        for (var i = 0; i < 4; i++)
        {
            var batch = _outbox.Next(_state.HostId!, _options.TelemetryBatchSize);
            if (batch is null)
                return;
            // Persist the batch with its key before sending: a retry after a crash reuses the key and is not counted twice.
            Save();
            TelemetryAck ack;
            try
            {
                ack = await _client.SendTelemetryAsync(_state.Credential!, new TelemetryBatch(_state.HostId!, batch.IdempotencyKey, batch.Events, batch.Sequence == 0 ? null : batch.Sequence), ct);
            }
            catch (AgentApiException ex) when (ex.Status == System.Net.HttpStatusCode.Conflict && ex.HighestSequence is { } highest)
            {
                // The server holds other content under this key: this state was restored from an older copy. Jump past
                // the server's high-water mark and send the same events again under a fresh key.
                _outbox.Rebase(_state.HostId!, highest);
                Save();
                LogTelemetryRebased(_log, _state.Hostname, highest, _outbox.Sequence);
                continue;
            }
            _outbox.Acknowledge();
            if (!ack.Duplicate)
                _acknowledged += batch.Events.Count;
        }
    }

    /// <summary>Turns a transition's report effects into telemetry events.</summary>
    private void Report(string channel, ChannelDocument before, AgentStep step)
    {
        var now = _time.GetUtcNow();
        var subject = before.Find(step.Subject);
        // The crash itself is reported once per crash, by ReportCrashFoundAtBoot; here only what it led to.
        if (step.Has(AgentEffects.ReportRevert))
        {
            _reverts++;
            var to = step.State.Active;
            _outbox.Add(new TelemetryEvent(TelemetryKind.Revert, now, channel, step.Subject, subject?.Sha256, Detail: $"{step.Reason}: reverted to v{to}"));
            LogReverted(_log, _state.Hostname, channel, step.Subject, to, step.Reason.ToString());
        }
        if (step.Subject != 0 && step.State.IsQuarantined(step.Subject) && !before.Machine.IsQuarantined(step.Subject))
        {
            _quarantines++;
            _outbox.Add(new TelemetryEvent(TelemetryKind.Quarantine, now, channel, step.Subject, subject?.Sha256, Detail: step.Reason.ToString()));
        }
    }

    private void Refuse(ContentRef content, string why)
    {
        _refusals++;
        _lastError = why;
        LogRefused(_log, _state.Hostname, content.Channel, content.Version, why);
    }

    private void SetChannel(string channel, ChannelDocument doc) =>
        _state = _state with { Channels = new Dictionary<string, ChannelDocument>(_state.Channels, StringComparer.Ordinal) { [channel] = doc } };

    /// <summary>Keeps only the content the state machine still refers to.</summary>
    private static ChannelDocument Prune(ChannelDocument doc)
    {
        var m = doc.Machine;
        long[] referenced = [m.Active, m.Staged, m.LastKnownGood, m.Quarantine0, m.Quarantine1];
        return doc with { Contents = doc.Contents.Where(c => referenced.Contains(c.Version)).ToList() };
    }

    private bool IsKnownBad(string sha256) => _verifier?.IsKnownBad(sha256) == true;

    private List<string> QuarantinedHashes() =>
        _state.Channels.Values
            .SelectMany(d => new[] { d.Find(d.Machine.Quarantine0), d.Find(d.Machine.Quarantine1) })
            .Where(c => c is not null)
            .Select(c => c!.Sha256)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static long? NullIfZero(long v) => v == 0 ? null : v;

    private TimeSpan NextInterval()
    {
        var interval = _lastAnswer is { NextCheckInSeconds: > 0 } a ? TimeSpan.FromSeconds(a.NextCheckInSeconds) : _options.CheckInInterval;
        var factor = 1 + ((_random.NextDouble() * 2) - 1) * _options.CheckInJitter;
        return interval * factor;
    }

    private void Save()
    {
        _state = _state with
        {
            TelemetrySequence = _outbox.Sequence,
            TelemetryInFlight = _outbox.InFlight,
            TelemetryQueued = _outbox.QueuedEvents.ToList(),
        };
        _store.Save(_state);
    }

    private void Publish()
    {
        lock (_statusGate)
            _status = BuildStatus();
    }

    private AgentStatus BuildStatus() => new(
        _state.Hostname,
        _state.Configuration,
        _state.HostId,
        _state.Channels
            .Select(kv => (kv.Key, Active: kv.Value.Find(kv.Value.Machine.Active)))
            .Where(x => x.Active is not null)
            .ToDictionary(x => x.Key, x => x.Active!, StringComparer.Ordinal),
        QuarantinedHashes(),
        _serverReachable, _pendingReboot, _checkIns, _checkInFailures, _eventsEvaluated, _matches, _evaluationFaults, _crashes, _reverts, _quarantines, _refusals,
        _acknowledged, _lastError);

    private sealed record LoadedChannel(ContentRef Content, CompiledChannel Compiled, ChannelEvaluator Evaluator);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{Hostname} enrolled as {HostId}")]
    private static partial void LogEnrolled(ILogger logger, string hostname, string hostId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "{Hostname}: server unreachable, keeping current content: {Reason}")]
    private static partial void LogServerUnavailable(ILogger logger, string hostname, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "{Hostname}: the server holds telemetry up to sequence {Highest} that this state never sent (restored from a backup?); resending from {Next}")]
    private static partial void LogTelemetryRebased(ILogger logger, string hostname, long highest, long next);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Hostname}: found at boot: {Detail}")]
    private static partial void LogCrashed(ILogger logger, string hostname, string detail);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "{Hostname}: went down in {Channel}")]
    private static partial void LogWentDown(ILogger logger, string hostname, string channel);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{Hostname}: stored blob of {Channel} v{Version} is {State}; it will be fetched again")]
    private static partial void LogBlobUnusable(ILogger logger, string hostname, string channel, long version, string state);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "{Hostname}: reverted {Channel} v{From} to v{To}: {Reason}")]
    private static partial void LogReverted(ILogger logger, string hostname, string channel, long from, long? to, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "{Hostname}: refused {Channel} v{Version}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string hostname, string channel, long version, string reason);
}
