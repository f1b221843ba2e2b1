using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ringfence.Cli.Content;
using Ringfence.Content;
using Spectre.Console;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence content validate | build | inspect`</summary>
public static class ContentCommands
{
    internal const string DefaultTypesFile = "template-types.json";
    internal const string DefaultCorpusFile = "corpus.json";

    public static Command Create(CliEnvironment env)
    {
        var content = new Command("content", "Validate, build and inspect channel files");
        content.Subcommands.Add(ValidateCommand(env));
        content.Subcommands.Add(BuildCommand(env));
        content.Subcommands.Add(InspectCommand(env));
        return content;
    }

    // ------------------------------------------------------------------ validate

    private static Command ValidateCommand(CliEnvironment env)
    {
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.OneOrMore, Description = "Channel files: .json authoring files or .rfc binaries" };
        var fleet = new Option<string>("--fleet") { Required = true, Description = "Fleet manifest (agent builds, their contracts, host counts)" };
        var types = new Option<string?>("--types") { Description = $"Template type definitions (default: {DefaultTypesFile} beside the fleet manifest)" };
        var corpus = new Option<string?>("--corpus") { Description = $"Sample events to replay (default: {DefaultCorpusFile} beside the fleet manifest, if present)" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var seed = new Option<int>("--fuzz-seed") { Description = "Seed for fuzzed events", DefaultValueFactory = _ => ValidationOptions.Default.FuzzSeed };
        var fuzz = new Option<int>("--fuzz-events") { Description = "Fuzzed events per file and boundary length (0-100000)", DefaultValueFactory = _ => ValidationOptions.Default.FuzzEventsPerLength };
        var command = new Command("validate", "Validate channel files against their template types and every targeted agent build in the fleet. Every file is reported, an unreadable one as one line. Exit code, the worst over all files: 0 all accepted, 1 any rejected, 2 any unreadable or a usage error (an unreadable fleet, types or corpus file stops the run).")
        {
            files, fleet, types, corpus, json, seed, fuzz,
        };
        command.SetAction(parse => Validate(env, parse.GetValue(files)!, parse.GetValue(fleet)!, parse.GetValue(types), parse.GetValue(corpus),
            parse.GetValue(json), parse.GetValue(seed), parse.GetValue(fuzz)));
        return command;
    }

    private static int Validate(CliEnvironment env, string[] paths, string fleetPath, string? typesPath, string? corpusPath, bool json, int seed, int fuzzEvents)
    {
        if (fuzzEvents is < 0 or > 100_000)
            throw new CliException($"--fuzz-events {fuzzEvents} is out of range (0-100000)");
        var limits = ContentLimits.Default;
        var fleetDir = Path.GetDirectoryName(fleetPath) ?? "";
        typesPath ??= Path.Combine(fleetDir, DefaultTypesFile);
        if (corpusPath is null && File.Exists(env.ResolvePath(Path.Combine(fleetDir, DefaultCorpusFile))))
            corpusPath = Path.Combine(fleetDir, DefaultCorpusFile);

        var findings = new List<Finding>();
        var fleetRead = ContentFiles.Json(fleetPath, () => ContentJson.ReadFleet(ContentFiles.ReadText(env, fleetPath, limits), limits));
        findings.AddRange(ContentValidator.SchemaFindings(fleetPath, fleetRead.Errors));
        var typesRead = ContentFiles.Json(typesPath, () => ContentJson.ReadTemplateTypes(ContentFiles.ReadText(env, typesPath, limits), limits));
        findings.AddRange(ContentValidator.SchemaFindings(typesPath, typesRead.Errors));
        IReadOnlyList<SampleEvent> events = [];
        if (corpusPath is not null)
        {
            var corpusRead = ContentFiles.Json(corpusPath, () => ContentJson.ReadCorpus(ContentFiles.ReadText(env, corpusPath, limits), limits));
            findings.AddRange(ContentValidator.SchemaFindings(corpusPath, corpusRead.Errors));
            events = corpusRead.Value ?? [];
        }

        var documents = new List<ContentDocument>();
        var unparsed = new List<FileSummary>();
        // One unreadable file must not hide the findings of the others: it is reported as one line and the run goes on.
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths.Distinct(StringComparer.Ordinal))
        {
            ContentFiles.LoadedChannel loaded;
            try
            {
                loaded = ContentFiles.LoadChannel(env, path, limits);
            }
            catch (CliException ex)
            {
                unreadable[path] = ex.Message;
                unparsed.Add(new FileSummary(path, "?", "?", 0, 0, 0, 0, 0) { Accepted = false });
                continue;
            }
            if (loaded.File is { } file)
            {
                documents.Add(new ContentDocument(path, file));
            }
            else
            {
                findings.AddRange(ContentValidator.SchemaFindings(path, loaded.SchemaErrors));
                unparsed.Add(new FileSummary(path, "?", "?", 0, 0, 0, 0, 0) { Accepted = false });
            }
        }

        var report = ContentValidator.Validate(new ValidationRequest
        {
            Files = documents,
            TemplateTypes = typesRead.Value ?? [],
            TemplateTypesName = typesPath,
            Fleet = fleetRead.Value,
            FleetName = fleetPath,
            Corpus = events,
            Options = new ValidationOptions { FuzzSeed = seed, FuzzEventsPerLength = fuzzEvents, Limits = limits },
        });
        var sharedBroken = findings.Any(f => f.Severity == FindingSeverity.Error); // fleet, types or corpus unreadable
        var summaries = paths.Distinct(StringComparer.Ordinal).Select(p => report.Files.FirstOrDefault(s => s.File == p) ?? unparsed.First(u => u.File == p))
            .Select(s => sharedBroken || !report.IsAccepted(s.File) ? s with { Accepted = false } : s)
            .ToList();
        findings.AddRange(report.Findings);

        if (json)
            WriteJsonReport(env, summaries, findings, unreadable);
        else
            WriteHumanReport(env, fleetRead.Value, fleetPath, typesPath, typesRead.Value?.Count ?? 0, corpusPath, events.Count, summaries, findings, unreadable);
        foreach (var why in unreadable.Values)
            env.Error.WriteLine($"error: {why}"); // the message names the file: "b.json: file not found"
        return ExitCode(summaries, unreadable);
    }

    /// <summary>The worst over all files: unreadable (2) over rejected (1) over accepted (0).</summary>
    internal static int ExitCode(IReadOnlyList<FileSummary> summaries, IReadOnlyDictionary<string, string> unreadable) =>
        unreadable.Count > 0 ? ExitCodes.UsageOrIo : summaries.All(s => s.Accepted) ? ExitCodes.Ok : ExitCodes.Rejected;

    private static void WriteHumanReport(CliEnvironment env, FleetManifest? fleet, string fleetPath, string typesPath, int typeCount, string? corpusPath,
        int eventCount, List<FileSummary> summaries, List<Finding> findings, IReadOnlyDictionary<string, string> unreadable)
    {
        var console = env.Out;
        WidenWhenPlain(console);
        var fleetText = fleet is null ? fleetPath : $"{fleetPath} ({fleet.Builds.Count} agent builds, {Finding.Hosts(fleet.TotalHosts)})";
        console.MarkupLineInterpolated($"[bold]Fleet[/] {fleetText}");
        console.MarkupLineInterpolated($"[bold]Types[/] {typesPath} ({typeCount} template types)");
        console.MarkupLineInterpolated($"[bold]Corpus[/] {(corpusPath is null ? "none" : $"{corpusPath} ({eventCount} events)")}");
        console.WriteLine();

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "File", "Channel file", "Instances", "Reaches", "Checked", "Verdict" })
            table.AddColumn(column);
        foreach (var s in summaries)
        {
            if (unreadable.ContainsKey(s.File))
            {
                table.AddRow(Markup.Escape(s.File), "?", "-", "-", "-", "[red bold]UNREADABLE[/]");
                continue;
            }
            table.AddRow(
                Markup.Escape(s.File), Markup.Escape($"{s.ChannelFileId} ({s.TemplateTypeId})"), N(s.Instances),
                Markup.Escape($"{N(s.TargetedBuilds)} builds, {Finding.Hosts(s.TargetedHosts)}"),
                Markup.Escape($"{N(s.EventsReplayed)} replayed, {N(s.FuzzEvents)} fuzzed"),
                s.Accepted ? "[green]ACCEPTED[/]" : "[red bold]REJECTED[/]");
        }
        console.Write(table);

        foreach (var f in findings.OrderByDescending(f => f.Severity))
        {
            var colour = f.Severity switch { FindingSeverity.Error => "red", FindingSeverity.Warning => "yellow", _ => "grey" };
            var severity = f.Severity.ToString().ToLowerInvariant();
            var plain = $"{severity} {f.Code} {f.Location}: {f.Message}";
            if (console.Profile.Capabilities.Ansi)
                console.MarkupLine($"[{colour}]{severity}[/] [bold]{f.Code}[/] {Markup.Escape($"{f.Location}: {f.Message}")}");
            else
                WritePlainLine(console, plain); // one finding per line, never wrapped, so it greps
        }
        var accepted = summaries.Count(s => s.Accepted);
        var errors = findings.Count(f => f.Severity == FindingSeverity.Error);
        var warnings = findings.Count(f => f.Severity == FindingSeverity.Warning);
        var unreadableText = unreadable.Count > 0 ? $", {unreadable.Count} unreadable" : "";
        console.WriteLine();
        console.MarkupLineInterpolated(
            $"[bold]{summaries.Count} file(s): {accepted} accepted, {summaries.Count - accepted - unreadable.Count} rejected{unreadableText}[/] ({errors} error(s), {warnings} warning(s))");
    }

    private static void WriteJsonReport(CliEnvironment env, List<FileSummary> summaries, List<Finding> findings, IReadOnlyDictionary<string, string> unreadable)
    {
        var writer = env.Out.Profile.Out.Writer;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteBoolean("accepted", summaries.All(s => s.Accepted));
            w.WriteStartArray("files");
            foreach (var s in summaries)
            {
                w.WriteStartObject();
                w.WriteString("file", s.File);
                if (unreadable.TryGetValue(s.File, out var why))
                {
                    w.WriteBoolean("accepted", false);
                    w.WriteBoolean("unreadable", true);
                    w.WriteString("error", why);
                    w.WriteEndObject();
                    continue;
                }
                w.WriteString("channelFile", s.ChannelFileId);
                w.WriteString("templateType", s.TemplateTypeId);
                w.WriteBoolean("accepted", s.Accepted);
                w.WriteNumber("instances", s.Instances);
                w.WriteNumber("targetedBuilds", s.TargetedBuilds);
                w.WriteNumber("targetedHosts", s.TargetedHosts);
                w.WriteNumber("eventsReplayed", s.EventsReplayed);
                w.WriteNumber("fuzzEvents", s.FuzzEvents);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("findings");
            foreach (var f in findings)
            {
                w.WriteStartObject();
                w.WriteString("code", f.Code);
                w.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
                w.WriteString("message", f.Message);
                w.WriteString("file", f.Location.File);
                if (f.Location.InstanceId is { } instance)
                    w.WriteString("instance", instance);
                if (f.Location.FieldNumber is { } field)
                    w.WriteNumber("field", field);
                if (f.Location.FieldName is { } fieldName)
                    w.WriteString("fieldName", fieldName);
                if (f.Location.JsonPath is { } jsonPath)
                    w.WriteString("jsonPath", jsonPath);
                if (f.Builds.Count > 0)
                {
                    w.WriteStartArray("builds");
                    foreach (var b in f.Builds)
                        w.WriteStringValue(b);
                    w.WriteEndArray();
                    w.WriteNumber("hosts", f.HostCount);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        writer.Flush();
    }

    // ------------------------------------------------------------------ build

    private static Command BuildCommand(CliEnvironment env)
    {
        var input = new Argument<string>("input") { Description = "Channel file in the JSON authoring form" };
        var output = new Option<string>("--output", "-o") { Required = true, Description = "The .rfc binary to write" };
        var types = new Option<string?>("--types") { Description = "Template type definitions: when given, the file must compile against its type first" };
        var command = new Command("build", "Build the compact binary form (.rfc) from a JSON authoring file") { input, output, types };
        command.SetAction(parse => Build(env, parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(types)));
        return command;
    }

    private static int Build(CliEnvironment env, string inputPath, string outputPath, string? typesPath)
    {
        var limits = ContentLimits.Default;
        var text = ContentFiles.ReadText(env, inputPath, limits);
        var read = ContentFiles.Json(inputPath, () => ContentJson.ReadChannelFile(text, limits));
        if (!read.Succeeded)
        {
            var first = read.Errors[0];
            var more = read.Errors.Count > 1 ? $" (and {read.Errors.Count - 1} more schema error(s); run `content validate` to see all)" : "";
            throw new CliException($"{inputPath}: {first.Path}: {first.Message}{more}");
        }
        var file = read.Value!;
        if (typesPath is not null)
        {
            var types = ContentFiles.Json(typesPath, () => ContentJson.ReadTemplateTypes(ContentFiles.ReadText(env, typesPath, limits), limits));
            if (!types.Succeeded)
                throw new CliException($"{typesPath}: {types.Errors[0].Path}: {types.Errors[0].Message}");
            var type = types.Value!.FirstOrDefault(t => t.Id == file.TemplateTypeId)
                ?? throw new CliException($"{inputPath}: $.templateType: template type '{file.TemplateTypeId}' is not defined in {typesPath}");
            try
            {
                CompiledChannel.Compile(file, type);
            }
            catch (ContentCompileException ex)
            {
                env.Error.WriteLine($"rejected: {inputPath}: {ex.Message}");
                return ExitCodes.Rejected;
            }
        }
        var bytes = ChannelFileBinary.Write(file);
        ContentFiles.WriteAtomically(env, outputPath, bytes);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(ChannelFileBinary.HeaderSize, bytes.Length - ChannelFileBinary.HeaderSize - ChannelFileBinary.HashSize)));
        env.Out.MarkupLineInterpolated($"built [bold]{outputPath}[/]: channel file {file.Id} v{file.Version}, {file.Instances.Count} instances, {bytes.Length:N0} bytes, payload SHA-256 {hash}");
        return ExitCodes.Ok;
    }

    // ------------------------------------------------------------------ inspect

    private static Command InspectCommand(CliEnvironment env)
    {
        var input = new Argument<string>("file") { Description = "A .rfc binary channel file" };
        var json = new Option<bool>("--json") { Description = "Print the JSON authoring form (feed it back to `content build`)" };
        var command = new Command("inspect", "Show a binary channel file in readable form") { input, json };
        command.SetAction(parse => Inspect(env, parse.GetValue(input)!, parse.GetValue(json)));
        return command;
    }

    private static int Inspect(CliEnvironment env, string path, bool json)
    {
        var limits = ContentLimits.Default;
        var bytes = ContentFiles.ReadBytes(env, path, limits);
        var file = ContentFiles.ReadBinary(path, bytes, limits);
        if (json)
        {
            var writer = env.Out.Profile.Out.Writer;
            writer.Write(ContentJson.WriteChannelFile(file));
            writer.Flush();
            return ExitCodes.Ok;
        }
        var console = env.Out;
        WidenWhenPlain(console);
        var hash = Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - ChannelFileBinary.HashSize));
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]File[/]", Markup.Escape(path));
        grid.AddRow("[bold]Channel file[/]", Markup.Escape(file.Id));
        grid.AddRow("[bold]Template type[/]", Markup.Escape(file.TemplateTypeId));
        grid.AddRow("[bold]Version[/]", file.Version.ToString(CultureInfo.InvariantCulture));
        grid.AddRow("[bold]Target[/]", Markup.Escape(DescribeTarget(file.Target)));
        grid.AddRow("[bold]Format[/]", $"RFCF v{ChannelFileBinary.FormatVersion}, {bytes.Length:N0} bytes, payload SHA-256 {hash} (verified)");
        if (file.Description.Length > 0)
            grid.AddRow("[bold]Description[/]", Markup.Escape(file.Description));
        grid.AddRow("[bold]Instances[/]", N(file.Instances.Count));
        console.Write(grid);

        var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("Instance").AddColumn("Action").AddColumn("Severity").AddColumn("Criteria (fields not listed are wildcards)");
        for (var i = 0; i < file.Instances.Count; i++)
        {
            var instance = file.Instances[i];
            var criteria = instance.Criteria.Select((c, f) => (c, f)).Where(x => !x.c.IsWildcard).Select(x => $"f{x.f + 1} {x.c}").ToList();
            table.AddRow(N(i + 1), Markup.Escape(instance.Id), Markup.Escape(instance.Action), ContentJson.Name(instance.Severity),
                Markup.Escape(criteria.Count == 0 ? $"(all {instance.Criteria.Count} wildcards)" : string.Join("; ", criteria)));
        }
        console.Write(table);
        return ExitCodes.Ok;
    }

    // ------------------------------------------------------------------ helpers

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string DescribeTarget(ChannelTarget target)
    {
        if (target.Os.Count == 0 && target.Versions is null)
            return "every build that compiles the template type";
        var os = target.Os.Count == 0 ? "any OS" : string.Join(", ", target.Os.Select(ContentJson.Name));
        return target.Versions is null ? os : $"{os}, versions {target.Versions.Text}";
    }

    private static void WritePlainLine(IAnsiConsole console, string line)
    {
        var writer = console.Profile.Out.Writer;
        writer.WriteLine(line);
        writer.Flush();
    }

    /// <summary>Redirected output has no terminal width; do not wrap long findings at 80 columns.</summary>
    private static void WidenWhenPlain(IAnsiConsole console)
    {
        if (!console.Profile.Capabilities.Ansi && console.Profile.Width < 200)
            console.Profile.Width = 200;
    }
}
