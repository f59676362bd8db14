using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Polygonize;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Divides a compound whose households are known but whose buildings are not into pieces of about equal area,
/// with households in proportion to area. Each cut prefers an internal road near the ideal position,
/// else it is a straight line across the compound's long axis. Metric coordinates in and out.
/// </summary>
public static class CompoundDivider
{
    public sealed record Piece(Geometry Polygon, int Households);

    /// <summary>How far (as a share of the compound's area) a road cut may stray from the ideal split.</summary>
    const double RoadTolerance = 0.15;

    public static IReadOnlyList<Piece> Divide(Geometry compound, int households, int pieces, IReadOnlyList<LineString>? roads = null)
    {
        compound = Polygonal(compound);
        if (pieces <= 1 || compound.Area <= 0) return [new Piece(compound, households)];
        var polygons = new List<Geometry>();
        Split(compound, pieces, roads ?? [], polygons);
        return Apportion(polygons, households);
    }

    /// <summary>Largest-remainder shares of <paramref name="households"/> by area, so they add up exactly.</summary>
    static IReadOnlyList<Piece> Apportion(IReadOnlyList<Geometry> polygons, int households)
    {
        var total = polygons.Sum(p => p.Area);
        var exact = polygons.Select(p => households * p.Area / total).ToArray();
        var shares = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = households - shares.Sum();
        foreach (var i in Enumerable.Range(0, exact.Length).OrderByDescending(i => exact[i] - shares[i]).ThenBy(i => i).Take(left))
            shares[i]++;
        return polygons.Select((p, i) => new Piece(p, shares[i])).ToList();
    }

    static void Split(Geometry polygon, int pieces, IReadOnlyList<LineString> roads, List<Geometry> output)
    {
        if (pieces <= 1)
        {
            output.Add(polygon);
            return;
        }
        var first = pieces / 2;
        var share = (double)first / pieces;
        var (a, b) = RoadSplit(polygon, share, roads) ?? StraightSplit(polygon, share);
        if (a.IsEmpty || b.IsEmpty)
        {
            output.Add(polygon);
            return;
        }
        Split(a, first, roads, output);
        Split(b, pieces - first, roads, output);
    }

    /// <summary>Cuts across the long axis of the minimum rectangle at the offset that leaves <paramref name="share"/> of the area on one side.</summary>
    static (Geometry, Geometry) StraightSplit(Geometry polygon, double share)
    {
        var rectangle = new MinimumDiameter(polygon).GetMinimumRectangle();
        var ring = rectangle.Coordinates;
        // The long axis: the longer of the rectangle's first two sides.
        Coordinate p0 = ring[0], p1 = ring[1], p2 = ring.Length > 2 ? ring[2] : ring[1];
        var (axisFrom, axisTo) = p0.Distance(p1) >= p1.Distance(p2) ? (p0, p1) : (p1, p2);
        var length = axisFrom.Distance(axisTo);
        if (length <= 0) return (polygon, polygon.Factory.CreatePolygon());
        double ux = (axisTo.X - axisFrom.X) / length, uy = (axisTo.Y - axisFrom.Y) / length;
        var reach = polygon.EnvelopeInternal.Diameter * 2 + 1;
        var projections = polygon.Coordinates.Select(c => (c.X - axisFrom.X) * ux + (c.Y - axisFrom.Y) * uy).ToArray();
        double lo = projections.Min(), hi = projections.Max();

        Polygon HalfPlane(double t)
        {
            // Everything on the axisFrom side of the line through axisFrom + t·u, perpendicular to u.
            double cx = axisFrom.X + ux * t, cy = axisFrom.Y + uy * t;
            double nx = -uy, ny = ux;
            return polygon.Factory.CreatePolygon(
            [
                new(cx + nx * reach, cy + ny * reach), new(cx - nx * reach, cy - ny * reach),
                new(cx - nx * reach - ux * reach, cy - ny * reach - uy * reach),
                new(cx + nx * reach - ux * reach, cy + ny * reach - uy * reach),
                new(cx + nx * reach, cy + ny * reach),
            ]);
        }

        var target = polygon.Area * share;
        double from = lo, to = hi;
        for (var i = 0; i < 40; i++)
        {
            var mid = (from + to) / 2;
            if (polygon.Intersection(HalfPlane(mid)).Area < target) from = mid; else to = mid;
        }
        var cut = HalfPlane((from + to) / 2);
        // Both sides keep every part: a concave compound may leave a side in two pieces, never a gap.
        return (Polygonal(polygon.Intersection(cut)), Polygonal(polygon.Difference(cut)));
    }

    /// <summary>A road that crosses the compound and splits it into two parts near the wanted share, if any.</summary>
    static (Geometry, Geometry)? RoadSplit(Geometry polygon, double share, IReadOnlyList<LineString> roads)
    {
        (Geometry, Geometry)? best = null;
        var bestError = RoadTolerance;
        foreach (var road in roads)
        {
            if (!road.EnvelopeInternal.Intersects(polygon.EnvelopeInternal) || !road.Intersects(polygon)) continue;
            var noded = polygon.Boundary.Union(road);
            var polygonizer = new Polygonizer();
            polygonizer.Add(noded);
            var faces = polygonizer.GetPolygons().Cast<Polygon>()
                .Where(f => polygon.Covers(f.InteriorPoint) && f.Area > polygon.Area * 1e-6)
                .ToList();
            if (faces.Count != 2) continue;
            var error = Math.Abs(faces[0].Area / polygon.Area - share);
            if (error < bestError)
            {
                bestError = error;
                best = (faces[0], faces[1]);
            }
            error = Math.Abs(faces[1].Area / polygon.Area - share);
            if (error < bestError)
            {
                bestError = error;
                best = (faces[1], faces[0]);
            }
        }
        return best;
    }

    static Geometry Polygonal(Geometry g) => g switch
    {
        Polygon or MultiPolygon => g,
        GeometryCollection c => g.Factory.CreateMultiPolygon(AreaAtoms.Polygons(c).ToArray()),
        _ => g.Factory.CreatePolygon(),
    };
}
