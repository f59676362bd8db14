using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Editing;

/// <summary>Grid types (contract): basic grids are residential and held to the band; dedicated grids (专属网格) are not.</summary>
public static class GridTypes
{
    public const string Basic = "basic";
    public const string Dedicated = "dedicated";
    public static readonly IReadOnlyList<string> All = [Basic, Dedicated];
}

/// <summary>
/// A grid as an edit sees it (lon/lat). <paramref name="UnitIds"/> are building ids, "building/unit" for a building split
/// between grids, or compound pieces ("c00012", "c00012#3") for households no mapped building holds.
/// </summary>
public sealed record EditGrid(
    string Code, string Community, Geometry Polygon, IReadOnlyList<string> UnitIds, int Households,
    string Type = GridTypes.Basic, string Status = "active")
{
    public bool IsRetired => Status == "retired";
}

/// <summary>A building as an edit sees it (lon/lat).</summary>
public sealed record EditBuilding(string Id, int Households, Geometry Geometry, string? Compound = null, IReadOnlyList<BuildingUnit>? Units = null);

/// <summary>A compound; <paramref name="Households"/> matters only where no mapped building holds them (its pieces are grid units).</summary>
public sealed record EditCompound(string Id, Geometry Polygon, int? Households = null);

/// <summary>
/// The grids of the communities an edit touches, with their buildings, compounds and barriers: what assign and rebalance
/// read and change. Operations replace grid records; <see cref="Touched"/> keeps which codes changed since the set was read.
/// </summary>
public sealed class GridSet
{
    readonly Dictionary<string, EditGrid> _grids;
    readonly Dictionary<string, HashSet<string>> _gridsOfBuilding = new(StringComparer.Ordinal);

    public GridSet(IEnumerable<EditGrid> grids, IEnumerable<EditBuilding> buildings, IEnumerable<EditCompound>? compounds = null, IEnumerable<Geometry>? barriers = null)
    {
        _grids = grids.ToDictionary(g => g.Code, StringComparer.Ordinal);
        Buildings = buildings.GroupBy(b => b.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        Compounds = (compounds ?? []).GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        Barriers = (barriers ?? []).ToList();
        foreach (var g in _grids.Values) Index(g, add: true);
    }

    public IReadOnlyDictionary<string, EditBuilding> Buildings { get; }
    public IReadOnlyDictionary<string, EditCompound> Compounds { get; }
    public IReadOnlyList<Geometry> Barriers { get; }

    /// <summary>Codes of grids changed or created since the set was read, in the order they were first changed.</summary>
    public IReadOnlyList<string> Touched => _touched;
    readonly List<string> _touched = [];

    /// <summary>Codes of grids created by edits since the set was read.</summary>
    public IReadOnlySet<string> Created => _created;
    readonly HashSet<string> _created = new(StringComparer.Ordinal);

    public IEnumerable<EditGrid> Grids => _grids.Values;

    public EditGrid? Grid(string code) => _grids.GetValueOrDefault(code);

    public IEnumerable<EditGrid> InCommunity(string community) => _grids.Values.Where(g => g.Community == community);

    /// <summary>The grids holding any part of a building (usually one).</summary>
    public IReadOnlyCollection<string> GridsOf(string building) =>
        _gridsOfBuilding.TryGetValue(building, out var set) ? set : [];

    /// <summary>Replaces (or adds) a grid and keeps the building index and the touched list current.</summary>
    public void Put(EditGrid grid, bool created = false)
    {
        if (_grids.TryGetValue(grid.Code, out var old)) Index(old, add: false);
        _grids[grid.Code] = grid;
        Index(grid, add: true);
        if (created) _created.Add(grid.Code);
        if (!_touched.Contains(grid.Code)) _touched.Add(grid.Code);
    }

    /// <summary>The building id of a unit id: "b1/2" → "b1".</summary>
    public static string BuildingOf(string unitId) => unitId.IndexOf('/') is var i and >= 0 ? unitId[..i] : unitId;

    void Index(EditGrid g, bool add)
    {
        foreach (var id in g.UnitIds)
        {
            var b = BuildingOf(id);
            if (add)
            {
                if (!_gridsOfBuilding.TryGetValue(b, out var set)) _gridsOfBuilding[b] = set = new(StringComparer.Ordinal);
                set.Add(g.Code);
            }
            else if (_gridsOfBuilding.TryGetValue(b, out var set)) set.Remove(g.Code);
        }
    }

    /// <summary>
    /// Households of a grid holding these unit ids: its buildings' current households (a unit's own share where a building is
    /// split), plus whatever the grid held beyond its buildings before (compound pieces no mapped building holds).
    /// </summary>
    public int HouseholdsOf(IReadOnlyList<string> unitIds, EditGrid? before)
    {
        long sum = 0;
        foreach (var id in unitIds) sum += HouseholdsOfUnit(id) ?? 0;
        if (before is not null && before.UnitIds.Any(id => HouseholdsOfUnit(id) is null))
        {
            var known = before.UnitIds.Sum(id => (long)(HouseholdsOfUnit(id) ?? 0));
            var pieces = unitIds.Where(id => HouseholdsOfUnit(id) is null).ToHashSet();
            // The old total minus its buildings is what its compound pieces held; they stay where they were.
            if (pieces.Count > 0 && before.UnitIds.Where(id => HouseholdsOfUnit(id) is null).All(pieces.Contains))
                sum += Math.Max(0, before.Households - known);
        }
        return (int)Math.Min(sum, int.MaxValue);
    }

    int? HouseholdsOfUnit(string unitId) =>
        Buildings.TryGetValue(BuildingOf(unitId), out var b) ? BuildingUnit.HouseholdsOf(b.Households, b.Units, unitId) : null;
}
