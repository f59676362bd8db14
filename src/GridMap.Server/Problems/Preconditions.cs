using System.Globalization;
using GridMap.Core.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Problems;

/// <summary>
/// If-Match as the contract wants it: a write that replaces or deletes what exists names the version it read (a feature's,
/// or a layer's on a layer import). Missing → 428 <c>missing_version</c>; unreadable → 400; stale → 412 <c>stale_version</c>.
/// </summary>
public static class Preconditions
{
    /// <summary>The version If-Match names ("3", W/"3" or 3; 0 is a layer never written); null when absent or "*", which names none.</summary>
    public static bool TryRead(HttpContext http, out long? version)
    {
        version = null;
        var text = http.Request.Headers.IfMatch.ToString().Trim();
        if (text.Length == 0 || text == "*") return true;
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        text = text.Trim('"');
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        version = v;
        return true;
    }

    public static ProblemHttpResult Unreadable() =>
        Problem.BadParameter("If-Match", "must be the version number you read, e.g. \"3\"");

    /// <param name="what">What the version is of, e.g. "buildings/b1" or "layer buildings".</param>
    /// <param name="where">Where the client reads it, e.g. "GET /api/layers/buildings".</param>
    public static ProblemHttpResult Missing(string what, string where, long current) =>
        CodedProblem.Of(StatusCodes.Status428PreconditionRequired, "missing_version", "Name the version you read",
            [new ProblemError("missing_version", "If-Match", $"send If-Match with the version of {what} you read (its ETag: {where}); current is {current}",
                new Dictionary<string, object?> { ["current"] = current })],
            new Dictionary<string, object?> { ["current_version"] = current });

    /// <summary>412: the layer changed since the version the import named.</summary>
    public static ProblemHttpResult StaleLayer(Layer layer, long expected, long current) =>
        CodedProblem.Of(StatusCodes.Status412PreconditionFailed, "stale_version", "Someone else changed this layer",
            [new ProblemError("stale_version", "If-Match", $"layer {layer.Key()} is at version {current}, not {expected}: reload it and import again",
                new Dictionary<string, object?> { ["layer"] = layer.Key(), ["expected"] = expected, ["current"] = current })],
            new Dictionary<string, object?> { ["current_version"] = current, ["current"] = new Dictionary<string, object> { ["layers"] = new Dictionary<string, long> { [layer.Key()] = current } } });
}
