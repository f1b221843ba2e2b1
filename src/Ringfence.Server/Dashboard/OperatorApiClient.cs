using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ringfence.Protocol;

namespace Ringfence.Server.Dashboard;

/// <summary>An operator API answer: the value, or the HTTP status and the problem's one-line explanation.</summary>
internal sealed record ApiResult<T>(T? Value, int Status, string? Problem)
{
    public bool Ok => Problem is null && Value is not null;
}

/// <summary>
/// The dashboard reads and acts through the server's own operator API over loopback HTTP, with the signed-in
/// operator's key. So every role check, validation, rate limit and audit entry is the API's: a viewer who forges
/// an action gets the same 403 as any HTTP client, and there is no second path into the control plane.
/// </summary>
internal sealed class OperatorApiClient(IServer server) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // Only ever used against this process's own loopback listener (see BaseAddress).
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    private Uri? _base;

    /// <summary>The first address this server listens on, with wildcard hosts replaced by loopback.</summary>
    public Uri BaseAddress(HttpContext http)
    {
        if (_base is not null)
            return _base;
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (address is null)
            return new Uri($"{http.Request.Scheme}://{http.Request.Host}/");
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost" or "[::1]")
            uri.Host = "127.0.0.1";
        uri.Path = "/";
        return _base = uri.Uri;
    }

    public Task<ApiResult<T>> GetAsync<T>(HttpContext http, DashboardSession session, string path, JsonTypeInfo<T> type) =>
        SendAsync(http, session.Key, HttpMethod.Get, path, null, type);

    public Task<ApiResult<T>> GetWithKeyAsync<T>(HttpContext http, string key, string path, JsonTypeInfo<T> type) =>
        SendAsync(http, key, HttpMethod.Get, path, null, type);

    public Task<ApiResult<T>> PostAsync<TBody, T>(HttpContext http, DashboardSession session, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type) =>
        SendAsync(http, session.Key, HttpMethod.Post, path, JsonSerializer.Serialize(body, bodyType), type);

    private async Task<ApiResult<T>> SendAsync<T>(HttpContext http, string key, HttpMethod method, string path, string? json, JsonTypeInfo<T> type)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress(http), path));
        request.Headers.Add(Routes.ApiKeyHeader, key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        try
        {
            using var response = await _http.SendAsync(request, http.RequestAborted);
            var body = await response.Content.ReadAsStringAsync(http.RequestAborted);
            if (!response.IsSuccessStatusCode)
                return new ApiResult<T>(default, (int)response.StatusCode, ProblemText(body, (int)response.StatusCode));
            var value = JsonSerializer.Deserialize(body, type);
            return value is null
                ? new ApiResult<T>(default, 502, $"{path}: empty answer")
                : new ApiResult<T>(value, (int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            return new ApiResult<T>(default, 502, $"{path}: the operator API did not answer ({ex.GetType().Name})");
        }
    }

    /// <summary>The ProblemDetails detail (or title) as one line.</summary>
    private static string ProblemText(string body, int status)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var text = detail ?? title;
            if (!string.IsNullOrWhiteSpace(text))
                return text.ReplaceLineEndings(" ");
        }
        catch (JsonException)
        {
            // Not a problem document: fall through to the status.
        }
        return $"the operator API answered HTTP {status}";
    }

    public void Dispose() => _http.Dispose();
}
