using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ringfence.Protocol;

namespace Ringfence.Cli.Demo;

/// <summary>A publish the server refused, with every finding it returned.</summary>
internal sealed class PublishRejectedException(string message, IReadOnlyList<ValidationFinding> findings) : Exception(message)
{
    public IReadOnlyList<ValidationFinding> Findings { get; } = findings;
}

/// <summary>The few operator API calls the demo makes, over real HTTP like any operator tool.</summary>
internal sealed class OperatorClient(HttpClient http, Uri server, string apiKey)
{
    public Task<ChannelFileDto> PublishAsync(string content, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Routes.ChannelFiles, new PublishChannelFileRequest(content), ProtocolJsonContext.Default.PublishChannelFileRequest,
            ProtocolJsonContext.Default.ChannelFileDto, ct);

    public Task<RolloutDto> CreateRolloutAsync(CreateRolloutRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Routes.Rollouts, request, ProtocolJsonContext.Default.CreateRolloutRequest, ProtocolJsonContext.Default.RolloutDto, ct);

    public Task<RolloutDto> ApproveAsync(string rolloutId, string reason, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"{Routes.Rollout(rolloutId)}/approve", new RolloutActionRequest(reason), ProtocolJsonContext.Default.RolloutActionRequest,
            ProtocolJsonContext.Default.RolloutDto, ct);

    public Task<RolloutDto> GetRolloutAsync(string rolloutId, CancellationToken ct) =>
        GetAsync(Routes.Rollout(rolloutId), ProtocolJsonContext.Default.RolloutDto, ct);

    public Task<IReadOnlyList<DecisionDto>> GetDecisionsAsync(string rolloutId, CancellationToken ct) =>
        GetAsync($"{Routes.Rollout(rolloutId)}/decisions", ProtocolJsonContext.Default.IReadOnlyListDecisionDto, ct);

    public Task<FleetOverview> GetFleetAsync(CancellationToken ct) => GetAsync(Routes.Fleet, ProtocolJsonContext.Default.FleetOverview, ct);

    public Task<KnownBadListDto> GetKnownBadAsync(CancellationToken ct) => GetAsync(Routes.KnownBad, ProtocolJsonContext.Default.KnownBadListDto, ct);

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, path));
        request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        using var response = await http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, path, ct);
        return (await response.Content.ReadFromJsonAsync(type, ct))!;
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(HttpMethod method, string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(server, path)) { Content = JsonContent.Create(body, requestType) };
        request.Headers.Add(Routes.ApiKeyHeader, apiKey);
        using var response = await http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, path, ct);
        return (await response.Content.ReadFromJsonAsync(responseType, ct))!;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(ct);
        string? detail = null;
        var findings = new List<ValidationFinding>();
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                detail = d.GetString();
            else if (root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String)
                detail = t.GetString();
            if (root.TryGetProperty("findings", out var f) && f.ValueKind == JsonValueKind.Array)
                findings.AddRange(f.Deserialize(ProtocolJsonContext.Default.IReadOnlyListValidationFinding) ?? []);
        }
        catch (JsonException)
        {
            // Not a problem document: the status line is all there is.
        }
        var message = $"{path}: {(int)response.StatusCode} {detail ?? response.ReasonPhrase}";
        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
            throw new PublishRejectedException(message, findings);
        throw new CliException(message);
    }
}
