using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Partitioning;

/// <summary>
/// A planar, fully noded edge structure: nodes, undirected edges (each once) and the face on either side of each edge
/// (-1: outside). Unions of faces are made by edge cancellation: the edges whose two sides belong to different groups are
/// the groups' boundaries, traced into rings — no overlay, so no slivers.
/// </summary>
internal sealed class TessellationGraph
{
    public required double[] X { get; init; }
    public required double[] Y { get; init; }
    public required int[] From { get; init; }
    public required int[] To { get; init; }
    public required int[] Left { get; init; }
    public required int[] Right { get; init; }
    public required int FaceCount { get; init; }

    public int NodeCount => X.Length;
    public int EdgeCount => From.Length;

    /// <summary>One Polygon or MultiPolygon (empty Polygon when nothing) per group; a face whose group is negative or ≥ groupCount is left out.</summary>
    public Geometry[] Dissolve(IReadOnlyList<int> faceGroup, int groupCount, GeometryFactory factory)
    {
        int Group(int f) => f < 0 ? -1 : faceGroup[f] is var g && g >= 0 && g < groupCount ? g : -1;
        var hFrom = new List<int>(EdgeCount);
        var hTo = new List<int>(EdgeCount);
        var hGroup = new List<int>(EdgeCount);
        for (var e = 0; e < EdgeCount; e++)
        {
            int gl = Group(Left[e]), gr = Group(Right[e]);
            if (gl == gr) continue;
            if (gl >= 0) { hFrom.Add(From[e]); hTo.Add(To[e]); hGroup.Add(gl); }
            if (gr >= 0) { hFrom.Add(To[e]); hTo.Add(From[e]); hGroup.Add(gr); }
        }
        var rings = PlanarRings.Build(NodeCount, X, Y, hFrom.ToArray(), hTo.ToArray(), hGroup.ToArray(), groupCount);
        var result = new Geometry[groupCount];
        var byGroup = new List<Polygon>?[groupCount];
        foreach (var shell in rings.Shells)
            (byGroup[shell.Group] ??= []).Add(rings.ToPolygon(shell, factory));
        for (var g = 0; g < groupCount; g++)
            result[g] = byGroup[g] switch
            {
                null => factory.CreatePolygon(),
                { Count: 1 } one => one[0],
                var many => factory.CreateMultiPolygon(many.ToArray()),
            };
        return result;
    }

    /// <summary>
    /// The edge structure of faces that share exact vertices (as <see cref="Tessellation.Faces"/> do); null when two faces
    /// claim the same side of an edge (the faces overlap: not a clean tiling).
    /// </summary>
    public static TessellationGraph? FromFaces(IReadOnlyList<Polygon> faces)
    {
        var nodes = new Dictionary<(double, double), int>();
        var xs = new List<double>();
        var ys = new List<double>();
        var edges = new Dictionary<long, int>(MixedKey.Instance);
        var from = new List<int>();
        var to = new List<int>();
        var left = new List<int>();
        var right = new List<int>();
        int Node(Coordinate c)
        {
            if (!nodes.TryGetValue((c.X, c.Y), out var n))
            {
                nodes[(c.X, c.Y)] = n = xs.Count;
                xs.Add(c.X);
                ys.Add(c.Y);
            }
            return n;
        }
        for (var f = 0; f < faces.Count; f++)
        {
            var p = faces[f];
            if (p.IsEmpty) continue;
            for (var r = -1; r < p.NumInteriorRings; r++)
            {
                var ring = (r < 0 ? p.ExteriorRing : p.GetInteriorRingN(r)).Coordinates;
                var ccw = PlanarRings.SignedArea(ring) > 0;
                var interiorLeft = r < 0 ? ccw : !ccw;
                for (var i = 0; i + 1 < ring.Length; i++)
                {
                    int a = Node(ring[i]), b = Node(ring[i + 1]);
                    if (a == b) continue;
                    var key = a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
                    if (!edges.TryGetValue(key, out var e))
                    {
                        edges[key] = e = from.Count;
                        from.Add(Math.Min(a, b));
                        to.Add(Math.Max(a, b));
                        left.Add(-1);
                        right.Add(-1);
                    }
                    var onLeft = interiorLeft == (a < b);
                    if (onLeft)
                    {
                        if (left[e] >= 0 && left[e] != f) return null;
                        left[e] = f;
                    }
                    else
                    {
                        if (right[e] >= 0 && right[e] != f) return null;
                        right[e] = f;
                    }
                }
            }
        }
        return new TessellationGraph
        {
            X = xs.ToArray(), Y = ys.ToArray(), From = from.ToArray(), To = to.ToArray(),
            Left = left.ToArray(), Right = right.ToArray(), FaceCount = faces.Count,
        };
    }
}

