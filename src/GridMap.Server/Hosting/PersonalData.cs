using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Server.Accounts;

namespace GridMap.Server.Hosting;

/// <summary>
/// Grid workers' and building heads' names and phones go only to the roles the contract's personal-data table names
/// (<see cref="Caller.MaySeePersonalData"/>). Redacted grids keep a count of workers so the map can say 有网格员.
/// </summary>
public static class PersonalData
{
    static readonly string[] Fields = ["workers", "building_heads"];

    /// <summary>A grid's properties as <paramref name="caller"/> may see them.</summary>
    public static JsonObject ShownTo(Caller caller, string gridCode, JsonObject properties) =>
        caller.MaySeePersonalData(gridCode) ? properties : Redact(properties);

    public static StoredFeature ShownTo(Caller caller, StoredFeature f) =>
        f.Layer == Layer.Grids && !caller.MaySeePersonalData(f.Id) ? f with { Properties = Redact(f.Properties) } : f;

    /// <summary>A copy of the properties without names and phones (the same object when there are none).</summary>
    public static JsonObject Redact(JsonObject properties)
    {
        if (!Fields.Any(properties.ContainsKey)) return properties;
        var copy = (JsonObject)properties.DeepClone();
        if (copy["workers"] is JsonArray workers) copy["workers_count"] = workers.Count;
        foreach (var f in Fields) copy.Remove(f);
        return copy;
    }
}
