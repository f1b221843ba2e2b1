using System.Net;
using Ringfence.Trust;
using Ringfence.Trust.Client;

namespace Ringfence.Agent.Updates;

/// <summary>Fetches repository files over HTTP from a base URL (…/metadata/…, …/targets/…), reading at most the allowed length.</summary>
public sealed class HttpRepositoryFetcher(HttpClient client, Uri baseUri) : IRepositoryFetcher
{
    private readonly Uri _base = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");

    public async ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(new Uri(_base, path), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} for {path}", null, response.StatusCode);
        if (response.Content.Headers.ContentLength is { } declared && declared > maxLength)
            throw new EndlessDataException(path, maxLength);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        // Read one byte past the limit so the client can tell "exactly the limit" from "more".
        var limit = maxLength == long.MaxValue ? maxLength : maxLength + 1;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length >= limit)
                break;
        }
        if (buffer.Length > maxLength)
            throw new EndlessDataException(path, maxLength);
        return buffer.ToArray();
    }
}
