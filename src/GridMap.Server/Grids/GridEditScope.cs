using System.Text.Json.Nodes;
using GridMap.Core.Codes;
using GridMap.Core.Editing;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Partitioning;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Grids;

/// <summary>
/// What an edit reads from the store: every grid of the communities it names (retired ones included, for codes), the
/// buildings, compounds and barrier roads under them, and the versions it read; and how its outcome is written back.
/// </summary>
public sealed class GridEditScope
{
    GridEditScope(GridSet set, Dictionary<string, StoredFeature> grids, Dictionary<string, StoredFeature> buildings,
        Dictionary<string, string> communityNames, HashSet<string> realCommunities, Dictionary<string, IReadOnlyCollection<string>> before)
    {
        Set = set;
        StoredGrids = grids;
        StoredBuildings = buildings;
        _communityNames = communityNames;
        _real = realCommunities;
        _before = before;
    }

    readonly Dictionary<string, string> _communityNames;
    readonly HashSet<string> _real;
    readonly Dictionary<string, IReadOnlyCollection<string>> _before;

    public GridSet Set { get; }
    public IReadOnlyDictionary<string, StoredFeature> StoredGrids { get; }
    public IReadOnlyDictionary<string, StoredFeature> StoredBuildings { get; }

    /// <summary>Real communities are those of the communities layer that are not provisional; moves between them are refused.</summary>
    public bool IsReal(string community) => _real.Contains(community);

    /// <summary>The community of a grid: its community_code, else the 12-digit prefix of its code, else its area prefix.</summary>
    public static string CommunityOf(StoredFeature grid)
    {
        if (grid.Text("community_code") is { Length: > 0 } c) return c;
        var code = grid.Text("code") ?? grid.Id;
        if (code.Length == 15 && GridCode.IsCommunityCode(code[..12])) return code[..12];
        var dash = code.LastIndexOf('-');
        return dash > 0 ? code[..dash] : code;
    }

    /// <param name="buildingIds">Buildings the edit names.</param>
    /// <param name="gridCodes">Grids the edit names.</param>
    public static async Task<GridEditScope> LoadAsync(IFeatureStore store, IReadOnlyCollection<string> buildingIds, IReadOnlyCollection<string> gridCodes, CancellationToken ct)
    {
        var communities = new HashSet<string>(StringComparer.Ordinal);
        var named = new Dictionary<string, StoredFeature>(StringComparer.Ordinal);
        foreach (var code in gridCodes)
            if (await store.GetAsync(Layer.Grids, code, ct) is { } g) communities.Add(CommunityOf(g));
        foreach (var id in buildingIds)
        {
            if (await store.GetAsync(Layer.Buildings, id, ct) is not { } b) continue;
            named[id] = b;
            if (b.Text("grid_code") is { } gc && await store.GetAsync(Layer.Grids, gc, ct) is { } g) communities.Add(CommunityOf(g));
            else if (b.Text("community_code") is { } cc) communities.Add(cc);
            else
            {
                var at = b.Geometry is Point p ? p : b.Geometry.InteriorPoint;
                foreach (var hit in await store.ContainingAsync(Layer.Grids, at, ct))
                    if (hit.Text("status") != "retired") communities.Add(CommunityOf(hit));
            }
        }

        var grids = (await StoreReads.AllAsync(store, Layer.Grids, null, ct)).Where(g => communities.Contains(CommunityOf(g)))
            .ToDictionary(g => g.Id, StringComparer.Ordinal);
        var box = new Envelope();
        foreach (var g in grids.Values) box.ExpandToInclude(g.Geometry.EnvelopeInternal);
        foreach (var b in named.Values) box.ExpandToInclude(b.Geometry.EnvelopeInternal);
        var buildings = box.IsNull ? [] : await StoreReads.AllAsync(store, Layer.Buildings, box, ct);
        foreach (var b in named.Values) if (!buildings.Any(x => x.Id == b.Id)) buildings.Add(b);
        var compounds = box.IsNull ? [] : await StoreReads.AllAsync(store, Layer.Compounds, box, ct);
        var network = box.IsNull ? [] : await StoreReads.AllAsync(store, Layer.Network, box, ct);
        var areas = await StoreReads.AllAsync(store, Layer.Communities, null, ct);
        var real = areas.Where(a => a.Properties["provisional"]?.GetValue<bool>() != true).Select(a => a.Text("code") ?? a.Id).ToHashSet(StringComparer.Ordinal);
        var names = areas.ToDictionary(a => a.Text("code") ?? a.Id, a => a.Text("name") ?? "", StringComparer.Ordinal);

        var buildingById = buildings.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var editGrids = grids.Values.Select(g => ToEdit(g)).ToList();
        AdoptStrays(editGrids, buildings);
        var editBuildings = buildings.Select(f => Building.From(f)).Select(b => new EditBuilding(b.Id, b.Households, b.Geometry, b.Compound, b.Units)).ToList();
        var withBuildings = buildings.Select(b => b.Text("compound")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var set = new GridSet(editGrids, editBuildings,
            compounds.Select(c => new EditCompound(c.Id, c.Geometry, withBuildings.Contains(c.Id) ? null : (int?)c.Integer("households"))),
            network.Where(n => StorePartitionInput.IsBarrier(n)).Select(n => n.Geometry));
        var before = buildings.ToDictionary(b => b.Id, b => (IReadOnlyCollection<string>)set.GridsOf(b.Id).ToList(), StringComparer.Ordinal);
        return new GridEditScope(set, grids, buildingById, names, real, before);
    }

    static EditGrid ToEdit(StoredFeature g) => new(
        g.Id, CommunityOf(g), g.Geometry, UnitIds(g),
        (int)(g.Integer("households") ?? 0), g.Text("type") ?? GridTypes.Basic, g.Text("status") ?? "active");

    /// <summary>The units (buildings, stairwells, remainders) a stored grid lists in <c>unit_ids</c>, in its order; none when it lists none.</summary>
    public static List<string> UnitIds(StoredFeature g) =>
        (g.Properties["unit_ids"] as JsonArray)?.Select(n => n?.ToString() ?? "").Where(s => s.Length > 0).ToList() ?? [];

    /// <summary>
    /// Grids brought in from elsewhere may lack unit_ids: a building no grid lists joins the grid its grid_code names, else
    /// the active grid that contains it, so membership, polygons and lookups agree from the first edit on.
    /// </summary>
    static void AdoptStrays(List<EditGrid> grids, List<StoredFeature> buildings)
    {
        var listed = grids.SelectMany(g => g.UnitIds).Select(GridSet.BuildingOf).ToHashSet(StringComparer.Ordinal);
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var b in buildings)
        {
            if (listed.Contains(b.Id)) continue;
            var code = b.Text("grid_code");
            var grid = code is null ? null : grids.FirstOrDefault(g => g.Code == code && !g.IsRetired);
            if (grid is null)
            {
                var at = b.Geometry is Point p ? p : b.Geometry.InteriorPoint;
                grid = grids.FirstOrDefault(g => !g.IsRetired && g.Polygon.EnvelopeInternal.Contains(at.Coordinate) && g.Polygon.Covers(at));
            }
            if (grid is not null) (extra.TryGetValue(grid.Code, out var l) ? l : extra[grid.Code] = []).Add(b.Id);
        }
        for (var i = 0; i < grids.Count; i++)
            if (extra.TryGetValue(grids[i].Code, out var ids)) grids[i] = grids[i] with { UnitIds = grids[i].UnitIds.Concat(ids).ToList() };
    }

