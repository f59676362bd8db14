using GridMap.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace GridMap.Server.Problems;

/// <summary>Reads a request body into memory with a size cap, so an oversized upload is refused before it is parsed.</summary>
public static class RequestBody
{
    public static async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength is { } declared && declared > limit) return (null, Problems.Problem.TooLarge(limit));
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return (null, Problems.Problem.TooLarge(limit));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            return (null, Problems.Problem.Of(StatusCodes.Status400BadRequest, "empty-body", "Empty body", "body: the request has no body",
                new Dictionary<string, object?> { ["code"] = "empty_body", ["errors"] = new[] { new { code = "empty_body", pointer = "body", field = "body", message = "empty" } } }));
        return (buffer.ToArray(), null);
    }
}
