using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Lookup;

/// <summary>"Where am I?" for a field worker: the street, community, compound, grid and building at a point, the grid worker, and the nearest station of each kind.</summary>
public static class LookupApi
{
    public sealed record AreaRef(string Code, string Name);
    public sealed record CompoundRef(string Id, string Name, string Class);
    public sealed record GridRef(string Code, string Name, int Households, IReadOnlyList<Person> Workers);
    public sealed record BuildingRef(string Id, int Households, string? Address, string? GridCode);
    public sealed record NearestStation(string Kind, string Label, string Id, string Name, double DistanceM, double Lon, double Lat);
    public sealed record LookupResult(
        double Lon, double Lat, AreaRef? District, AreaRef? Street, AreaRef? Community, CompoundRef? Compound,
        GridRef? Grid, BuildingRef? Building, IReadOnlyList<NearestStation> NearestStations, string DistanceMode);

    public static RouteGroupBuilder MapLookup(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/lookup").WithTags("Lookup");
        group.MapGet("/", LookupAsync)
            .WithSummary("The grid, compound, community and street containing a point, the grid worker, and the nearest station of each kind");
        return group;
    }

    static async Task<Results<Ok<LookupResult>, ProblemHttpResult>> LookupAsync(double? lon, double? lat, IFeatureStore store, CancellationToken ct)
    {
        if (lon is null || !double.IsFinite(lon.Value) || lon is < -180 or > 180) return Problem.BadParameter("lon", "is required: a longitude in -180..180");
        if (lat is null || !double.IsFinite(lat.Value) || lat is < -90 or > 90) return Problem.BadParameter("lat", "is required: a latitude in -90..90");
        var point = GeometryRules.Factory.CreatePoint(new Coordinate(lon.Value, lat.Value));

        async Task<StoredFeature?> At(Layer layer) =>
            (await store.ContainingAsync(layer, point, ct)).OrderBy(f => f.Geometry.Area).FirstOrDefault();

        var district = await At(Layer.Districts);
        var street = await At(Layer.Streets);
        var community = await At(Layer.Communities);
        var compound = await At(Layer.Compounds);
        var grid = await At(Layer.Grids);
        var building = await At(Layer.Buildings);

        var stations = await NearestStationsAsync(store, point, ct);
        return TypedResults.Ok(new LookupResult(
            lon.Value, lat.Value,
            district is null ? null : new AreaRef(district.Text("code") ?? district.Id, district.Text("name") ?? ""),
            street is null ? null : new AreaRef(street.Text("code") ?? street.Id, street.Text("name") ?? ""),
            community is null ? null : new AreaRef(community.Text("code") ?? community.Id, community.Text("name") ?? ""),
            compound is null ? null : Compound.From(compound) is var c ? new CompoundRef(c.Id, c.Name, c.Class) : null,
            grid is null ? null : Grid.From(grid) is var g ? new GridRef(g.Code, g.Name, g.Households, g.Workers) : null,
            building is null ? null : Building.From(building) is var b ? new BuildingRef(b.Id, b.Households, b.Address, b.GridCode) : null,
            stations, "straight_line"));
    }

    /// <summary>Straight-line distance in the local Gauss–Krüger plane; walking times come with the walking graph.</summary>
    static async Task<IReadOnlyList<NearestStation>> NearestStationsAsync(IFeatureStore store, Point point, CancellationToken ct)
    {
        var projection = MetricProjection.ForLongitude(point.X);
        var here = projection.Project(point.Coordinate);
        var best = new Dictionary<string, NearestStation>();
        for (var offset = 0; ; offset += 10_000)
        {
            var page = await store.ListAsync(Layer.Stations, new FeatureQuery(null, 10_000, offset), ct);
            foreach (var f in page.Features)
            {
                var s = Station.From(f);
                var at = s.Location.Coordinate;
                var d = here.Distance(projection.Project(at));
                if (!best.TryGetValue(s.Kind, out var current) || d < current.DistanceM)
                {
                    var label = StationKinds.All.FirstOrDefault(k => k.Key == s.Kind)?.Label ?? s.Kind;
                    best[s.Kind] = new NearestStation(s.Kind, label, s.Id, s.Name, Math.Round(d, 1), at.X, at.Y);
                }
            }
            if (offset + page.Features.Count >= page.NumberMatched) break;
        }
        return best.Values.OrderBy(s => s.DistanceM).ToList();
    }
}
