using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringfence.Simulation.Output;

/// <summary>The <c>--json</c> form of a report: camelCase, deterministic (no wall-clock values), non-finite numbers as strings.</summary>
public static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(SimulationReport report) => JsonSerializer.Serialize(report, Options);
}
