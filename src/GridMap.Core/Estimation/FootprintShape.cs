using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Estimation;

/// <summary>
/// A footprint's size and form in metres, from its minimum rotated rectangle: <see cref="Depth"/> is the short side,
/// <see cref="Length"/> the long one, <see cref="Rectangularity"/> the footprint's share of the rectangle.
/// </summary>
public sealed record FootprintShape(double AreaM2, double Depth, double Length, double Rectangularity)
{
    public double Aspect => Depth > 0 ? Length / Depth : double.PositiveInfinity;

    /// <summary>The shape of a projected (metric) polygon; null for points, lines and empty geometry.</summary>
    public static FootprintShape? Of(Geometry metric)
    {
        if (metric is not (Polygon or MultiPolygon) || metric.IsEmpty || metric.Area <= 0) return null;
        var rectangle = new MinimumDiameter(metric).GetMinimumRectangle();
        if (rectangle is not Polygon { IsEmpty: false } r) return null;
        var ring = r.ExteriorRing.Coordinates;
        var a = ring[0].Distance(ring[1]);
        var b = ring[1].Distance(ring[2]);
        return new FootprintShape(metric.Area, Math.Min(a, b), Math.Max(a, b), r.Area > 0 ? metric.Area / r.Area : 0);
    }
}
