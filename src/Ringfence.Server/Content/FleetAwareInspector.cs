using Ringfence.Content;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Services;

namespace Ringfence.Server.Content;

/// <summary>
/// What the server knows about agent builds it did not learn from check-ins: each build's template contracts (how
/// many input values it really supplies per template type) and the template types. Check-ins say which builds the
/// fleet runs and on how many hosts; the catalog says what those builds can evaluate.
/// </summary>
public sealed record BuildCatalog(IReadOnlyList<AgentBuild> Builds, IReadOnlyList<TemplateType> TemplateTypes)
{
    /// <summary>The catalog from files (options) or, by default, the one shipped with the server (examples/fleet.json, examples/template-types.json).</summary>
    public static BuildCatalog Load(RingfenceServerOptions options)
    {
        var fleetJson = options.BuildCatalogFile is { } f ? File.ReadAllText(f) : ReadResource("fleet.json");
        var typesJson = options.TemplateTypesFile is { } t ? File.ReadAllText(t) : ReadResource("template-types.json");
        var fleet = ContentJson.ReadFleet(fleetJson);
        var types = ContentJson.ReadTemplateTypes(typesJson);
        if (fleet.Value is null || types.Value is null)
            throw new ArgumentException("build catalog: " + string.Join("; ", fleet.Errors.Concat(types.Errors).Select(e => $"{e.Path}: {e.Message}")));
        return new BuildCatalog(fleet.Value.Builds, types.Value);
    }

    private static string ReadResource(string name)
    {
        var assembly = typeof(BuildCatalog).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith("Catalog." + name, StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// Publish-time validation with Ringfence.Content's validator against the fleet's real agent builds (from check-ins,
/// plus declared builds), so content the running fleet cannot evaluate — the Channel File 291 class — is refused
/// with every finding, the builds it would break and their host counts.
/// </summary>
public sealed class FleetAwareInspector(BuildCatalog catalog) : IChannelFileInspector
{
    public ChannelFileInspection Inspect(string content, IReadOnlyList<BuildHostCount> builds)
    {
        JsonReadResult<ChannelFile> read;
        try
        {
            read = ContentJson.ReadChannelFile(content);
        }
        catch (ContentFormatException ex)
        {
            return new ChannelFileInspection(null, null, [new("RF-FILE-SYNTAX", "error", ex.Message, "$")]);
        }
        if (read.Value is not { } file)
            return new ChannelFileInspection(null, null, [.. read.Errors.Select(e => new ValidationFinding("RF-FILE-SCHEMA", "error", e.Message, e.Path))]);

        var hostsByBuild = builds.ToDictionary(b => b.AgentBuild, b => b.Hosts, StringComparer.Ordinal);
        var known = catalog.Builds.Where(b => hostsByBuild.ContainsKey(b.BuildId)).ToList();
        var fleet = new FleetManifest("fleet (check-ins + declared)", known,
            [.. known.Select(b => new HostPopulation(b.BuildId, "*", hostsByBuild[b.BuildId]))]);
        var report = ContentValidator.Validate(new ValidationRequest
        {
            Files = [new ContentDocument(file.Id, file)],
            TemplateTypes = catalog.TemplateTypes,
            Fleet = fleet,
        });

        var findings = report.Findings.Select(f => new ValidationFinding(
            f.Code,
            f.Severity.ToString().ToLowerInvariant(),
            f.Message,
            f.Location.ToString(),
            f.Builds.Count == 0 ? null : [.. f.Builds.Select(b => new BuildHostCount(b, hostsByBuild.GetValueOrDefault(b)))])).ToList();
        // Invariant 1: content is marked valid only for the builds it targets and that the validator checked.
        var failing = report.Findings.Where(f => f.Severity == FindingSeverity.Error).SelectMany(f => f.Builds).ToHashSet(StringComparer.Ordinal);
        var validated = fleet.TargetedBuilds(file).Select(b => b.BuildId).Where(b => !failing.Contains(b)).ToList();
        return new ChannelFileInspection(file.Id, file.Version, findings) { ValidatedBuilds = validated };
    }
}
