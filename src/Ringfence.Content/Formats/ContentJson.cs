using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Ringfence.Content;

/// <summary>
/// The JSON authoring forms: channel files (schemas/channel-file.schema.json), template type definitions
/// (schemas/template-types.schema.json), fleet manifests (schemas/fleet.schema.json) and sample-event corpora
/// (schemas/corpus.schema.json). Readers collect every schema error with its JSON path; malformed JSON throws
/// <see cref="ContentFormatException"/>. Writers produce the canonical form, so JSON → model → JSON is stable.
/// </summary>
public static class ContentJson
{
    public static readonly IReadOnlyDictionary<string, FieldType> FieldTypeNames = new Dictionary<string, FieldType>
    {
        ["string"] = FieldType.String, ["path"] = FieldType.Path, ["integer"] = FieldType.Integer, ["enum"] = FieldType.Enum,
    };

    public static readonly IReadOnlyDictionary<string, CriterionKind> KindNames = new Dictionary<string, CriterionKind>
    {
        ["wildcard"] = CriterionKind.Wildcard, ["exact"] = CriterionKind.Exact, ["glob"] = CriterionKind.Glob,
        ["regex"] = CriterionKind.Regex, ["range"] = CriterionKind.Range, ["set"] = CriterionKind.Set,
    };

    public static readonly IReadOnlyDictionary<string, Severity> SeverityNames = new Dictionary<string, Severity>
    {
        ["info"] = Severity.Info, ["low"] = Severity.Low, ["medium"] = Severity.Medium, ["high"] = Severity.High, ["critical"] = Severity.Critical,
    };

    public static readonly IReadOnlyDictionary<string, AgentOs> OsNames = new Dictionary<string, AgentOs>
    {
        ["windows"] = AgentOs.Windows, ["macos"] = AgentOs.MacOs, ["linux"] = AgentOs.Linux,
    };

    public static string Name(FieldType t) => FieldTypeNames.First(kv => kv.Value == t).Key;
    public static string Name(CriterionKind k) => KindNames.First(kv => kv.Value == k).Key;
    public static string Name(Severity s) => SeverityNames.First(kv => kv.Value == s).Key;
    public static string Name(AgentOs o) => OsNames.First(kv => kv.Value == o).Key;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // ---------------------------------------------------------------- channel files

    public static JsonReadResult<ChannelFile> ReadChannelFile(string json, ContentLimits? limits = null)
    {
        var ctx = new JsonReadContext(limits ?? ContentLimits.Default);
        using var doc = JsonReadContext.Parse(json, ctx.Limits);
        var file = ReadChannelFile(ctx, doc.RootElement, "$");
        return new JsonReadResult<ChannelFile>(ctx.Errors.Count == 0 ? file : null, ctx.Errors);
    }

    private static ChannelFile? ReadChannelFile(JsonReadContext ctx, JsonElement root, string path)
    {
        if (!ctx.IsObject(root, path))
            return null;
        ctx.OnlyProperties(root, path, "id", "templateType", "version", "description", "target", "instances", "retire");
        var id = ctx.String(root, path, "id");
        if (id is not null && !ChannelId.IsValid(id))
            ctx.Error($"{path}.id", $"'{id}' is not a channel id: {ChannelId.Rule}");
        var type = ctx.String(root, path, "templateType");
        var version = ctx.Integer(root, path, "version");
        if (version < 0)
            ctx.Error($"{path}.version", "must not be negative");
        var description = ctx.String(root, path, "description", required: false, allowEmpty: true) ?? "";
        var retire = ctx.Bool(root, path, "retire") ?? false;
        var target = ChannelTarget.All;
        if (ctx.Property(root, path, "target", required: false) is { } t && ctx.IsObject(t, $"{path}.target"))
        {
            ctx.OnlyProperties(t, $"{path}.target", "os", "versions");
            var os = new List<AgentOs>();
            foreach (var (item, p) in ctx.Array(t, $"{path}.target", "os", 8, required: false) ?? [])
            {
                if (ctx.StringValue(item, p) is { } name)
                {
                    if (OsNames.TryGetValue(name, out var o))
                        os.Add(o);
                    else
                        ctx.Error(p, $"'{name}' is not one of: {string.Join(", ", OsNames.Keys)}");
                }
            }
            VersionRange? range = null;
            if (ctx.String(t, $"{path}.target", "versions", required: false) is { } rangeText
                && !VersionRange.TryParse(rangeText, out range, out var error))
                ctx.Error($"{path}.target.versions", error);
            target = new ChannelTarget(os, range);
        }

        var instances = new List<TemplateInstance>();
        foreach (var (item, p) in ctx.Array(root, path, "instances", ctx.Limits.MaxInstances) ?? [])
        {
            if (ReadInstance(ctx, item, p) is { } instance)
                instances.Add(instance);
        }
        return id is null || type is null || version is null ? null
            : new ChannelFile(id, type, version.Value, instances) { Description = description, Target = target, Retire = retire };
    }

