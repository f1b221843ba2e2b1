using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ringfence.Protocol;

namespace Ringfence.Agent.Runtime;

/// <summary>A failed call to the server. <see cref="Transient"/> failures (no answer, 5xx, 408, 429) are retried with backoff.</summary>
public sealed class AgentApiException(string message, HttpStatusCode? status, string? problemType, Exception? inner = null, long? highestSequence = null)
    : Exception(message, inner)
{
    /// <summary>A 409 on telemetry: the highest batch sequence the server holds for this host (its "highestSequence").</summary>
    public long? HighestSequence { get; } = highestSequence;

    /// <summary>The HTTP status, or null when the server could not be reached at all.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>The ProblemDetails type URI, when the server sent one.</summary>
    public string? ProblemType { get; } = problemType;

    public bool Transient => Status is null or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int?)Status >= 500;
}

/// <summary>The check-in answer: either new targets with their ETag, or "unchanged" (304).</summary>
public sealed record CheckInResult(CheckInResponse? Response, string? ETag)
{
    public bool NotModified => Response is null;
}

/// <summary>
/// The agent side of the HTTP protocol. One instance per host; many hosts share one <see cref="HttpClient"/>
/// (and so one connection pool) in <c>--simulate</c> mode.
/// </summary>
public sealed class AgentApiClient(HttpClient http, Uri server)
{
    /// <summary>Largest answer read from the server for JSON calls; blobs have their own limit from TUF.</summary>
    private const long MaxJsonBytes = 1 << 20;

    public Uri Server { get; } = server;

    public Task<EnrollResponse> EnrollAsync(EnrollRequest request, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Post, Routes.Enroll, credential: null, request, ProtocolJsonContext.Default.EnrollRequest,
            ProtocolJsonContext.Default.EnrollResponse, ct);

    public async Task<CheckInResult> CheckInAsync(string credential, CheckInRequest request, string? etag, CancellationToken ct)
    {
        using var message = NewRequest(HttpMethod.Post, Routes.CheckIn, credential);
        message.Content = JsonContent.Create(request, ProtocolJsonContext.Default.CheckInRequest);
        if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag))
            message.Headers.IfNoneMatch.Add(tag);
        using var response = await SendAsync(message, ct);
        if (response.StatusCode == HttpStatusCode.NotModified)
            return new CheckInResult(null, etag);
        await EnsureSuccessAsync(response, Routes.CheckIn, ct);
        var body = await ReadJsonAsync(response, ProtocolJsonContext.Default.CheckInResponse, Routes.CheckIn, ct);
        return new CheckInResult(body, response.Headers.ETag?.ToString());
    }

    public Task<TelemetryAck> SendTelemetryAsync(string credential, TelemetryBatch batch, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Post, Routes.Telemetry, credential, batch, ProtocolJsonContext.Default.TelemetryBatch,
            ProtocolJsonContext.Default.TelemetryAck, ct);

    private async Task<TResponse> SendJsonAsync<TRequest, TResponse>(HttpMethod method, string path, string? credential, TRequest body,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        using var message = NewRequest(method, path, credential);
        message.Content = JsonContent.Create(body, requestType);
        using var response = await SendAsync(message, ct);
        await EnsureSuccessAsync(response, path, ct);
        return await ReadJsonAsync(response, responseType, path, ct);
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, string? credential)
    {
        var message = new HttpRequestMessage(method, new Uri(Server, path));
        if (credential is not null)
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return message;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new AgentApiException($"server {Server} unreachable: {ex.Message}", null, null, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new AgentApiException($"server {Server} did not answer {message.RequestUri?.AbsolutePath} in time", null, null, ex);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        string? type = null, detail = null;
        long? highest = null;
        try
        {
            var text = await ReadLimitedAsync(response, 64 * 1024, path, ct);
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
                    type = t.GetString();
                if (doc.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                    detail = d.GetString();
                else if (doc.RootElement.TryGetProperty("title", out var ti) && ti.ValueKind == JsonValueKind.String)
                    detail = ti.GetString();
                if (doc.RootElement.TryGetProperty(TelemetryConflict.HighestSequenceMember, out var h) && h.TryGetInt64(out var n) && n >= 0)
                    highest = n;
            }
        }
        catch (Exception ex) when (ex is JsonException or AgentApiException or HttpRequestException)
        {
            // The status says enough; a body that is not a problem document adds nothing.
        }
        throw new AgentApiException($"{path}: {(int)response.StatusCode} {detail ?? response.ReasonPhrase}", response.StatusCode, type, highestSequence: highest);
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string path, CancellationToken ct)
    {
        var bytes = await ReadLimitedAsync(response, MaxJsonBytes, path, ct);
        try
        {
            // Tolerant on purpose (ProtocolJsonContext, not StrictJson): a newer server may add answer members.
            return JsonSerializer.Deserialize(bytes, type)
                ?? throw new AgentApiException($"{path}: the server answered null", response.StatusCode, null);
        }
        catch (JsonException ex)
        {
            throw new AgentApiException($"{path}: the server's answer is not valid at {ex.Path ?? "$"}: {ex.Message}", response.StatusCode, null, ex);
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long maxLength, string path, CancellationToken ct, bool truncate = false)
    {
        if (!truncate && response.Content.Headers.ContentLength > maxLength)
            throw new AgentApiException($"{path}: answer of {response.Content.Headers.ContentLength} bytes exceeds the {maxLength}-byte limit", response.StatusCode, null);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct)) > 0)
            {
                // Endless data: stop reading as soon as the answer passes its limit.
                if (buffer.Length + read > maxLength)
                {
                    if (!truncate)
                        throw new AgentApiException($"{path}: answer exceeds the {maxLength}-byte limit", response.StatusCode, null);
                    buffer.Write(chunk, 0, (int)(maxLength - buffer.Length));
                    break;
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new AgentApiException($"{path}: connection lost while reading the answer: {ex.Message}", null, null, ex);
        }
    }
}
