using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Features;
using Ringfence.Protocol;

namespace Ringfence.Server.Http;

/// <summary>
/// Reads a JSON body with the source-generated metadata, within the size limit, and turns every failure into one
/// ProblemDetails line naming where (JSON path, line, byte) instead of an exception. Bodies are read strictly
/// (<see cref="StrictJson"/>): a missing required member, an unknown member, a repeated key or a null array element
/// is a 400, never a default. <paramref name="type"/> names the type; its strict form is what reads the body.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, long limit)
        where T : class
    {
        var request = http.Request;
        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedMediaType());
        if (request.ContentLength > limit)
            return (null, Problems.TooLarge(limit));
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
            feature.MaxRequestBodySize = limit;

        // A pooled buffer: agents send many small bodies, so a fresh array per request would mostly feed the GC.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 1, limit) + 1);
        try
        {
            var length = 0;
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted)) > 0)
                {
                    length += read;
                    if (length > limit)
                        return (null, Problems.TooLarge(limit));
                    if (length == buffer.Length)
                        buffer = Grow(buffer, length);
                }
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return (null, Problems.TooLarge(limit));
            }

            if (length == 0)
                return (null, Problems.Malformed("the body is empty"));
            var (value, error) = StrictJson.Read(buffer.AsSpan(0, length), type);
            return error is null ? (value, null) : (null, Problems.Malformed(error.ToString()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Grow(byte[] buffer, int length)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }
}
