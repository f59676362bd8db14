using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>Overlays that do not fail on nearly coincident edges (OverlayNG with snapping, then snap-rounding).</summary>
static class Robust
{
    public static Geometry Intersection(Geometry a, Geometry b) => OverlayNGRobust.Overlay(a, b, SpatialFunction.Intersection);

    public static Geometry Difference(Geometry a, Geometry b) => OverlayNGRobust.Overlay(a, b, SpatialFunction.Difference);

    public static Geometry Union(Geometry g) => OverlayNGRobust.Union(g);
}
