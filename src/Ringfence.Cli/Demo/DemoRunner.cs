using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.Swarm;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Ringfence.Cli.Demo;

/// <summary>Settings of `ringfence demo`, with their ranges.</summary>
internal sealed record DemoSettings
{
    /// <summary>Simulated agents. Range 20 .. 20,000.</summary>
    public int Hosts { get; init; } = 3000;

    /// <summary>Compressed seconds per real second. Range 1 .. 3,600.</summary>
    public double Speed { get; init; } = 120;

    public int Seed { get; init; } = 7;

    /// <summary>Agents' check-in interval, in compressed seconds; null = sized to the fleet (see <see cref="EffectiveCheckInSeconds"/>).</summary>
    public int? CheckInSeconds { get; init; }

    /// <summary>Check-ins per real second the demo aims at: server and agents share this machine's cores.</summary>
    public const double TargetCheckInsPerSecond = 500;

    /// <summary>At least a minute, and long enough that the whole fleet checks in at about <see cref="TargetCheckInsPerSecond"/>.</summary>
    public int EffectiveCheckInSeconds => CheckInSeconds ?? (int)Math.Max(60, Math.Ceiling(Hosts / TargetCheckInsPerSecond * Speed));

    /// <summary>Bake time of each ring, in compressed minutes.</summary>
    public int BakeMinutes { get; init; } = 10;

    /// <summary>OS build whose hosts crash on the faulty content (Windows 11 23H2 in the demo's fleet).</summary>
    public string FaultyOsBuild { get; init; } = "22631";

    /// <summary>Give up on a stage after this much real time.</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromSeconds(75);

    public bool KeepServing { get; init; }

    /// <summary>Where the server and agents keep their state; null = a scratch directory (see <see cref="DemoRunner.ScratchRoot"/>) removed at the end.</summary>
    public string? DataDirectory { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Hosts is < 20 or > 20_000)
            errors.Add($"--hosts {Hosts}: must be between 20 and 20000");
        if (!(Speed is >= 1 and <= 3600))
            errors.Add($"--speed {Speed.ToString(CultureInfo.InvariantCulture)}: must be between 1 and 3600");
        return errors;
    }
}

/// <summary>What happened, for the summary table, the --json file and the tests.</summary>
internal sealed record DemoOutcome
{
    public int Hosts { get; init; }
    public string? FaultyRolloutId { get; init; }
    public string? GoodChannel { get; init; }
    public long GoodVersion { get; init; }
    public string? GoodStatus { get; init; }
    public int HostsOnGoodContent { get; init; }
    public bool Refused291 { get; init; }
    public IReadOnlyList<ValidationFinding> Findings291 { get; init; } = [];
    public long FaultyVersion { get; init; }
    public string? FaultyStatus { get; init; }
    public int? FaultyHaltedInRing { get; init; }
    public string? FaultyHaltedInRingName { get; init; }
    public string? HaltReason { get; init; }
    public double? MinutesReleaseToHalt { get; init; }
    public long HostsExposedToFaulty { get; init; }
    public int HostsOnFaultyOsBuild { get; init; }
    public long Crashes { get; init; }
    public int HostsThatReverted { get; init; }
    public int HostsLeftOnFaultyContent { get; init; }
    public double RealSeconds { get; init; }
    public string? ServerUrl { get; init; }
}

