using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Test geometry drawn in metres east and north of a point in Guiyang, handed to the code in lon/lat.</summary>
static class LocalMetres
{
    public static readonly MetricProjection Zone = MetricProjection.ForLongitude(106.83);
    static readonly Coordinate Origin = Zone.Project(new Coordinate(106.83, 27.54));
    public static readonly GeometryFactory Metric = new();

    /// <summary>Lon/lat geometry from metres east and north of the origin.</summary>
    public static T LonLat<T>(T metric) where T : Geometry
    {
        var shifted = (T)metric.Copy();
        shifted.Apply(new Shift(Origin.X, Origin.Y));
        shifted.GeometryChanged();
        var g = Zone.Unproject(shifted);
        g.SRID = 4326;
        return g;
    }

    public static Polygon Box(double x0, double y0, double x1, double y1) => LonLat((Polygon)Metric.ToGeometry(new Envelope(x0, x1, y0, y1)));

    public static LineString Line(params (double X, double Y)[] points) =>
        LonLat(Metric.CreateLineString(points.Select(p => new Coordinate(p.X, p.Y)).ToArray()));

    sealed class Shift(double dx, double dy) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;
        public void Filter(CoordinateSequence seq, int i)
        {
            seq.SetX(i, seq.GetX(i) + dx);
            seq.SetY(i, seq.GetY(i) + dy);
        }
    }
}
