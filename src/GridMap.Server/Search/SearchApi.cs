using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.IO.GeoJson;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Search;

/// <summary>Find a grid by code, a compound by name, a grid worker by name (and stations, areas, addresses).</summary>
public static class SearchApi
{
    public sealed record SearchHit(string Layer, string Id, string Label, double[] Center, double[] Bbox);
    public sealed record SearchResponse(string Query, IReadOnlyList<SearchHit> Results);

    public static RouteGroupBuilder MapSearch(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/search").WithTags("Search");
        group.MapGet("/", SearchAsync).WithSummary("Search by grid code, compound name, grid worker name, station name or address");
        return group;
    }

    static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> SearchAsync(string? q, int? limit, string? layers, IFeatureStore store, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(q)) return Problem.BadParameter("q", "is required: a grid code, a compound or worker name");
        if (q.Length > 200) return Problem.BadParameter("q", "must be at most 200 characters");
        // Text no store holds (NUL: PostgreSQL refuses it; a lone surrogate) cannot be found: said alike on both stores.
        if (GridMap.Core.Schema.TextRules.Problem(q) is { } bad)
            return CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, GridMap.Core.Schema.TextRules.InvalidText, "Invalid text",
                [new ProblemError(GridMap.Core.Schema.TextRules.InvalidText, "q", bad)]);
        var size = limit ?? 20;
        if (size is < 1 or > 100) return Problem.BadParameter("limit", "must be 1..100");
        var searched = SearchText.DefaultLayers;
        if (layers is not null)
        {
            var list = new List<Layer>();
            foreach (var name in layers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Core.Model.Layers.TryParse(name, out var l)) return Problem.BadParameter("layers", $"'{name}' is not a layer");
                list.Add(l);
            }
            searched = list;
        }
        var found = await store.SearchAsync(q, searched, size, ct);
        // Who may not see a grid's workers may not find it by their names either.
        var caller = GridMap.Server.Accounts.Caller.Of(http);
        var text = q.Trim().ToLowerInvariant();
        found = found.Where(f => f.Layer != Layer.Grids || caller.MaySeePersonalData(f.Id)
                || SearchText.For(f.Id, PersonalData.Redact(f.Properties)).Contains(text, StringComparison.Ordinal))
            .Select(f => PersonalData.ShownTo(caller, f)).ToList();
        return TypedResults.Ok(new SearchResponse(q, found.Select(Hit).ToList()));
    }

    static SearchHit Hit(StoredFeature f)
    {
        var label = f.Layer switch
        {
            Layer.Grids => $"{f.Text("code")} {f.Text("name")} {string.Join(" ", Grid.From(f).Workers.Select(w => w.Name))}".Trim(),
            Layer.Buildings => f.Text("address") ?? f.Id,
            _ => f.Text("name") is { Length: > 0 } name ? name : f.Text("code") ?? f.Id,
        };
        var center = f.Geometry is NetTopologySuite.Geometries.Point p ? p : f.Geometry.InteriorPoint;
        return new SearchHit(f.Layer.Key(), f.Id, label, [Math.Round(center.X, 7), Math.Round(center.Y, 7)], GeoJsonGeometry.Bbox(f.Geometry));
    }
}
