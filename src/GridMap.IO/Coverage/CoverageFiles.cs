using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.IO.GeoJson;
using NetTopologySuite.Geometries;
using static GridMap.IO.GeoJson.FeatureFiles;

namespace GridMap.IO.Coverage;

/// <summary>
/// The files of `gridmap coverage`: buildings, stations and the walking network in; buildings with their walk and a
/// report out. Every problem names the file, the feature and the field; nothing is computed until all inputs are valid.
/// </summary>
public static class CoverageFiles
{
    /// <summary>Point or Polygon features with an id and whole households; `community_code` and `grid_code` when given.</summary>
    public static IReadOnlyList<CoveragePlace> ReadBuildings(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var places = new List<CoveragePlace>();
        foreach (var (f, households) in ReadHouseholdFeatures(file, utf8, problems))
            if (households is not null && f.Id is not null && f.Geometry is Point or Polygon or MultiPolygon)
                places.Add(new CoveragePlace(f.Id, households.Value, f.Geometry, Text(f.Properties["community_code"]), Text(f.Properties["grid_code"])));
        return places;
    }

    static string? Text(JsonNode? node) => node is JsonValue v && v.ToString() is { Length: > 0 } s ? s : null;

    /// <summary>Compounds (Polygon/MultiPolygon features) with `gates` ([lon, lat] positions): the walled ones buildings walk out of through a gate; compounds without gates are skipped.</summary>
    public static IReadOnlyList<WalledCompound> ReadWalledCompounds(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var walled = new List<WalledCompound>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            Require(f.Geometry is Polygon or MultiPolygon, problems, f, file, "geometry", "must be a Polygon or MultiPolygon");
            if (f.Properties["gates"] is not { } node) continue;
            var spec = LayerSchema.For(Layer.Compounds).Find("gates")!;
            var checkedGates = FeatureValidator.CoerceProperty(spec, node, out var error);
            Require(error is null, problems, f, file, "properties.gates", error ?? "");
            if (error is not null || f.Geometry is not (Polygon or MultiPolygon) || checkedGates is not JsonArray gates || gates.Count == 0) continue;
            walled.Add(new WalledCompound(f.Geometry, gates.OfType<JsonArray>()
                .Select(p => (Point)GeometryRules.Factory.CreatePoint(new Coordinate(p[0]!.GetValue<double>(), p[1]!.GetValue<double>()))).ToList()));
        }
        return walled;
    }

    /// <summary>Point features with an id and an optional kind key.</summary>
    public static IReadOnlyList<CoverageStation> ReadStations(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var stations = new List<CoverageStation>();
        var seen = new HashSet<string>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            Require(f.Id is not null, problems, f, file, "id", "is required: a string or number");
            Require(f.Geometry is Point, problems, f, file, "geometry", "must be a Point");
            var kind = f.Properties["kind"] is JsonValue k ? k.ToString() : null;
            Require(kind is null || StationKinds.IsKnown(kind), problems, f, file, "properties.kind",
                $"is not a station kind (known: {string.Join(", ", StationKinds.All.Select(x => x.Key))})");
            if (f.Id is not null && !seen.Add(f.Id)) problems.Add(new(f.Index, f.Id, $"{file}: id", "is not unique"));
            if (f.Id is null || f.Geometry is not Point point) continue;
            stations.Add(new CoverageStation(f.Id, kind, point));
        }
        return stations;
    }

    /// <summary>The walkable lines of LineString/MultiLineString features with OSM tags (`highway`, `foot`, `access`, …).</summary>
    public static IReadOnlyList<LineString> ReadNetwork(string file, byte[] utf8, List<FeatureProblem> problems, out int lineCount)
    {
        var lines = new List<LineString>();
        lineCount = 0;
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            Require(f.Geometry is LineString or MultiLineString, problems, f, file, "geometry", "must be a LineString");
            if (f.Geometry is not (LineString or MultiLineString)) continue;
            var tags = f.Properties.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString());
            for (var i = 0; i < f.Geometry.NumGeometries; i++)
            {
                lineCount++;
                if (Walkability.IsWalkable(tags)) lines.Add((LineString)f.Geometry.GetGeometryN(i));
            }
        }
        return lines;
    }

    /// <summary>
    /// Every building with `station` (its nearest station's id), `walk_m` and `walk_min` (null when unreachable), and,
    /// when the stations are of several kinds, `by_kind`: the same for the nearest station of each kind.
    /// </summary>
    public static void WriteBuildings(Stream stream, IReadOnlyList<CoveragePlace> places, CoverageResult result, string mode) =>
        GeoJsonFeatures.WriteCollection(stream, places.Select((p, i) =>
        {
            var properties = WalkProperties(result.Places[i]);
            properties.Insert(0, "households", p.Households);
            if (ByKind(result, i) is { } byKind) properties["by_kind"] = byKind;
            properties["mode"] = mode;
            return new FeatureDraft(p.Id, p.Geometry, properties);
        }));

    /// <summary>`station`, `walk_m` (0.1 m) and `walk_min` (0.01 min) of one walk; nulls when unreachable.</summary>
    public static JsonObject WalkProperties(PlaceReach reach) => new()
    {
        ["station"] = reach.Station,
        ["walk_m"] = reach.Metres is { } m ? Math.Round(m, 1) : null,
        ["walk_min"] = reach.Minutes is { } t ? Math.Round(t, 2) : null,
    };

    /// <summary>Place <paramref name="i"/>'s walk to the nearest station of each kind, when there are several kinds.</summary>
    public static JsonObject? ByKind(CoverageResult result, int i)
    {
        if (result.PlacesByKind is not { } kinds) return null;
        var o = new JsonObject();
        foreach (var (kind, reach) in kinds) o[kind] = WalkProperties(reach[i]);
        return o;
    }

    /// <summary>One feature per station and threshold: `station`, `kind`, `threshold` (as given), `meters`, `households` (whose walk from this station is within it), `mode`.</summary>
    public static void WriteIsochrones(Stream stream, IReadOnlyList<Isochrone> isochrones, IReadOnlyList<CoverageStation> stations,
        IReadOnlyList<CoverageThreshold> thresholds, string mode)
    {
        GeoJsonFeatures.WriteCollection(stream, isochrones.Select(i => new FeatureDraft(
            $"{stations[i.Station].Id}-{thresholds[i.Threshold].Label}", i.Polygon, new JsonObject
            {
                ["station"] = stations[i.Station].Id,
                ["kind"] = stations[i.Station].Kind,
                ["threshold"] = thresholds[i.Threshold].Label,
                ["meters"] = Math.Round(thresholds[i.Threshold].Metres, 1),
                ["households"] = i.Households,
                ["mode"] = mode,
            })));
    }

    /// <summary>One feature per piece of uncovered residential land and threshold: `threshold`, `meters`, `households` and `buildings` (uncovered ones inside), `area_m2`, `mode`.</summary>
    public static void WriteGaps(Stream stream, IReadOnlyList<CoverageGap> gaps, IReadOnlyList<CoverageThreshold> thresholds, string mode)
    {
        GeoJsonFeatures.WriteCollection(stream, gaps.Select((g, k) => new FeatureDraft(
            $"gap-{thresholds[g.Threshold].Label}-{k + 1}", g.Polygon, new JsonObject
            {
                ["threshold"] = thresholds[g.Threshold].Label,
                ["meters"] = Math.Round(thresholds[g.Threshold].Metres, 1),
                ["households"] = g.Households,
                ["buildings"] = g.Buildings,
                ["area_m2"] = g.AreaM2,
                ["mode"] = mode,
            })));
    }

    /// <summary>Chosen sites in the order chosen: `rank`, `households_gained` and `buildings_gained` (covered by no station and no site ranked before), `mode`.</summary>
    public static IEnumerable<FeatureDraft> SiteFeatures(IReadOnlyList<(string Id, Point Location, ChosenSite Site)> sites, string mode) =>
        sites.Select(s => new FeatureDraft(s.Id, s.Location, new JsonObject
        {
            ["rank"] = s.Site.Rank,
            ["households_gained"] = s.Site.HouseholdsGained,
            ["buildings_gained"] = s.Site.BuildingsGained,
            ["mode"] = mode,
        }));

    public static void WriteSites(Stream stream, IReadOnlyList<(string Id, Point Location, ChosenSite Site)> sites, string mode) =>
        GeoJsonFeatures.WriteCollection(stream, SiteFeatures(sites, mode));

    /// <summary>
    /// The siting report, for `gridmap site --report` and POST /api/coverage/sites alike: strategy, threshold, coverage
    /// before and after, households gained, and the bound (maximal covering) or the target share and lower bound (set covering).
    /// </summary>
    public static JsonObject SitingReport(SitingResult result, CoverageThreshold threshold, string mode, double? targetShare, string candidatesSource, double seconds)
    {
        double Share(long covered) => result.Households == 0 ? 1 : (double)covered / result.Households;
        var report = new JsonObject
        {
            ["strategy"] = targetShare is null ? "maximal_covering" : "set_covering",
            ["threshold"] = threshold.Label,
            ["meters"] = Math.Round(threshold.Metres, 1),
            ["mode"] = mode,
            ["households"] = result.Households,
            ["coverage_before"] = Share(result.CoveredBefore),
            ["coverage_after"] = Share(result.CoveredAfter),
            ["households_gained"] = result.Gained,
            ["added"] = result.Sites.Count,
            ["candidates"] = result.Candidates,
            ["candidates_source"] = candidatesSource,
            ["seconds"] = Math.Round(seconds, 4),
        };
        if (result.GainBound is { } bound)
        {
            report["bound"] = bound;
            report["gap"] = bound == 0 ? 0 : Math.Round((double)(bound - result.Gained) / bound, 4);
        }
        if (targetShare is { } share)
        {
            report["target_share"] = share;
            report["reached"] = Share(result.CoveredAfter) >= share;
            report["sites_lower_bound"] = result.SitesLowerBound;
        }
        return report;
    }

    /// <summary>The report as the contract names it (snake_case).</summary>
    public static void WriteReport(Stream stream, CoverageReport report) =>
        JsonSerializer.Serialize(stream, report, GridMap.IO.Partitioning.PartitionFiles.ReportOptions);
}
