using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Store;

namespace GridMap.Server.Settings;

/// <summary>
/// The band (contract): a store setting with per-community overrides, one versioned value under the key "band":
/// <c>{"min", "max", "target", "communities": {code: {"min", "max", "target"}}}</c>. Never written, it is 200–300, target 250.
/// </summary>
public sealed record BandSetting(Bounds Store, IReadOnlyDictionary<string, Bounds> Communities, long Version)
{
    public const string Key = "band";

    public Bounds For(string? community) =>
        community is not null && Communities.TryGetValue(community, out var b) ? b : Store;

    public static async Task<BandSetting> ReadAsync(IFeatureStore store, CancellationToken ct)
    {
        var s = await store.GetSettingAsync(Key, ct);
        if (s is null) return new(new Bounds(), new Dictionary<string, Bounds>(), 0);
        var communities = new Dictionary<string, Bounds>(StringComparer.Ordinal);
        foreach (var (code, node) in s.Value["communities"] as JsonObject ?? [])
            if (node is JsonObject o && BoundsOf(o) is { } b) communities[code] = b;
        return new(BoundsOf(s.Value) ?? new Bounds(), communities, s.Version);
    }

    public JsonObject ToJson() => new()
    {
        ["min"] = Store.Min, ["max"] = Store.Max, ["target"] = Store.Target,
        ["communities"] = new JsonObject(Communities.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["min"] = kv.Value.Min, ["max"] = kv.Value.Max, ["target"] = kv.Value.Target }))),
    };

    static Bounds? BoundsOf(JsonObject o) =>
        o["min"]?.GetValue<int>() is { } min && o["max"]?.GetValue<int>() is { } max
            ? new Bounds(min, max, o["target"]?.GetValue<int>() ?? (min + max) / 2) : null;

    /// <summary>below, in or above for a basic, active grid; null for the rest (dedicated grids have no band).</summary>
    public static string? StatusOf(JsonObject grid, Bounds bounds)
    {
        if ((grid["type"]?.ToString() ?? "basic") != "basic" || grid["status"]?.ToString() == "retired") return null;
        var h = JsonNumber.ToLong(grid["households"]) ?? 0;
        return h < bounds.Min ? "below" : h > bounds.Max ? "above" : "in";
    }

    /// <summary>A copy of a grid's properties with <c>band_status</c> set (computed on read, never stored).</summary>
    public JsonObject WithBandStatus(JsonObject grid)
    {
        var copy = (JsonObject)grid.DeepClone();
        copy.Remove("band_status");
        if (StatusOf(grid, For(grid["community_code"]?.ToString())) is { } status) copy["band_status"] = status;
        return copy;
    }
}
