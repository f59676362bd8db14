using Microsoft.Net.Http.Headers;

namespace GridMap.Server.Hosting;

/// <summary>
/// Headers on every answer (docs/security.md, "Security headers"): a Content-Security-Policy that lets the map load only
/// its own scripts, styles and MapLibre's worker (the CSP build, <c>/vendor/maplibre-gl-csp-worker.js</c>, so no
/// <c>blob:</c> worker), images and tiles from itself and the configured basemap origins, and nobody frame it;
/// <c>nosniff</c>, <c>strict-origin-when-cross-origin</c> (a basemap host sees this origin, which 天地图 keys may be bound
/// to, never the path and query of a shared link) and
/// <c>X-Frame-Options: DENY</c> for browsers that predate frame-ancestors.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// The map's policy. img-src data: and blob: are MapLibre's control icons (CSS data: URIs) and the PNG export.
    /// style-src-attr 'unsafe-inline': the page's small DOM helpers (<c>el</c>/<c>h</c> in web/src) write colour swatches as
    /// <c>style="--c:…"</c> attributes; an attribute holds declarations only (no selectors, no <c>@import</c>), and
    /// style sheets and &lt;style&gt; elements still come from this origin only (style-src 'self').
    /// </summary>
    public static string MapPolicy(GridMapOptions options)
    {
        var basemaps = BasemapOrigins(options);
        var extra = basemaps.Count == 0 ? "" : " " + string.Join(' ', basemaps);
        return "default-src 'self'; script-src 'self'; worker-src 'self'; child-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
            $"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; font-src 'self'; object-src 'none'; " +
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; manifest-src 'self'";
    }

    /// <summary>
    /// The API browser at /docs (Swagger UI) writes inline styles and data: images; its scripts still come only from here.
    /// </summary>
    public const string DocsPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>scheme://host[:port] of every basemap tile URL (<c>--basemap</c>, after <c>{s}</c> expansion).</summary>
    public static IReadOnlyList<string> BasemapOrigins(GridMapOptions options) =>
        MapConfigApi.For(options).Basemaps.SelectMany(b => b.Tiles)
            .Select(url => Uri.TryCreate(url.Replace("{z}", "0").Replace("{x}", "0").Replace("{y}", "0"), UriKind.Absolute, out var u)
                && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) ? u.GetLeftPart(UriPartial.Authority) : null)
            .OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public static void UseSecurityHeaders(this WebApplication app, GridMapOptions options)
    {
        var map = MapPolicy(options);
        app.Use((http, next) =>
        {
            // OnStarting: the exception handler and status-code pages clear headers set earlier.
            http.Response.OnStarting(() =>
            {
                var h = http.Response.Headers;
                h[HeaderNames.ContentSecurityPolicy] = http.Request.Path.StartsWithSegments("/docs") ? DocsPolicy : map;
                h[HeaderNames.XContentTypeOptions] = "nosniff";
                h["Referrer-Policy"] = "strict-origin-when-cross-origin";
                h[HeaderNames.XFrameOptions] = "DENY";
                return Task.CompletedTask;
            });
            return next(http);
        });
    }
}
