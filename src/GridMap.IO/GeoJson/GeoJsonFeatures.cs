using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace GridMap.IO.GeoJson;

/// <summary>What came out of reading a GeoJSON upload for one layer: valid drafts, and problems naming feature and field.</summary>
public sealed record LayerRead(Layer Layer, IReadOnlyList<FeatureDraft> Features, IReadOnlyList<FeatureProblem> Problems, IReadOnlyList<FeatureProblem> Repairs)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Reads and writes the GeoJSON of the store's layers: the format of uploads, exports and the CLI verbs.
/// Feature properties are the layer's snake_case properties; the feature id is the stored id.
/// </summary>
public static class GeoJsonFeatures
{
    public const int MaxDepth = 64;

    static readonly JsonSerializerOptions GeometryOptions = new()
    {
        Converters = { new GeoJsonConverterFactory(GridMap.Core.Spatial.GeometryRules.Factory) },
        MaxDepth = MaxDepth,
    };

    static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    public static LayerRead Read(Layer layer, string json, Datum from = Datum.Wgs84) => Read(layer, Encoding.UTF8.GetBytes(json), from);

    /// <summary>Reads a FeatureCollection (or a single Feature) and validates every feature against the layer schema.</summary>
    /// <param name="maxFeatures">Most features taken (422 <c>too_many_features</c> beyond, before any is read).</param>
    public static LayerRead Read(Layer layer, ReadOnlyMemory<byte> utf8, Datum from = Datum.Wgs84, int maxFeatures = int.MaxValue)
    {
        var problems = new List<FeatureProblem>();
        var repairs = new List<FeatureProblem>();
        var drafts = new List<FeatureDraft>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException e)
        {
            problems.Add(new(null, null, "body", $"malformed JSON: {e.Message}"));
            return new(layer, drafts, problems, repairs);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                problems.Add(new(null, null, "type", "expected a GeoJSON object with \"type\": \"FeatureCollection\" or \"Feature\""));
                return new(layer, drafts, problems, repairs);
            }
            switch (type.GetString())
            {
                case "FeatureCollection":
                    if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
                    {
                        problems.Add(new(null, null, "features", "a FeatureCollection needs a \"features\" array"));
                        break;
                    }
                    if (features.GetArrayLength() is var count && count > maxFeatures)
                    {
                        problems.Add(new(null, null, "features", $"holds {count:N0} features; one import takes at most {maxFeatures:N0}: split the file", "too_many_features"));
                        break;
                    }
                    var index = 0;
                    var seen = new Dictionary<string, int>();
                    foreach (var f in features.EnumerateArray())
                    {
                        var draft = ReadFeature(layer, f, index, problems, repairs, from);
                        if (draft is not null)
                        {
                            if (seen.TryGetValue(draft.Id, out var first))
                                problems.Add(new(index, draft.Id, "id", $"duplicates the id of features[{first}]"));
                            else
                            {
                                seen[draft.Id] = index;
                                drafts.Add(draft);
                            }
                        }
                        index++;
                    }
                    break;
                case "Feature":
                    if (ReadFeature(layer, root, null, problems, repairs, from) is { } single) drafts.Add(single);
                    break;
                default:
                    problems.Add(new(null, null, "type", $"\"{type.GetString()}\" is not a Feature or FeatureCollection"));
                    break;
            }
        }
        return new(layer, drafts, problems, repairs);
    }

    /// <summary>Reads one Feature object; problems are added with the feature's index.</summary>
    /// <remarks>Geometry in GCJ-02 or BD-09 (<paramref name="from"/>) is converted to WGS84 here, once, before validation.</remarks>
    public static FeatureDraft? ReadFeature(Layer layer, JsonElement f, int? index, List<FeatureProblem> problems, List<FeatureProblem> repairs, Datum from = Datum.Wgs84)
    {
        if (f.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new(index, null, "feature", "must be a GeoJSON Feature object"));
            return null;
        }
        // Text neither store can keep alike (a lone surrogate, which .NET cannot even read as a string, or NUL) is refused
        // here, before anything reads it, with where it is.
        if (TextProblem(f, "") is var (where, message))
        {
            problems.Add(new(index, null, where, message, TextRules.InvalidText));
            return null;
        }
        string? id = null;
        if (f.TryGetProperty("id", out var idElement))
        {
            id = idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString(),
                JsonValueKind.Number => idElement.GetRawText(),
                JsonValueKind.Null => null,
                _ => null,
            };
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                problems.Add(new(index, null, "id", "must be a string or a number"));
                return null;
            }
        }
        if (!f.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || t.GetString() != "Feature")
        {
            problems.Add(new(index, id, "type", "must be \"Feature\""));
            return null;
        }

        JsonObject? properties = null;
        if (f.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind == JsonValueKind.Object) properties = JsonObject.Create(props.Clone());
            else if (props.ValueKind != JsonValueKind.Null)
            {
                problems.Add(new(index, id, "properties", "must be an object or null"));
                return null;
            }
        }
        // Files written by other tools often carry the id as a property only.
        if (id is null && properties?["id"] is JsonValue pid && pid.GetValueKind() is JsonValueKind.String or JsonValueKind.Number)
            id = pid.ToString();

        Geometry? geometry = null;
        if (f.TryGetProperty("geometry", out var g) && g.ValueKind != JsonValueKind.Null)
        {
            try
            {
                geometry = g.Deserialize<Geometry>(GeometryOptions);
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException or IndexOutOfRangeException)
            {
                problems.Add(new(index, id, "geometry", $"is not valid GeoJSON geometry: {e.Message}"));
                return null;
            }
            if (geometry is not null && from != Datum.Wgs84) geometry = ChinaDatum.ToWgs84(geometry, from);
            if (g.TryGetProperty("crs", out _))
                repairs.Add(new(index, id, "geometry.crs", "ignored: RFC 7946 GeoJSON is always lon/lat WGS84"));
        }

        var result = FeatureValidator.Validate(layer, index, id, geometry, properties);
        problems.AddRange(result.Problems);
        repairs.AddRange(result.Repairs);
        return result.Draft;
    }

    /// <summary>The first string or property name of a feature that is not storable text (<see cref="TextRules"/>), with its path.</summary>
    public static (string Field, string Message)? TextProblemOf(JsonElement feature) => TextProblem(feature, "");

    /// <summary>The first string or property name in <paramref name="e"/> that is not storable text, with its path.</summary>
    static (string Field, string Message)? TextProblem(JsonElement e, string at)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { return (at.Length == 0 ? "feature" : at, "a property name holds a lone UTF-16 surrogate: not Unicode text"); }
                    var here = at.Length == 0 ? name : $"{at}.{name}";
                    if (TextRules.Problem(name) is { } bad) return (at.Length == 0 ? "feature" : at, $"a property name {bad}");
                    if (TextProblem(p.Value, here) is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    // Coordinates hold no text: skip their arrays of numbers quickly.
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.String && TextProblem(item, $"{at}[{i}]") is { } found) return found;
                    i++;
                }
                return null;
            case JsonValueKind.String:
                string text;
                try { text = e.GetString()!; }
                catch (InvalidOperationException) { return (at, "holds a lone UTF-16 surrogate: not Unicode text"); }
                return TextRules.Problem(text) is { } problem ? (at, problem) : null;
            default:
                return null;
        }
    }

    /// <summary>Writes one feature: id, geometry, properties, and optionally the store version as a foreign member.</summary>
    public static void WriteFeature(Utf8JsonWriter w, string id, Geometry geometry, JsonObject properties, long? version = null)
    {
        w.WriteStartObject();
        w.WriteString("type", "Feature");
        w.WriteString("id", id);
        w.WritePropertyName("geometry");
        GeoJsonGeometry.Write(w, geometry);
        w.WritePropertyName("properties");
        properties.WriteTo(w);
        if (version is { } v) w.WriteNumber("version", v);
        w.WriteEndObject();
    }

    public static void WriteFeature(Utf8JsonWriter w, StoredFeature f, bool withVersion = true) =>
        WriteFeature(w, f.Id, f.Geometry, f.Properties, withVersion ? f.Version : null);

    /// <summary>A FeatureCollection file exactly as `gridmap import geojson` reads it.</summary>
    public static void WriteCollection(Stream stream, IEnumerable<FeatureDraft> features)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("type", "FeatureCollection");
        w.WriteStartArray("features");
        foreach (var f in features)
        {
            WriteFeature(w, f.Id, f.Geometry, f.Properties);
            if (w.BytesPending > 1 << 16) w.Flush();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }
}
