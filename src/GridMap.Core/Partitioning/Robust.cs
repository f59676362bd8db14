using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.OverlayNG;
using NetTopologySuite.Operation.Polygonize;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Overlays that do not fail on nearly coincident edges (OverlayNG with snapping, then snap-rounding), and the small
/// geometry steps built on them that road blocks, crossings, all-land cover and neck repair share.
/// </summary>
static class Robust
{
    public static Geometry Intersection(Geometry a, Geometry b) => OverlayNGRobust.Overlay(a, b, SpatialFunction.Intersection);

    public static Geometry Difference(Geometry a, Geometry b) => OverlayNGRobust.Overlay(a, b, SpatialFunction.Difference);

    public static Geometry Union(Geometry g) => OverlayNGRobust.Union(g);

    /// <summary>The faces <paramref name="lines"/> cut <paramref name="area"/> into (its boundary noded with them).</summary>
    public static List<Polygon> Faces(Geometry area, IEnumerable<Geometry> lines)
    {
        var polygonizer = new Polygonizer();
        polygonizer.Add(Union(area.Factory.BuildGeometry(lines.Append(area.Boundary).ToList())));
        var inside = PreparedGeometryFactory.Prepare(area);
        return polygonizer.GetPolygons().Cast<Polygon>().Where(f => f.Area > 0 && inside.Covers(f.InteriorPoint)).ToList();
    }

    /// <summary>The length of boundary two polygons share.</summary>
    public static double SharedLength(Geometry a, Geometry b) => Intersection(a.Boundary, b.Boundary).Length;

    /// <summary>The polygons of an overlay's result (one along a shared edge also yields lines): a Polygon, a MultiPolygon or empty.</summary>
    public static Geometry Polygonal(Geometry g)
    {
        if (g is Polygon or MultiPolygon) return g;
        var polygons = AreaAtoms.Polygons(g).Where(p => p.Area > 0).ToArray();
        return polygons.Length switch
        {
            0 => g.Factory.CreatePolygon(),
            1 => polygons[0],
            _ => g.Factory.CreateMultiPolygon(polygons),
        };
    }
}
