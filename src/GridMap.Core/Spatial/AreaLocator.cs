using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Spatial;

/// <summary>
/// Which of a set of areas (communities, streets) holds a point: an STR-tree of their envelopes and an indexed
/// point-in-area test per area, built once. Where areas overlap, the first given wins, so the answer never depends on
/// the tree's order.
/// </summary>
public sealed class AreaLocator
{
    readonly STRtree<int> _tree = new();
    readonly List<(string Code, IPointOnGeometryLocator Locator)> _areas = [];

    public AreaLocator(IEnumerable<(string Code, Geometry Geometry)> areas)
    {
        foreach (var (code, geometry) in areas)
        {
            if (geometry is not (Polygon or MultiPolygon) || geometry.IsEmpty) continue;
            _tree.Insert(geometry.EnvelopeInternal, _areas.Count);
            _areas.Add((code, new IndexedPointInAreaLocator(geometry)));
        }
        _tree.Build();
    }

    /// <summary>The code of the area holding <paramref name="at"/> (inside or on its boundary), or null.</summary>
    public string? Locate(Coordinate at)
    {
        var best = int.MaxValue;
        foreach (var i in _tree.Query(new Envelope(at)))
            if (i < best && _areas[i].Locator.Locate(at) != Location.Exterior) best = i;
        return best == int.MaxValue ? null : _areas[best].Code;
    }

    /// <summary>A point of a building that lies in it (a polygon's interior point; a point itself).</summary>
    public static Coordinate PointOf(Geometry g) => g is Point p ? p.Coordinate : g.InteriorPoint.Coordinate;
}
