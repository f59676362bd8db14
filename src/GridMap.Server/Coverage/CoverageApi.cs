using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Spatial;
using GridMap.IO.GeoJson;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Coverage;

/// <summary>
/// Service circles over HTTP, on the store's buildings, stations and walking network: the coverage report, every
/// building's walk, isochrones and gaps for the map, new-station siting and one-station what-ifs. Every request names
/// its stations (<c>kind</c>, all when absent) and thresholds (<c>minutes</c> at a <c>profile</c> or <c>speed_kmh</c>,
/// or <c>meters</c>; else the kind's GB 50180 radius; else 5, 10 and 15 minutes), as `gridmap coverage` does, and may
/// set <c>min_component_nodes</c> (buildings and stations attach only to network components of at least that many nodes; 50).
/// </summary>
public static class CoverageApi
{
    /// <summary>Isochrones are drawn for at most this many stations per request.</summary>
    const int MaxIsochroneStations = 100;

    public sealed record WalkQuery(string? Kind, string? Minutes, string? Meters, string? Profile, double? SpeedKmh,
        [property: FromQuery(Name = "min_component_nodes")] int? MinComponentNodes);

    public sealed record SiteRequest(string? Kind, string? Minutes, string? Meters, string? Profile, double? SpeedKmh,
        int? Add, double? Share, JsonNode? Candidates, double? Spacing, int? MinComponentNodes = null);

    public sealed record StationChange(string? Op, string? Station, double? Lon, double? Lat);

    public sealed record WhatIfRequest(string? Kind, string? Minutes, string? Meters, string? Profile, double? SpeedKmh, IReadOnlyList<StationChange>? Changes,
        int? MinComponentNodes = null);

    public sealed record LoadChange(long Before, long After);

    /// <summary>
    /// A what-if's answer: the covered share per threshold before and after the changes, the covered households after,
    /// the loads that change, the stations added, and — after the changes — the share per threshold of every community
    /// and grid (as the report's by_community and by_grid).
    /// </summary>
    public sealed record WhatIfResponse(
        string Mode, long Households, IReadOnlyDictionary<string, double> CoverageBefore, IReadOnlyDictionary<string, double> CoverageAfter,
        IReadOnlyDictionary<string, LoadChange> LoadChanges, IReadOnlyList<string> Added, double Seconds)
    {
        public IReadOnlyDictionary<string, long>? CoveredAfter { get; init; }
        public IReadOnlyDictionary<string, Dictionary<string, double>>? ByCommunity { get; init; }
        public IReadOnlyDictionary<string, Dictionary<string, double>>? ByGrid { get; init; }
        /// <summary>The buildings whose walk the changes moved into another threshold (or in or out of reach), so the map recolours just them.</summary>
        public CoverageChanged? Changed { get; init; }
    }

    /// <summary>
    /// Buildings a what-if moved, as columns (as /api/coverage/values): id, the smallest threshold label each is now within
    /// (null: beyond all), and the walk in metres (null: unreachable).
    /// </summary>
    public sealed record CoverageChanged(IReadOnlyList<string> Ids, IReadOnlyList<string?> Within, IReadOnlyList<double?> WalkM);

