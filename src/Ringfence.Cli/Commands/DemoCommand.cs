using System.CommandLine;
using System.Text.Json;
using Ringfence.Cli.Demo;

namespace Ringfence.Cli.Commands;

/// <summary>
/// `ringfence demo`: the README's main job. Starts a server and a few thousand agents on this machine, rolls out a good
/// release, has the 291 reconstruction refused at publish time, and lets the health gate halt a faulty release while
/// the crashed hosts heal themselves. Ends by itself, in under two minutes, unless --keep-serving.
/// </summary>
public static class DemoCommand
{
    public static Command Create(CliEnvironment env)
    {
        var hosts = new Option<int>("--hosts") { Description = "Number of simulated agents (20..20000)", DefaultValueFactory = _ => new DemoSettings().Hosts };
        var speed = new Option<double>("--speed") { Description = "Compressed seconds per real second (1..3600)", DefaultValueFactory = _ => 120 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated fleet", DefaultValueFactory = _ => 7 };
        var keep = new Option<bool>("--keep-serving") { Description = "Keep the server and agents running after the demo (Ctrl+C to stop)" };
        var json = new Option<string?>("--json") { Description = "Also write the outcome as JSON to this file" };
        var data = new Option<string?>("--data") { Description = "Keep the server's and agents' state in this directory (default: a scratch directory in /dev/shm or the temp directory, removed at the end)" };
        var command = new Command("demo", "Watch Ringfence stop a bad release: server + agents on this machine, on a compressed clock");
        foreach (var o in new Option[] { hosts, speed, seed, keep, json, data })
            command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var settings = new DemoSettings
            {
                Hosts = parse.GetValue(hosts),
                Speed = parse.GetValue(speed),
                Seed = parse.GetValue(seed),
                KeepServing = parse.GetValue(keep),
                DataDirectory = parse.GetValue(data) is { } d ? env.ResolvePath(d) : null,
            };
            if (settings.Validate() is { Count: > 0 } errors)
                throw new CliException(errors[0]);
            var jsonPath = parse.GetValue(json) is { } j ? env.ResolvePath(j) : null;
            if (jsonPath is not null && !Directory.Exists(Path.GetDirectoryName(jsonPath)))
                throw new CliException($"--json {jsonPath}: directory does not exist");
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, env.Cancellation);
            var outcome = await new DemoRunner(settings, env.Out, env.Time).RunAsync(linked.Token);
            if (jsonPath is not null)
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(outcome, DemoJson.Options), CancellationToken.None);
            var success = outcome.GoodStatus == "Completed" && outcome.Refused291 && outcome.FaultyHaltedInRing is not null && outcome.HostsLeftOnFaultyContent == 0;
            return success ? ExitCodes.Ok : ExitCodes.Rejected;
        });
        return command;
    }
}

internal static class DemoJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