    private static TemplateInstance? ReadInstance(JsonReadContext ctx, JsonElement e, string path)
    {
        if (!ctx.IsObject(e, path))
            return null;
        ctx.OnlyProperties(e, path, "id", "action", "severity", "criteria");
        var id = ctx.String(e, path, "id");
        var action = ctx.String(e, path, "action");
        var severity = ctx.EnumValue(e, path, "severity", SeverityNames);
        var criteria = new List<Criterion>();
        var ok = true;
        foreach (var (item, p) in ctx.Array(e, path, "criteria", ctx.Limits.MaxFields) ?? [])
        {
            if (ReadCriterion(ctx, item, p) is { } c)
                criteria.Add(c);
            else
                ok = false;
        }
        return ok && id is not null && action is not null && severity is not null
            ? new TemplateInstance(id, action, severity.Value, criteria) : null;
    }

    private static Criterion? ReadCriterion(JsonReadContext ctx, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            if (e.GetString() == "*")
                return Criterion.Wildcard;
            ctx.Error(path, "a criterion given as a string must be \"*\" (wildcard); use {\"exact\": ...} for an exact match");
            return null;
        }
        if (!ctx.IsObject(e, path))
            return null;
        string[] kinds = ["exact", "glob", "regex", "range", "set"];
        var present = kinds.Where(k => e.TryGetProperty(k, out _)).ToList();
        if (present.Count != 1)
        {
            ctx.Error(path, present.Count == 0
                ? "a criterion needs exactly one of: \"*\", exact, glob, regex, range, set"
                : $"a criterion has exactly one kind, found {string.Join(" and ", present)}");
            return null;
        }
        var kind = present[0];
        var ignoreCase = ctx.Bool(e, path, "ignoreCase") ?? false;
        switch (kind)
        {
            case "exact":
                ctx.OnlyProperties(e, path, "exact", "ignoreCase");
                var v = e.GetProperty("exact");
                if (v.ValueKind == JsonValueKind.Number)
                {
                    if (ignoreCase)
                        ctx.Error($"{path}.ignoreCase", "ignoreCase applies to strings, not integers");
                    return ctx.IntegerValue(v, $"{path}.exact") is { } n ? Criterion.Exact(n) : null;
                }
                return ctx.StringValue(v, $"{path}.exact", allowEmpty: true) is { } s ? Criterion.Exact(s, ignoreCase) : null;
            case "glob":
            case "regex":
                ctx.OnlyProperties(e, path, kind, "ignoreCase");
                var pattern = ctx.String(e, path, kind, allowEmpty: true);
                return pattern is null ? null : kind == "glob" ? Criterion.Glob(pattern, ignoreCase) : Criterion.Regex(pattern, ignoreCase);
            case "range":
                ctx.OnlyProperties(e, path, "range");
                var bounds = ctx.Array(e, path, "range", 2);
                if (bounds is null)
                    return null;
                if (bounds.Count != 2)
                {
                    ctx.Error($"{path}.range", "expected [min, max]");
                    return null;
                }
                var min = ctx.IntegerValue(bounds[0].Item, bounds[0].Path);
                var max = ctx.IntegerValue(bounds[1].Item, bounds[1].Path);
                return min is null || max is null ? null : Criterion.Range(min.Value, max.Value);
            default:
                ctx.OnlyProperties(e, path, "set", "ignoreCase", "integers");
                var items = ctx.Array(e, path, "set", ctx.Limits.MaxSetValues);
                if (items is null)
                    return null;
                var integers = ctx.Bool(e, path, "integers") ?? (items.Count > 0 && items[0].Item.ValueKind == JsonValueKind.Number);
                if (integers)
                {
                    if (ignoreCase)
                        ctx.Error($"{path}.ignoreCase", "ignoreCase applies to strings, not integers");
                    var values = items.Select(i => ctx.IntegerValue(i.Item, i.Path)).ToList();
                    return values.All(x => x is not null) ? Criterion.Set(values.Select(x => x!.Value)) : null;
                }
                var texts = items.Select(i => ctx.StringValue(i.Item, i.Path, allowEmpty: true)).ToList();
                return texts.All(x => x is not null) ? Criterion.Set(texts.Select(x => x!), ignoreCase) : null;
        }
    }

    public static string WriteChannelFile(ChannelFile file)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://ringfence.dev/schemas/channel-file.schema.json");
            w.WriteString("id", file.Id);
            w.WriteString("templateType", file.TemplateTypeId);
            w.WriteNumber("version", file.Version);
            if (file.Description.Length > 0)
                w.WriteString("description", file.Description);
            if (file.Retire)
                w.WriteBoolean("retire", true);
            if (file.Target.Os.Count > 0 || file.Target.Versions is not null)
            {
                w.WriteStartObject("target");
                if (file.Target.Os.Count > 0)
                {
                    w.WriteStartArray("os");
                    foreach (var os in file.Target.Os)
                        w.WriteStringValue(Name(os));
                    w.WriteEndArray();
                }
                if (file.Target.Versions is { } range)
                    w.WriteString("versions", range.Text);
                w.WriteEndObject();
            }
            w.WriteStartArray("instances");
            foreach (var instance in file.Instances)
            {
                w.WriteStartObject();
                w.WriteString("id", instance.Id);
                w.WriteString("action", instance.Action);
                w.WriteString("severity", Name(instance.Severity));
                w.WriteStartArray("criteria");
                foreach (var c in instance.Criteria)
                    WriteCriterion(w, c);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteCriterion(Utf8JsonWriter w, Criterion c)
    {
        if (c.Kind == CriterionKind.Wildcard)
        {
            w.WriteStringValue("*");
            return;
        }
        w.WriteStartObject();
        switch (c.Kind)
        {
            case CriterionKind.Exact when c.Integer is { } i:
                w.WriteNumber("exact", i);
                break;
            case CriterionKind.Exact:
                w.WriteString("exact", c.Text);
                break;
            case CriterionKind.Glob:
                w.WriteString("glob", c.Text);
                break;
            case CriterionKind.Regex:
                w.WriteString("regex", c.Text);
                break;
            case CriterionKind.Range:
                w.WriteStartArray("range");
                w.WriteNumberValue(c.Min);
                w.WriteNumberValue(c.Max);
                w.WriteEndArray();
                break;
            case CriterionKind.Set when c.IsIntegerSet:
                w.WriteStartArray("set");
                foreach (var v in c.Integers)
                    w.WriteNumberValue(v);
                w.WriteEndArray();
                if (c.Integers.Count == 0)
                    w.WriteBoolean("integers", true);
                break;
            case CriterionKind.Set:
                w.WriteStartArray("set");
                foreach (var v in c.Texts)
                    w.WriteStringValue(v);
                w.WriteEndArray();
                break;
        }
        if (c.IgnoreCase)
            w.WriteBoolean("ignoreCase", true);
        w.WriteEndObject();
    }

    // ---------------------------------------------------------------- template types

    public static JsonReadResult<IReadOnlyList<TemplateType>> ReadTemplateTypes(string json, ContentLimits? limits = null)
    {
        var ctx = new JsonReadContext(limits ?? ContentLimits.Default);
        using var doc = JsonReadContext.Parse(json, ctx.Limits);
        var root = doc.RootElement;
        var types = new List<TemplateType>();
        if (ctx.IsObject(root, "$"))
        {
            ctx.OnlyProperties(root, "$", "templateTypes");
            foreach (var (item, p) in ctx.Array(root, "$", "templateTypes", 1000) ?? [])
            {
                if (ReadTemplateType(ctx, item, p) is { } t)
                    types.Add(t);
            }
        }
        return new JsonReadResult<IReadOnlyList<TemplateType>>(ctx.Errors.Count == 0 ? types : null, ctx.Errors);
    }

    private static TemplateType? ReadTemplateType(JsonReadContext ctx, JsonElement e, string path)
    {
        if (!ctx.IsObject(e, path))
            return null;
        ctx.OnlyProperties(e, path, "id", "name", "fields");
        var id = ctx.String(e, path, "id");
        var name = ctx.String(e, path, "name");
        var fields = new List<TemplateField>();
        foreach (var (item, p) in ctx.Array(e, path, "fields", ctx.Limits.MaxFields) ?? [])
        {
            if (!ctx.IsObject(item, p))
                continue;
            ctx.OnlyProperties(item, p, "name", "type", "matchers", "values");
            var fieldName = ctx.String(item, p, "name");
            var type = ctx.EnumValue(item, p, "type", FieldTypeNames);
            var kinds = new List<CriterionKind>();
            var matchers = ctx.Array(item, p, "matchers", 6, required: false);
            foreach (var (m, mp) in matchers ?? [])
            {
                if (ctx.StringValue(m, mp) is { } k)
                {
                    if (KindNames.TryGetValue(k, out var kind))
                        kinds.Add(kind);
                    else
                        ctx.Error(mp, $"'{k}' is not one of: {string.Join(", ", KindNames.Keys)}");
                }
            }
            var values = new List<string>();
            foreach (var (v, vp) in ctx.Array(item, p, "values", ctx.Limits.MaxSetValues, required: false) ?? [])
            {
                if (ctx.StringValue(v, vp) is { } s)
                    values.Add(s);
            }
            if (fieldName is not null && type is not null)
                fields.Add(new TemplateField(fieldName, type.Value, matchers is null ? TemplateField.KindsFor(type.Value) : kinds, values));
        }
        return id is null || name is null ? null : new TemplateType(id, name, fields);
    }

    public static string WriteTemplateTypes(IEnumerable<TemplateType> types)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://ringfence.dev/schemas/template-types.schema.json");
            w.WriteStartArray("templateTypes");
            foreach (var t in types)
            {
                w.WriteStartObject();
                w.WriteString("id", t.Id);
                w.WriteString("name", t.Name);
                w.WriteStartArray("fields");
                foreach (var f in t.Fields)
                {
                    w.WriteStartObject();
                    w.WriteString("name", f.Name);
                    w.WriteString("type", Name(f.Type));
                    w.WriteStartArray("matchers");
                    foreach (var k in f.AllowedKinds)
                        w.WriteStringValue(Name(k));
                    w.WriteEndArray();
                    if (f.EnumValues.Count > 0)
                    {
                        w.WriteStartArray("values");
                        foreach (var v in f.EnumValues)
                            w.WriteStringValue(v);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    // ---------------------------------------------------------------- fleet manifest

    public static JsonReadResult<FleetManifest> ReadFleet(string json, ContentLimits? limits = null)
    {
        var ctx = new JsonReadContext(limits ?? ContentLimits.Default);
        using var doc = JsonReadContext.Parse(json, ctx.Limits);
        var root = doc.RootElement;
        if (!ctx.IsObject(root, "$"))
            return new(null, ctx.Errors);
        ctx.OnlyProperties(root, "$", "name", "agentBuilds", "hosts");
        var name = ctx.String(root, "$", "name") ?? "";
        var builds = new List<AgentBuild>();
        foreach (var (item, p) in ctx.Array(root, "$", "agentBuilds", 10_000) ?? [])
        {
            if (!ctx.IsObject(item, p))
                continue;
            ctx.OnlyProperties(item, p, "id", "os", "version", "contracts");
            var id = ctx.String(item, p, "id");
            var os = ctx.EnumValue(item, p, "os", OsNames);
            var versionText = ctx.String(item, p, "version");
            AgentVersion version = default;
            if (versionText is not null && !AgentVersion.TryParse(versionText, out version))
                ctx.Error($"{p}.version", $"'{versionText}' is not an agent version (1 to 4 dot-separated numbers)");
            var contracts = new List<TemplateContract>();
            if (ctx.Property(item, p, "contracts", required: true) is { } c && ctx.IsObject(c, $"{p}.contracts"))
            {
                foreach (var prop in c.EnumerateObject())
                {
                    var cp = $"{p}.contracts.{prop.Name}";
                    if (ctx.IntegerValue(prop.Value, cp) is { } n)
                    {
                        if (n is < 0 or > int.MaxValue)
                            ctx.Error(cp, "supplied value count must be between 0 and 2147483647");
                        else
                            contracts.Add(new TemplateContract(prop.Name, (int)n));
                    }
                }
            }
            if (id is not null && os is not null && versionText is not null)
                builds.Add(new AgentBuild(id, os.Value, version, contracts));
        }
        var hosts = new List<HostPopulation>();
        foreach (var (item, p) in ctx.Array(root, "$", "hosts", 100_000) ?? [])
        {
            if (!ctx.IsObject(item, p))
                continue;
            ctx.OnlyProperties(item, p, "build", "osBuild", "count");
            var build = ctx.String(item, p, "build");
            var osBuild = ctx.String(item, p, "osBuild");
            var count = ctx.Integer(item, p, "count");
            if (count < 0)
                ctx.Error($"{p}.count", "must not be negative");
            if (build is not null && osBuild is not null && count is not null)
                hosts.Add(new HostPopulation(build, osBuild, count.Value));
        }
        return new(ctx.Errors.Count == 0 ? new FleetManifest(name, builds, hosts) : null, ctx.Errors);
    }

    public static string WriteFleet(FleetManifest fleet)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://ringfence.dev/schemas/fleet.schema.json");
            w.WriteString("name", fleet.Name);
            w.WriteStartArray("agentBuilds");
            foreach (var b in fleet.Builds)
            {
                w.WriteStartObject();
                w.WriteString("id", b.BuildId);
                w.WriteString("os", Name(b.Os));
                w.WriteString("version", b.Version.ToString());
                w.WriteStartObject("contracts");
                foreach (var c in b.Contracts)
                    w.WriteNumber(c.TemplateTypeId, c.SuppliedValues);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("hosts");
            foreach (var h in fleet.Hosts)
            {
                w.WriteStartObject();
                w.WriteString("build", h.BuildId);
                w.WriteString("osBuild", h.OsBuild);
                w.WriteNumber("count", h.HostCount);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    // ---------------------------------------------------------------- sample-event corpus

    public static JsonReadResult<IReadOnlyList<SampleEvent>> ReadCorpus(string json, ContentLimits? limits = null)
    {
        var ctx = new JsonReadContext(limits ?? ContentLimits.Default);
        using var doc = JsonReadContext.Parse(json, ctx.Limits);
        var root = doc.RootElement;
        var events = new List<SampleEvent>();
        if (ctx.IsObject(root, "$"))
        {
            ctx.OnlyProperties(root, "$", "events");
            foreach (var (item, p) in ctx.Array(root, "$", "events", 1_000_000) ?? [])
            {
                if (!ctx.IsObject(item, p))
                    continue;
                ctx.OnlyProperties(item, p, "name", "templateType", "values", "expectMatches");
                var name = ctx.String(item, p, "name", required: false) ?? "";
                var type = ctx.String(item, p, "templateType");
                var values = new List<InputValue>();
                var ok = true;
                foreach (var (v, vp) in ctx.Array(item, p, "values", ctx.Limits.MaxFields) ?? [])
                {
                    if (v.ValueKind == JsonValueKind.Number && ctx.IntegerValue(v, vp) is { } n)
                        values.Add(n);
                    else if (v.ValueKind != JsonValueKind.Number && ctx.StringValue(v, vp, allowEmpty: true) is { } s)
                        values.Add(s);
                    else
                        ok = false;
                }
                List<string>? expect = null;
                if (ctx.Array(item, p, "expectMatches", ctx.Limits.MaxInstances, required: false) is { } ex)
                    expect = [.. ex.Select(x => ctx.StringValue(x.Item, x.Path) ?? "")];
                if (ok && type is not null)
                    events.Add(new SampleEvent(type, values) { Name = name, ExpectMatches = expect is null ? null : ValueList.From(expect) });
            }
        }
        return new JsonReadResult<IReadOnlyList<SampleEvent>>(ctx.Errors.Count == 0 ? events : null, ctx.Errors);
    }
}
