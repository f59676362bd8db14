using NetTopologySuite.Geometries;

namespace GridMap.Core.Spatial;

/// <summary>A copy of a geometry with every vertex mapped by a function: projections, datum shifts, rounding.</summary>
public static class CoordinateMap
{
    public static T Apply<T>(T geometry, Func<double, double, (double X, double Y)> map) where T : Geometry
    {
        var copy = (T)geometry.Copy();
        copy.Apply(new MapFilter(map));
        copy.GeometryChanged();
        return copy;
    }

    sealed class MapFilter(Func<double, double, (double X, double Y)> map) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = map(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}
