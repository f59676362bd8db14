using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;

namespace GridMap.Server.Hosting;

/// <summary>
/// Brotli and gzip for every text-like answer and for vector tiles (docs/tiles.md): JSON, GeoJSON, problem+json, MVT, and
/// the web map's HTML, JS, CSS and SVG. Over HTTPS too, except for the sign-in answers that carry the anti-forgery token
/// (BREACH: a secret and attacker-chosen text in one compressed body).
/// </summary>
public static class Compression
{
    /// <summary>Media types compressed besides ASP.NET Core's defaults (text/*, JSON, JS, XML, wasm).</summary>
    public static readonly string[] MimeTypes =
    [
        "application/geo+json",
        "application/problem+json",
        Tiles.TilesApi.ContentType,
        "image/svg+xml",
        "application/manifest+json",
    ];

    public static IServiceCollection AddGridMapCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(MimeTypes);
        });
        // "Optimal" is Brotli quality 4 and gzip level 6: most of the gain at a few ms per MB, fine for answers made per request.
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Optimal);
        return services;
    }

    public static WebApplication UseGridMapCompression(this WebApplication app)
    {
        app.UseResponseCompression();
        // After it: the compression middleware is what offers the per-response HTTPS switch.
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/api/auth") && http.Features.Get<IHttpsCompressionFeature>() is { } https)
                https.Mode = HttpsCompressionMode.DoNotCompress;
            return next(http);
        });
        return app;
    }
}
