using System.Text;

namespace Ringfence.Content;

/// <summary>
/// Validates channel files and returns every finding at once: static checks (schema-level types, limits, regex
/// safety), the fleet-contract check against every targeted agent build, replay of a sample corpus through the
/// real interpreter, and seeded fuzzing at the boundary lengths. Pure: no I/O, same input and seed, same report.
/// </summary>
public static class ContentValidator
{
    /// <summary>RF1001 findings for the schema errors a JSON reader collected.</summary>
    public static IReadOnlyList<Finding> SchemaFindings(string file, IEnumerable<JsonSchemaError> errors) =>
        [.. errors.Select(e => new Finding(FindingCodes.SchemaViolation, FindingSeverity.Error, e.Message, new FindingLocation(file, JsonPath: e.Path)))];

    public static ValidationReport Validate(ValidationRequest request)
    {
        var options = request.Options.Validate();
        var findings = new List<Finding>();
        var types = new Dictionary<string, TemplateType>(StringComparer.Ordinal);
        foreach (var type in request.TemplateTypes)
        {
            var before = findings.Count;
            CheckTemplateType(type, request.TemplateTypesName, options.Limits, findings);
            if (!types.TryAdd(type.Id, type))
                findings.Add(Error(FindingCodes.InvalidTemplateType, $"template type id '{type.Id}' is defined twice", new FindingLocation(request.TemplateTypesName)));
            else if (findings.Count > before)
                types.Remove(type.Id); // an invalid type cannot be compiled against
        }
        if (request.Fleet is { } fleet)
            CheckFleet(fleet, request.FleetName, types, findings);

        var summaries = new List<FileSummary>();
        foreach (var doc in request.Files)
        {
            var start = findings.Count;
            var summary = ValidateFile(doc, types, request, options, findings);
            summaries.Add(summary with { Accepted = findings.Skip(start).All(f => f.Severity != FindingSeverity.Error) });
        }
        // Findings on the types file or fleet reject everything that depends on them.
        var shared = findings.Any(f => f.Severity == FindingSeverity.Error && request.Files.All(d => d.Name != f.Location.File));
        if (shared)
            summaries = [.. summaries.Select(s => s with { Accepted = false })];
        return new ValidationReport(findings, summaries);
    }

    private static FileSummary ValidateFile(ContentDocument doc, Dictionary<string, TemplateType> types, ValidationRequest request, ValidationOptions options, List<Finding> findings)
    {
        var file = doc.File;
        var name = doc.Name;
        var summary = new FileSummary(name, file.Id, file.TemplateTypeId, file.Instances.Count, 0, 0, 0, 0);
        if (!types.TryGetValue(file.TemplateTypeId, out var type))
        {
            findings.Add(Error(FindingCodes.UnknownTemplateType,
                $"template type '{file.TemplateTypeId}' is not defined (known: {string.Join(", ", types.Keys.Order(StringComparer.Ordinal))})",
                new FindingLocation(name, JsonPath: "$.templateType")));
            return summary;
        }

        var staticStart = findings.Count;
        CheckStatic(name, file, type, options, findings);
        if (findings.Skip(staticStart).Any(f => f.Severity == FindingSeverity.Error))
            return summary; // content that does not fit its type cannot be compiled, so later stages have nothing to run

        var compiled = CompiledChannel.Compile(file, type, new InterpreterOptions { RegexMatchTimeout = options.RegexTimeLimit });
        var targeted = request.Fleet is null ? [] : request.Fleet.TargetedBuilds(file).ToList();
        var hosts = request.Fleet is null ? 0 : targeted.Sum(b => request.Fleet.HostCount(b.BuildId));
        summary = summary with { TargetedBuilds = targeted.Count, TargetedHosts = hosts };
        if (request.Fleet is { } fleet)
            CheckContract(name, compiled, fleet, targeted, findings);

        // The lengths the interpreter will really see: what each targeted build supplies, plus the full field count.
        var lengths = targeted.Select(b => Math.Min(b.SuppliedValues(type.Id)!.Value, type.FieldCount)).Append(type.FieldCount).Distinct().Order().ToList();
        var replayed = Replay(name, compiled, request, targeted, lengths, findings);
        var fuzzed = Fuzz(name, compiled, request, targeted, lengths, options, findings);
        return summary with { EventsReplayed = replayed, FuzzEvents = fuzzed };
    }

