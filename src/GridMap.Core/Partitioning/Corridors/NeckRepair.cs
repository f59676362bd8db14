using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Buffer;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Widens the necks of corridor grids (<see cref="NarrowNecks"/>): land of neighbouring basic grids within 10.5 m of a
/// neck, away from their buildings, goes to the grid, so that it is 10 m wide where it was not. Only land moves, never a
/// building: households stay as they are. Of that land only the pieces that join the grid move (a piece cut off from it
/// by a footprint stays), and no piece a major road runs through. A change is kept only when the grid loses its neck and
/// every neighbour stays in one piece, keeps its buildings and gains no neck. Metric geometry in and out.
/// </summary>
public static class NeckRepair
{
    /// <summary>A grid as the repair sees it: its polygon, its buildings' points, and footprints that must stay with it.</summary>
    public sealed record Grid(Geometry Polygon, IReadOnlyList<Coordinate> Points, IReadOnlyList<Geometry> Footprints, bool Basic)
    {
        /// <summary>
        /// The units' own land (territories of the tessellation, footprints, compounds): a neck inside one piece of it is
        /// excused.
        /// </summary>
        public IReadOnlyList<Geometry> OwnLand { get; init; } = [];
    }

    /// <summary>Off (<c>GRIDMAP_NECK_REPAIR=0</c>) only to compare.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("GRIDMAP_NECK_REPAIR") != "0";

    static readonly BufferParameters Square = new() { QuadrantSegments = 1, JoinStyle = JoinStyle.Mitre };

    /// <summary>
    /// The polygons after repair, in the order given, and each basic grid's neck left (code empty), measured once here so
    /// the report need not measure again. Land crossed by a major road (<paramref name="roads"/>) never moves. Every neck
    /// is widened where it can be, excused or not; what is left is excused or not as <see cref="NarrowNecks"/> judges.
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
            if (necks[k] is null || Reach(polygons[k]) is not { } reach) continue;
            var pieces = Spare(grids, polygons, k, reach, roads);
            if (Widened(grids, polygons, necks, k, pieces) is not { } widened) continue;
            polygons[k] = widened.Grid;
            necks[k] = null;
            foreach (var (n, rest) in widened.Neighbours)
            {
                polygons[n] = rest;
                changedAny.Add(n);
            }
        }
        foreach (var n in changedAny) necks[n] = Measure(n);
        return (polygons, necks);
    }

    /// <summary>Land within 10.5 m of the grid's necks (the thin pieces its opening removes between parts), outside the grid.</summary>
    static Geometry? Reach(Geometry polygon)
    {
        var thin = NarrowNecks.Necks(polygon, NarrowNecks.Opened(polygon));
        if (thin.Count == 0) return null;
        return Overlay(Robust.Union(polygon.Factory.BuildGeometry(thin.Select(t => BufferOp.Buffer(t, 2 * NarrowNecks.OpeningM + 0.5, Square)).ToList())),
            polygon, SpatialFunction.Difference);
    }

    /// <summary>Each basic neighbour's land within reach, in pieces: never its footprints (1 m margin), never a piece a major road runs through.</summary>
    static Dictionary<int, List<Geometry>> Spare(IReadOnlyList<Grid> grids, IReadOnlyList<Geometry> polygons, int k, Geometry reach, IReadOnlyList<Geometry> roads)
    {
        var spare = new Dictionary<int, List<Geometry>>();
        for (var n = 0; n < grids.Count; n++)
        {
            if (n == k || !grids[n].Basic || !polygons[n].EnvelopeInternal.Intersects(reach.EnvelopeInternal)) continue;
            var take = Overlay(reach, polygons[n], SpatialFunction.Intersection);
            foreach (var f in grids[n].Footprints.Where(f => f.EnvelopeInternal.Intersects(take.EnvelopeInternal)))
                take = Overlay(take, f.Buffer(1), SpatialFunction.Difference);
            // Grids meet at major roads: land across one stays where it is.
            var pieces = AreaAtoms.Polygons(take).Where(p => p.Area >= 0.01
                && !roads.Any(r => r.EnvelopeInternal.Intersects(p.EnvelopeInternal) && Robust.Intersection(r, p).Length > 1)).Cast<Geometry>().ToList();
            if (pieces.Count > 0) spare[n] = pieces;
        }
        return spare;
    }

    /// <summary>
    /// The grid with the spare pieces that join it, and each giving neighbour's rest; null when the grid would keep a neck.
    /// Pieces cut off from the grid stay, and so does all land of a neighbour that could not spare it (it would fall apart,
    /// lose a building or gain a neck), until what is left holds together.
    /// </summary>
    static (Geometry Grid, Dictionary<int, Geometry> Neighbours)? Widened(IReadOnlyList<Grid> grids, IReadOnlyList<Geometry> polygons,
        IReadOnlyList<NarrowNeck?> necks, int k, Dictionary<int, List<Geometry>> spare)
    {
        var grid = polygons[k];
        var held = AreaAtoms.Polygons(grid).Select(p => p.InteriorPoint).ToList();
        while (spare.Count > 0)
        {
            // Pieces in no part of the union that holds the grid are islands: they stay with their neighbour.
            var union = Robust.Union(grid.Factory.BuildGeometry(spare.Values.SelectMany(p => p).Prepend(grid).ToList()));
            var islands = AreaAtoms.Polygons(union).Where(c => !held.Any(c.Covers)).Select(c => PreparedGeometryFactory.Prepare(c)).ToList();
            var dropped = false;
            foreach (var n in spare.Keys.ToList())
            {
                var pieces = spare[n].Where(p => !islands.Any(i => i.Covers(p.InteriorPoint))).ToList();
                dropped |= pieces.Count < spare[n].Count;
                if (pieces.Count == 0) spare.Remove(n);
                else spare[n] = pieces;
            }
            var rests = new Dictionary<int, Geometry>();
            foreach (var (n, pieces) in spare.ToList())
            {
                var take = Robust.Union(grid.Factory.BuildGeometry(pieces));
                var rest = Overlay(polygons[n], take, SpatialFunction.Difference);
                if (Spares(grids[n], polygons[n], rest, necks[n])) rests[n] = rest;
                else
                {
                    spare.Remove(n);
                    dropped = true;
                }
            }
            if (dropped) continue;
            // Nothing dropped: the union is the grid with every piece.
            if (AreaAtoms.Polygons(union).Count != held.Count || NarrowNecks.Of("", union, grids[k].Points) is not null) return null;
            return (Robust.Polygonal(union), rests);
        }
        return null;
    }

    /// <summary>Whether a neighbour left with <paramref name="rest"/> stays whole, keeps its buildings' land and gains no neck of its own.</summary>
    static bool Spares(Grid neighbour, Geometry before, Geometry rest, NarrowNeck? neck)
    {
        if (AreaAtoms.Polygons(rest).Count != AreaAtoms.Polygons(before).Count || rest.Area < 0.5 * before.Area) return false;
        var prepared = PreparedGeometryFactory.Prepare(rest);
        if (neighbour.Points.Any(p => !prepared.Covers(rest.Factory.CreatePoint(p)))) return false;
        return neck is not null || NarrowNecks.Of("", rest, neighbour.Points) is null;
    }

    /// <summary>A snap-rounded overlay's polygons (an intersection along a shared edge also yields lines).</summary>
    static Geometry Overlay(Geometry a, Geometry b, SpatialFunction op) => Robust.Polygonal(OverlayNGRobust.Overlay(a, b, op));
}
