using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace GridMap.IO.GeoJson;

/// <summary>
/// Input files of the analysis commands (`gridmap partition`, `gridmap coverage`): GeoJSON FeatureCollections read
/// leniently into id, geometry and properties, every problem named by file, feature and field.
/// </summary>
internal static class FeatureFiles
{
    static readonly JsonSerializerOptions GeometryOptions = new()
    {
        Converters = { new GeoJsonConverterFactory(GeometryRules.Factory) },
        MaxDepth = GeoJsonFeatures.MaxDepth,
    };

    internal sealed record RawFeature(int Index, string? Id, Geometry? Geometry, JsonObject Properties);

    internal static List<RawFeature> ReadRaw(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var features = new List<RawFeature>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = GeoJsonFeatures.MaxDepth }); }
        catch (JsonException e)
        {
            problems.Add(new(null, null, $"{file}: body", $"malformed JSON: {e.Message}"));
            return features;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("features", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                problems.Add(new(null, null, $"{file}: features", "expected a GeoJSON FeatureCollection"));
                return features;
            }
            var i = 0;
            foreach (var f in list.EnumerateArray())
            {
                if (f.ValueKind != JsonValueKind.Object)
                {
                    problems.Add(new(i++, null, $"{file}: feature", "must be a GeoJSON Feature object"));
                    continue;
                }
                if (GeoJsonFeatures.TextProblemOf(f) is var (where, message))
                {
                    problems.Add(new(i++, null, $"{file}: {where}", message, GridMap.Core.Schema.TextRules.InvalidText));
                    continue;
                }
                var props = f.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? JsonObject.Create(p.Clone())! : [];
                string? id = f.TryGetProperty("id", out var idElement) && idElement.ValueKind is JsonValueKind.String or JsonValueKind.Number ? idElement.ToString()
                    : props["id"] is JsonValue pid ? pid.ToString() : null;
                Geometry? geometry = null;
                if (f.TryGetProperty("geometry", out var g) && g.ValueKind == JsonValueKind.Object)
                {
                    try { geometry = g.Deserialize<Geometry>(GeometryOptions); }
                    catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException)
                    {
                        problems.Add(new(i, id, $"{file}: geometry", $"is not valid GeoJSON geometry: {e.Message}"));
                    }
                }
                if (geometry is not null)
                {
                    var check = GeometryRules.Check(geometry);
                    if (check.Outcome == GeometryOutcome.Rejected) problems.Add(new(i, id, $"{file}: geometry", check.Message!));
                    geometry = check.Geometry;
                }
                features.Add(new RawFeature(i++, id, geometry, props));
            }
        }
        return features;
    }

    internal static void Require(bool ok, List<FeatureProblem> problems, RawFeature f, string file, string field, string message)
    {
        if (!ok) problems.Add(new(f.Index, f.Id, $"{file}: {field}", message));
    }

    internal static int? WholeNumber(JsonNode? node) =>
        JsonNumber.ToDouble(node) is { } d && d >= 0 && d == Math.Floor(d) && d <= int.MaxValue ? (int)d : null;

    /// <summary>
    /// Features that stand for buildings: each needs a unique string or number id, whole households and a Point or
    /// Polygon geometry. Every feature comes back with what was found (null where it is missing or wrong); problems are
    /// added for the rest, so that callers can read further properties of the same features.
    /// </summary>
    internal static IEnumerable<(RawFeature Feature, int? Households)> ReadHouseholdFeatures(string file, byte[] utf8, List<FeatureProblem> problems)
    {
        var seen = new HashSet<string>();
        foreach (var f in ReadRaw(file, utf8, problems))
        {
            var households = WholeNumber(f.Properties["households"]);
            Require(households is not null, problems, f, file, "properties.households", "is required: a whole number ≥ 0");
            Require(f.Id is not null, problems, f, file, "id", "is required: a string or number");
            Require(f.Geometry is Point or Polygon or MultiPolygon, problems, f, file, "geometry", "must be a Point or Polygon");
            if (f.Id is not null && !seen.Add(f.Id)) problems.Add(new(f.Index, f.Id, $"{file}: id", "is not unique"));
            yield return (f, households);
        }
    }
}
