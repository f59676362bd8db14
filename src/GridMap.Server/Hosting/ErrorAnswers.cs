using System.Diagnostics;

namespace GridMap.Server.Hosting;

/// <summary>
/// What a fault answers, in every environment (Development included): a problem body with a trace id to find it in the
/// server's log, never the exception's message, type, stack trace or a file path.
/// </summary>
public static class ErrorAnswers
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var traceId = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
        if (status < 500)
        {
            // A 4xx from an exception (a BadHttpRequestException: a body too large, a bad header): its status and title only.
            if (context.Exception is not null) problem.Extensions.Remove("exception");
            return;
        }
        problem.Title = "An unexpected error occurred";
        problem.Detail = $"the server could not answer this request; its log has the details under trace id {traceId}";
        problem.Instance = null;
        problem.Extensions.Clear();
        problem.Extensions["traceId"] = traceId;
        problem.Extensions["code"] = "internal_error";
        problem.Extensions["errors"] = new[]
        {
            new Dictionary<string, object?> { ["code"] = "internal_error", ["pointer"] = "/", ["message"] = problem.Detail, ["trace_id"] = traceId },
        };
    }
}
