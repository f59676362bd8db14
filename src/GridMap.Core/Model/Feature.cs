using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Model;

/// <summary>A feature as it enters the store: id, lon/lat geometry and snake_case properties.</summary>
public sealed record FeatureDraft(string Id, Geometry Geometry, JsonObject Properties);

/// <summary>A feature as the store holds it; <see cref="Version"/> rises by one on every write.</summary>
public sealed record StoredFeature(Layer Layer, string Id, long Version, Geometry Geometry, JsonObject Properties)
{
    public string? Text(string name) => Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public long? Integer(string name) => Properties[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
}
