using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Buffer;

namespace GridMap.Core.Partitioning;

/// <summary>
/// A grid held together by a neck: opened by <see cref="NarrowNecks.OpeningM"/>, its buildings fall into more parts.
/// <see cref="Excused"/> when every neck lies inside one unit's own land (its territory in the tessellation, its footprint,
/// or its compound, for a unit of the grid): grids are made of whole territories, so none could avoid it without
/// splitting that unit's land.
/// </summary>
public sealed record NarrowNeck(string Grid, int Parts, int PartsOpened, bool Excused = false);

/// <summary>
/// Corridor grids (issue 9): a grid that is contiguous only through a sliver. Opening the grid polygon by 5 m (erode,
/// then dilate, in metres) removes every neck narrower than 10 m; the grid has a neck when its buildings then lie in more
/// parts than before. Metric geometry in.
/// </summary>
public static class NarrowNecks
{
    public const double OpeningM = 5;

    static readonly BufferParameters Square = new() { QuadrantSegments = 1, JoinStyle = NetTopologySuite.Operation.Buffer.JoinStyle.Mitre };

    public static NarrowNeck? Of(string code, Geometry polygon, IReadOnlyList<Coordinate> buildings, double openingM = OpeningM) =>
        Of(code, polygon, buildings, [], openingM);

    /// <param name="ownLand">The grid's units' own land (territories, footprints, compounds), metric: a neck inside one piece of it is excused.</param>
    public static NarrowNeck? Of(string code, Geometry polygon, IReadOnlyList<Coordinate> buildings, IReadOnlyList<Geometry> ownLand, double openingM = OpeningM)
    {
        if (buildings.Count < 2 || polygon.IsEmpty) return null;
        var factory = polygon.Factory;
        var points = buildings.Select(factory.CreatePoint).ToList();
        var eroded = BufferOp.Buffer(polygon, -openingM, Square);
        // One piece left by the erosion stays one piece when dilated: no neck (most grids stop here).
        if (eroded.NumGeometries < 2) return null;
        // A stairwell's point is its building's, which may lie in the next grid: every point counts for the part nearest it.
        var before = PartsHolding(polygon, points, nearest: true);
        var opened = BufferOp.Buffer(eroded, openingM, Square);
        // A building on a part the opening removed altogether belongs to the part nearest it.
        var after = PartsHolding(opened, points, nearest: true);
        return after > before ? new NarrowNeck(code, before, after, Excused(polygon, opened, ownLand)) : null;
    }

    /// <summary>Whether each thin piece the opening removed between parts lies inside one piece of the units' own land (0.5 m tolerance).</summary>
    static bool Excused(Geometry polygon, Geometry opened, IReadOnlyList<Geometry> ownLand)
    {
        if (ownLand.Count == 0) return false;
        var necks = Necks(polygon, opened);
        return necks.Count > 0 && necks.All(r => ownLand.Any(o => Holds(o, r)));
    }

    /// <summary>
    /// Whether <paramref name="piece"/> lies inside <paramref name="own"/> grown by 0.5 m; a hair-thin sliver of it outside
    /// (less than 0.01 m², left by a zero-width spike of the grid's outline) does not count.
    /// </summary>
    static bool Holds(Geometry own, Geometry piece)
    {
        if (!own.EnvelopeInternal.Intersects(piece.EnvelopeInternal)) return false;
        var grown = own.Buffer(0.5);
        return grown.Covers(piece) || Robust.Difference(piece, grown).Area < 0.01;
    }

    /// <summary>The grid opened by <see cref="OpeningM"/>: eroded, then dilated, with square corners.</summary>
    internal static Geometry Opened(Geometry polygon) => BufferOp.Buffer(BufferOp.Buffer(polygon, -OpeningM, Square), OpeningM, Square);

    /// <summary>The necks themselves: pieces the opening removed that touch two or more of the parts it left.</summary>
    internal static List<Polygon> Necks(Geometry polygon, Geometry opened)
    {
        var parts = AreaAtoms.Polygons(opened);
        return AreaAtoms.Polygons(Robust.Difference(polygon, opened)).Where(r => r.Area > 0.01 && parts.Count(o => o.Distance(r) < 0.01) >= 2).ToList();
    }

    static int PartsHolding(Geometry g, IReadOnlyList<Point> points, bool nearest = false)
    {
        var parts = AreaAtoms.Polygons(g).Select(p => (Polygon: p, Prepared: PreparedGeometryFactory.Prepare(p))).ToList();
        if (parts.Count == 0) return 0;
        var held = new HashSet<int>();
        foreach (var p in points)
        {
            var k = parts.FindIndex(x => x.Prepared.Covers(p));
            if (k < 0 && nearest) k = Enumerable.Range(0, parts.Count).MinBy(i => parts[i].Polygon.Distance(p));
            if (k >= 0) held.Add(k);
        }
        return held.Count;
    }
}
