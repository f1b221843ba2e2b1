using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringfence.Simulation.Scenarios;

/// <summary>A scenario that cannot be used: <see cref="Exception.Message"/> is one line naming the source and JSON path.</summary>
public sealed class ScenarioException(string message) : Exception(message);

/// <summary>Parses and validates scenario JSON. Bad input gets one line naming the source and JSON path, never a stack trace.</summary>
public static class ScenarioLoader
{
    /// <summary>Scenario files are small; anything bigger is a mistake (or an attack), refused before parsing.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        MaxDepth = 64,
        RespectNullableAnnotations = true,
    };

    public static Scenario Parse(ReadOnlySpan<byte> utf8, string source)
    {
        if (utf8.Length > MaxBytes)
            throw new ScenarioException($"{source}: too large ({utf8.Length.ToString(CultureInfo.InvariantCulture)} bytes; limit {MaxBytes.ToString(CultureInfo.InvariantCulture)})");
        if (utf8.IsEmpty)
            throw new ScenarioException($"{source}: $: empty file");
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<Scenario>(utf8, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ScenarioException($"{source}: {ex.Path ?? "$"}: {Describe(ex)}");
        }
        if (scenario is null)
            throw new ScenarioException($"{source}: $: expected a JSON object, got null");
        var errors = Validate(scenario);
        if (errors.Count > 0)
        {
            var more = errors.Count > 1 ? $" (and {(errors.Count - 1).ToString(CultureInfo.InvariantCulture)} more)" : "";
            throw new ScenarioException($"{source}: {errors[0]}{more}");
        }
        return scenario;
    }

    /// <summary>Every problem at once, each as "JSON path: what is wrong".</summary>
    public static IReadOnlyList<string> Validate(Scenario s)
    {
        var e = new List<string>();
        if (string.IsNullOrWhiteSpace(s.Name))
            e.Add("$.name: must not be empty");
        if (s.DurationHours is <= 0 or > 24 * 60)
            e.Add("$.durationHours: must be in (0, 1440]");
        var f = s.Fleet;
        if (f.Segments.Count == 0)
            e.Add("$.fleet.segments: at least one segment is required");
        for (var i = 0; i < f.Segments.Count; i++)
        {
            var seg = f.Segments[i];
            var p = $"$.fleet.segments[{i}]";
            if (seg.Os is not ("windows" or "macos" or "linux"))
                e.Add($"{p}.os: '{seg.Os}' is not one of windows, macos, linux");
            if (seg.Class is not ("server" or "kiosk" or "workstation"))
                e.Add($"{p}.class: '{seg.Class}' is not one of server, kiosk, workstation");
            if (seg.Count is < 0 or > 100_000_000)
                e.Add($"{p}.count: must be in [0, 100000000]");
            Weights(e, $"{p}.osBuilds", seg.OsBuilds, required: true);
            Weights(e, $"{p}.agentBuilds", seg.AgentBuilds, required: true);
            Weights(e, $"{p}.regions", seg.Regions, required: false);
            foreach (var r in seg.Regions.Keys.Where(r => f.Regions.All(x => x.Name != r)))
                e.Add($"{p}.regions.{r}: unknown region (not in $.fleet.regions)");
            Fraction(e, $"{p}.offlineFraction", seg.OfflineFraction);
            Fraction(e, $"{p}.leftOnFraction", seg.LeftOnFraction);
            Fraction(e, $"{p}.goodNetworkFraction", seg.GoodNetworkFraction);
        }
        if (f.Segments.Sum(x => x.Count) > 100_000_000)
            e.Add("$.fleet.segments: more than 100000000 hosts in total");
        if (f.Regions.Count == 0)
            e.Add("$.fleet.regions: at least one region is required");
        for (var i = 0; i < f.Regions.Count; i++)
        {
            if (f.Regions[i].UtcOffsetHours is < -12 or > 14)
                e.Add($"$.fleet.regions[{i}].utcOffsetHours: must be in [-12, 14]");
            if (!(f.Regions[i].Weight >= 0))
                e.Add($"$.fleet.regions[{i}].weight: must be >= 0");
        }
        Weights(e, "$.fleet.sectors", f.Sectors, required: true);
        if (f.OrganisationSizes.Count == 0 || f.OrganisationSizes.Any(o => o.Hosts < 1 || !(o.Weight >= 0)))
            e.Add("$.fleet.organisationSizes: needs entries with hosts >= 1 and weight >= 0");
        if (f.InternalHosts < 0)
            e.Add("$.fleet.internalHosts: must be >= 0");
        Positive(e, "$.fleet.checkInMinutes", f.CheckInMinutes, 24 * 60);
        Fraction(e, "$.fleet.checkInJitter", f.CheckInJitter);
        Positive(e, "$.fleet.bootMinutes", f.BootMinutes, 120);
        Range(e, "$.fleet.telemetryLatencyMinutes", f.TelemetryLatencyMinutes, 0, 24 * 60);
        Range(e, "$.fleet.backgroundCrashesPerHostDay", f.BackgroundCrashesPerHostDay, 0, 1);
        Fraction(e, "$.fleet.breadcrumbFalseAttribution", f.BreadcrumbFalseAttribution);
        Range(e, "$.fleet.workHours.startLocalHour", f.WorkHours.StartLocalHour, 0, 24);
        Range(e, "$.fleet.workHours.startSpreadHours", f.WorkHours.StartSpreadHours, 0, 12);
        Range(e, "$.fleet.workHours.lengthHours", f.WorkHours.LengthHours, 0.5, 24);

        for (var i = 0; i < s.Content.Faults.Count; i++)
        {
            var fault = s.Content.Faults[i];
            var p = $"$.content.faults[{i}]";
            if (!FaultKinds.All.Contains(fault.Kind))
                e.Add($"{p}.kind: unknown fault '{fault.Kind}' (known: {string.Join(", ", FaultKinds.All)})");
            Fraction(e, $"{p}.probability", fault.Probability);
            Range(e, $"{p}.delayMinutes", fault.DelayMinutes, 0, 24 * 60 * 60);
            Range(e, $"{p}.factor", fault.Factor, 0, 1e6);
            Range(e, $"{p}.cpuPercent", fault.CpuPercent, 0, 1e4);
            if (fault.Kind == FaultKinds.Interpreter && (s.Content.ChannelFile is null || s.Content.AgentBuilds is null))
                e.Add($"{p}.kind: the interpreter fault needs $.content.channelFile and $.content.agentBuilds");
            if (fault.Match.MinAgentBuild is { } min && !Version.TryParse(min, out _))
                e.Add($"{p}.match.minAgentBuild: '{min}' is not a dotted version");
        }

        if (s.Strategies.Count == 0)
            e.Add("$.strategies: at least one strategy is required");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < s.Strategies.Count; i++)
        {
            var st = s.Strategies[i];
            var p = $"$.strategies[{i}]";
            if (!StrategyTypes.All.Contains(st.Type))
                e.Add($"{p}.type: unknown strategy '{st.Type}' (known: {string.Join(", ", StrategyTypes.All)})");
            if (string.IsNullOrWhiteSpace(st.Name) || !names.Add(st.Name))
                e.Add($"{p}.name: must be present and unique");
            if (st.Agents is not (null or "self-healing" or "legacy"))
                e.Add($"{p}.agents: '{st.Agents}' is not one of self-healing, legacy");
            Range(e, $"{p}.revertAfterMinutes", st.RevertAfterMinutes, 0, 1e6);
            Fraction(e, $"{p}.staticCrashRateLimit", st.StaticCrashRateLimit);
            var planRings = st.Plan?.Rings;
            if (planRings is { Count: 0 })
                e.Add($"{p}.plan.rings: at least one ring is required");
            for (var r = 0; r < (planRings?.Count ?? 0); r++)
            {
                var ring = planRings![r];
                if (ring.Selection is not ("internal" or "coverage" or "percent"))
                    e.Add($"{p}.plan.rings[{r}].selection: '{ring.Selection}' is not one of internal, coverage, percent");
                Range(e, $"{p}.plan.rings[{r}].percent", ring.Percent, 0, 100);
                Range(e, $"{p}.plan.rings[{r}].bakeMinutes", ring.BakeMinutes, 0, 30 * 24 * 60);
            }
        }
        Range(e, "$.legacyAgent.fixWinsPerBootGoodNetwork", s.LegacyAgent.FixWinsPerBootGoodNetwork, 0, 1);
        Range(e, "$.legacyAgent.fixWinsPerBootNormalNetwork", s.LegacyAgent.FixWinsPerBootNormalNetwork, 0, 1);
        if (s.LegacyAgent.MaxBootsGoodNetwork < 1 || s.LegacyAgent.MaxBootsNormalNetwork < 1)
            e.Add("$.legacyAgent.maxBoots*: must be >= 1");
        Positive(e, "$.repair.minutesPerHost", s.Repair.MinutesPerHost, 24 * 60);
        Positive(e, "$.repair.techniciansPerThousandHosts", s.Repair.TechniciansPerThousandHosts, 1000);
        Range(e, "$.repair.responseDelayHours", s.Repair.ResponseDelayHours, 0, 24 * 30);
        return e;
    }

    private static void Weights(List<string> e, string path, IReadOnlyDictionary<string, double> weights, bool required)
    {
        if (required && weights.Count == 0)
            e.Add($"{path}: at least one entry is required");
        foreach (var (k, v) in weights)
        {
            if (!(v >= 0) || !double.IsFinite(v))
                e.Add($"{path}.{k}: weight must be a finite number >= 0");
        }
        if (weights.Count > 0 && !(weights.Values.Sum() > 0))
            e.Add($"{path}: weights must not all be zero");
    }

    private static void Fraction(List<string> e, string path, double v) => Range(e, path, v, 0, 1);

    private static void Positive(List<string> e, string path, double v, double max)
    {
        if (!(v > 0 && v <= max))
            e.Add($"{path}: must be in (0, {max.ToString(CultureInfo.InvariantCulture)}]");
    }

    private static void Range(List<string> e, string path, double v, double min, double max)
    {
        if (!(v >= min && v <= max))
            e.Add($"{path}: must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
    }

    private static string Describe(JsonException ex)
    {
        // System.Text.Json appends " Path: ... | LineNumber: ..." to its messages; keep the first sentence, add the line.
        var msg = ex.Message;
        var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
            msg = msg[..cut];
        msg = msg.Replace('\n', ' ').Replace('\r', ' ').Trim();
        if (ex.LineNumber is { } line)
            msg += $" (line {(line + 1).ToString(CultureInfo.InvariantCulture)}, byte {(ex.BytePositionInLine ?? 0).ToString(CultureInfo.InvariantCulture)})";
        return msg;
    }
}
