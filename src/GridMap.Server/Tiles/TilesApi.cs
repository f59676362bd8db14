using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using GridMap.Server.Settings;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace GridMap.Server.Tiles;

/// <summary>
/// Vector tiles of every layer: <c>GET /tiles/{layer}/{z}/{x}/{y}.mvt</c> (docs/tiles.md). The ETag comes from the layer
/// version and the tile address alone, so an unchanged tile answers 304 before any feature is read. Tiles are reads and
/// follow the fallback policy: signed in, or anonymous with <c>--open</c>.
/// </summary>
public static class TilesApi
{
    public const string ContentType = "application/vnd.mapbox-vector-tile";

    /// <summary>Features read for one tile at most; past it the tile is made of the first ones in id order (reported in <see cref="DroppedHeader"/>).</summary>
    public const int MaxRead = 250_000;

    /// <summary>Response header: how many features the tile left out over <see cref="TileEncoder.MaxFeatures"/> (absent when none).</summary>
    public const string DroppedHeader = "GridMap-Tile-Dropped";

    public static RouteGroupBuilder MapTiles(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tiles").WithTags("Tiles");
        group.MapMethods("/{layer}/{z}/{x}/{y}.mvt", [HttpMethods.Get, HttpMethods.Head], TileAsync)
            .WithSummary("One Mapbox Vector Tile of a layer (z 0..22): the MVT layer is named after the layer key, features carry id, version and their properties, never personal data; 204 when empty; ETag from the layer version (If-None-Match → 304)")
            .Produces(StatusCodes.Status200OK, contentType: ContentType)
            .Produces(StatusCodes.Status204NoContent)
            .Produces(StatusCodes.Status304NotModified);
        return group;
    }

    static async Task<Results<FileContentHttpResult, NoContent, StatusCodeHttpResult, ProblemHttpResult>> TileAsync(
        string layer, string z, string x, string y, IFeatureStore store, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return UnknownLayer(layer);
        if (Address(z, x, y) is not { } tile) return BadAddress(z, x, y);

        var versions = await store.LayerVersionsAsync(ct);
        var etag = ETag(l, versions[l], tile);
        var headers = http.Response.Headers;
        headers.ETag = etag.ToString();
        // Revalidate on every use: the ETag makes that a 304 without reading a feature. Behind sign-in, no shared cache keeps them.
        headers.CacheControl = options.Open ? "public, no-cache" : "private, no-cache";
        if (NotModified(http.Request, etag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

        var started = Stopwatch.GetTimestamp();
        var page = await store.ListAsync(l, new FeatureQuery(tile.Bounds, MaxRead), ct);
        var band = l == Layer.Grids ? await BandSetting.ReadAsync(store, ct) : null;
        var read = Stopwatch.GetTimestamp();
        var encoded = TileEncoder.Encode(l, tile, page.Features, band);
        var dropped = encoded.Dropped + Math.Max(0, page.NumberMatched - page.Features.Count);
        if (dropped > 0) headers[DroppedHeader] = dropped.ToString(CultureInfo.InvariantCulture);
        // Where a tile's time goes, for browsers' dev tools and `gridmap bench`: the store's bbox query and the encoding.
        headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"store;dur={Stopwatch.GetElapsedTime(started, read).TotalMilliseconds:0.0}, encode;dur={Stopwatch.GetElapsedTime(read).TotalMilliseconds:0.0}");
        // MapLibre draws nothing for a 204, without an error: an empty tile costs no body.
        if (encoded.IsEmpty) return TypedResults.NoContent();
        return TypedResults.Bytes(encoded.Bytes, ContentType);
    }

    /// <summary>
    /// A weak ETag (the body may go out gzip- or brotli-encoded) over what decides a tile's bytes: the layer, its layer
    /// version (raised by every write to the layer, and for grids by a band change), the address and the encoder's version.
    /// </summary>
    public static EntityTagHeaderValue ETag(Layer layer, long layerVersion, TileAddress tile)
    {
        var text = $"{layer.Key()}|{layerVersion}|{tile.Z}/{tile.X}/{tile.Y}|mvt{TileEncoder.Version}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 12));
        return new EntityTagHeaderValue($"\"{hash}\"", isWeak: true);
    }

    /// <summary>If-None-Match names this ETag (weak comparison, as RFC 9110 wants for If-None-Match) or is "*".</summary>
    static bool NotModified(HttpRequest request, EntityTagHeaderValue etag)
    {
        var values = request.Headers.IfNoneMatch;
        if (values.Count == 0 || !EntityTagHeaderValue.TryParseList(values, out var tags)) return false;
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false));
    }

    static TileAddress? Address(string z, string x, string y) =>
        Whole(z) is { } zi && Whole(x) is { } xi && Whole(y) is { } yi && new TileAddress(zi, xi, yi) is { IsValid: true } tile ? tile : null;

    static int? Whole(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    static ProblemHttpResult UnknownLayer(string name) =>
        CodedProblem.Of(StatusCodes.Status404NotFound, "unknown_layer", "Unknown layer",
            [new ProblemError("unknown_layer", "/layer", $"'{name}' is not a layer: use one of {string.Join(", ", Core.Model.Layers.All.Select(k => k.Key()))}",
                new Dictionary<string, object?> { ["layer"] = name, ["layers"] = Core.Model.Layers.All.Select(k => k.Key()).ToList() })]);

    /// <summary>400 naming every bad part of the address: not a whole number, or out of 0..22 (z) and 0..2^z−1 (x, y).</summary>
    static ProblemHttpResult BadAddress(string z, string x, string y)
    {
        var errors = new List<ProblemError>();
        var zi = Whole(z);
        if (zi is null) errors.Add(NotWhole("z", z));
        else if (zi > TileAddress.MaxZoom) errors.Add(OutOfRange("z", zi.Value, TileAddress.MaxZoom));
        var max = zi is >= 0 and <= TileAddress.MaxZoom ? TileAddress.MaxIndex(zi.Value) : (int?)null;
        foreach (var (name, text) in new[] { ("x", x), ("y", y) })
        {
            var v = Whole(text);
            if (v is null) errors.Add(NotWhole(name, text));
            else if (max is { } m && v > m) errors.Add(OutOfRange(name, v.Value, m));
        }
        return CodedProblem.Of(StatusCodes.Status400BadRequest, errors[0].Code, "Bad tile address", errors);
    }

    static ProblemError NotWhole(string name, string text) =>
        new("invalid", $"/{name}", $"{name} must be a whole number, not '{text}'", new Dictionary<string, object?> { ["value"] = text });

    static ProblemError OutOfRange(string name, int value, int max) =>
        new("out_of_range", $"/{name}", $"{name} must be 0..{max}{(name == "z" ? "" : " at this zoom")}, not {value}",
            new Dictionary<string, object?> { ["value"] = value, ["min"] = 0, ["max"] = max });
}
