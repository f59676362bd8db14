namespace GridMap.Server.Hosting;

/// <summary>
/// What the web map needs from the server's own set-up: the optional raster basemaps (<c>--basemap</c>), drawn under
/// GridMap's layers. Only WGS84/CGCS2000 tiles line up with GridMap's data (docs/field.md).
/// </summary>
public static class MapConfigApi
{
    /// <param name="Tiles">One URL per subdomain, as MapLibre's raster source takes them.</param>
    public sealed record Basemap(IReadOnlyList<string> Tiles);

    public sealed record MapConfig(IReadOnlyList<Basemap> Basemaps);

    public static RouteGroupBuilder MapMapConfig(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/map-config").WithTags("Map");
        group.MapGet("/", (GridMapOptions options) => TypedResults.Ok(For(options)))
            .WithSummary("The web map's set-up: raster basemaps (URL templates with {z}/{x}/{y}; {s} expanded)");
        return group;
    }

    public static MapConfig For(GridMapOptions options) => new(options.Basemaps
        .Select(url => new Basemap(url.Contains("{s}", StringComparison.Ordinal)
            ? options.BasemapSubdomains.Select(s => url.Replace("{s}", s, StringComparison.Ordinal)).ToList()
            : [url]))
        .ToList());
}