    public static RouteGroupBuilder MapCoverage(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/coverage").WithTags("Coverage");
        group.MapGet("/", ReportAsync).WithSummary("The coverage report: covered share per threshold, uncovered and unreachable households, station loads, by community, grid and kind");
        group.MapGet("/table", TableAsync).WithSummary("Coverage by community and by grid with names, households and covered households per threshold, and the stations with names and loads");
        group.MapGet("/buildings", BuildingsAsync).WithSummary("Every building with its nearest station, walk (m, min) and the smallest threshold it is within (GeoJSON)");
        group.MapGet("/values", ValuesAsync).WithSummary("Every building's walk as columns (ids, walk_m, walk_min, within): what the map joins to its vector tiles, a fraction of /buildings' bytes");
        group.MapGet("/isochrones", IsochronesAsync).WithSummary("Isochrones per station and threshold, for display (GeoJSON); ?station=ID for one");
        group.MapGet("/gaps", GapsAsync).WithSummary("Residential land no station reaches within each threshold, with its households (GeoJSON)");
        group.MapPost("/sites", SitesAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Organisation)).WithSummary("Where new stations would cover the most households (add) or the fewest that reach a share (share); GeoJSON with the report");
        group.MapPost("/whatif", WhatIfAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin, Roles.Organisation)).WithSummary("Coverage and loads after adding, moving or removing stations, updated incrementally");
        return group;
    }

    /// <summary>The request's stations, thresholds and speed on the cached model, or the problem with them.</summary>
    internal sealed record Walk(WalkSetting Setting, IReadOnlyList<int> StationIndices, WalkModel Model, IReadOnlyList<CoverageThreshold> Thresholds, double Speed)
    {
        public IReadOnlyList<CoverageStation> Stations => StationIndices.Select(i => Setting.Stations[i]).Select(s => new CoverageStation(s.Id, s.Kind, s.Location)).ToList();
        public CoverageInput Input => new(Setting.Places, Stations, null, Thresholds, Speed);
        public List<long> Households => Setting.Places.Select(p => (long)p.Households).ToList();
    }

    internal static async Task<(Walk? Walk, ProblemHttpResult? Problem)> WalkOf(WalkModelCache cache, string? kind, string? minutes, string? meters, string? profile, double? kmh,
        int? minComponentNodes, CancellationToken ct)
    {
        if (kind is not null && !StationKinds.IsKnown(kind))
            return (null, Problem.BadParameter("kind", $"is not a station kind (known: {string.Join(", ", StationKinds.All.Select(k => k.Key))})"));
        if (minComponentNodes is < 1)
            return (null, Problem.BadParameter("min_component_nodes", "must be a whole number of at least 1 (1: attach to any piece of the network)"));
        try
        {
            var speed = WalkingSpeed.MetresPerSecond(WalkingSpeed.Kmh(profile, kmh));
            var thresholds = CoverageThresholds.From(minutes, meters, kind, speed);
            var setting = await cache.GetAsync(ct);
            var (indices, model) = setting.For(kind, minComponentNodes ?? WalkNetwork.DefaultMinComponentNodes);
            return (new Walk(setting, indices, model, thresholds, speed), null);
        }
        catch (ArgumentOutOfRangeException e)
        {
            var name = (e.ParamName ?? "query").Replace('-', '_');
            return (null, Problem.OutOfRange(name, e.Message.Split(" (Parameter")[0],
                name == "meters" ? CoverageThresholds.MaxMeters : CoverageThresholds.MaxMinutes));
        }
        catch (ArgumentException e)
        {
            return (null, Problem.BadParameter((e.ParamName ?? "query").Replace('-', '_'), e.Message.Split(" (Parameter")[0]));
        }
    }

    static async Task<Results<Ok<CoverageReport>, ProblemHttpResult>> ReportAsync([AsParameters] WalkQuery q, WalkModelCache cache, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        return TypedResults.Ok(WalkCoverage.Compute(walk.Input, walk.Model).Report);
    }

    static async Task<Results<Ok<CoverageTable.TableResponse>, ProblemHttpResult>> TableAsync([AsParameters] WalkQuery q, WalkModelCache cache,
        IFeatureStore store, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var result = WalkCoverage.Compute(walk.Input, walk.Model);
        return TypedResults.Ok(await CoverageTable.BuildAsync(store, walk.Setting, walk.StationIndices, result, walk.Thresholds,
            CoverageTable.UnitOf(q.Minutes, q.Meters, q.Kind), walk.Speed, walk.Model.Mode, ct));
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> BuildingsAsync([AsParameters] WalkQuery q, WalkModelCache cache, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var result = WalkCoverage.Compute(walk.Input, walk.Model);
        var ordered = walk.Thresholds.OrderBy(t => t.Metres).ToList();
        return Collection(walk.Setting.Places.Select((p, i) =>
        {
            var r = result.Places[i];
            var properties = GridMap.IO.Coverage.CoverageFiles.WalkProperties(r);
            properties.Insert(0, "households", p.Households);
            properties["within"] = r.Metres is { } w ? ordered.FirstOrDefault(x => w <= x.Metres)?.Label : null;
            if (GridMap.IO.Coverage.CoverageFiles.ByKind(result, i) is { } byKind) properties["by_kind"] = byKind;
            properties["mode"] = walk.Model.Mode;
            return new FeatureDraft(p.Id, p.Geometry, properties);
        }), new JsonObject { ["mode"] = walk.Model.Mode, ["thresholds"] = new JsonArray(ordered.Select(t => (JsonNode)t.Label).ToArray()) });
    }

    /// <summary>
    /// /buildings without geometry, as columns: one entry per building in each array, in the same order. The map colours
    /// its tiled buildings by id (feature-state), so the geometry it already has need not come again.
    /// </summary>
    public sealed record CoverageValues(string Mode, IReadOnlyList<string> Thresholds, IReadOnlyList<string> Ids, IReadOnlyList<string?> Station,
        IReadOnlyList<double?> WalkM, IReadOnlyList<double?> WalkMin, IReadOnlyList<string?> Within);

    static async Task<Results<Ok<CoverageValues>, ProblemHttpResult>> ValuesAsync([AsParameters] WalkQuery q, WalkModelCache cache, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var result = WalkCoverage.Compute(walk.Input, walk.Model);
        var ordered = walk.Thresholds.OrderBy(t => t.Metres).ToList();
        var places = walk.Setting.Places;
        var reach = Enumerable.Range(0, places.Count).Select(i => result.Places[i]).ToList();
        // The same rounding and `within` as /buildings (CoverageFiles.WalkProperties).
        return TypedResults.Ok(new CoverageValues(walk.Model.Mode, ordered.Select(t => t.Label).ToList(),
            places.Select(p => p.Id).ToList(),
            reach.Select(r => r.Station).ToList(),
            reach.Select(r => r.Metres is { } m ? Math.Round(m, 1) : (double?)null).ToList(),
            reach.Select(r => r.Minutes is { } t ? Math.Round(t, 2) : (double?)null).ToList(),
            reach.Select(r => r.Metres is { } w ? ordered.FirstOrDefault(x => w <= x.Metres)?.Label : null).ToList()));
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> IsochronesAsync([AsParameters] WalkQuery q, string? station, WalkModelCache cache, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var stations = walk.Stations;
        var model = walk.Model;
        if (station is not null)
        {
            var at = stations.Select((s, i) => (s, i)).Where(x => x.s.Id == station).Select(x => x.i).DefaultIfEmpty(-1).First();
            if (at < 0) return Problem.Of(StatusCodes.Status404NotFound, "not-found", "Station not found", $"station: no station {station}{(q.Kind is null ? "" : $" of kind {q.Kind}")}",
                new Dictionary<string, object?> { ["errors"] = new[] { new { pointer = "station", field = "station", message = "no such station" } } });
            stations = [stations[at]];
            model = walk.Model.WithStations([stations[0].Location]);
        }
        else if (stations.Count > MaxIsochroneStations)
            return Problem.BadParameter("station", $"{stations.Count} stations: ask for one station, or a kind with at most {MaxIsochroneStations}");
        var isochrones = ServiceAreas.Isochrones(model, walk.Households, walk.Thresholds.Select(t => t.Metres).ToList());
        return Collection(isochrones.OrderByDescending(i => walk.Thresholds[i.Threshold].Metres).Select(i => new FeatureDraft(
            $"{stations[i.Station].Id}-{walk.Thresholds[i.Threshold].Label}", i.Polygon, new JsonObject
            {
                ["station"] = stations[i.Station].Id,
                ["kind"] = stations[i.Station].Kind,
                ["threshold"] = walk.Thresholds[i.Threshold].Label,
                ["meters"] = Math.Round(walk.Thresholds[i.Threshold].Metres, 1),
                ["households"] = i.Households,
                ["mode"] = model.Mode,
            })), new JsonObject { ["mode"] = model.Mode });
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> GapsAsync([AsParameters] WalkQuery q, WalkModelCache cache, CancellationToken ct)
    {
        var (walk, problem) = await WalkOf(cache, q.Kind, q.Minutes, q.Meters, q.Profile, q.SpeedKmh, q.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var reach = walk.Model.Nearest();
        var gaps = ServiceAreas.Gaps(walk.Model, walk.Setting.Places.Select(p => p.Geometry).ToList(), walk.Households, reach,
            walk.Thresholds.Select(t => t.Metres).ToList());
        // What each gap holds, for the map's list: its uncovered compounds and buildings, by name.
        var contents = CoverageTable.Contents(walk.Setting, walk.Model, reach, walk.Thresholds, gaps);
        return Collection(gaps.Select((g, k) => new FeatureDraft($"gap-{walk.Thresholds[g.Threshold].Label}-{k + 1}", g.Polygon, new JsonObject
        {
            ["threshold"] = walk.Thresholds[g.Threshold].Label,
            ["meters"] = Math.Round(walk.Thresholds[g.Threshold].Metres, 1),
            ["households"] = g.Households,
            ["buildings"] = g.Buildings,
            ["area_m2"] = g.AreaM2,
            ["mode"] = walk.Model.Mode,
            ["compounds"] = JsonSerializer.SerializeToNode(contents[k].Compounds, SnakeCase),
            ["uncovered_buildings"] = JsonSerializer.SerializeToNode(contents[k].Buildings, SnakeCase),
            ["communities"] = JsonSerializer.SerializeToNode(contents[k].Communities, SnakeCase),
        })), new JsonObject { ["mode"] = walk.Model.Mode });
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> SitesAsync(SiteRequest? request, WalkModelCache cache, CancellationToken ct)
    {
        if (request is null) return Problem.BadParameter("body", "is required: {\"minutes\": \"15\", \"add\": 3, \"candidates\": \"auto\"}");
        var (walk, problem) = await WalkOf(cache, request.Kind, request.Minutes, request.Meters, request.Profile, request.SpeedKmh, request.MinComponentNodes, ct);
        if (walk is null) return problem!;
        if (walk.Thresholds.Count != 1) return Problem.BadParameter(request.Meters is null ? "minutes" : "meters", "siting takes one threshold, e.g. \"15\"");
        if ((request.Add is null) == (request.Share is null)) return Problem.BadParameter("add", "give add (new stations for the most households) or share (the fewest stations for a covered share), one of them");
        if (request.Add is < 1 or > 1000) return Problem.BadParameter("add", "must be a whole number from 1 to 1000");
        if (request.Share is <= 0 or > 1) return Problem.BadParameter("share", "must be above 0 and at most 1, e.g. 0.95");
        var spacing = request.Spacing ?? Math.Round(walk.Thresholds[0].Metres / 4);
        if (!(spacing >= 10)) return Problem.BadParameter("spacing", "must be at least 10 (metres between automatic candidates)");

        var model = walk.Model;
        List<(string Id, Coordinate At)>? given = null;
        if (request.Candidates is not null && !(request.Candidates is JsonValue v && v.ToString() == "auto"))
        {
            if (request.Candidates is not JsonObject fc || fc["features"] is not JsonArray features)
                return Problem.BadParameter("candidates", "must be \"auto\" or a GeoJSON FeatureCollection of points");
            var problems = new List<GridMap.Core.Schema.FeatureProblem>();
            byte[] utf8;
            try
            {
                utf8 = System.Text.Encoding.UTF8.GetBytes(fc.ToJsonString());
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                // A lone UTF-16 surrogate cannot even be read as a string.
                return Problem.InvalidFeatures([new(null, null, "candidates", "holds text that is not Unicode (a lone UTF-16 surrogate)", GridMap.Core.Schema.TextRules.InvalidText)], "Invalid candidates");
            }
            var read = GridMap.IO.Coverage.CoverageFiles.ReadStations("candidates", utf8, problems);
            if (problems.Count > 0) return Problem.InvalidFeatures(problems, "Invalid candidates");
            if (read.Count is 0 or > 20_000) return Problem.BadParameter("candidates", "must hold 1 to 20,000 points");
            given = read.Select(c => (c.Id, WalkModel.Metric(model.Projection, c.Location))).ToList();
        }
        var households = walk.Households;
        var clock = Stopwatch.StartNew();
        var candidates = given?.Select(g => g.At).ToList() ?? StationSiting.AutomaticCandidates(model, households, walk.Thresholds[0].Metres, spacing).ToList();
        var result = request.Add is { } add
            ? StationSiting.MaximalCovering(model, households, candidates, walk.Thresholds[0].Metres, add)
            : StationSiting.SetCovering(model, households, candidates, walk.Thresholds[0].Metres, request.Share!.Value);
        var report = GridMap.IO.Coverage.CoverageFiles.SitingReport(result, walk.Thresholds[0], model.Mode, request.Share,
            given is null ? "auto" : "given", clock.Elapsed.TotalSeconds);
        var sites = result.Sites.Select(s => (given?[s.Candidate].Id ?? $"auto-{s.Candidate + 1}",
            GeometryRules.Factory.CreatePoint(model.Projection.Unproject(candidates[s.Candidate])), s)).ToList();
        return Collection(GridMap.IO.Coverage.CoverageFiles.SiteFeatures(sites, model.Mode),
            new JsonObject { ["report"] = report });
    }

    static async Task<Results<Ok<WhatIfResponse>, ProblemHttpResult>> WhatIfAsync(WhatIfRequest? request, WalkModelCache cache, CancellationToken ct)
    {
        if (request?.Changes is not { Count: > 0 } changes)
            return Problem.BadParameter("changes", "is required: [{\"op\": \"add\"|\"move\"|\"remove\", \"station\": id, \"lon\": …, \"lat\": …}]");
        if (changes.Count > 100) return Problem.BadParameter("changes", "at most 100 changes per request");
        var (walk, problem) = await WalkOf(cache, request.Kind, request.Minutes, request.Meters, request.Profile, request.SpeedKmh, request.MinComponentNodes, ct);
        if (walk is null) return problem!;
        var stations = walk.Stations;
        var ids = stations.Select(s => s.Id).ToList();
        // Everything is checked before anything is computed, in order: a change may name a station an earlier one added,
        // never one an earlier one removed. Added stations without an id are called new-1, new-2, …
        var live = new HashSet<string>(ids);
        var names = new List<string?>();
        for (var k = 0; k < changes.Count; k++)
        {
            var c = changes[k];
            var at = $"changes/{k}";
            if (c is null) return Problem.BadParameter(at, "must be an object: {\"op\": \"add\"|\"move\"|\"remove\", …}");
            if (c.Op is not ("add" or "move" or "remove")) return Problem.BadParameter($"{at}/op", "must be add, move or remove");
            if (c.Op == "add")
            {
                if (c.Station is not null && live.Contains(c.Station)) return Problem.BadParameter($"{at}/station", $"{c.Station} already exists: move it instead");
                var name = c.Station;
                for (var n = 1; name is null || live.Contains(name); n++) name = $"new-{n}";
                live.Add(name);
                names.Add(name);
            }
            else
            {
                if (c.Station is null || !live.Contains(c.Station))
                    return Problem.BadParameter($"{at}/station", $"must name a station{(request.Kind is null ? "" : $" of kind {request.Kind}")} that is there at this step");
                if (c.Op == "remove") live.Remove(c.Station);
                names.Add(c.Station);
            }
            if (c.Op != "remove" && (c.Lon is not (>= -180 and <= 180) || c.Lat is not (>= -90 and <= 90)))
                return Problem.BadParameter($"{at}/lon", "lon and lat are required: where the station goes");
        }

        var clock = Stopwatch.StartNew();
        var metres = walk.Thresholds.Select(t => t.Metres).ToList();
        var state = new CoverageWhatIf(walk.Model, walk.Households, metres);
        var before = Shares(state, walk);
        var walksBefore = state.Reach.Select(r => r.Reachable ? r.Metres : (double?)null).ToArray();
        var loadsBefore = Enumerable.Range(0, stations.Count).Select(state.LoadOf).ToList();
        var added = new List<string>();
        for (var k = 0; k < changes.Count; k++)
        {
            var c = changes[k];
            Coordinate Here() => walk.Model.Projection.Project(new Coordinate(c.Lon!.Value, c.Lat!.Value));
            switch (c.Op)
            {
                case "add":
                    state.Add(Here());
                    ids.Add(names[k]!);
                    added.Add(names[k]!);
                    break;
                case "move": state.Move(ids.IndexOf(c.Station!), Here()); break;
                default: state.Remove(ids.IndexOf(c.Station!)); break;
            }
        }
        var loads = new Dictionary<string, LoadChange>();
        for (var s = 0; s < ids.Count; s++)
        {
            var was = s < loadsBefore.Count ? loadsBefore[s] : 0;
            if (state.LoadOf(s) != was) loads[ids[s]] = new LoadChange(was, state.LoadOf(s));
        }
        // Each community's and grid's share after the changes, from every building's walk now.
        var after = state.Reach.Select(r => r.Reachable ? r.Metres : (double?)null).ToList();
        var places = walk.Setting.Places;
        return TypedResults.Ok(new WhatIfResponse(walk.Model.Mode, walk.Households.Sum(), before, Shares(state, walk), loads, added, clock.Elapsed.TotalSeconds)
        {
            CoveredAfter = walk.Thresholds.Select((t, i) => (t.Label, state.Covered(i))).ToDictionary(x => x.Label, x => x.Item2),
            ByCommunity = places.Any(p => p.Community is not null) ? CoverageTable.ShareMap(places, after, walk.Thresholds, p => p.Community) : null,
            ByGrid = places.Any(p => p.Grid is not null) ? CoverageTable.ShareMap(places, after, walk.Thresholds, p => p.Grid) : null,
            Changed = ChangedWalks(places, walksBefore, after, walk.Thresholds),
        });
    }

    /// <summary>The places whose smallest threshold within (or reachability) differs after the changes; the same `within` as /values.</summary>
    static CoverageChanged ChangedWalks(IReadOnlyList<CoveragePlace> places, IReadOnlyList<double?> before, IReadOnlyList<double?> after, IReadOnlyList<CoverageThreshold> thresholds)
    {
        var ordered = thresholds.OrderBy(t => t.Metres).ToList();
        string? Within(double? metres) => metres is { } m ? ordered.FirstOrDefault(t => m <= t.Metres)?.Label : null;
        var ids = new List<string>();
        var within = new List<string?>();
        var walks = new List<double?>();
        for (var i = 0; i < places.Count; i++)
        {
            var now = Within(after[i]);
            if (now == Within(before[i]) && after[i].HasValue == before[i].HasValue) continue;
            ids.Add(places[i].Id);
            within.Add(now);
            walks.Add(after[i] is { } m ? Math.Round(m, 1) : null);
        }
        return new CoverageChanged(ids, within, walks);
    }

    static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    static Dictionary<string, double> Shares(CoverageWhatIf state, Walk walk)
    {
        var total = walk.Households.Sum();
        return walk.Thresholds.Select((t, i) => (t.Label, Share: total == 0 ? 1 : (double)state.Covered(i) / total)).ToDictionary(x => x.Label, x => x.Share);
    }

    /// <summary>A FeatureCollection with foreign members (mode, thresholds, report) beside the features.</summary>
    static GeoJsonResult Collection(IEnumerable<FeatureDraft> features, JsonObject members) => new(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "FeatureCollection");
        foreach (var (key, value) in members)
        {
            w.WritePropertyName(key);
            if (value is null) w.WriteNullValue();
            else value.WriteTo(w);
        }
        w.WriteStartArray("features");
        foreach (var f in features) GeoJsonFeatures.WriteFeature(w, f.Id, f.Geometry, f.Properties);
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
