using GridMap.Core.Model;
using GridMap.Server.Hosting;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Core.Network;
using GridMap.Server.Coverage;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Lookup;

/// <summary>"Where am I?" for a field worker: the street, community, compound, grid and building at a point, the grid worker, and the nearest station of each kind.</summary>
public static class LookupApi
{
    public sealed record AreaRef(string Code, string Name);
    public sealed record CompoundRef(string Id, string Name, string Class);
    /// <param name="Workers">Names and phones, for the roles that may see them; empty for the rest.</param>
    /// <param name="WorkersCount">How many workers the grid has, shown to everyone (有网格员).</param>
    public sealed record GridRef(string Code, string Name, int Households, IReadOnlyList<Person> Workers, int WorkersCount);
    /// <summary>
    /// The building at the point: <c>grid_codes</c> names every grid holding part of it (a high-rise or a compound's
    /// remainder split by stairwells), <c>households_rule</c> what decided its households.
    /// </summary>
    public sealed record BuildingRef(string Id, int Households, string? Address, string? GridCode, IReadOnlyList<string> GridCodes, string? HouseholdsRule);
    /// <summary>The nearest station of a kind: by walk over the network when one is loaded (<c>walk_m</c>, <c>walk_min</c> at 4.5 km/h), else as the crow flies; <c>distance_m</c> is always the straight line.</summary>
    public sealed record NearestStation(string Kind, string Label, string Id, string Name, double DistanceM, double Lon, double Lat, double? WalkM = null, double? WalkMin = null);
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

    static async Task<Results<Ok<LookupResult>, ProblemHttpResult>> LookupAsync(double? lon, double? lat, IFeatureStore store, WalkModelCache walks, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (lon is null || !double.IsFinite(lon.Value) || lon is < -180 or > 180) return Problem.BadParameter("lon", "is required: a longitude in -180..180");
        if (lat is null || !double.IsFinite(lat.Value) || lat is < -90 or > 90) return Problem.BadParameter("lat", "is required: a latitude in -90..90");
        var point = GeometryRules.Factory.CreatePoint(new Coordinate(lon.Value, lat.Value));

        // Retired grids keep their last polygon as history; they are no longer anyone's grid.
        async Task<StoredFeature?> At(Layer layer) =>
            (await store.ContainingAsync(layer, point, ct)).Where(f => f.Text("status") != "retired").OrderBy(f => f.Geometry.Area).FirstOrDefault();

        var district = await At(Layer.Districts);
        var street = await At(Layer.Streets);
        var community = await At(Layer.Communities);
        var compound = await At(Layer.Compounds);
        var grid = await At(Layer.Grids);
        var building = await At(Layer.Buildings);

        var setting = await walks.GetAsync(ct);
        var stations = NearestStations(setting, point);
        return TypedResults.Ok(new LookupResult(
            lon.Value, lat.Value,
            district is null ? null : new AreaRef(district.Text("code") ?? district.Id, district.Text("name") ?? ""),
            street is null ? null : new AreaRef(street.Text("code") ?? street.Id, street.Text("name") ?? ""),
            community is null ? null : new AreaRef(community.Text("code") ?? community.Id, community.Text("name") ?? ""),
            compound is null ? null : Compound.From(compound) is var c ? new CompoundRef(c.Id, c.Name, c.Class) : null,
            grid is null ? null : Grid.From(grid) is var g ? new GridRef(g.Code, g.Name, g.Households, GridMap.Server.Accounts.Caller.Of(http).MaySeePersonalData(g.Code) ? g.Workers : [], g.Workers.Count) : null,
            building is null ? null : Building.From(building) is var b ? new BuildingRef(b.Id, b.Households, b.Address, b.GridCode, GridCodesOf(building), building.Text("households_rule")) : null,
            stations, setting.Model.Network is null ? "straight_line" : "network"));
    }

    static IReadOnlyList<string> GridCodesOf(StoredFeature building) =>
        building.Properties["grid_codes"] is System.Text.Json.Nodes.JsonArray codes
            ? codes.Select(c => c?.ToString()).OfType<string>().ToList()
            : building.Text("grid_code") is { } code ? [code] : [];

    /// <summary>How far (m) a lookup walks the network for stations; kinds beyond it fall back to the straight line.</summary>
    const double WalkLimit = 5_000;

    /// <summary>
    /// The nearest station of each kind, from the cached walking model: by walk (one walk from the point, bounded) when a
    /// network is loaded, else — and for kinds beyond the walk — by straight line.
    /// </summary>
    static IReadOnlyList<NearestStation> NearestStations(WalkSetting setting, Point point)
    {
        var model = setting.Model;
        var here = model.Projection.Project(point.Coordinate);
        var walks = new double[setting.Stations.Count];
        Array.Fill(walks, double.PositiveInfinity);
        if (model.Network is { } network && network.Attach(here) is { } anchor)
            new BoundedWalk(network).Reach(anchor, WalkLimit, new AnchoredPoints(network, model.StationAnchors!), (s, m) => walks[s] = m);
        var speed = WalkingSpeed.MetresPerSecond(WalkingSpeed.AdultKmh);
        return setting.Stations.Select((s, i) => (Station: s, Walk: walks[i], Straight: here.Distance(model.Stations[i])))
            .GroupBy(x => x.Station.Kind)
            .Select(g => g.MinBy(x => (double.IsInfinity(x.Walk) ? 1 : 0, double.IsInfinity(x.Walk) ? x.Straight : x.Walk)))
            .Select(x =>
            {
                var label = StationKinds.All.FirstOrDefault(k => k.Key == x.Station.Kind)?.Label ?? x.Station.Kind;
                var at = x.Station.Location.Coordinate;
                double? walk = double.IsInfinity(x.Walk) ? null : Math.Round(x.Walk, 1);
                return new NearestStation(x.Station.Kind, label, x.Station.Id, x.Station.Name, Math.Round(x.Straight, 1), at.X, at.Y,
                    walk, walk is null ? null : Math.Round(x.Walk / speed / 60, 1));
            })
            .OrderBy(s => s.WalkM ?? double.MaxValue).ThenBy(s => s.DistanceM).ToList();
    }
}