/// <summary>
/// `ringfence demo`: a control plane and a few thousand agents on one machine, over real loopback HTTP, on a
/// compressed clock; a good release rolls out ring by ring; the Channel File 291 reconstruction is refused at publish
/// time by the fleet-aware validator; content with a fault no validator can see is halted by the health gate in an
/// early ring while the hosts it crashed revert by themselves.
/// </summary>
internal sealed class DemoRunner(DemoSettings settings, IAnsiConsole console, TimeProvider realTime)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    public async Task<DemoOutcome> RunAsync(CancellationToken ct)
    {
        var started = realTime.GetTimestamp();
        var outcome = new DemoOutcome { Hosts = settings.Hosts };
        var tempRoot = settings.DataDirectory is null;
        var root = settings.DataDirectory ?? Path.Combine(ScratchRoot(), "ringfence-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(root);
        var clock = new CompressedTimeProvider(realTime.GetUtcNow(), settings.Speed, realTime);
        var adminKey = "rfk_demo_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var enrollToken = "rfe_demo_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        try
        {
            Say($"[bold]Ringfence demo[/]: one control plane and {settings.Hosts} agents on this machine, over loopback HTTP.");
            Say($"The clock runs {settings.Speed.ToString(CultureInfo.InvariantCulture)}× faster than real time: one real second is {Human(TimeSpan.FromSeconds(settings.Speed))} for the server and the agents.");

            // 1. The server, in-process, on a free loopback port, SQLite in the demo directory.
            await using var server = await RingfenceServer.StartAsync(new RingfenceServerOptions
            {
                DataDirectory = Path.Combine(root, "server"),
                Urls = "http://127.0.0.1:0",
                BootstrapAdminKey = adminKey,
                BootstrapEnrollmentToken = enrollToken,
                CheckInIntervalSeconds = settings.EffectiveCheckInSeconds,
                // Periods are on the compressed clock: keep them near a quarter of a real second.
                ControllerPeriod = TimeSpan.FromSeconds(Math.Clamp(settings.Speed / 4, 0.1, 600)),
                LeaseDuration = TimeSpan.FromSeconds(Math.Clamp(settings.Speed * 5, 1, 3600)),
                SnapshotRefreshPeriod = TimeSpan.FromSeconds(Math.Clamp(settings.Speed / 4, 0.1, 600)),
                AgentRequestsPerSecond = 1000,
                OperatorRequestsPerSecond = 1000,
            }, clock, builder => builder.Logging.ClearProviders(), ct);
            outcome = outcome with { ServerUrl = server.BaseAddress.ToString() };
            Say($"[green]✓[/] server listening on {server.BaseAddress} (SQLite in {Markup.Escape(root)})");
            Say($"  dashboard: [link]{server.BaseAddress}[/] (sign in with operator key {adminKey}; add --keep-serving to look around after the demo)");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var operatorApi = new OperatorClient(http, server.BaseAddress, adminKey);

            // 2. The fleet: simulated agents, each with its own state directory, over real HTTP.
            var faults = new FaultHook();
            using var swarm = AgentSwarm.Create(new AgentSwarmSetup
            {
                Options = new AgentRuntimeOptions
                {
                    Server = server.BaseAddress,
                    EnrollmentToken = enrollToken,
                    CheckInInterval = TimeSpan.FromSeconds(settings.EffectiveCheckInSeconds),
                    HealthWindow = TimeSpan.FromMinutes(settings.BakeMinutes),
                    RebootTime = TimeSpan.FromSeconds(90),
                    BackoffBase = TimeSpan.FromSeconds(10),
                    EventsPerCycle = 8,
                    HeartbeatFlushCycles = 3,
                    Seed = settings.Seed,
                    DurableWrites = false,
                },
                DataDirectory = Path.Combine(root, "agents"),
                Count = settings.Hosts,
                Catalog = ExampleFiles.Catalog(),
                Time = clock,
                Faults = faults,
                MaxConnections = 32,
            });
            using var stopAgents = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var agents = swarm.RunAsync(stopAgents.Token);
            var onFaultyBuild = swarm.Agents.Count(a => a.Status.Configuration.OsBuild == settings.FaultyOsBuild);
            outcome = outcome with { HostsOnFaultyOsBuild = onFaultyBuild };
            Say($"  starting {settings.Hosts} agents ({DescribeMix(swarm)})");
            await WaitUntilAsync(() => swarm.Summarize().Enrolled == settings.Hosts, "every agent enrolled and checked in", ct);
            await WaitUntilAsync(async () => (await operatorApi.GetFleetAsync(ct)).Hosts >= settings.Hosts, "the server knows the whole fleet", ct);
            var fleet = await operatorApi.GetFleetAsync(ct);
            Say($"[green]✓[/] {fleet.Hosts} hosts enrolled; the server learned {fleet.Configurations.Count} configurations (agent build × OS build) from their check-ins");

            // 3. A good channel file rolls out ring by ring.
            Say("");
            Say("[bold]1. A good release[/]: publish, then roll out ring by ring, each ring baking and passing its health gate.");
            var goodJson = ExampleFiles.Read(ExampleFiles.GoodChannel);
            ChannelFileDto good;
            try
            {
                good = await operatorApi.PublishAsync(goodJson, ct);
            }
            catch (PublishRejectedException ex)
            {
                throw new CliException($"demo: the server refused the good example channel file: {ex.Message}");
            }
            Say($"[green]✓[/] published {good.Channel} v{good.Version} ({good.Length} bytes, validated for {good.ValidatedBuilds.Count} agent builds)");
            var goodRollout = await RollOutAsync(operatorApi, swarm, good, "good release", ct);
            if (goodRollout.Status == RolloutStatus.Completed)
                await WaitUntilAsync(() => HostsOn(swarm, good.Channel, good.Version) == settings.Hosts, $"every host runs {good.Channel} v{good.Version}", ct, required: false);
            outcome = outcome with
            {
                GoodChannel = good.Channel,
                GoodVersion = good.Version,
                GoodStatus = goodRollout.Status.ToString(),
                HostsOnGoodContent = HostsOn(swarm, good.Channel, good.Version),
            };

            // 4. The Channel File 291 reconstruction: refused at publish time.
            Say("");
            Say("[bold]2. The Channel File 291 reconstruction[/]: a non-wildcard criterion on IPC field 21, which sensors 7.11 to 7.13 never supply.");
            try
            {
                var accepted = await operatorApi.PublishAsync(ExampleFiles.Read(ExampleFiles.Channel291), ct);
                Say($"[red]✗ the server accepted {accepted.Channel} v{accepted.Version}: the fleet-aware validator is not wired into this server build[/]");
            }
            catch (PublishRejectedException ex)
            {
                outcome = outcome with { Refused291 = true, Findings291 = ex.Findings };
                Say("[green]✓[/] refused at publish time, before any host could receive it:");
                foreach (var f in ex.Findings.Where(f => f.Severity == "error"))
                {
                    Say($"    {Markup.Escape(f.Code)} at {Markup.Escape(f.Location ?? "?")}: {Markup.Escape(f.Message)}");
                    if (f.AffectedBuilds is { Count: > 0 } builds)
                        Say($"    builds that would fail: {Markup.Escape(string.Join(", ", builds.Select(b => $"{b.AgentBuild} ({b.Hosts} hosts)")))}");
                }
            }

            // 5. Content with a fault no validator can see.
            Say("");
            Say($"[bold]3. A fault no validator can see[/]: the next release crashes hosts on OS build {settings.FaultyOsBuild} when they load it.");
            if (goodRollout.Status != RolloutStatus.Completed)
            {
                // One rollout per channel at a time: the server refuses a second one while the first is active.
                Say($"[yellow]  skipped: the good release did not complete ({goodRollout.Status}), so the channel is still busy[/]");
            }
            else
            {
                var faultyJson = FaultyVariant(goodJson, good.Version + 1, settings.FaultyOsBuild);
                ChannelFileDto faulty;
                try
                {
                    faulty = await operatorApi.PublishAsync(faultyJson, ct);
                }
                catch (PublishRejectedException ex)
                {
                    throw new CliException($"demo: the server refused the faulty release, which should pass validation: {ex.Message}");
                }
                faults.Arm(new DemoFault(settings.FaultyOsBuild, faulty.Sha256));
                Say($"[green]✓[/] published {faulty.Channel} v{faulty.Version}: it passes every validator check ({faulty.Findings.Count(f => f.Severity == "error")} errors)");
                var releasedAt = clock.GetUtcNow();
                var faultyRollout = await RollOutAsync(operatorApi, swarm, faulty, "faulty release", ct);
                var haltedAt = clock.GetUtcNow();
                var haltedRing = faultyRollout.Status is RolloutStatus.Halted or RolloutStatus.RolledBack ? faultyRollout.CurrentRing : (int?)null;
                await WaitUntilAsync(() => HostsOn(swarm, faulty.Channel, faulty.Version) == 0, $"no host runs {faulty.Channel} v{faulty.Version} any more", ct, required: false);
                var summary = swarm.Summarize();
                outcome = outcome with
                {
                    FaultyVersion = faulty.Version,
                    FaultyRolloutId = faultyRollout.Id,
                    FaultyStatus = faultyRollout.Status.ToString(),
                    FaultyHaltedInRing = haltedRing,
                    FaultyHaltedInRingName = haltedRing is { } r && r < faultyRollout.Rings.Count ? faultyRollout.Rings[r].Name : null,
                    HaltReason = faultyRollout.StatusReason,
                    MinutesReleaseToHalt = haltedRing is null ? null : Math.Round((haltedAt - releasedAt).TotalMinutes, 1),
                    HostsExposedToFaulty = faultyRollout.Rings.Sum(x => x.ExposedHosts),
                    Crashes = summary.Crashes,
                    HostsThatReverted = swarm.Agents.Count(a => a.Status.Reverts > 0),
                    HostsLeftOnFaultyContent = HostsOn(swarm, faulty.Channel, faulty.Version),
                };
                Say($"[green]✓[/] {outcome.HostsThatReverted} hosts reverted to last-known-good by themselves; {outcome.HostsLeftOnFaultyContent} hosts still run v{faulty.Version}");
            }

            outcome = outcome with { RealSeconds = Math.Round(realTime.GetElapsedTime(started).TotalSeconds, 1) };
            PrintSummary(outcome);

            if (settings.KeepServing)
            {
                Say("");
                Say($"Still serving at {server.BaseAddress} (operator key: {adminKey}, enrollment token: {enrollToken}); press Ctrl+C to stop.");
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: stop below.
                }
            }
            await stopAgents.CancelAsync();
            await agents;
            return outcome;
        }
        finally
        {
            if (tempRoot && !settings.KeepServing)
                TryDelete(root);
        }
    }

    /// <summary>Creates a rollout with the demo's rings, approves it when asked, and follows it to the end, printing each change.</summary>
    private async Task<RolloutDto> RollOutAsync(OperatorClient api, AgentSwarm swarm, ChannelFileDto file, string what, CancellationToken ct)
    {
        var bake = settings.BakeMinutes;
        RingSpec[] rings = [new("canary", 5, bake), new("early", 20, bake), new("wave", 50, bake), new("general", 100, 0)];
        var rollout = await api.CreateRolloutAsync(new CreateRolloutRequest(file.Channel, file.Version, Rings: rings, Reason: "ringfence demo: " + what), ct);
        if (rollout.Status == RolloutStatus.PendingApproval)
            rollout = await api.ApproveAsync(rollout.Id, "ringfence demo", ct);
        Say($"  rollout {rollout.Id}: {string.Join(" → ", rings.Select(r => $"{r.Name} {r.Percent}%"))}, baking {bake} min per ring");
        var deadline = realTime.GetTimestamp();
        var lastLine = "";
        var lastPhase = "";
        var lastSaid = realTime.GetTimestamp();
        var refusalShown = false;
        while (true)
        {
            rollout = await api.GetRolloutAsync(rollout.Id, ct);
            var ring = rollout.CurrentRing < rollout.Rings.Count ? rollout.Rings[rollout.CurrentRing] : null;
            var line = rollout.Status switch
            {
                RolloutStatus.Progressing when ring is not null => $"  ring {rollout.CurrentRing + 1} {ring.Name} ({ring.Percent}%): {ring.ExposedHosts}/{ring.TargetHosts} hosts exposed, gate {ring.Gate}",
                _ => $"  {rollout.Status}{(rollout.StatusReason is null ? "" : ": " + rollout.StatusReason)}",
            };
            // One line per ring change or gate verdict change, and otherwise at most one every two seconds.
            var phase = $"{rollout.Status}/{rollout.CurrentRing}/{ring?.Gate}";
            if (line != lastLine && (phase != lastPhase || realTime.GetElapsedTime(lastSaid) >= TimeSpan.FromSeconds(2)))
            {
                Say(Markup.Escape(line));
                lastLine = line;
                lastPhase = phase;
                lastSaid = realTime.GetTimestamp();
            }
            if (rollout.Status is RolloutStatus.Completed or RolloutStatus.Halted or RolloutStatus.RolledBack)
                return rollout;
            if (!refusalShown && realTime.GetElapsedTime(deadline) > TimeSpan.FromSeconds(10) && HostsOn(swarm, file.Channel, file.Version) == 0
                && swarm.Agents.Select(a => a.Status).FirstOrDefault(s => s.Refusals > 0) is { } refusing)
            {
                // Agents verify everything before loading it; say so when they refuse, instead of waiting in silence.
                Say($"[yellow]  agents refuse {Markup.Escape(file.Channel)} v{file.Version}: {Markup.Escape(refusing.LastError ?? "?")}[/]");
                refusalShown = true;
            }
            if (realTime.GetElapsedTime(deadline) > settings.StageTimeout)
            {
                Say($"[yellow]  giving up on waiting: the rollout is still {rollout.Status} after {settings.StageTimeout.TotalSeconds} s[/]");
                return rollout;
            }
            await Task.Delay(Poll, realTime, ct);
        }
    }

    /// <summary>The good file, one version later, with a note; its bytes differ, so its hash is the fault's mark.</summary>
    internal static string FaultyVariant(string goodJson, long version, string osBuild)
    {
        var node = JsonNode.Parse(goodJson)!.AsObject();
        node["version"] = version;
        node["description"] = $"Demo release v{version}: valid content that crashes hosts on OS build {osBuild} when they load it (a fault no validator can see).";
        return node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    private static int HostsOn(AgentSwarm swarm, string channel, long version) =>
        swarm.Agents.Count(a => a.Status.Active.TryGetValue(channel, out var c) && c.Version == version);

    private static string DescribeMix(AgentSwarm swarm) =>
        string.Join(", ", swarm.Agents.GroupBy(a => a.Status.Configuration.Os).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));

    private async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken ct, bool required = true) =>
        await WaitUntilAsync(() => Task.FromResult(condition()), what, ct, required);

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct, bool required = true)
    {
        var start = realTime.GetTimestamp();
        while (!await condition())
        {
            if (realTime.GetElapsedTime(start) > settings.StageTimeout)
            {
                if (required)
                    throw new CliException($"demo: timed out after {settings.StageTimeout.TotalSeconds} s waiting until {what}");
                Say($"[yellow]  still not true after {settings.StageTimeout.TotalSeconds} s: {Markup.Escape(what)}[/]");
                return;
            }
            await Task.Delay(Poll, realTime, ct);
        }
    }

    private void PrintSummary(DemoOutcome o)
    {
        Say("");
        var table = new Table().Title("Ringfence demo: summary").AddColumn("Step").AddColumn("Outcome");
        table.AddRow("Fleet", Markup.Escape($"{o.Hosts} agents over loopback HTTP ({o.HostsOnFaultyOsBuild} on OS build {settings.FaultyOsBuild})"));
        table.AddRow("1. Good release", Markup.Escape($"{o.GoodChannel} v{o.GoodVersion}: rollout {o.GoodStatus}; {o.HostsOnGoodContent}/{o.Hosts} hosts run it"));
        var findings = o.Findings291.Where(f => f.Severity == "error").ToList();
        table.AddRow("2. Channel File 291", Markup.Escape(o.Refused291
            ? $"refused at publish: {findings.Count} error(s); {string.Join("; ", findings.Take(1).Select(f => $"{f.Code} at {f.Location}, builds {string.Join(", ", (f.AffectedBuilds ?? []).Select(b => $"{b.AgentBuild} ({b.Hosts} hosts)"))}"))}"
            : "NOT refused"));
        table.AddRow("3. Invisible fault", Markup.Escape(o.FaultyHaltedInRing is { } ring
            ? $"v{o.FaultyVersion} {o.FaultyStatus} in ring {ring + 1} ({o.FaultyHaltedInRingName}) after {o.MinutesReleaseToHalt} min (compressed)"
            : o.FaultyStatus is null ? "skipped: the good release did not complete" : $"v{o.FaultyVersion} NOT halted: {o.FaultyStatus}"));
        if (o.FaultyStatus is not null)
            table.AddRow("   Self-healing", Markup.Escape($"{o.Crashes} crashes; {o.HostsThatReverted} hosts reverted by themselves; {o.HostsLeftOnFaultyContent} hosts left on v{o.FaultyVersion}"));
        table.AddRow("   Halt reason", Markup.Escape(o.HaltReason ?? "-"));
        table.AddRow("Time", Markup.Escape($"{o.RealSeconds} s real"));
        if (o.ServerUrl is not null)
            table.AddRow("Dashboard", Markup.Escape(o.FaultyRolloutId is { } id ? $"{o.ServerUrl}rollouts/{id} (the halted release with its evidence)" : o.ServerUrl));
        console.Write(table);
    }

    private void Say(string markup) => console.MarkupLine(markup);

    private static string Human(TimeSpan t) => t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0.#} min" : $"{t.TotalSeconds:0} s";

    /// <summary>
    /// Where a throwaway demo keeps its data: the RAM-backed /dev/shm when the machine has one, else the temp directory.
    /// Thousands of agents create tens of thousands of small files; on a disk mounted with online discard, creating
    /// and deleting them took longer than the demo itself.
    /// </summary>
    internal static string ScratchRoot() =>
        OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") && IsWritable("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    private static bool IsWritable(string directory)
    {
        try
        {
            var probe = Path.Combine(directory, ".ringfence-probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open (e.g. SQLite on a slow shutdown) only leaves a temp directory behind.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
