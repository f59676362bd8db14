using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Puts the snap-rounded nodes of the area boundary back onto the area's own linework, so that the faces cover the area
/// exactly (no rounding gap along its boundary): a node that is an area vertex rounded takes that vertex's exact
/// coordinates; any other node on the boundary (where a Voronoi edge, road or outline meets it) moves onto the nearest
/// boundary segment. A move is at most a grid cell; a moved node whose edges would then cross or overlap another edge
/// goes back to its rounded place, so the arrangement stays planar.
/// </summary>
internal static class TessellationBoundary
{
    public static void SnapToArea(Geometry area, double[] x, double[] y, List<int> from, List<int> to, List<int> flags, int areaFlag,
        double ox, double oy, double scale, Dictionary<long, int> nodeOf)
    {
        var nodeCount = x.Length;
        var edgeCount = from.Count;
        var onBoundary = new bool[nodeCount];
        var any = false;
        for (var e = 0; e < edgeCount; e++)
            if ((flags[e] & areaFlag) != 0) onBoundary[from[e]] = onBoundary[to[e]] = any = true;
        if (!any) return;

        var oldX = new Dictionary<int, (double X, double Y)>();
        var cell = 1 / scale;

        // Area vertices: exact.
        var isVertex = new bool[nodeCount];
        var segments = new List<(double Ax, double Ay, double Bx, double By)>();
        for (var i = 0; i < area.NumGeometries; i++)
        {
            if (area.GetGeometryN(i) is not Polygon p || p.IsEmpty) continue;
            for (var r = -1; r < p.NumInteriorRings; r++)
            {
                var seq = (r < 0 ? p.ExteriorRing : p.GetInteriorRingN(r)).CoordinateSequence;
                for (var k = 0; k < seq.Count; k++)
                {
                    double vx = seq.GetX(k), vy = seq.GetY(k);
                    if (k + 1 < seq.Count) segments.Add((vx, vy, seq.GetX(k + 1), seq.GetY(k + 1)));
                    long ix = (long)Math.Round((vx - ox) * scale), iy = (long)Math.Round((vy - oy) * scale);
                    if (!nodeOf.TryGetValue((ix << 32) | iy, out var n) || !onBoundary[n] || isVertex[n]) continue;
                    if (Math.Abs(x[n] - vx) > cell || Math.Abs(y[n] - vy) > cell) continue;
                    isVertex[n] = true;
                    oldX[n] = (x[n], y[n]);
                    x[n] = vx;
                    y[n] = vy;
                }
            }
        }

        // Other boundary nodes: onto the nearest segment.
        STRtree<int>? tree = null;
        for (var n = 0; n < nodeCount; n++)
        {
            if (!onBoundary[n] || isVertex[n]) continue;
            if (tree is null)
            {
                tree = new STRtree<int>();
                for (var s = 0; s < segments.Count; s++)
                {
                    var (ax, ay, bx, by) = segments[s];
                    tree.Insert(new Envelope(ax, bx, ay, by), s);
                }
                tree.Build();
            }
            double px = x[n], py = y[n], bestD = 2 * cell * cell, qx = px, qy = py;
            var found = false;
            foreach (var s in tree.Query(new Envelope(px - 2 * cell, px + 2 * cell, py - 2 * cell, py + 2 * cell)))
            {
                var (ax, ay, bx, by) = segments[s];
                double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
                if (!(len2 > 0)) continue;
                var t = Math.Clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0, 1);
                double cx = t == 0 ? ax : t == 1 ? bx : ax + t * dx, cy = t == 0 ? ay : t == 1 ? by : ay + t * dy;
                var d = (cx - px) * (cx - px) + (cy - py) * (cy - py);
                if (d < bestD) { bestD = d; qx = cx; qy = cy; found = true; }
            }
            if (!found || (qx == px && qy == py)) continue;
            oldX[n] = (px, py);
            x[n] = qx;
            y[n] = qy;
        }
        if (oldX.Count == 0) return;

