using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Test geometry drawn in metres east and north of a point in central Chengdu, handed to the code in lon/lat.</summary>
static class ChengduMetres
{
    public static readonly MetricProjection Zone = MetricProjection.ForLongitude(104.07);
    static readonly Coordinate Origin = Zone.Project(new Coordinate(104.07, 30.66));
    public static readonly GeometryFactory F = new(new PrecisionModel(), 4326);

    public static Coordinate At(double x, double y) => Zone.Unproject(new Coordinate(Origin.X + x, Origin.Y + y));

    public static Polygon Square(double x0, double y0, double x1, double y1) =>
        F.CreatePolygon([At(x0, y0), At(x1, y0), At(x1, y1), At(x0, y1), At(x0, y0)]);

    public static LineString Road(double x0, double y0, double x1, double y1) => F.CreateLineString([At(x0, y0), At(x1, y1)]);
}