/// <summary>
/// Hashing for keys packed from two ints: <see cref="long.GetHashCode"/> is hi ^ lo, which collides for every pair of
/// nearby indices and makes such dictionaries quadratic.
/// </summary>
internal sealed class MixedKey : IEqualityComparer<long>
{
    public static readonly MixedKey Instance = new();
    public bool Equals(long a, long b) => a == b;
    public int GetHashCode(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> 32);
}

/// <summary>
/// Rings from directed half-edges (interior on the left): at each node the next half-edge is the first one clockwise from
/// the reverse of the incoming one (among half-edges of the same group), cycles are split at repeated nodes into simple
/// loops, counter-clockwise loops are shells and clockwise loops are holes of the smallest shell of their group around them.
/// Back-and-forth loops (dangling or bridging edges) have zero area and are dropped.
/// </summary>
internal sealed class PlanarRings
{
    public sealed class Loop(int group, int[] halfEdges, double area)
    {
        public int Group { get; } = group;
        public int[] HalfEdges { get; } = halfEdges;
        /// <summary>Signed area, positive counter-clockwise.</summary>
        public double Area { get; } = area;
        public List<Loop>? Holes { get; set; }
        public Coordinate[]? Ring { get; set; }
        public int Index { get; set; } = -1;
        public Envelope? Envelope { get; set; }
    }

    readonly double[] _x, _y;
    readonly int[] _from;

    public List<Loop> Shells { get; } = [];
    /// <summary>Holes that lie in no shell of their group (the outside of the whole arrangement).</summary>
    public List<Loop> Unbounded { get; } = [];

    PlanarRings(double[] x, double[] y, int[] from)
    {
        _x = x;
        _y = y;
        _from = from;
    }

    public Coordinate[] RingOf(Loop loop)
    {
        if (loop.Ring is { } r) return r;
        var h = loop.HalfEdges;
        var ring = new Coordinate[h.Length + 1];
        for (var i = 0; i < h.Length; i++) ring[i] = new Coordinate(_x[_from[h[i]]], _y[_from[h[i]]]);
        ring[h.Length] = ring[0].Copy();
        return loop.Ring = ring;
    }

    /// <summary>A fresh polygon (own coordinates) for a shell and its holes.</summary>
    public Polygon ToPolygon(Loop shell, GeometryFactory factory)
    {
        LinearRing Ring(Loop l)
        {
            var h = l.HalfEdges;
            var ring = new Coordinate[h.Length + 1];
            for (var i = 0; i < h.Length; i++) ring[i] = new Coordinate(_x[_from[h[i]]], _y[_from[h[i]]]);
            ring[h.Length] = ring[0].Copy();
            return factory.CreateLinearRing(ring);
        }
        var holes = shell.Holes is { Count: > 0 } hs ? hs.Select(Ring).ToArray() : [];
        return factory.CreatePolygon(Ring(shell), holes);
    }

    public static double SignedArea(Coordinate[] ring)
    {
        if (ring.Length < 4) return 0;
        double x0 = ring[0].X, y0 = ring[0].Y, s = 0;
        for (var i = 1; i + 1 < ring.Length; i++)
            s += (ring[i].X - x0) * (ring[i + 1].Y - y0) - (ring[i + 1].X - x0) * (ring[i].Y - y0);
        return s / 2;
    }

