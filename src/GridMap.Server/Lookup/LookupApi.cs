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

    static async Task<Results<Ok<LookupResult>, ProblemHttpResult>> LookupAsync(double? lon, double? lat, AreaIndexCache areas, WalkModelCache walks, HttpContext http, CancellationToken ct)
    {
        if (lon is null || !double.IsFinite(lon.Value) || lon is < -180 or > 180) return Problem.BadParameter("lon", "is required: a longitude in -180..180");
        if (lat is null || !double.IsFinite(lat.Value) || lat is < -90 or > 90) return Problem.BadParameter("lat", "is required: a latitude in -90..90");
        var at = new Coordinate(lon.Value, lat.Value);
        var point = GeometryRules.Factory.CreatePoint(at);

        // Both in memory, patched after writes (AreaIndexCache, WalkModelCache): a lookup reads no layer from the store.
        var areasTask = areas.GetAsync();
        var walkTask = walks.GetAsync(ct);
        var snapshot = await areasTask;
        var setting = await walkTask;

        // Retired grids keep their last polygon as history; they are no longer anyone's grid (AreaLayerIndex.At skips them).
        T? At<T>(Layer layer) where T : class => snapshot.Layers[layer].At(at, point)?.Answer as T;
        var grid = At<Grid>(Layer.Grids);
        return TypedResults.Ok(new LookupResult(
            lon.Value, lat.Value,
            At<AreaRef>(Layer.Districts), At<AreaRef>(Layer.Streets), At<AreaRef>(Layer.Communities), At<CompoundRef>(Layer.Compounds),
            grid is null ? null : new GridRef(grid.Code, grid.Name, grid.Households, GridMap.Server.Accounts.Caller.Of(http).MaySeePersonalData(grid.Code) ? grid.Workers : [], grid.Workers.Count),
            At<BuildingRef>(Layer.Buildings),
            NearestStations(setting, at), setting.Model.Network is null ? "straight_line" : "network"));
    }

    internal static IReadOnlyList<string> GridCodesOf(StoredFeature building) =>
        building.Properties["grid_codes"] is System.Text.Json.Nodes.JsonArray codes
            ? codes.Select(c => c?.ToString()).OfType<string>().ToList()
            : building.Text("grid_code") is { } code ? [code] : [];

    /// <summary>How far (m) a lookup's walk counts; kinds beyond it fall back to the straight line.</summary>
    const double WalkLimit = 5_000;

    /// <summary>
    /// The nearest station of each kind, from the cached walking model: by walk when a network is loaded — each kind's
    /// labels give every node's nearest station, so the point only attaches and looks at its edge's two ends — else,
    /// and for kinds beyond <see cref="WalkLimit"/>, by straight line.
    /// </summary>
    static IReadOnlyList<NearestStation> NearestStations(WalkSetting setting, Coordinate at)
    {
        var model = setting.Model;
        if (setting.Stations.Count == 0) return [];
        var here = model.Projection.Project(at);
        var anchor = model.Network?.Attach(here);
        var labels = anchor is null ? null : setting.KindLabels;
        var speed = WalkingSpeed.MetresPerSecond(WalkingSpeed.AdultKmh);
        var result = new List<NearestStation>();
        foreach (var (kind, indices) in setting.KindIndices)
        {
            var chosen = -1;
            var walk = double.PositiveInfinity;
            if (labels is not null && labels.Kinds.TryGetValue(kind, out var k) && k.Labels.ReachOf(anchor) is { Reachable: true } r && r.Metres <= WalkLimit
                && k.Members[r.Station] is { } id && setting.StationIndex.TryGetValue(id, out var s))
                (chosen, walk) = (s, r.Metres);
            if (chosen < 0)
            {
                var best = double.PositiveInfinity;
                foreach (var i in indices)
                    if (here.Distance(model.Stations[i]) is var d && d < best) (chosen, best) = (i, d);
            }
            if (chosen < 0) continue;
            var station = setting.Stations[chosen];
            var label = StationKinds.All.FirstOrDefault(x => x.Key == kind)?.Label ?? kind;
            var location = station.Location.Coordinate;
            double? walkM = double.IsInfinity(walk) ? null : Math.Round(walk, 1);
            result.Add(new NearestStation(kind, label, station.Id, station.Name, Math.Round(here.Distance(model.Stations[chosen]), 1), location.X, location.Y,
                walkM, walkM is null ? null : Math.Round(walk / speed / 60, 1)));
        }
        return result.OrderBy(s => s.WalkM ?? double.MaxValue).ThenBy(s => s.DistanceM).ToList();
    }
}
