using System.CommandLine;
using System.Globalization;
using Ringfence.Simulation;
using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;
using Spectre.Console;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence replay july-19 ...` and `ringfence simulate SCENARIO-FILE ...`</summary>
public static class SimulationCommands
{
    public static IEnumerable<Command> Create(CliEnvironment env)
    {
        var replay = new Command("replay", "Replay a built-in scenario (july-19: Channel File 291, 19 July 2024) under every strategy");
        var name = new Argument<string>("scenario") { Description = $"Built-in scenario: {string.Join(", ", BuiltInScenarios.Names)}" };
        replay.Arguments.Add(name);
        var replayOptions = new RunOptions(replay);
        replay.SetAction(parse =>
        {
            var n = parse.GetValue(name)!;
            var scenario = BuiltInScenarios.Get(n) ?? throw new CliException($"no built-in scenario '{n}' (known: {string.Join(", ", BuiltInScenarios.Names)})");
            return RunScenario(env, scenario, $"built-in:{n}", replayOptions, parse);
        });

        var simulate = new Command("simulate", "Run a scenario file (JSON, see docs/scenarios.md) under its strategies");
        var file = new Argument<string>("scenario-file") { Description = "Path of the scenario JSON file" };
        simulate.Arguments.Add(file);
        var simulateOptions = new RunOptions(simulate);
        simulate.SetAction(parse =>
        {
            var path = env.ResolvePath(parse.GetValue(file)!);
            var display = parse.GetValue(file)!;
            byte[] bytes;
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists)
                    throw new CliException($"{display}: no such file");
                if (info.Length > ScenarioLoader.MaxBytes)
                    throw new CliException($"{display}: too large ({info.Length.ToString(CultureInfo.InvariantCulture)} bytes; limit {ScenarioLoader.MaxBytes.ToString(CultureInfo.InvariantCulture)})");
                bytes = File.ReadAllBytes(path);
            }
            catch (UnauthorizedAccessException)
            {
                throw new CliException($"{display}: permission denied");
            }
            Scenario scenario;
            try
            {
                scenario = ScenarioLoader.Parse(bytes, display);
            }
            catch (ScenarioException ex)
            {
                throw new CliException(ex.Message);
            }
            return RunScenario(env, scenario, display, simulateOptions, parse);
        });
        return [replay, simulate];
    }

    private sealed class RunOptions
    {
        public RunOptions(Command command)
        {
            command.Options.Add(Json);
            command.Options.Add(Report);
            command.Options.Add(Scale);
            command.Options.Add(Seed);
        }

        public Option<string?> Json { get; } = new("--json") { Description = "Write the results as JSON to this file" };
        public Option<string?> Report { get; } = new("--report") { Description = "Write an HTML report with SVG charts to this file" };
        public Option<double> Scale { get; } = new("--scale") { Description = "Fraction of the scenario's fleet to simulate (default 1.0)", DefaultValueFactory = _ => 1.0 };
        public Option<int?> Seed { get; } = new("--seed") { Description = "Random seed (default: the scenario's)" };
    }

    private static int RunScenario(CliEnvironment env, Scenario scenario, string source, RunOptions o, ParseResult parse)
    {
        var scale = parse.GetValue(o.Scale);
        if (!(scale > 0 && scale <= 10))
            throw new CliException($"--scale: must be greater than 0 and at most 10, got {scale.ToString(CultureInfo.InvariantCulture)}");
        var jsonPath = parse.GetValue(o.Json) is { } j ? env.ResolvePath(j) : null;
        var reportPath = parse.GetValue(o.Report) is { } r ? env.ResolvePath(r) : null;
        foreach (var p in new[] { jsonPath, reportPath })
        {
            if (p is not null && !Directory.Exists(Path.GetDirectoryName(p)))
                throw new CliException($"{p}: directory does not exist");
        }
        var options = new SimulationOptions { Scale = scale, Seed = parse.GetValue(o.Seed) };

        SimulationReport report;
        try
        {
            if (env.Out.Profile.Capabilities.Interactive)
            {
                SimulationReport? result = null;
                env.Out.Progress().AutoClear(true).Start(ctx =>
                {
                    var task = ctx.AddTask($"{scenario.Name}", maxValue: 1.0);
                    result = Simulator.Run(scenario, options with
                    {
                        Progress = new InlineProgress(p =>
                        {
                            task.Description = $"{scenario.Name}: {p.Strategy}";
                            task.Value = p.Fraction;
                        }),
                    }, source, env.Cancellation);
                    task.Value = 1.0;
                });
                report = result!;
            }
            else
            {
                report = Simulator.Run(scenario, options, source, env.Cancellation);
            }
        }
        catch (ScenarioException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"{source}: {ex.Message.Split('\n')[0]}");
        }

        PrintTable(env, report);
        if (jsonPath is not null)
            WriteAtomically(jsonPath, ReportJson.Serialize(report));
        if (reportPath is not null)
            WriteAtomically(reportPath, HtmlReport.Render(report));
        if (jsonPath is not null)
            env.Out.WriteLine($"results: {jsonPath}");
        if (reportPath is not null)
            env.Out.WriteLine($"report: {reportPath}");
        return ExitCodes.Ok;
    }

    private static void PrintTable(CliEnvironment env, SimulationReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        env.Out.WriteLine($"{report.Scenario}: {report.HostsInFleet.ToString("N0", inv)} hosts, seed {report.Seed.ToString(inv)}, scale {report.Scale.ToString(inv)}, release {report.ReleaseUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", inv)} UTC");
        if (report.Validator is { } v)
            env.Out.WriteLine($"validator/interpreter verdict on the channel file: {v.Verdict}{(v.Findings.Count > 0 ? " — " + v.Findings[0] : "")}");
        // Compact numbers (8.5M) keep the table readable in 80 columns; the JSON has the exact values.
        var table = new Table().AddColumn(new TableColumn("strategy").NoWrap());
        foreach (var h in new[] { "exposed", "crashed", "manual repair", "peak down", "downtime host-h", "halt min", "false halt" })
            table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var s in report.Strategies)
        {
            table.AddRow(Markup.Escape(s.Name), C(s.HostsExposed), C(s.HostsCrashed), C(s.HostsNeedingManualRepair), C(s.PeakHostsDown),
                C(s.DowntimeHostHours), s.MinutesReleaseToHalt?.ToString("0", inv) ?? "never", s.FalseHalt ? "yes" : "no");
        }
        env.Out.Write(table);
        foreach (var s in report.Strategies.Where(s => s.Plan is not null))
            env.Out.WriteLine($"plan of {s.Name}: {s.Plan}");
        env.Out.WriteLine($"wall time: {string.Join(", ", report.Strategies.Select(s => $"{s.Name} {s.WallSeconds.ToString("0.0", inv)} s"))}");
    }

    private static string C(double v) => Ringfence.Charts.Ticks.Compact(v);

    /// <summary>Writes to a temporary file next to the target, then renames: a failed run never leaves half a file.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(tmp);
            throw new CliException($"{path}: cannot write ({ex.Message})");
        }
    }

    private sealed class InlineProgress(Action<(string Strategy, double Fraction)> report) : IProgress<(string Strategy, double Fraction)>
    {
        public void Report((string Strategy, double Fraction) value) => report(value);
    }
}
