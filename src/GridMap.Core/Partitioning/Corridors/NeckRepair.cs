using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Buffer;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Widens the necks of corridor grids (<see cref="NarrowNecks"/>): land of neighbouring basic grids within 10.5 m of a
/// neck, away from their buildings, goes to the grid, so that it is 10 m wide where it was not. Only land moves, never a building: households stay as they are. A change is kept only when the
/// grid loses its neck and every neighbour stays in one piece and gains no neck. Metric geometry in and out.
/// </summary>
public static class NeckRepair
{
    /// <summary>A grid as the repair sees it: its polygon, its buildings' points, and footprints that must stay with it.</summary>
    public sealed record Grid(Geometry Polygon, IReadOnlyList<Coordinate> Points, IReadOnlyList<Geometry> Footprints, bool Basic)
    {
        /// <summary>The units' own land (footprints, compounds): a neck inside one piece of it is excused.</summary>
        public IReadOnlyList<Geometry> OwnLand { get; init; } = [];
    }

    /// <summary>Off (<c>GRIDMAP_NECK_REPAIR=0</c>) only to compare.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("GRIDMAP_NECK_REPAIR") != "0";

    static readonly BufferParameters Square = new() { QuadrantSegments = 1, JoinStyle = JoinStyle.Mitre };

    /// <summary>
    /// The polygons after repair, in the order given, and each basic grid's neck left (code empty), measured once here so
    /// the report need not measure again. Land crossed by a major road (<paramref name="roads"/>) never moves.
    /// </summary>
    public static (IReadOnlyList<Geometry> Polygons, IReadOnlyList<NarrowNeck?> Necks) Repair(IReadOnlyList<Grid> grids, IReadOnlyList<Geometry> roads)
    {
        var polygons = grids.Select(g => g.Polygon).ToList();
        NarrowNeck? Measure(int k) => grids[k].Basic ? NarrowNecks.Of("", polygons[k], grids[k].Points, grids[k].OwnLand) : null;
        var necks = Enumerable.Range(0, grids.Count).Select(Measure).ToList();
        if (!Enabled) return (polygons, necks);
        var changedAny = new HashSet<int>();
        for (var k = 0; k < grids.Count; k++)
        {
            if (necks[k] is not { Excused: false }) continue;
            var opened = BufferOp.Buffer(BufferOp.Buffer(polygons[k], -NarrowNecks.OpeningM, Square), NarrowNecks.OpeningM, Square);
            var parts = AreaAtoms.Polygons(opened);
            var thin = AreaAtoms.Polygons(Robust.Difference(polygons[k], opened))
                .Where(t => t.Area > 0.01 && parts.Count(o => o.Distance(t) < 0.01) >= 2).ToList();
            if (thin.Count == 0) continue;
            var reach = Overlay(Robust.Union(polygons[k].Factory.BuildGeometry(thin.Select(t => BufferOp.Buffer(t, 2 * NarrowNecks.OpeningM + 0.5, Square)).ToList())),
                polygons[k], SpatialFunction.Difference);
            var changed = new Dictionary<int, Geometry>();
            var gained = polygons[k];
            for (var n = 0; n < grids.Count; n++)
            {
                if (n == k || !grids[n].Basic || !polygons[n].EnvelopeInternal.Intersects(reach.EnvelopeInternal)) continue;
                var take = Overlay(reach, polygons[n], SpatialFunction.Intersection);
                foreach (var f in grids[n].Footprints.Where(f => f.EnvelopeInternal.Intersects(take.EnvelopeInternal)))
                    take = Overlay(take, f.Buffer(1), SpatialFunction.Difference);
                if (take.Area < 0.01) continue;
                // Grids meet at major roads: land across one stays where it is.
                if (roads.Any(r => r.EnvelopeInternal.Intersects(take.EnvelopeInternal) && Robust.Intersection(r, take).Length > 1)) continue;
                var rest = Overlay(polygons[n], take, SpatialFunction.Difference);
                // The neighbour must stay whole, keep its buildings' land and gain no neck of its own.
                if (AreaAtoms.Polygons(rest).Count != AreaAtoms.Polygons(polygons[n]).Count || rest.Area < 0.5 * polygons[n].Area) continue;
                var prepared = PreparedGeometryFactory.Prepare(rest);
                if (grids[n].Points.Any(p => !prepared.Covers(rest.Factory.CreatePoint(p)))) continue;
                if (necks[n] is null && NarrowNecks.Of("", rest, grids[n].Points) is not null) continue;
                changed[n] = rest;
                gained = Overlay(gained, take, SpatialFunction.Union);
            }
            if (changed.Count == 0 || AreaAtoms.Polygons(gained).Count != AreaAtoms.Polygons(polygons[k]).Count) continue;
            if (NarrowNecks.Of("", gained, grids[k].Points) is not null) continue;
            polygons[k] = gained;
            necks[k] = null;
            foreach (var (n, rest) in changed)
            {
                polygons[n] = rest;
                changedAny.Add(n);
            }
        }
        foreach (var n in changedAny) necks[n] = Measure(n);
        return (polygons, necks);
    }

    /// <summary>A snap-rounded overlay's polygons (an intersection along a shared edge also yields lines).</summary>
    static Geometry Overlay(Geometry a, Geometry b, SpatialFunction op) => Robust.Polygonal(OverlayNGRobust.Overlay(a, b, op));
}
