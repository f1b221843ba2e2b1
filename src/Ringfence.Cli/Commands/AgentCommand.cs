using System.CommandLine;
using System.Globalization;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.Swarm;
using Ringfence.Cli.Demo;
using Ringfence.Protocol;

namespace Ringfence.Cli.Commands;

/// <summary>
/// `ringfence agent --server URL --data DIR [--simulate N]`: the agent SDK as a process. It runs until Ctrl+C
/// (or --duration), printing one status line every few seconds. With the server down it keeps its content,
/// keeps evaluating and retries with backoff.
/// </summary>
public static class AgentCommand
{
    public static Command Create(CliEnvironment env)
    {
        var server = new Option<string>("--server") { Description = "Base URL of the Ringfence server, e.g. http://127.0.0.1:5080", Required = true };
        var data = new Option<string>("--data") { Description = "Existing directory for the agent's state (one subdirectory per host with --simulate)", Required = true };
        var simulate = new Option<int?>("--simulate") { Description = "Run N simulated agents in this process (1..100000)" };
        var token = new Option<string?>("--token") { Description = "Enrollment token (default: $RINGFENCE_ENROLLMENT_TOKEN)" };
        var seed = new Option<int>("--seed") { Description = "Seed for the simulated fleet, jitter and events", DefaultValueFactory = _ => 1 };
        var build = new Option<string?>("--agent-build") { Description = "Agent build this host reports (single agent), e.g. win-7.13.18309" };
        var os = new Option<string?>("--os") { Description = "OS family this host reports: windows, macos, linux" };
        var osBuild = new Option<string?>("--os-build") { Description = "OS build this host reports, e.g. 22631" };
        var hostname = new Option<string?>("--hostname") { Description = "Host name (single agent; default: this machine's name)" };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: run until Ctrl+C)" };
        var command = new Command("agent", "Run the Ringfence agent (or N simulated agents) against a server");
        foreach (var o in new Option[] { server, data, simulate, token, seed, build, os, osBuild, hostname, duration })
            command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, env.Cancellation);
            var url = ParseServer(parse.GetValue(server)!);
            var directory = env.ResolvePath(parse.GetValue(data)!);
            if (!Directory.Exists(directory))
                throw new CliException($"--data {directory}: directory does not exist (create it first)");
            var count = parse.GetValue(simulate);
            if (count is < 1 or > 100_000)
                throw new CliException($"--simulate {count}: must be between 1 and 100000");
            if (parse.GetValue(duration) is { } seconds)
            {
                if (!(seconds is > 0 and <= 31_536_000))
                    throw new CliException($"--duration {seconds.ToString(CultureInfo.InvariantCulture)}: must be between 0 and 31536000 seconds");
                linked.CancelAfter(TimeSpan.FromSeconds(seconds));
            }
            var options = new AgentRuntimeOptions
            {
                Server = url,
                EnrollmentToken = parse.GetValue(token) ?? env.GetVariable("RINGFENCE_ENROLLMENT_TOKEN") ?? "",
                Seed = parse.GetValue(seed),
            };
            if (options.Validate() is { Count: > 0 } errors)
                throw new CliException(errors[0] + (options.EnrollmentToken.Length == 0 ? " (pass --token or set RINGFENCE_ENROLLMENT_TOKEN)" : ""));
            var catalog = ExampleFiles.Catalog();
            try
            {
                if (count is { } n)
                    await RunSwarmAsync(env, options, directory, n, catalog, linked.Token);
                else
                    await RunSingleAsync(env, options, directory, catalog, Profile(parse.GetValue(hostname), parse.GetValue(build), parse.GetValue(os), parse.GetValue(osBuild)), linked.Token);
            }
            catch (AgentStateException ex)
            {
                throw new CliException(ex.Message);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Status lines go out unwrapped, one per line, so logs and scripts can follow them.</summary>
    private static void Line(CliEnvironment env, string text)
    {
        // Swarm hosts report failures from the thread pool while the status loop writes.
        lock (OutputGate)
            env.Out.Profile.Out.Writer.WriteLine(text);
    }

    private static readonly Lock OutputGate = new();

    internal static Uri ParseServer(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
            throw new CliException($"--server '{text}': not an absolute http:// or https:// URL");
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private static HostProfile Profile(string? hostname, string? build, string? os, string? osBuild)
    {
        var fallback = SimulatedFleet.DefaultMix[0];
        return new HostProfile(hostname ?? Environment.MachineName, new HostConfiguration(build ?? fallback.AgentBuild, os ?? fallback.Os, osBuild ?? fallback.OsBuild));
    }

    private static async Task RunSingleAsync(CliEnvironment env, AgentRuntimeOptions options, string directory, AgentBuildCatalog catalog, HostProfile profile, CancellationToken ct)
    {
        using var http = AgentSwarm.CreateHttpClient(options, maxConnections: 4);
        var agent = AgentRuntime.Open(new AgentRuntimeSetup { Options = options, Profile = profile, DataDirectory = directory, Http = http, Catalog = catalog, Time = env.Time });
        Line(env, $"agent {profile.Hostname} ({profile.Configuration.AgentBuild} on {profile.Configuration.Os} {profile.Configuration.OsBuild}) → {options.Server}, state in {directory}");
        var run = agent.RunAsync(ct);
        await ReportUntilDoneAsync(env, run, () => Describe(agent.Status), ct);
    }

    private static async Task RunSwarmAsync(CliEnvironment env, AgentRuntimeOptions options, string directory, int count, AgentBuildCatalog catalog, CancellationToken ct)
    {
        // A host that fails (a corrupt state directory, an error while it runs) gets one line; the others go on.
        using var swarm = AgentSwarm.Create(new AgentSwarmSetup
        {
            Options = options with { DurableWrites = false },
            DataDirectory = directory,
            Count = count,
            Catalog = catalog,
            Time = env.Time,
            OnHostFailed = failure => Line(env, failure.ToString()),
        });
        if (swarm.Agents.Count == 0)
            throw new CliException($"none of the {count} simulated agents could start (see the lines above)");
        Line(env, $"{swarm.Agents.Count} simulated agents → {options.Server}, state in {Path.Combine(directory, "hosts")}"
            + (swarm.Failures.Count > 0 ? $" ({swarm.Failures.Count} of {count} failed to start)" : ""));
        var run = swarm.RunAsync(ct);
        await ReportUntilDoneAsync(env, run, () => Describe(swarm.Summarize()), ct);
    }

    private static async Task ReportUntilDoneAsync(CliEnvironment env, Task run, Func<string> describe, CancellationToken ct)
    {
        while (!run.IsCompleted)
        {
            try
            {
                await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(5), ct));
            }
            catch (OperationCanceledException)
            {
                // fall through: the agents stop on the same token
            }
            Line(env, describe());
            if (ct.IsCancellationRequested)
                break;
        }
        await run;
        Line(env, "stopped; state saved");
    }

    private static string Describe(AgentStatus s) =>
        $"{(s.HostId is null ? "not enrolled" : s.HostId)} · content {(s.Active.Count == 0 ? "none" : string.Join(", ", s.Active.Values.Select(c => $"{c.Channel} v{c.Version}")))}"
        + $" · check-ins {s.CheckIns} · events {s.EventsEvaluated} · reverts {s.Reverts}"
        + (s.ServerReachable ? " · server ok" : $" · server unreachable{(s.LastError is null ? "" : ": " + s.LastError)}");

    internal static string Describe(SwarmSummary s) =>
        $"{s.Enrolled}/{s.Agents} enrolled · {s.Reachable} reached the server last cycle · content: "
        + (s.HostsByContent.Count == 0 ? "none" : string.Join(", ", s.HostsByContent.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} on {kv.Value}")))
        + $" · check-ins {s.CheckIns} · crashes {s.Crashes} · reverts {s.Reverts}"
        + (s.Failed > 0 ? $" · {s.Failed} failed" : "");
}