        // Keep the arrangement planar: undo moves whose edges now cross or overlap another edge.
        for (var pass = 0; pass < 4 && oldX.Count > 0; pass++)
        {
            var undo = Crossings(x, y, from, to, oldX, 2 * cell);
            if (undo.Count == 0) return;
            foreach (var n in pass < 3 ? undo.ToList() : oldX.Keys.ToList())
            {
                (x[n], y[n]) = oldX[n];
                oldX.Remove(n);
            }
        }
    }

    /// <summary>Moved nodes of edges that cross or overlap another edge.</summary>
    static HashSet<int> Crossings(double[] x, double[] y, List<int> from, List<int> to, Dictionary<int, (double X, double Y)> oldX, double margin)
    {
        var edgeCount = from.Count;
        var incident = new List<int>();
        for (var e = 0; e < edgeCount; e++)
            if (oldX.ContainsKey(from[e]) || oldX.ContainsKey(to[e])) incident.Add(e);
        var all = new STRtree<int>();
        for (var e = 0; e < edgeCount; e++)
            all.Insert(new Envelope(x[from[e]], x[to[e]], y[from[e]], y[to[e]]), e);
        all.Build();
        var li = new RobustLineIntersector();
        var undo = new HashSet<int>();
        foreach (var e in incident)
        {
            int a = from[e], b = to[e];
            double ax = x[a], ay = y[a], bx = x[b], by = y[b];
            var env = new Envelope(ax, bx, ay, by);
            env.ExpandBy(margin);
            foreach (var f in all.Query(env))
            {
                if (f == e) continue;
                int c = from[f], d = to[f];
                double cx = x[c], cy = y[c], dx = x[d], dy = y[d];
                // Clearly apart (or meeting only at a shared end with the other ends off the line): no exact test needed.
                var shared = a == c || a == d || b == c || b == d;
                if (shared)
                {
                    var (ox, oy) = a == c || b == c ? (dx, dy) : (cx, cy);
                    if (Math.Abs(Orient(ax, ay, bx, by, ox, oy)) > Epsilon(ax, ay, bx, by, ox, oy)) continue;
                }
                else
                {
                    double o1 = Orient(ax, ay, bx, by, cx, cy), o2 = Orient(ax, ay, bx, by, dx, dy);
                    double e1 = Epsilon(ax, ay, bx, by, cx, cy), e2 = Epsilon(ax, ay, bx, by, dx, dy);
                    if ((o1 > e1 && o2 > e2) || (o1 < -e1 && o2 < -e2)) continue;
                    double o3 = Orient(cx, cy, dx, dy, ax, ay), o4 = Orient(cx, cy, dx, dy, bx, by);
                    double e3 = Epsilon(cx, cy, dx, dy, ax, ay), e4 = Epsilon(cx, cy, dx, dy, bx, by);
                    if ((o3 > e3 && o4 > e4) || (o3 < -e3 && o4 < -e4)) continue;
                }
                var pa = new Coordinate(ax, ay);
                var pb = new Coordinate(bx, by);
                li.ComputeIntersection(pa, pb, new Coordinate(cx, cy), new Coordinate(dx, dy));
                if (!li.HasIntersection) continue;
                if (shared && li.IntersectionNum == 1 && !li.IsProper)
                {
                    var ip = li.GetIntersection(0);
                    var common = a == c || a == d ? pa : pb;
                    if (ip.X == common.X && ip.Y == common.Y) continue;
                }
                foreach (var n in new[] { a, b, c, d })
                    if (oldX.ContainsKey(n)) undo.Add(n);
            }
        }
        return undo;
    }

    /// <summary>Twice the signed area of (p, q, r), relative to p.</summary>
    static double Orient(double px, double py, double qx, double qy, double rx, double ry) =>
        (qx - px) * (ry - py) - (qy - py) * (rx - px);

    /// <summary>A generous bound on the rounding error of <see cref="Orient"/>.</summary>
    static double Epsilon(double px, double py, double qx, double qy, double rx, double ry)
    {
        var m = Math.Max(Math.Max(Math.Abs(px), Math.Abs(py)), Math.Max(Math.Max(Math.Abs(qx), Math.Abs(qy)), Math.Max(Math.Abs(rx), Math.Abs(ry))));
        return 1e-12 * m * (Math.Abs(qx - px) + Math.Abs(qy - py) + Math.Abs(rx - px) + Math.Abs(ry - py));
    }
}
