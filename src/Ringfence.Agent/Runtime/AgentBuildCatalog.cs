using Ringfence.Content;

namespace Ringfence.Agent.Runtime;

/// <summary>
/// What an agent build has compiled in: its contract (how many values it supplies per template type) and the
/// template types themselves, which the interpreter needs to compile a channel file. A real agent carries this in
/// its binary; a simulated one looks its build up here.
/// </summary>
public sealed record AgentBuildDefinition(AgentBuild Build, IReadOnlyDictionary<string, TemplateType> TemplateTypes);

/// <summary>The builds known to this process, from a fleet manifest and template type definitions (the examples' files).</summary>
public sealed class AgentBuildCatalog
{
    private readonly Dictionary<string, AgentBuildDefinition> _builds = new(StringComparer.Ordinal);

    public AgentBuildCatalog(IEnumerable<AgentBuild> builds, IEnumerable<TemplateType> types)
    {
        var byId = types.ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (var build in builds)
        {
            var compiled = build.Contracts.Where(c => byId.ContainsKey(c.TemplateTypeId)).ToDictionary(c => c.TemplateTypeId, c => byId[c.TemplateTypeId], StringComparer.Ordinal);
            _builds[build.BuildId] = new AgentBuildDefinition(build, compiled);
        }
    }

    public IReadOnlyCollection<AgentBuildDefinition> Builds => _builds.Values;

    public AgentBuildDefinition? Find(string buildId) => _builds.GetValueOrDefault(buildId);

    /// <summary>Reads the fleet manifest and template types in their JSON authoring forms; every error in one exception.</summary>
    public static AgentBuildCatalog FromJson(string fleetJson, string templateTypesJson)
    {
        var fleet = ContentJson.ReadFleet(fleetJson);
        var types = ContentJson.ReadTemplateTypes(templateTypesJson);
        if (fleet.Value is null || types.Value is null)
        {
            var errors = fleet.Errors.Concat(types.Errors).Select(e => $"{e.Path}: {e.Message}");
            throw new ContentFormatException("build catalog: " + string.Join("; ", errors));
        }
        return new AgentBuildCatalog(fleet.Value.Builds, types.Value);
    }
}
