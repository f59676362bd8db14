using System.Net;
using System.Text.Json.Nodes;
using GridMap.Core.Model;

namespace GridMap.Server.Hosting;

/// <summary>
/// Who may see grid workers' and building heads' names and phones. Until accounts exist (contract): a client on this
/// machine (loopback) may, anyone else may not. Redacted features keep a count of workers so the map can say 有网格员.
/// </summary>
public static class PersonalData
{
    static readonly string[] Fields = ["workers", "building_heads"];

    public static bool MaySee(HttpContext http, GridMapOptions options) =>
        options.PersonalDataOnLoopback && http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip);

    /// <summary>A copy of the properties without names and phones (the same object when there are none).</summary>
    public static JsonObject Redact(JsonObject properties)
    {
        if (!Fields.Any(properties.ContainsKey)) return properties;
        var copy = (JsonObject)properties.DeepClone();
        if (copy["workers"] is JsonArray workers) copy["workers_count"] = workers.Count;
        foreach (var f in Fields) copy.Remove(f);
        return copy;
    }

    public static StoredFeature Redact(StoredFeature f) => f.Layer == Layer.Grids ? f with { Properties = Redact(f.Properties) } : f;
}