    // ------------------------------------------------------------------ static

    private static void CheckTemplateType(TemplateType type, string file, ContentLimits limits, List<Finding> findings)
    {
        var loc = new FindingLocation(file, JsonPath: $"$.templateTypes[?(@.id=='{type.Id}')]");
        if (string.IsNullOrWhiteSpace(type.Id))
            findings.Add(Error(FindingCodes.InvalidTemplateType, "template type has an empty id", loc));
        if (type.FieldCount == 0)
            findings.Add(Error(FindingCodes.InvalidTemplateType, $"template type '{type.Id}' has no fields", loc));
        if (type.FieldCount > limits.MaxFields)
            findings.Add(Error(FindingCodes.SizeLimitExceeded, $"template type '{type.Id}' has {type.FieldCount} fields, over the {limits.MaxFields} limit", loc));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var f = 0; f < type.FieldCount; f++)
        {
            var field = type.Fields[f];
            var fieldLoc = loc with { FieldNumber = f + 1, FieldName = field.Name };
            if (!names.Add(field.Name))
                findings.Add(Error(FindingCodes.InvalidTemplateType, $"template type '{type.Id}' has two fields named '{field.Name}'", fieldLoc));
            if (field.AllowedKinds.Count == 0)
                findings.Add(Error(FindingCodes.InvalidTemplateType, $"field allows no criterion kind (allow at least wildcard)", fieldLoc));
            var possible = TemplateField.KindsFor(field.Type);
            foreach (var kind in field.AllowedKinds.Where(k => !possible.Contains(k)))
                findings.Add(Error(FindingCodes.InvalidTemplateType, $"{ContentJson.Name(kind)} criteria cannot apply to a {ContentJson.Name(field.Type)} field", fieldLoc));
            if (field.Type == FieldType.Enum && field.EnumValues.Count == 0)
                findings.Add(Error(FindingCodes.InvalidTemplateType, "enum field lists no values", fieldLoc));
            if (field.Type != FieldType.Enum && field.EnumValues.Count > 0)
                findings.Add(Error(FindingCodes.InvalidTemplateType, $"only enum fields list values, this one is a {ContentJson.Name(field.Type)}", fieldLoc));
        }
    }

    private static void CheckStatic(string name, ChannelFile file, TemplateType type, ValidationOptions options, List<Finding> findings)
    {
        var limits = options.Limits;
        var fileLoc = new FindingLocation(name);
        if (string.IsNullOrWhiteSpace(file.Id))
            findings.Add(Error(FindingCodes.SchemaViolation, "channel file id is empty", fileLoc with { JsonPath = "$.id" }));
        if (file.Version < 0)
            findings.Add(Error(FindingCodes.SchemaViolation, "version must not be negative", fileLoc with { JsonPath = "$.version" }));
        // An empty file removes every detection on its channel: only on purpose, and then with two approvers.
        if (file.Instances.Count == 0 && !file.Retire)
            findings.Add(Error(FindingCodes.EmptyChannelFile,
                $"channel file has no instances: it would remove every detection on channel {file.Id}; to retire the channel on purpose, set \"retire\": true",
                fileLoc with { JsonPath = "$.instances" }));
        if (file.Retire && file.Instances.Count > 0)
            findings.Add(Error(FindingCodes.RetireWithInstances,
                $"channel file retires channel {file.Id} but has {file.Instances.Count} instance(s): a retiring file has none (drop \"retire\" to update the channel)",
                fileLoc with { JsonPath = "$.retire" }));
        if (file.Retire && file.Instances.Count == 0)
            findings.Add(new Finding(FindingCodes.RetiresChannel, FindingSeverity.Warning,
                $"retires channel {file.Id}: agents drop every detection on it; its rollout needs two distinct approvers", fileLoc with { JsonPath = "$.retire" }));
        if (file.Instances.Count > limits.MaxInstances)
            findings.Add(Error(FindingCodes.SizeLimitExceeded, $"{file.Instances.Count} instances, over the {limits.MaxInstances} limit", fileLoc with { JsonPath = "$.instances" }));
        if (Utf8(file.Description) > limits.MaxStringBytes)
            findings.Add(Error(FindingCodes.SizeLimitExceeded, $"description is over the {limits.MaxStringBytes}-byte limit", fileLoc with { JsonPath = "$.description" }));

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < file.Instances.Count; i++)
        {
            var instance = file.Instances[i];
            var loc = new FindingLocation(name, instance.Id, JsonPath: $"$.instances[{i}]");
            if (string.IsNullOrWhiteSpace(instance.Id) || string.IsNullOrWhiteSpace(instance.Action))
                findings.Add(Error(FindingCodes.SchemaViolation, "instance id and action must not be empty", loc));
            if (!Enum.IsDefined(instance.Severity))
                findings.Add(Error(FindingCodes.SchemaViolation, $"severity {(int)instance.Severity} is not defined", loc));
            if (!ids.Add(instance.Id))
                findings.Add(Error(FindingCodes.DuplicateInstanceId, $"instance id '{instance.Id}' is used more than once", loc));
            if (Utf8(instance.Id) > limits.MaxStringBytes || Utf8(instance.Action) > limits.MaxStringBytes)
                findings.Add(Error(FindingCodes.SizeLimitExceeded, $"instance id or action is over the {limits.MaxStringBytes}-byte limit", loc));
            if (instance.Criteria.Count != type.FieldCount)
            {
                findings.Add(Error(FindingCodes.CriteriaCountMismatch,
                    $"instance has {instance.Criteria.Count} criteria but template type '{type.Id}' has {type.FieldCount} fields (one criterion per field, \"*\" for any)",
                    loc with { JsonPath = $"$.instances[{i}].criteria" }));
            }
            for (var f = 0; f < Math.Min(instance.Criteria.Count, type.FieldCount); f++)
            {
                var c = instance.Criteria[f];
                var field = type.Fields[f];
                var cloc = loc with { FieldNumber = f + 1, FieldName = field.Name, JsonPath = $"$.instances[{i}].criteria[{f}]" };
                if (!Enum.IsDefined(c.Kind))
                {
                    findings.Add(Error(FindingCodes.SchemaViolation, $"criterion kind {(int)c.Kind} is not defined", cloc));
                    continue;
                }
                if (CriterionRules.Check(field, c) is { } problem)
                {
                    findings.Add(Error(problem.Code, problem.Message, cloc));
                    continue;
                }
                var texts = c.Texts.Append(c.Text ?? "");
                if (texts.Any(t => Utf8(t) > limits.MaxStringBytes))
                    findings.Add(Error(FindingCodes.SizeLimitExceeded, $"a criterion value is over the {limits.MaxStringBytes}-byte limit", cloc));
                if (c.Texts.Count + c.Integers.Count > limits.MaxSetValues)
                    findings.Add(Error(FindingCodes.SizeLimitExceeded, $"set has {c.Texts.Count + c.Integers.Count} values, over the {limits.MaxSetValues} limit", cloc));
                if (c.Kind == CriterionKind.Regex && RegexSafety.Check(c.Text ?? "", c.IgnoreCase, options) is { } regexProblem)
                    findings.Add(Error(regexProblem.Code, regexProblem.Message, cloc));
            }
        }
    }

    // ------------------------------------------------------------------ fleet

    private static void CheckFleet(FleetManifest fleet, string name, Dictionary<string, TemplateType> types, List<Finding> findings)
    {
        var loc = new FindingLocation(name);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < fleet.Builds.Count; i++)
        {
            var build = fleet.Builds[i];
            var bloc = loc with { JsonPath = $"$.agentBuilds[{i}]" };
            if (!ids.Add(build.BuildId))
                findings.Add(Error(FindingCodes.InvalidFleet, $"agent build '{build.BuildId}' is listed twice", bloc));
            foreach (var contract in build.Contracts)
            {
                if (contract.SuppliedValues < 0)
                    findings.Add(Error(FindingCodes.InvalidFleet, $"build '{build.BuildId}' supplies a negative number of values for '{contract.TemplateTypeId}'", bloc));
                if (types.TryGetValue(contract.TemplateTypeId, out var type) && contract.SuppliedValues > type.FieldCount)
                {
                    findings.Add(new Finding(FindingCodes.ContractExceedsType, FindingSeverity.Warning,
                        $"build '{build.BuildId}' supplies {contract.SuppliedValues} values for '{type.Id}', which has only {type.FieldCount} fields: the type definition and the build disagree",
                        bloc with { JsonPath = $"$.agentBuilds[{i}].contracts.{contract.TemplateTypeId}" })
                    { Builds = [build.BuildId], HostCount = fleet.HostCount(build.BuildId) });
                }
            }
        }
        for (var i = 0; i < fleet.Hosts.Count; i++)
        {
            var h = fleet.Hosts[i];
            if (!ids.Contains(h.BuildId))
                findings.Add(Error(FindingCodes.InvalidFleet, $"host row names agent build '{h.BuildId}', which is not in agentBuilds", loc with { JsonPath = $"$.hosts[{i}]" }));
            if (h.HostCount < 0)
                findings.Add(Error(FindingCodes.InvalidFleet, "host count must not be negative", loc with { JsonPath = $"$.hosts[{i}].count" }));
        }
    }

    private static void CheckContract(string name, CompiledChannel compiled, FleetManifest fleet, List<AgentBuild> targeted, List<Finding> findings)
    {
        var file = compiled.File;
        var type = compiled.Type;
        if (targeted.Count == 0)
        {
            findings.Add(new Finding(FindingCodes.NoTargetedBuild, FindingSeverity.Warning,
                $"no agent build in fleet '{fleet.Name}' compiles template type '{type.Id}' and matches the target{DescribeTarget(file.Target)}: this content reaches no host",
                new FindingLocation(name, JsonPath: "$.target")));
            return;
        }
        // Non-wildcard criteria on fields a targeted build does not supply: the Channel File 291 bug. One finding per (instance, field).
        for (var i = 0; i < file.Instances.Count; i++)
        {
            var instance = file.Instances[i];
            for (var f = 0; f < type.FieldCount; f++)
            {
                var c = instance.Criteria[f];
                if (c.IsWildcard)
                    continue;
                var short_ = targeted.Where(b => b.SuppliedValues(type.Id)!.Value <= f).ToList();
                if (short_.Count == 0)
                    continue;
                var hosts = short_.Sum(b => fleet.HostCount(b.BuildId));
                findings.Add(new Finding(FindingCodes.FieldNotSupplied, FindingSeverity.Error,
                    $"criterion {c} is on {type.DescribeField(f)}, but {DescribeBuilds(short_)} {Verb(short_)} only {Supplied(short_, type.Id)}: " +
                    $"{Finding.Hosts(hosts)} would evaluate a field they do not have",
                    new FindingLocation(name, instance.Id, f + 1, type.Fields[f].Name, $"$.instances[{i}].criteria[{f}]"))
                { Builds = [.. short_.Select(b => b.BuildId)], HostCount = hosts });
            }
        }
        // Wildcards on such fields are harmless but never evaluated there: one warning per field.
        for (var f = 0; f < type.FieldCount; f++)
        {
            var short_ = targeted.Where(b => b.SuppliedValues(type.Id)!.Value <= f).ToList();
            if (short_.Count == 0)
                continue;
            var wildcards = file.Instances.Where(inst => inst.Criteria[f].IsWildcard).ToList();
            if (wildcards.Count == 0)
                continue;
            var hosts = short_.Sum(b => fleet.HostCount(b.BuildId));
            var who = wildcards.Count == 1 ? $"instance {wildcards[0].Id}" : $"{wildcards.Count} instances";
            findings.Add(new Finding(FindingCodes.FieldUnreachable, FindingSeverity.Warning,
                $"{type.DescribeField(f)} is unreachable on {DescribeBuilds(short_)} ({Finding.Hosts(hosts)}), which supply only {Supplied(short_, type.Id)}: " +
                $"the wildcard in {who} is never evaluated there, and a non-wildcard criterion on it would be rejected",
                new FindingLocation(name, wildcards.Count == 1 ? wildcards[0].Id : null, f + 1, type.Fields[f].Name))
            { Builds = [.. short_.Select(b => b.BuildId)], HostCount = hosts });
        }
    }

    // ------------------------------------------------------------------ replay and fuzz

    private static int Replay(string name, CompiledChannel compiled, ValidationRequest request, List<AgentBuild> targeted, List<int> lengths, List<Finding> findings)
    {
        var type = compiled.Type;
        var events = request.Corpus.Where(e => e.TemplateTypeId == type.Id).ToList();
        if (events.Count == 0)
            return 0;
        var evaluators = lengths.ToDictionary(n => n, _ => compiled.CreateEvaluator());
        var reported = new HashSet<(int, string)>();
        var replayed = 0;
        Span<int> matches = new int[compiled.InstanceCount];
        for (var e = 0; e < events.Count; e++)
        {
            var sample = events[e];
            var label = sample.Name.Length > 0 ? $"sample event '{sample.Name}'" : $"sample event #{e + 1}";
            if (DescribeMisfit(sample, type) is { } misfit)
            {
                findings.Add(new Finding(FindingCodes.CorpusEventInvalid, FindingSeverity.Warning, $"{label} does not fit template type '{type.Id}': {misfit}; skipped", new FindingLocation(name)));
                continue;
            }
            replayed++;
            foreach (var n in lengths)
            {
                var evaluator = evaluators[n];
                var before = evaluator.Faults.Count;
                var count = evaluator.Evaluate(sample.Values.AsSpan()[..n], matches);
                foreach (var fault in evaluator.Faults.Skip(before))
                {
                    if (!reported.Add((n, fault.InstanceId)))
                        continue;
                    var builds = BuildsSupplying(targeted, type, n);
                    var hosts = builds.Sum(b => request.Fleet!.HostCount(b.BuildId));
                    var on = builds.Count > 0 ? $"on {DescribeBuilds(builds)} ({Finding.Hosts(hosts)})" : $"with {n} values";
                    findings.Add(new Finding(FindingCodes.ReplayFault, FindingSeverity.Error,
                        $"{label} replayed {on} made the interpreter fault: {fault.Message}; the instance was disabled",
                        new FindingLocation(name, fault.InstanceId, fault.FieldNumber, fault.FieldName))
                    { Builds = [.. builds.Select(b => b.BuildId)], HostCount = hosts });
                }
                if (n == type.FieldCount && sample.ExpectMatches is { } expected)
                {
                    var actual = matches[..Math.Min(count, matches.Length)].ToArray().Select(i => compiled.File.Instances[i].Id).Order(StringComparer.Ordinal).ToList();
                    var want = expected.Order(StringComparer.Ordinal).ToList();
                    if (!actual.SequenceEqual(want))
                    {
                        findings.Add(new Finding(FindingCodes.ReplayUnexpectedMatch, FindingSeverity.Warning,
                            $"{label} matched [{string.Join(", ", actual)}] but the corpus expects [{string.Join(", ", want)}]", new FindingLocation(name)));
                    }
                }
            }
        }
        return replayed;
    }

    private static int Fuzz(string name, CompiledChannel compiled, ValidationRequest request, List<AgentBuild> targeted, List<int> lengths, ValidationOptions options, List<Finding> findings)
    {
        var type = compiled.Type;
        var total = 0;
        var buffer = new InputValue[type.FieldCount];
        Span<int> matches = new int[compiled.InstanceCount];
        foreach (var n in lengths)
        {
            var seed = options.FuzzSeed ^ StableHash(name) ^ (n * 7919);
            var fuzzer = new EventFuzzer(type, compiled.File, seed, options.Limits);
            var evaluator = compiled.CreateEvaluator();
            for (var k = 0; k < options.FuzzEventsPerLength && evaluator.DisabledCount < compiled.InstanceCount; k++)
            {
                fuzzer.Next(buffer.AsSpan(0, n));
                evaluator.Evaluate(buffer.AsSpan(0, n), matches);
                total++;
            }
            foreach (var fault in evaluator.Faults)
            {
                var builds = BuildsSupplying(targeted, type, n);
                var hosts = builds.Sum(b => request.Fleet!.HostCount(b.BuildId));
                var on = builds.Count > 0 ? $"{DescribeBuilds(builds)} ({Finding.Hosts(hosts)})" : "a build supplying every field";
                findings.Add(new Finding(FindingCodes.FuzzFault, FindingSeverity.Error,
                    $"fuzzed {n}-value events (seed {seed}) as supplied by {on} made the interpreter fault: {fault.Message}",
                    new FindingLocation(name, fault.InstanceId, fault.FieldNumber, fault.FieldName))
                { Builds = [.. builds.Select(b => b.BuildId)], HostCount = hosts });
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ helpers

    private static string? DescribeMisfit(SampleEvent sample, TemplateType type)
    {
        if (sample.Values.Count != type.FieldCount)
            return $"it has {sample.Values.Count} values, the type has {type.FieldCount} fields";
        for (var f = 0; f < type.FieldCount; f++)
        {
            var integerField = type.Fields[f].Type == FieldType.Integer;
            if (sample.Values[f].IsInteger != integerField)
                return $"value {f + 1} should be {(integerField ? "an integer" : "a string")}";
        }
        return null;
    }

    /// <summary>The targeted builds whose events carry exactly <paramref name="n"/> values (extra values beyond the type's fields are never read).</summary>
    private static List<AgentBuild> BuildsSupplying(List<AgentBuild> targeted, TemplateType type, int n) =>
        [.. targeted.Where(b => Math.Min(b.SuppliedValues(type.Id)!.Value, type.FieldCount) == n)];

    private static string DescribeBuilds(List<AgentBuild> builds)
    {
        var list = builds.Count <= 6
            ? string.Join(", ", builds.Select(b => b.BuildId))
            : string.Join(", ", builds.Take(5).Select(b => b.BuildId)) + $" and {builds.Count - 5} more";
        return builds.Count == 1 ? $"agent build {list}" : $"agent builds {list}";
    }

    private static string Verb(List<AgentBuild> builds) => builds.Count == 1 ? "supplies" : "supply";

    private static string Supplied(List<AgentBuild> builds, string typeId)
    {
        var counts = builds.Select(b => b.SuppliedValues(typeId)!.Value).Distinct().Order().ToList();
        return counts.Count == 1 ? $"{counts[0]} values" : $"{string.Join("/", counts)} values";
    }

    private static string DescribeTarget(ChannelTarget target)
    {
        var parts = new List<string>();
        if (target.Os.Count > 0)
            parts.Add("os " + string.Join("/", target.Os.Select(ContentJson.Name)));
        if (target.Versions is { } v)
            parts.Add("versions " + v.Text);
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private static int Utf8(string s) => Encoding.UTF8.GetByteCount(s);

    /// <summary>FNV-1a: string.GetHashCode is randomised per process, and fuzzing must be reproducible.</summary>
    internal static int StableHash(string s)
    {
        unchecked
        {
            var h = 2166136261u;
            foreach (var ch in s)
                h = (h ^ ch) * 16777619u;
            return (int)h;
        }
    }

    private static Finding Error(string code, string message, FindingLocation location) => new(code, FindingSeverity.Error, message, location);
}
