using System.Text.Json;
using Ringfence.Content;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Engine;

/// <summary>
/// The scenario's channel file run through the REAL content library: parsed with <see cref="ContentJson"/>, compiled
/// against its template type, and evaluated ONCE per agent build with the number of input values that build's
/// contract supplies. A build whose event faults in the bounds-checked interpreter is a build whose 2024-style
/// unchecked interpreter would read out of bounds: the <c>interpreter</c> fault model crashes those hosts.
/// </summary>
public sealed class ContentModel
{
    private readonly Dictionary<string, BuildVerdict> _builds = new(StringComparer.Ordinal);

    private ContentModel(ChannelFile? file, IReadOnlyList<AgentBuild> builds)
    {
        File = file;
        Builds = builds;
    }

    public ChannelFile? File { get; }

    public IReadOnlyList<AgentBuild> Builds { get; }

    public IReadOnlyList<TemplateType> TemplateTypes { get; private init; } = [];

    public IReadOnlyDictionary<string, BuildVerdict> Verdicts => _builds;

    public static ContentModel None { get; } = new(null, []);

    /// <summary>Parses and evaluates the scenario's content; a bad channel file is a <see cref="ScenarioException"/>.</summary>
    public static ContentModel Load(ContentSpec spec, string source)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ChannelFile is not { } channelJson)
            return None;
        var file = Read(() => ContentJson.ReadChannelFile(channelJson.GetRawText()), source, "$.content.channelFile");
        var types = spec.TemplateTypes is { } t ? Read(() => ContentJson.ReadTemplateTypes(t.GetRawText()), source, "$.content.templateTypes") : [];
        var builds = spec.AgentBuilds is { } b
            ? Read(() => ContentJson.ReadFleet($"{{\"name\":\"scenario\",\"agentBuilds\":{b.GetRawText()},\"hosts\":[]}}"), source, "$.content.agentBuilds").Builds.ToList()
            : [];
        var model = new ContentModel(file, builds) { TemplateTypes = types };
        var type = types.FirstOrDefault(x => x.Id == file.TemplateTypeId)
            ?? throw new ScenarioException($"{source}: $.content.templateTypes: no template type '{file.TemplateTypeId}' for channel file {file.Id}");
        CompiledChannel compiled;
        try
        {
            compiled = CompiledChannel.Compile(file, type);
        }
        catch (ContentCompileException ex)
        {
            throw new ScenarioException($"{source}: $.content.channelFile: {ex.Message}");
        }
        foreach (var build in builds)
        {
            var receives = file.Target.Includes(build) && build.SuppliedValues(file.TemplateTypeId) is not null;
            var faults = receives ? Evaluate(compiled, type, build.SuppliedValues(file.TemplateTypeId)!.Value) : [];
            model._builds[build.BuildId] = new BuildVerdict(build.BuildId, receives, faults.Count > 0,
                faults.Count > 0 ? faults[0].Message : null);
        }
        return model;
    }

    /// <summary>Whether agent build <paramref name="buildId"/> receives this channel file at all (target and contract).</summary>
    public bool Receives(string buildId) => File is null || (_builds.TryGetValue(buildId, out var v) && v.Receives);

    public bool FaultsOn(string buildId) => _builds.TryGetValue(buildId, out var v) && v.Faults;

    /// <summary>One real interpreter run: an event with exactly the values the build supplies.</summary>
    private static IReadOnlyList<EvaluationFault> Evaluate(CompiledChannel compiled, TemplateType type, int supplied)
    {
        var values = new InputValue[supplied];
        for (var i = 0; i < supplied; i++)
            values[i] = i < type.Fields.Count && type.Fields[i].Type == FieldType.Integer ? InputValue.Of(0L) : InputValue.Of("");
        var evaluator = compiled.CreateEvaluator();
        return evaluator.Evaluate(values).NewFaults.Where(f => f.Kind == FaultKind.MissingField).ToList();
    }

    private static T Read<T>(Func<JsonReadResult<T>> read, string source, string path)
        where T : class
    {
        JsonReadResult<T> result;
        try
        {
            result = read();
        }
        catch (JsonException ex)
        {
            throw new ScenarioException($"{source}: {path}: {ex.Message.Split('\n')[0]}");
        }
        catch (ContentFormatException ex)
        {
            throw new ScenarioException($"{source}: {path}: {ex.Message}");
        }
        if (!result.Succeeded)
        {
            var e = result.Errors.Count > 0 ? result.Errors[0].ToString() : "invalid";
            throw new ScenarioException($"{source}: {path}{(e.StartsWith('$') ? e[1..] : ": " + e)}");
        }
        return result.Value!;
    }
}

/// <summary>What the real interpreter said about one agent build.</summary>
public sealed record BuildVerdict(string BuildId, bool Receives, bool Faults, string? Fault);
