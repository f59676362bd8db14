using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Features;

/// <summary>
/// Grid membership belongs to the server (contract, "Derived fields"): a building's grid_code(s) and a grid's households,
/// unit_ids and polygon change only through /api/grids/assign, rebalance, partition accepts and layer imports. A single
/// feature write that sets one to anything but its current value is refused; one that leaves it out keeps it.
/// </summary>
public static class DerivedFields
{
    static readonly string[] BuildingFields = ["grid_code", "grid_codes"];
    static readonly string[] GridFields = ["households", "unit_ids"];

    public static ProblemHttpResult? Refuse(Layer layer, FeatureDraft draft, StoredFeature? current)
    {
        var fields = layer switch { Layer.Buildings => BuildingFields, Layer.Grids => GridFields, _ => [] };
        var errors = new List<ProblemError>();
        foreach (var name in fields)
        {
            if (!draft.Properties.TryGetPropertyValue(name, out var given)) continue;
            var now = current?.Properties[name];
            if (current is null ? IsEmpty(given) : JsonNode.DeepEquals(given, now)) continue;
            errors.Add(Error(layer, name, $"/properties/{name}"));
        }
        if (layer == Layer.Grids && current is not null && !draft.Geometry.EqualsExact(current.Geometry, 1e-7))
            errors.Add(Error(layer, "geometry", "/geometry"));
        return errors.Count == 0 ? null
            : CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, "derived_field", "Derived fields are the server's", errors);
    }

    /// <summary>Derived fields a PUT left out are kept as they are.</summary>
    public static FeatureDraft KeepCurrent(Layer layer, FeatureDraft draft, StoredFeature current)
    {
        var fields = layer switch { Layer.Buildings => BuildingFields, Layer.Grids => GridFields.Concat(["band_status"]).ToArray(), _ => [] };
        var props = draft.Properties;
        foreach (var name in fields)
            if (!props.ContainsKey(name) && current.Properties[name] is { } value) props[name] = value.DeepClone();
        props.Remove("band_status");
        return draft;
    }

    /// <summary>
    /// An old version brought back: its own fields, with the derived ones as they are now (a building's grid_code(s), a
    /// compound's households; a restored building that is not stored has none until it is assigned to a grid).
    /// </summary>
    public static FeatureDraft Restored(StoredFeature old, StoredFeature? current)
    {
        var props = (JsonObject)old.Properties.DeepClone();
        var derived = old.Layer switch { Layer.Buildings => BuildingFields, Layer.Compounds => ["households"], _ => [] };
        foreach (var name in derived)
        {
            props.Remove(name);
            if (current?.Properties[name] is { } now) props[name] = now.DeepClone();
        }
        return new FeatureDraft(old.Id, old.Geometry, props);
    }

    static bool IsEmpty(JsonNode? n) => n is null || (n is JsonArray a && a.Count == 0) || (n is JsonValue v && JsonNumber.ToLong(v) == 0);

    static ProblemError Error(Layer layer, string field, string pointer) => new("derived_field", pointer,
        $"{layer.Key()}.{field} is derived: change grid membership with POST /api/grids/assign (or /api/grids/rebalance)",
        new Dictionary<string, object?> { ["field"] = field, ["operation"] = "/api/grids/assign" });
}

/// <summary>
/// A building's households (or stairwells) changed, or it was deleted: the grids holding it get their households (and on a
/// delete their unit_ids) recomputed in the same transaction, so a grid worker's correction shows in the grid at once.
/// </summary>
public static class GridRecount
{
    /// <summary>The grids to rewrite when <paramref name="current"/> becomes <paramref name="next"/> (null: deleted), with the versions read.</summary>
    public static Task<IReadOnlyList<(FeatureDraft Draft, long Version)>> ForAsync(IFeatureStore store, StoredFeature current, FeatureDraft? next, CancellationToken ct) =>
        ForAsync(store, [(current, next)], ct);

    /// <summary>
    /// The grids to rewrite for several building changes at once (a building and its compound's remainder may share a
    /// grid: their deltas add up in one rewrite), with the versions read.
    /// </summary>
    public static async Task<IReadOnlyList<(FeatureDraft Draft, long Version)>> ForAsync(IFeatureStore store,
        IReadOnlyList<(StoredFeature Current, FeatureDraft? Next)> changes, CancellationToken ct)
    {
        var grids = new Dictionary<string, (StoredFeature Grid, JsonObject Props)>(StringComparer.Ordinal);
        foreach (var (current, next) in changes)
        {
            var before = Building.From(current);
            var after = next is null ? null : Building.From(new StoredFeature(Layer.Buildings, next.Id, current.Version, next.Geometry, next.Properties));
            if (after is not null && after.Households == before.Households && after.Units.SequenceEqual(before.Units)) continue;
            var codes = new HashSet<string>(StringComparer.Ordinal);
            if (current.Text("grid_code") is { } code) codes.Add(code);
            foreach (var c in (current.Properties["grid_codes"] as JsonArray ?? []).Select(n => n?.ToString()).OfType<string>()) codes.Add(c);
            foreach (var c in codes)
            {
                if (!grids.TryGetValue(c, out var entry))
                {
                    if (await store.GetAsync(Layer.Grids, c, ct) is not { } grid) continue;
                    entry = grids[c] = (grid, (JsonObject)grid.Properties.DeepClone());
                }
                var props = entry.Props;
                var units = (props["unit_ids"] as JsonArray ?? []).Select(n => n?.ToString() ?? "").ToList();
                var mine = units.Where(u => u == current.Id || u.StartsWith(current.Id + "/", StringComparison.Ordinal)).ToList();
                if (mine.Count == 0) continue;
                var delta = mine.Sum(u => (long)Share(after, u) - Share(before, u));
                props["households"] = Math.Max(0, (JsonNumber.ToLong(props["households"]) ?? 0) + delta);
                if (after is null) props["unit_ids"] = new JsonArray(units.Except(mine).Select(u => (JsonNode)JsonValue.Create(u)!).ToArray());
            }
        }
        return grids.Values.Where(g => !JsonNode.DeepEquals(g.Props, g.Grid.Properties))
            .Select(g => (new FeatureDraft(g.Grid.Id, g.Grid.Geometry, g.Props), g.Grid.Version)).ToList();
    }

    static int Share(Building? b, string unitId) => b is null ? 0 : BuildingUnit.HouseholdsOf(b.Households, b.Units, unitId);
}