    /// <summary>
    /// Traces the half-edges <c>from[h] → to[h]</c> of groups <c>group[h]</c> (null: all one group) into shells with holes.
    /// <paramref name="paired"/>: half-edges 2e and 2e+1 are the two sides of edge e (a shell on the far side of a hole's edge is never its owner).
    /// </summary>
    public static PlanarRings Build(int nodeCount, double[] x, double[] y, int[] from, int[] to, int[]? group, int groupCount, bool paired = false)
    {
        var count = from.Length;
        var result = new PlanarRings(x, y, from);

        // Outgoing half-edges per node (CSR).
        var start = new int[nodeCount + 1];
        for (var h = 0; h < count; h++) start[from[h] + 1]++;
        for (var v = 0; v < nodeCount; v++) start[v + 1] += start[v];
        var fill = new int[nodeCount];
        Array.Copy(start, fill, nodeCount);
        var outs = new int[count];
        for (var h = 0; h < count; h++) outs[fill[from[h]]++] = h;
        var angle = new double[count];
        for (var h = 0; h < count; h++)
            angle[h] = Math.Atan2(y[to[h]] - y[from[h]], x[to[h]] - x[from[h]]);

        // Next half-edge: the first clockwise from the reverse direction (largest angle below it, else the largest).
        var next = new int[count];
        for (var h = 0; h < count; h++)
        {
            int u = from[h], v = to[h], g = group?[h] ?? 0;
            var alpha = Math.Atan2(y[u] - y[v], x[u] - x[v]);
            int below = -1, top = -1;
            double belowAngle = double.NegativeInfinity, topAngle = double.NegativeInfinity;
            for (var k = start[v]; k < start[v + 1]; k++)
            {
                var o = outs[k];
                if (group is not null && group[o] != g) continue;
                var a = angle[o];
                if (a < alpha && a > belowAngle) { below = o; belowAngle = a; }
                if (a > topAngle) { top = o; topAngle = a; }
            }
            next[h] = below >= 0 ? below : top;
        }

        // Cycles, split into simple loops.
        var visited = new bool[count];
        var marker = new int[nodeCount];
        Array.Fill(marker, -1);
        var cycle = new List<int>();
        var stack = new List<int>();
        var loops = new List<Loop>();
        for (var s = 0; s < count; s++)
        {
            if (visited[s]) continue;
            cycle.Clear();
            var h = s;
            while (h >= 0 && !visited[h])
            {
                visited[h] = true;
                cycle.Add(h);
                h = next[h];
            }
            if (h != s) continue; // broken topology (should not happen): leave these half-edges out
            var g = group?[s] ?? 0;
            stack.Clear();
            foreach (var e in cycle)
            {
                var n = from[e];
                var p = marker[n];
                if (p >= 0)
                {
                    Emit(stack, p, g);
                    for (var i = p; i < stack.Count; i++) marker[from[stack[i]]] = -1;
                    stack.RemoveRange(p, stack.Count - p);
                }
                marker[n] = stack.Count;
                stack.Add(e);
            }
            Emit(stack, 0, g);
            foreach (var e in stack) marker[from[e]] = -1;
        }

        void Emit(List<int> st, int first, int g)
        {
            var n = st.Count - first;
            if (n < 3) return;
            var x0 = x[from[st[first]]];
            var y0 = y[from[st[first]]];
            double area = 0;
            for (var i = first + 1; i + 1 < st.Count; i++)
            {
                int a = from[st[i]], b = from[st[i + 1]];
                area += (x[a] - x0) * (y[b] - y0) - (x[b] - x0) * (y[a] - y0);
            }
            if (area == 0) return;
            loops.Add(new Loop(g, st.GetRange(first, n).ToArray(), area / 2));
        }

        // Shells and holes per group.
        var shellsOf = new List<Loop>?[Math.Max(groupCount, 1)];
        var holes = new List<Loop>();
        var shellOfHalf = paired ? new Loop?[count] : null;
        foreach (var loop in loops)
        {
            if (loop.Area > 0)
            {
                loop.Index = result.Shells.Count;
                result.Shells.Add(loop);
                (shellsOf[loop.Group] ??= []).Add(loop);
                if (shellOfHalf is not null)
                    foreach (var h in loop.HalfEdges) shellOfHalf[h] = loop;
            }
            else holes.Add(loop);
        }
        var trees = new STRtree<Loop>?[shellsOf.Length];
        foreach (var hole in holes)
        {
            var candidates = shellsOf[hole.Group];
            Loop? owner = null;
            if (candidates is { Count: 1 })
            {
                // A single shell of a group holds all its holes (the group's outside is no hole of it).
                owner = Contains(result, candidates[0], hole) ? candidates[0] : null;
            }
            else if (candidates is { Count: > 1 })
            {
                var p = TestPoint(hole);
                IEnumerable<Loop> near = candidates;
                if (candidates.Count > 8)
                {
                    var tree = trees[hole.Group];
                    if (tree is null)
                    {
                        tree = trees[hole.Group] = new STRtree<Loop>();
                        foreach (var c in candidates) tree.Insert(EnvelopeOf(result, c), c);
                        tree.Build();
                    }
                    near = tree.Query(new Envelope(p));
                }
                var across = shellOfHalf?[hole.HalfEdges[0] ^ 1];
                foreach (var c in near)
                {
                    if (ReferenceEquals(c, across) || (owner is not null && c.Area >= owner.Area)) continue;
                    if (!EnvelopeOf(result, c).Contains(p)) continue;
                    if (RayCrossingCounter.LocatePointInRing(p, result.RingOf(c)) == Location.Interior) owner = c;
                }
            }
            if (owner is null) result.Unbounded.Add(hole);
            else (owner.Holes ??= []).Add(hole);
        }
        return result;

        Coordinate TestPoint(Loop hole)
        {
            var h = hole.HalfEdges[0];
            return new Coordinate((x[from[h]] + x[to[h]]) / 2, (y[from[h]] + y[to[h]]) / 2);
        }

        bool Contains(PlanarRings r, Loop shell, Loop hole)
        {
            if (shellOfHalf is not null && ReferenceEquals(shellOfHalf[hole.HalfEdges[0] ^ 1], shell)) return false;
            var p = TestPoint(hole);
            return EnvelopeOf(r, shell).Contains(p) && RayCrossingCounter.LocatePointInRing(p, r.RingOf(shell)) == Location.Interior;
        }
    }

    static Envelope EnvelopeOf(PlanarRings r, Loop loop)
    {
        if (loop.Envelope is { } env) return env;
        env = new Envelope();
        foreach (var h in loop.HalfEdges) env.ExpandToInclude(r._x[r._from[h]], r._y[r._from[h]]);
        return loop.Envelope = env;
    }
}
