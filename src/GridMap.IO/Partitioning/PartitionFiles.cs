using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.IO.GeoJson;
using static GridMap.IO.GeoJson.FeatureFiles;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace GridMap.IO.Partitioning;

/// <summary>
/// The files of `gridmap partition`: units, areas, compounds, barriers and existing grids in; grids and the report out.
/// Every problem names the file, the feature and the field; nothing is partitioned until all inputs are valid.
/// </summary>
public static class PartitionFiles
{
    public static IReadOnlyList<PartitionUnit> ReadUnits(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var units = new List<PartitionUnit>();
        foreach (var (f, households) in ReadHouseholdFeatures(file, utf8, problems))
        {
            List<BuildingUnit>? stairs = null;
            if (f.Properties["units"] is JsonArray array)
            {
                stairs = [];
                foreach (var item in array.OfType<JsonObject>())
                {
                    var h = WholeNumber(item["households"]);
                    if (item["id"] is null || h is null) { problems.Add(new(f.Index, f.Id, $"{file}: properties.units", "each unit needs an id and whole households")); break; }
                    stairs.Add(new BuildingUnit(item["id"]!.ToString(), h.Value));
                }
            }
            if (households is null || f.Id is null || f.Geometry is null) continue;
            var compound = f.Properties["compound"] is JsonValue c ? c.ToString() : null;
            units.Add(new PartitionUnit(f.Id, households.Value, f.Geometry, compound, stairs));
        }
        return units;
    }

    public static IReadOnlyList<PartitionArea> ReadAreas(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var areas = new List<PartitionArea>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            var code = f.Properties["code"] is JsonValue c ? c.ToString() : null;
            Require(!string.IsNullOrWhiteSpace(code), problems, f, file, "properties.code", "is required");
            Require(f.Geometry is Polygon or MultiPolygon, problems, f, file, "geometry", "must be a Polygon or MultiPolygon");
            if (code is not null && f.Geometry is Polygon or MultiPolygon) areas.Add(new PartitionArea(code, f.Geometry));
        }
        return areas;
    }

    public static IReadOnlyList<PartitionCompound> ReadCompounds(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var compounds = new List<PartitionCompound>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            Require(f.Id is not null, problems, f, file, "id", "is required");
            Require(f.Geometry is Polygon or MultiPolygon, problems, f, file, "geometry", "must be a Polygon or MultiPolygon");
            int? households = null;
            if (f.Properties["households"] is { } h)
            {
                households = WholeNumber(h);
                Require(households is not null, problems, f, file, "properties.households", "must be a whole number ≥ 0");
            }
            if (f.Id is not null && f.Geometry is Polygon or MultiPolygon) compounds.Add(new PartitionCompound(f.Id, f.Geometry, households));
        }
        return compounds;
    }

    public static IReadOnlyList<Geometry> ReadBarriers(string file, byte[] utf8, List<FeatureProblem> problems) =>
        ReadRaw(file, utf8, problems).Where(f => f.Geometry is LineString or MultiLineString or Polygon or MultiPolygon).Select(f => f.Geometry!).ToList();

    /// <summary>The major roads among the barriers: lines whose <c>highway</c> is a major class (for <c>crossed_roads</c>).</summary>
    public static IReadOnlyList<PartitionRoad> ReadMajorRoads(string file, byte[] utf8, List<FeatureProblem> problems) =>
        ReadRaw(file, utf8, problems)
            .Where(f => f.Geometry is LineString or MultiLineString && f.Properties["highway"] is JsonValue h && PartitionRoad.Classes.Contains(h.ToString()))
            .Select((f, i) => new PartitionRoad(f.Id ?? $"road-{i + 1}", f.Properties["highway"]!.ToString(),
                f.Properties["name"] is JsonValue n ? n.ToString() : null, f.Geometry!))
            .ToList();

    /// <summary>Special areas (专属网格 land): Polygon/MultiPolygon features with <c>kind</c> and <c>name</c>.</summary>
    public static IReadOnlyList<PartitionSpecialArea> ReadSpecialAreas(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var areas = new List<PartitionSpecialArea>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            Require(f.Id is not null, problems, f, file, "id", "is required");
            Require(f.Geometry is Polygon or MultiPolygon, problems, f, file, "geometry", "must be a Polygon or MultiPolygon");
            if (f.Id is not null && f.Geometry is Polygon or MultiPolygon)
                areas.Add(new PartitionSpecialArea(f.Id, f.Properties["kind"] is JsonValue k ? k.ToString() : "other",
                    f.Properties["name"] is JsonValue n ? n.ToString() : null, f.Geometry));
        }
        return areas;
    }

    public static IReadOnlyList<ExistingGrid> ReadExisting(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var grids = new List<ExistingGrid>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            var code = f.Properties["code"] is JsonValue c ? c.ToString() : f.Id;
            Require(code is not null, problems, f, file, "properties.code", "is required");
            var ids = (f.Properties["unit_ids"] as JsonArray)?.Select(n => n?.ToString() ?? "").ToList() ?? [];
            if (code is not null && f.Geometry is not null) grids.Add(new ExistingGrid(code, f.Geometry, ids, WholeNumber(f.Properties["households"])));
        }
        return grids;
    }

    /// <summary>One Polygon/MultiPolygon feature per grid with code, area, households and unit_ids.</summary>
    public static void WriteGrids(Stream stream, IReadOnlyList<GridResult> grids)
    {
        GeoJsonFeatures.WriteCollection(stream, grids.Select(g => new FeatureDraft(g.Code, g.Polygon, new JsonObject
        {
            ["code"] = g.Code,
            ["area"] = g.Area,
            ["households"] = g.Households,
            ["unit_ids"] = new JsonArray(g.UnitIds.Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
            ["polsby_popper"] = Math.Round(g.PolsbyPopper, 4),
            ["type"] = g.Type,
        }.WithSpecial(g.Special))));
    }

    /// <summary>A dedicated grid names the special area it holds: <c>special_area: {id, kind, name}</c>.</summary>
    static JsonObject WithSpecial(this JsonObject props, PartitionSpecialArea? special)
    {
        if (special is null) return props;
        var area = new JsonObject { ["kind"] = special.Kind };
        if (special.Id.Length > 0) area["id"] = special.Id;
        if (special.Name is { } name) area["name"] = name;
        props["special_area"] = area;
        return props;
    }

    public static readonly JsonSerializerOptions ReportOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteReport(Stream stream, PartitionReport report) => JsonSerializer.Serialize(stream, report, ReportOptions);
}
