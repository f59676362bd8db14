using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace GridMap.Server.Hosting;

/// <summary>
/// What keeps other web sites from writing: API writes accept only JSON, GeoJSON and the upload types an endpoint declares
/// (<c>.Accepts(…)</c>), so a cross-site "simple" request (text/plain, form-urlencoded, multipart, or a body without a
/// content type), which a browser sends without asking, gets 415 and reaches no endpoint. CORS is off unless origins are
/// configured (<c>--cors-origin</c>, or <c>GridMap:CorsOrigins</c> in appsettings.json).
/// </summary>
public static class WriteGuards
{
    public static readonly IReadOnlyList<string> JsonTypes = ["application/json", "application/geo+json"];

    const string CorsPolicy = "gridmap";

    /// <summary>The origins allowed to call the API from a browser: the options' and the configuration's.</summary>
    public static IReadOnlyList<string> CorsOrigins(GridMapOptions options, IConfiguration configuration) =>
        options.CorsOrigins.Concat(configuration.GetSection("GridMap:CorsOrigins").Get<string[]>() ?? [])
            .Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public static void AddWriteGuards(this WebApplicationBuilder builder, GridMapOptions options)
    {
        var origins = CorsOrigins(options, builder.Configuration);
        if (origins.Count == 0) return;
        builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p => p.WithOrigins([.. origins])
            .WithMethods("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE").AllowAnyHeader().WithExposedHeaders("ETag", "Location")));
    }

    public static void UseWriteGuards(this WebApplication app, GridMapOptions options)
    {
        if (CorsOrigins(options, app.Configuration).Count > 0) app.UseCors(CorsPolicy);
        app.Use(async (http, next) =>
        {
            if (Refusal(http) is { } refused) await refused.ExecuteAsync(http);
            else await next(http);
        });
    }

    /// <summary>415 for an API write whose content type is not one the endpoint takes; null when it may go on.</summary>
    static IResult? Refusal(HttpContext http)
    {
        var request = http.Request;
        if (!request.Path.StartsWithSegments("/api")) return null;
        if (!(HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method)))
            return null;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
        var allowed = JsonTypes.Concat(http.GetEndpoint()?.Metadata.GetOrderedMetadata<IAcceptsMetadata>().SelectMany(a => a.ContentTypes) ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (string.IsNullOrWhiteSpace(request.ContentType))
            return hasBody ? Unsupported(null, allowed) : null; // a write without a body (accept, cancel, revert) needs no type
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && allowed.Contains(media.MediaType.ToString(), StringComparer.OrdinalIgnoreCase))
            return null;
        return Unsupported(request.ContentType, allowed);
    }

    static IResult Unsupported(string? given, IReadOnlyList<string> allowed) =>
        CodedProblem.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported content type",
            [new ProblemError("unsupported_media_type", "Content-Type",
                $"{(given is null ? "a body without Content-Type" : $"Content-Type {given}")} is not accepted here: send {string.Join(", ", allowed)}",
                new Dictionary<string, object?> { ["content_type"] = given, ["allowed"] = allowed })]);
}
