using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Model;

/// <summary>A feature as it enters the store: id, lon/lat geometry and snake_case properties.</summary>
public sealed record FeatureDraft(string Id, Geometry Geometry, JsonObject Properties)
{
    public string? Text(string name) => Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>A feature as the store holds it; <see cref="Version"/> rises by one on every write.</summary>
public sealed record StoredFeature(Layer Layer, string Id, long Version, Geometry Geometry, JsonObject Properties)
{
    public string? Text(string name) => Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public long? Integer(string name) => Properties[name] is JsonValue v ? JsonNumber.ToLong(v) : null;
}

/// <summary>
/// Numbers in a <see cref="JsonObject"/> are backed by a parsed element or by a CLR value (int, long, double);
/// these read any of them.
/// </summary>
public static class JsonNumber
{
    public static double? ToDouble(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.Number) return null;
        if (v.TryGetValue<double>(out var d)) return d;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<decimal>(out var m)) return (double)m;
        if (v.TryGetValue<float>(out var f)) return f;
        return double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null;
    }

    public static long? ToLong(JsonNode? node) => ToDouble(node) is { } d && d == Math.Floor(d) ? (long)d : null;
}
