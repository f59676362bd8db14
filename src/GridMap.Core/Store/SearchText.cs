using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;

namespace GridMap.Core.Store;

/// <summary>The text a feature is found by: id, code, name, address and the names of its people. Both stores index this.</summary>
public static class SearchText
{
    public static string For(string id, JsonObject p)
    {
        var sb = new StringBuilder(id);
        foreach (var key in new[] { "code", "name", "address", "grid_code" })
            if (p[key] is JsonValue v) sb.Append('\n').Append(v.ToString());
        foreach (var key in new[] { "workers", "building_heads" })
            if (p[key] is JsonArray people)
                foreach (var person in people.OfType<JsonObject>())
                    sb.Append('\n').Append(person["name"]?.ToString()).Append(' ').Append(person["phone"]?.ToString());
        return sb.ToString().ToLowerInvariant();
    }

    /// <summary>Layers searched when none are named, in the order results are listed.</summary>
    public static readonly IReadOnlyList<Layer> DefaultLayers =
        [Layer.Grids, Layer.Compounds, Layer.Communities, Layer.Streets, Layer.Districts, Layer.Stations, Layer.Buildings];
}
