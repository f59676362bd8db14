using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>
/// All land belongs to a grid (全覆盖): land of an area the solved grids left uncovered (an island of the area with nobody
/// on it) joins the grid it shares the longest edge with, or, touching none, becomes a grid of nobody's land.
/// </summary>
public static class AllLand
{
    static readonly PrecisionModel Millimetre = new(1000);

    /// <summary>Uncovered land touching no grid becomes a grid of its own from this size (m²); smaller bits stay a gap.</summary>
    public const double MinOrphanM2 = 100;

    /// <summary>
    /// A basic grid left with no households (only empty buildings, beside grids that have some) joins the basic grid it
    /// shares the longest edge with: no basic grid is empty without a reason.
    /// </summary>
    public static AreaOutcome JoinEmptyGrids(AreaOutcome outcome)
    {
        bool Basic(int k) => outcome.Specials?[k] is null;
        if (!outcome.Households.Any(h => h > 0) || !Enumerable.Range(0, outcome.Polygons.Count).Any(k => Basic(k) && outcome.Households[k] == 0)) return outcome;
        var polygons = outcome.Polygons.ToList();
        var units = outcome.UnitIds.Select(u => u.ToList()).ToList();
        var gone = new HashSet<int>();
        foreach (var k in Enumerable.Range(0, polygons.Count).Where(k => Basic(k) && outcome.Households[k] == 0))
        {
            var best = Enumerable.Range(0, polygons.Count)
                .Where(j => j != k && !gone.Contains(j) && Basic(j) && outcome.Households[j] > 0 && polygons[j].EnvelopeInternal.Intersects(polygons[k].EnvelopeInternal))
                .Select(j => (j, Shared: Robust.SharedLength(polygons[j], polygons[k])))
                .Where(x => x.Shared > 0.01).OrderByDescending(x => x.Shared).Select(x => x.j).FirstOrDefault(-1);
            if (best < 0) continue;
            polygons[best] = OverlayNG.Overlay(polygons[best], polygons[k], SpatialFunction.Union, Millimetre);
            units[best].AddRange(units[k]);
            gone.Add(k);
        }
        var keep = Enumerable.Range(0, polygons.Count).Where(k => !gone.Contains(k)).ToList();
        return outcome with
        {
            Polygons = keep.Select(k => polygons[k]).ToList(),
            Households = keep.Select(k => outcome.Households[k]).ToList(),
            UnitIds = keep.Select(k => (IReadOnlyList<string>)units[k]).ToList(),
            Reasons = keep.Select(k => outcome.Reasons[k]).ToList(),
            Codes = outcome.Codes is null ? null : keep.Select(k => outcome.Codes[k]).ToList(),
            Specials = outcome.Specials is null ? null : keep.Select(k => outcome.Specials[k]).ToList(),
        };
    }

    public static AreaOutcome Cover(AreaOutcome outcome, Geometry land)
    {
        if (outcome.Polygons.Count == 0) return outcome;
        var covered = outcome.Polygons.Sum(p => p.Area);
        // Grids mostly cover their land: finding what they miss is a method of its own, compiled only where it runs.
        return land.Area - covered < 1 ? outcome : CoverMissing(outcome, land);
    }

    static AreaOutcome CoverMissing(AreaOutcome outcome, Geometry land)
    {
        var missing = OverlayNG.Overlay(land, UnaryUnionNG.Union(land.Factory.BuildGeometry(outcome.Polygons), Millimetre), SpatialFunction.Difference, Millimetre);
        var polygons = outcome.Polygons.ToList();
        var orphans = new List<Geometry>();
        foreach (var part in AreaAtoms.Polygons(missing).Where(p => p.Area >= 1))
        {
            var best = Enumerable.Range(0, polygons.Count)
                .Where(k => polygons[k].EnvelopeInternal.Intersects(part.EnvelopeInternal))
                .Select(k => (k, Shared: Robust.SharedLength(polygons[k], part)))
                .Where(x => x.Shared > 0.01).OrderByDescending(x => x.Shared).Select(x => x.k).FirstOrDefault(-1);
            if (best >= 0) polygons[best] = OverlayNG.Overlay(polygons[best], part, SpatialFunction.Union, Millimetre);
            // Alone, only land worth a grid is one: a hair-thin or tiny piece would vanish in 7-decimal lon/lat.
            else if (part.Area >= MinOrphanM2 && !part.Buffer(-0.5).IsEmpty) orphans.Add(part);
        }
        if (orphans.Count == 0) return outcome with { Polygons = polygons };
        var nobody = DedicatedGrids.Unoccupied(new AreaOutcome(orphans, orphans.Select(_ => 0).ToList(),
            orphans.Select(_ => (IReadOnlyList<string>)[]).ToList(), orphans.Select(_ => OutOfBandReason.None).ToList(), [], 0), land);
        return outcome with
        {
            Polygons = [.. polygons, .. orphans],
            Households = [.. outcome.Households, .. nobody.Households],
            UnitIds = [.. outcome.UnitIds, .. nobody.UnitIds],
            Reasons = [.. outcome.Reasons, .. nobody.Reasons],
            Codes = outcome.Codes is null ? null : [.. outcome.Codes, .. orphans.Select(_ => (string?)null)],
            Specials = [.. outcome.Specials ?? outcome.Polygons.Select(_ => (PartitionSpecialArea?)null), .. nobody.Specials!],
        };
    }
}
