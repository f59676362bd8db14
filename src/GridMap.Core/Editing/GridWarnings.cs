using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Editing;

/// <summary>Something a planner should look at after an edit; the edit itself stands.</summary>
public sealed record GridWarning(string Code, string Grid, IReadOnlyDictionary<string, object?> Parameters, string Message);

/// <summary>What is wrong with grids after an edit: out of band, in several parts, splitting a compound or a building's units.</summary>
public static class GridWarnings
{
    /// <param name="moved">Buildings the edit moved: only their compounds are checked for a split (null: every touched grid's).</param>
    public static IReadOnlyList<GridWarning> For(GridSet set, IEnumerable<string> codes, Func<string, Bounds> boundsOf, IReadOnlyCollection<string>? moved = null)
    {
        var warnings = new List<GridWarning>();
        var grids = codes.Distinct().Select(set.Grid).OfType<EditGrid>().Where(g => !g.IsRetired).ToList();
        foreach (var g in grids)
        {
            if (g.Type == GridTypes.Basic)
            {
                var b = boundsOf(g.Community);
                var p = new Dictionary<string, object?> { ["households"] = g.Households, ["min"] = b.Min, ["max"] = b.Max };
                if (g.Households < b.Min) warnings.Add(new("below_band", g.Code, p, $"grid {g.Code} holds {g.Households} households, below {b.Min}"));
                else if (g.Households > b.Max) warnings.Add(new("above_band", g.Code, p, $"grid {g.Code} holds {g.Households} households, above {b.Max}"));
            }
            if (g.Polygon is MultiPolygon { NumGeometries: > 1 } m)
                warnings.Add(new("noncontiguous", g.Code, new Dictionary<string, object?> { ["parts"] = m.NumGeometries }, $"grid {g.Code} is in {m.NumGeometries} parts"));
        }

        // Compounds and buildings whose members now lie in several grids.
        var touchedBuildings = grids.SelectMany(g => g.UnitIds).Select(GridSet.BuildingOf).Distinct().ToList();
        var byCompound = (moved ?? touchedBuildings).Select(id => set.Buildings.GetValueOrDefault(id)).OfType<EditBuilding>()
            .Where(b => b.Compound is not null).Select(b => b.Compound!).Distinct();
        foreach (var compound in byCompound)
        {
            var holding = set.Buildings.Values.Where(b => b.Compound == compound).SelectMany(b => set.GridsOf(b.Id)).Distinct().Order().ToList();
            if (holding.Count > 1)
                warnings.Add(new("compound_split", holding[0], new Dictionary<string, object?> { ["compound"] = compound, ["grids"] = holding },
                    $"compound {compound} is split between grids {string.Join(", ", holding)}"));
        }
        // Only the buildings the edit moved: a tower or remainder already split by the partitioner is no news.
        foreach (var building in moved ?? touchedBuildings)
        {
            var holding = set.GridsOf(building).Order().ToList();
            if (holding.Count > 1)
                warnings.Add(new("units_split", holding[0], new Dictionary<string, object?> { ["building"] = building, ["grids"] = holding },
                    $"the units of building {building} are split between grids {string.Join(", ", holding)}"));
        }
        return warnings;
    }
}
