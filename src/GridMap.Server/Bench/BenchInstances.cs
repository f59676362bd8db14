using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Sample;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.IO.Partitioning;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.IO.Converters;

namespace GridMap.Server.Bench;

/// <summary>One benchmark instance: the partitioner's input and a line saying what it is.</summary>
public sealed record BenchInstance(string Name, string Description, PartitionInput Input);

/// <summary>Loads the benchmark instances: real data from ../shared/geodata, the sample city and lattices.</summary>
public static class BenchInstances
{
    public static readonly string[] All = ["singapore", "chengdu", "sample", "lattice40", "lattice100", "lattice317"];

    public static BenchInstance Load(string name) => name switch
    {
        "singapore" => Singapore(),
        "chengdu" => Chengdu(),
        "chengdu-area" => Chengdu(explicitArea: true),
        "sample" => Sample(),
        _ when name.StartsWith("lattice", StringComparison.Ordinal) && int.TryParse(name["lattice".Length..], out var side) && side is >= 2 and <= 2000 =>
            LatticeInstance(side),
        _ => throw new ArgumentException($"unknown instance '{name}' (known: {string.Join(", ", All)}, chengdu-area, or latticeN)"),
    };

    /// <summary>The folder `shared` (holding `geodata`) beside the repository: searched upwards from the current directory and from the executable.</summary>
    public static string SharedDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "geodata"))) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"no folder shared/geodata found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}: the singapore and chengdu instances read ../shared/geodata");
    }

    static string Geodata(string relative)
    {
        var path = Path.Combine(SharedDirectory(), "geodata", relative);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist", path);
        return path;
    }

    static void ThrowOnProblems(List<FeatureProblem> problems)
    {
        if (problems.Count > 0)
            throw new InvalidDataException($"{problems.Count} problem(s) in benchmark input, first: {problems[0].Pointer} {problems[0].Message}");
    }

    /// <summary>Singapore's 10,120 HDB blocks (points with real household counts); the areas are the subzones that hold at least one block.</summary>
    public static BenchInstance Singapore()
    {
        var problems = new List<FeatureProblem>();
        var blocks = PartitionFiles.ReadUnits("blocks.geojson", File.ReadAllBytes(Geodata("singapore-hdb/blocks.geojson")), problems);
        var subzones = PartitionFiles.ReadAreas("subzones.geojson", File.ReadAllBytes(Geodata("singapore-hdb/subzones.geojson")), problems);
        ThrowOnProblems(problems);

        var tree = new STRtree<int>();
        for (var i = 0; i < subzones.Count; i++) tree.Insert(subzones[i].Polygon.EnvelopeInternal, i);
        var prepared = subzones.Select(s => PreparedGeometryFactory.Prepare(s.Polygon)).ToArray();
        var used = new bool[subzones.Count];
        foreach (var b in blocks)
            foreach (var i in tree.Query(b.Geometry.EnvelopeInternal))
                if (!used[i] && prepared[i].Covers(b.Geometry)) used[i] = true;
        var areas = subzones.Where((_, i) => used[i]).ToList();
        return new BenchInstance("singapore",
            $"Singapore HDB: {blocks.Count:N0} blocks (points), {blocks.Sum(b => (long)b.Households):N0} households, {areas.Count} of {subzones.Count} subzones (those holding blocks) as areas",
            new PartitionInput(blocks, areas));
    }

    /// <summary>
    /// Central Chengdu (OSM 2018): the residential compounds with households estimated from their area (class "other"),
    /// no buildings (each compound is divided geometrically), walkable roads as barriers, one area.
    /// </summary>
    public static BenchInstance Chengdu(bool explicitArea = false)
    {
        var estimator = new HouseholdEstimator();
        var compounds = new List<PartitionCompound>();
        var rejected = 0;
        foreach (var (index, geometry, props) in ReadFeatures(Geodata("chengdu-2018/compounds.geojson")))
        {
            if (geometry is not (Polygon or MultiPolygon)) { rejected++; continue; }
            var check = GeometryRules.Check(geometry);
            if (check.Outcome == GeometryOutcome.Rejected || check.Geometry is null) { rejected++; continue; }
            var g = check.Geometry;
            var id = Text(props, "osm_way_id") ?? Text(props, "osm_id") ?? $"c{index}";
            var households = estimator.EstimateCompound(MetricProjection.For(g).AreaM2(g), CompoundClasses.Other);
            compounds.Add(new PartitionCompound(id, g, households));
        }
        var roads = new List<Geometry>();
        var lines = 0;
        foreach (var (_, geometry, props) in ReadFeatures(Geodata("chengdu-2018/roads.geojson")))
        {
            if (geometry is not (LineString or MultiLineString)) continue;
            lines++;
            var tags = props.Where(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
            if (Walkability.IsWalkable(tags)) roads.Add(geometry);
        }
        IReadOnlyList<PartitionArea>? areas = null;
        if (explicitArea)
        {
            // What "no areas" should amount to: the compounds' hull, buffered by 50 m (GridPartitioner's default for units).
            var all = GeometryRules.Factory.BuildGeometry(compounds.Select(c => c.Polygon).ToList());
            var projection = MetricProjection.For(all);
            areas = [new PartitionArea("CHENGDU", projection.Unproject(projection.Project(all).ConvexHull().Buffer(50)))];
        }
        return new BenchInstance(explicitArea ? "chengdu-area" : "chengdu",
            $"Chengdu 2018 (OSM): {compounds.Count} residential compounds{(rejected > 0 ? $" ({rejected} rejected as invalid)" : "")} with estimated households " +
            $"({compounds.Sum(c => (long)(c.Households ?? 0)):N0} in all, class \"other\"), no buildings, {roads.Count:N0} of {lines:N0} road lines (walkable) as barriers, " +
            (explicitArea ? "one explicit area (the compounds' convex hull buffered by 50 m)" : "no areas (one area)"),
            new PartitionInput([], areas, compounds, roads));
    }

    /// <summary>The sample city: buildings (with compound, households and stairwells), communities as areas, compounds, network lines as barriers.</summary>
    public static BenchInstance Sample()
    {
        var city = SampleCityGenerator.Generate();
        var units = city.Features(Layer.Buildings).Select(f =>
        {
            var households = (int)(JsonNumber.ToLong(f.Properties["households"]) ?? 0);
            var compound = f.Properties["compound"] is JsonValue c ? c.ToString() : null;
            List<BuildingUnit>? stairs = null;
            if (f.Properties["units"] is JsonArray array)
                stairs = array.OfType<JsonObject>()
                    .Select(u => new BuildingUnit(u["id"]!.ToString(), (int)(JsonNumber.ToLong(u["households"]) ?? 0))).ToList();
            return new PartitionUnit(f.Id, households, f.Geometry, compound, stairs);
        }).ToList();
        var areas = city.Features(Layer.Communities)
            .Select(f => new PartitionArea(f.Properties["code"]?.ToString() ?? f.Id, f.Geometry)).ToList();
        var compounds = city.Features(Layer.Compounds)
            .Select(f => new PartitionCompound(f.Id, f.Geometry, JsonNumber.ToLong(f.Properties["households"]) is { } h ? (int)h : null)).ToList();
        var barriers = city.Features(Layer.Network).Select(f => f.Geometry).Where(g => g is LineString or MultiLineString).ToList();
        return new BenchInstance("sample",
            $"sample city (seed 1, scale 1): {units.Count:N0} buildings, {units.Sum(u => (long)u.Households):N0} households, {areas.Count} communities as areas, " +
            $"{compounds.Count} compounds, {barriers.Count:N0} network lines as barriers",
            new PartitionInput(units, areas, compounds, barriers));
    }

    public static BenchInstance LatticeInstance(int side)
    {
        var input = Lattice.Generate(side);
        return new BenchInstance($"lattice{side}",
            $"{side}×{side} lattice of 100 m squares ({side * side:N0} polygon units, {input.Units.Sum(u => (long)u.Households):N0} households, uniform 20..80, seed 42), one area, rook adjacency",
            input);
    }

    static readonly JsonSerializerOptions GeometryOptions = new() { Converters = { new GeoJsonConverterFactory(GeometryRules.Factory) } };

    static IEnumerable<(int Index, Geometry? Geometry, JsonObject Properties)> ReadFeatures(string path)
    {
        var root = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a GeoJSON object");
        var features = root["features"] as JsonArray ?? throw new InvalidDataException($"{path}: not a FeatureCollection");
        var i = 0;
        foreach (var f in features.OfType<JsonObject>())
        {
            var props = f["properties"] as JsonObject ?? [];
            var geometry = f["geometry"] is JsonObject g ? g.Deserialize<Geometry>(GeometryOptions) : null;
            yield return (i++, geometry, props);
        }
    }

    static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? v.ToString() : null;
}
