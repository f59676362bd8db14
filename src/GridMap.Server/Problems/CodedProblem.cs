using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Problems;

/// <summary>One error of a problem: a stable snake_case code, where it is, its parameters and an English message.</summary>
public sealed record ProblemError(string Code, string Pointer, string Message, IReadOnlyDictionary<string, object?>? Parameters = null)
{
    public Dictionary<string, object?> ToJson()
    {
        var o = new Dictionary<string, object?> { ["code"] = Code, ["pointer"] = Pointer, ["message"] = Message };
        foreach (var (k, v) in Parameters ?? new Dictionary<string, object?>()) o.TryAdd(k, v);
        return o;
    }
}

public static class CodedProblem
{
    /// <summary>A problem whose errors carry codes the web map renders in Chinese (contract: status codes and errors).</summary>
    public static ProblemHttpResult Of(int status, string code, string title, IReadOnlyList<ProblemError> errors, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>())
        {
            ["code"] = code,
            ["errors"] = errors.Select(e => e.ToJson()).ToList(),
        };
        var detail = errors.Count == 0 ? title
            : errors.Count == 1 ? $"{errors[0].Pointer}: {errors[0].Message}"
            : $"{errors.Count} problems; first: {errors[0].Pointer}: {errors[0].Message}";
        return Problem.Of(status, code.Replace('_', '-'), title, detail, ext);
    }
}
