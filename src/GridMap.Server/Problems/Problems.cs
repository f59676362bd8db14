using GridMap.Core.Model;
using GridMap.Core.Schema;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Problems;

/// <summary>
/// Every refusal is application/problem+json that says what is wrong and where:
/// <c>errors</c> lists each problem with its JSON pointer, feature index and id, field and message.
/// </summary>
public static class Problem
{
    public const string TypeBase = "https://gridmap.dev/problems/";

    public static ProblemHttpResult Of(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);

    /// <summary>
    /// Features refused: 400 <c>invalid_features</c> when any cannot be read as the schema says; 422 when every one is
    /// readable but breaks a rule (its errors carry the rule's code: <c>invalid_text</c>, <c>out_of_range</c>,
    /// <c>too_many_positions</c>, <c>too_complex_to_repair</c>, …), as the contract's status table says.
    /// </summary>
    public static ProblemHttpResult InvalidFeatures(IReadOnlyList<FeatureProblem> problems, string title = "Invalid features")
    {
        var rules = problems.Count > 0 && problems.All(p => p.Code is not null);
        return Of(rules ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest, "invalid-features", title,
            problems.Count == 1 ? $"{problems[0].Pointer}: {problems[0].Message}"
                : $"{problems.Count} problems; first: {problems[0].Pointer}: {problems[0].Message}",
            new Dictionary<string, object?> { ["code"] = rules ? problems[0].Code : "invalid_features", ["errors"] = problems.Select(DescribeError).ToList() });
    }

    public static ProblemHttpResult BadParameter(string parameter, string message) =>
        Of(StatusCodes.Status400BadRequest, "bad-parameter", "Bad parameter", $"{parameter}: {message}",
            new Dictionary<string, object?> { ["code"] = "bad_parameter", ["errors"] = new[] { new { code = "bad_parameter", pointer = parameter, field = parameter, message } } });

    /// <summary>422: a readable parameter over a documented limit (thresholds, households, …); the limit is named.</summary>
    public static ProblemHttpResult OutOfRange(string parameter, string message, object limit) =>
        CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, "out_of_range", "Out of range",
            [new ProblemError("out_of_range", parameter, message, new Dictionary<string, object?> { ["field"] = parameter, ["limit"] = limit })]);

    public static ProblemHttpResult UnknownLayer(string name) =>
        Of(StatusCodes.Status404NotFound, "unknown-layer", "Unknown layer",
            $"'{name}' is not a layer: use one of {string.Join(", ", Layers.All.Select(l => l.Key()))}",
            new Dictionary<string, object?> { ["code"] = "unknown_layer", ["errors"] = new[] { new { code = "unknown_layer", pointer = "layer", field = "layer", message = "unknown layer" } } });

    public static ProblemHttpResult NotFound(Layer layer, string id) =>
        Of(StatusCodes.Status404NotFound, "not-found", "Feature not found", $"{layer.Key()}/{id} does not exist",
            new Dictionary<string, object?> { ["code"] = "not_found", ["errors"] = new[] { new { code = "not_found", pointer = "id", feature = id, field = "id", message = "no such feature" } } });

    public static ProblemHttpResult Conflict(Layer layer, string id) =>
        Of(StatusCodes.Status409Conflict, "duplicate-id", "Feature exists", $"{layer.Key()}/{id} already exists: replace it with PUT",
            new Dictionary<string, object?> { ["code"] = "duplicate_id", ["errors"] = new[] { new { code = "duplicate_id", pointer = "id", feature = id, field = "id", message = "already exists" } } });

    public static ProblemHttpResult StaleVersion(Layer layer, string id, long expected, long current) =>
        CodedProblem.Of(StatusCodes.Status412PreconditionFailed, "stale_version", "Someone else changed this feature",
            [new ProblemError("stale_version", "If-Match", $"{layer.Key()}/{id} is at version {current}, not {expected}: reload it and apply your change again",
                new Dictionary<string, object?> { ["feature"] = id, ["layer"] = layer.Key(), ["field"] = "If-Match", ["expected"] = expected, ["current"] = current })],
            new Dictionary<string, object?> { ["current_version"] = current });

    public static ProblemHttpResult TooLarge(long limit) =>
        Of(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Payload too large",
            $"the request body is larger than {limit:N0} bytes",
            new Dictionary<string, object?> { ["code"] = "too_large", ["limit_bytes"] = limit, ["errors"] = new[] { new { code = "too_large", pointer = "body", field = "body", message = $"larger than the limit of {limit:N0} bytes", limit } } });

    /// <summary>A refused feature's error: <see cref="Describe"/> with its code (<c>invalid_value</c> when it is a reading error).</summary>
    static object DescribeError(FeatureProblem p) => new
    {
        code = p.Code ?? "invalid_value",
        pointer = p.Pointer,
        index = p.Index,
        feature = p.FeatureId,
        field = p.Field,
        message = p.Message,
    };

    public static object Describe(FeatureProblem p) => new
    {
        pointer = p.Pointer,
        index = p.Index,
        feature = p.FeatureId,
        field = p.Field,
        message = p.Message,
    };
}
