using System.Text.Json;
using System.Text.RegularExpressions;
using GridMap.Server.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GridMap.Server.Problems;

/// <summary>
/// Every 4xx and 5xx the application answers is problem+json with <c>code</c> and <c>errors[]</c> (contract), whoever
/// produced it: our endpoints (<see cref="CodedProblem"/>), model binding (a query value that is no number, a JSON body
/// that is malformed or of the wrong shape: <see cref="BadHttpRequestException"/>, thrown because
/// <c>RouteHandlerOptions.ThrowOnBadRequest</c> is on), request-size and timeout limits, status-code pages (no route,
/// wrong method) and unexpected exceptions (no stack trace or path in the answer). Kestrel's own rejections before
/// routing (malformed request line, 414, 431) are the exception (docs/security.md).
/// </summary>
public static partial class RequestProblems
{
    /// <summary>The request-timeout policy of uploads (imports), which may legitimately run for minutes.</summary>
    public const string UploadTimeout = "upload";

    public static void AddGridMapProblems(this IServiceCollection services, GridMapOptions options)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // A fault: a trace id and nothing of the exception (no stack trace, no path).
            Hosting.ErrorAnswers.Customize(context);
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            // A problem without a code takes its type's (what the map has read since before codes), else its status's.
            var code = problem.Extensions.TryGetValue("code", out var given) && given is string g ? g
                : problem.Type is { } type && type.StartsWith(Problem.TypeBase, StringComparison.Ordinal) ? type[Problem.TypeBase.Length..].Replace('-', '_')
                : CodeOf(status);
            problem.Extensions["code"] = code;
            if (problem.Extensions.TryGetValue("errors", out var errors) && errors is not null)
            {
                problem.Extensions["errors"] = WithCodes(errors, code);
                return;
            }
            // The framework's own (status-code pages: no route, wrong method; Kestrel's body limit while binding).
            var (pointer, message) = status == StatusCodes.Status413PayloadTooLarge
                ? ("body", $"the request body is larger than the limit of {BodyLimit(context.HttpContext):N0} bytes for this endpoint")
                : ("/", problem.Detail ?? problem.Title ?? code);
            problem.Extensions["errors"] = new[] { new Dictionary<string, object?> { ["code"] = code, ["pointer"] = pointer, ["message"] = message } };
        });
        // After the default writer: it declines when Accept names no JSON type (Accept: text/html, application/x-nonsense),
        // and status-code pages (no route, wrong method) then answered text/plain. A problem is problem+json whatever is asked.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, ProblemJsonWhateverAccept>());
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddRequestTimeouts(o =>
        {
            o.DefaultPolicy = Policy(options.RequestTimeout);
            o.AddPolicy(UploadTimeout, Policy(options.UploadTimeout));
        });
    }

    /// <summary>Writes problem+json for a request whose Accept header the default writer does not take (see AddGridMapProblems).</summary>
    sealed class ProblemJsonWhateverAccept(Microsoft.Extensions.Options.IOptions<ProblemDetailsOptions> options,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            var http = context.HttpContext;
            var problem = context.ProblemDetails;
            problem.Status ??= http.Response.StatusCode;
            problem.Title ??= Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(problem.Status.Value);
            options.Value.CustomizeProblemDetails?.Invoke(context);
            return new ValueTask(http.Response.WriteAsJsonAsync(problem, json.Value.SerializerOptions, "application/problem+json"));
        }
    }

    /// <summary>Every error of a problem with a code: errors made before codes existed get the problem's.</summary>
    static object WithCodes(object errors, string code)
    {
        if (errors is not System.Collections.IEnumerable list) return errors;
        var result = new List<object?>();
        foreach (var e in list)
        {
            if (e is IDictionary<string, object?> d && d.ContainsKey("code")) { result.Add(e); continue; }
            if (e is null || JsonSerializer.SerializeToNode(e) is not System.Text.Json.Nodes.JsonObject o) { result.Add(e); continue; }
            if (o["code"] is null) o["code"] = code;
            result.Add(o);
        }
        return result;
    }

    static long? BodyLimit(HttpContext http) =>
        http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit ? limit - 1 : null;

    static RequestTimeoutPolicy Policy(TimeSpan timeout) => new()
    {
        Timeout = timeout,
        TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
        WriteTimeoutResponse = http => CodedProblem.Of(StatusCodes.Status503ServiceUnavailable, "timeout", "The request took too long",
            [new ProblemError("timeout", "/", $"stopped after {timeout.TotalSeconds:0} s: narrow the request (a smaller area, fewer thresholds) or try again",
                new Dictionary<string, object?> { ["limit_seconds"] = timeout.TotalSeconds })]).ExecuteAsync(http),
    };

    /// <summary>
    /// Each request's body limit by endpoint class: uploads (layer and OSM imports) <see cref="GridMapOptions.MaxUploadBytes"/>,
    /// every other body <see cref="GridMapOptions.MaxJsonBytes"/>; Kestrel stops reading beyond it (413 too_large).
    /// </summary>
    public static void UseRequestLimits(this WebApplication app, GridMapOptions options)
    {
        app.Use((http, next) =>
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = (IsUpload(http.Request.Path) ? options.MaxUploadBytes : options.MaxJsonBytes) + 1;
            return next(http);
        });
        app.UseRequestTimeouts();
    }

    /// <summary>An upload: a layer import or an OSM upload.</summary>
    public static bool IsUpload(PathString path) =>
        path.StartsWithSegments("/api/import") || (path.StartsWithSegments("/api/layers") && path.Value!.EndsWith("/import", StringComparison.Ordinal));

    /// <summary>The exception handler's answer: a bad request named by its parameter, or a 500 that says nothing of the code.</summary>
    public static Task HandleAsync(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            http.Response.StatusCode = 499; // the client went away: nobody reads an answer
            return Task.CompletedTask;
        }
        var result = error is BadHttpRequestException bad ? Of(bad)
            // Refused input that surfaced from deeper (an import's nothing_to_import, a reader's problems): never a 500.
            : error is GridMap.Core.Schema.InvalidFeaturesException invalid ? Problem.InvalidFeatures(invalid.Problems)
            : CodedProblem.Of(StatusCodes.Status500InternalServerError, "internal_error", "Internal error",
                [new ProblemError("internal_error", "/", "the server failed on this request; it is logged")]);
        return result.ExecuteAsync(http);
    }

    [GeneratedRegex("parameter \"(?:[^\"]*\\s)?(?<name>[A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ParameterName();

    /// <summary>A binding failure as problem+json naming the parameter (or where in the JSON body).</summary>
    public static IResult Of(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = Regex.Match(bad.Message, "(\\d+) bytes") is { Success: true } m ? long.Parse(m.Groups[1].Value) - 1 : (long?)null;
            return CodedProblem.Of(StatusCodes.Status413PayloadTooLarge, "too_large", "Payload too large",
                [new ProblemError("too_large", "body", limit is null ? "the request body is too large" : $"the request body is larger than the limit of {limit:N0} bytes",
                    new Dictionary<string, object?> { ["limit_bytes"] = limit })]);
        }
        if (bad.StatusCode != StatusCodes.Status400BadRequest)
            return CodedProblem.Of(bad.StatusCode, CodeOf(bad.StatusCode), "Bad request", [new ProblemError(CodeOf(bad.StatusCode), "/", bad.Message)]);
        var name = ParameterName().Match(bad.Message) is { Success: true } p ? p.Groups["name"].Value : null;
        if (bad.InnerException is JsonException json || bad.Message.Contains("request body", StringComparison.OrdinalIgnoreCase) || bad.Message.Contains("body was provided", StringComparison.Ordinal))
        {
            var inner = bad.InnerException as JsonException;
            var path = inner?.Path is { Length: > 1 } jp ? "body" + jp[1..] : "body";
            var message = inner is null ? "a JSON body is required" : $"malformed JSON or a value of the wrong type: {Sanitise(inner.Message)}";
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "malformed_json", "The body cannot be read",
                [new ProblemError("malformed_json", path, message)]);
        }
        return CodedProblem.Of(StatusCodes.Status400BadRequest, "bad_parameter", "Bad parameter",
            [new ProblemError("bad_parameter", name ?? "query", name is null ? bad.Message : $"cannot be read: {Sanitise(bad.Message)}",
                new Dictionary<string, object?> { ["field"] = name })]);
    }

    /// <summary>The framework's message without the CLR type names it quotes (what a client sent is enough).</summary>
    static string Sanitise(string message) => Regex.Replace(message.Split(" Path:")[0].Split(" LineNumber:")[0], "\"[^\"]*\\s(\\w+)\"", "\"$1\"");

    static string CodeOf(int status) => status switch
    {
        400 => "bad_request",
        401 => "not_signed_in",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "timeout",
        409 => "conflict",
        411 => "length_required",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "rate_limited",
        503 => "unavailable",
        >= 500 => "internal_error",
        _ => "bad_request",
    };
}