    /// <summary>Buildings whose grids differ from what was read.</summary>
    public IReadOnlyList<string> MovedBuildings() => StoredBuildings.Keys
        .Where(id => !_before[id].OrderBy(x => x, StringComparer.Ordinal).SequenceEqual(Set.GridsOf(id).OrderBy(x => x, StringComparer.Ordinal)))
        .ToList();

    /// <summary>The grid feature an edited grid becomes: stored properties kept (name, workers, …), derived ones set.</summary>
    public FeatureDraft GridDraft(EditGrid g)
    {
        var props = StoredGrids.TryGetValue(g.Code, out var old) ? (JsonObject)old.Properties.DeepClone() : NewGridProperties(g);
        props["households"] = g.Households;
        props["unit_ids"] = new JsonArray(g.UnitIds.Select(id => (JsonNode)JsonValue.Create(id)!).ToArray());
        props["status"] = g.Status;
        props["type"] = g.Type;
        props["community_code"] ??= g.Community;
        props.Remove("band_status");
        return new FeatureDraft(g.Code, GeometryRules.OrientForRfc7946(g.Polygon), props);
    }

    JsonObject NewGridProperties(EditGrid g)
    {
        var sequence = GridCode.SequenceOf(g.Community, g.Code) ?? 0;
        return new JsonObject
        {
            ["code"] = g.Code,
            ["name"] = $"{_communityNames.GetValueOrDefault(g.Community, "")}第{sequence}网格",
            ["community_code"] = g.Community,
        };
    }

    public FeatureDraft BuildingDraft(string id)
    {
        var b = StoredBuildings[id];
        var props = (JsonObject)b.Properties.DeepClone();
        var grids = Set.GridsOf(id).OrderBy(x => x, StringComparer.Ordinal).ToList();
        if (grids.Count == 0) props.Remove("grid_code"); else props["grid_code"] = grids[0];
        if (grids.Count > 1) props["grid_codes"] = new JsonArray(grids.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        else props.Remove("grid_codes");
        return new FeatureDraft(id, b.Geometry, props);
    }
}
