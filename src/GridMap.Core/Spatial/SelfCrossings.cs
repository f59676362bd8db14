using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Noding;

namespace GridMap.Core.Spatial;

/// <summary>
/// Counts where a polygon's rings cross or touch themselves and each other, stopping once past a limit: what decides
/// whether repairing it is cheap. GeometryFixer's cost grows with the crossings, not with the vertices; finding the
/// first few costs a monotone-chain noding pass, O(n log n) like the validity check every polygon pays.
/// </summary>
public static class SelfCrossings
{
    /// <summary>The crossings of <paramref name="polygonal"/>'s rings, counted up to <paramref name="limit"/> + 1.</summary>
    public static int Count(Geometry polygonal, int limit)
    {
        var strings = new List<ISegmentString>();
        for (var i = 0; i < polygonal.NumGeometries; i++)
        {
            if (polygonal.GetGeometryN(i) is not Polygon p) continue;
            strings.Add(new BasicSegmentString(p.ExteriorRing.Coordinates, null));
            foreach (var hole in p.InteriorRings) strings.Add(new BasicSegmentString(hole.Coordinates, null));
        }
        var counter = new Counter(limit);
        new MCIndexNoder(counter).ComputeNodes(strings);
        return counter.Found;
    }

    sealed class Counter(int limit) : ISegmentIntersector
    {
        readonly RobustLineIntersector _li = new();
        public int Found { get; private set; }
        public bool IsDone => Found > limit;

        public void ProcessIntersections(ISegmentString e0, int s0, ISegmentString e1, int s1)
        {
            if (IsDone || ReferenceEquals(e0, e1) && s0 == s1) return;
            var a = e0.Coordinates;
            var b = e1.Coordinates;
            _li.ComputeIntersection(a[s0], a[s0 + 1], b[s1], b[s1 + 1]);
            if (!_li.HasIntersection) return;
            // Neighbouring segments of one ring meet at their shared vertex: that is the ring, not a crossing.
            if (ReferenceEquals(e0, e1) && !_li.IsInteriorIntersection() && Adjacent(s0, s1, a.Length - 1)) return;
            Found++;
        }

        static bool Adjacent(int i, int j, int segments) =>
            Math.Abs(i - j) == 1 || (i == 0 && j == segments - 1) || (j == 0 && i == segments - 1);
    }
}
