using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Network;

/// <summary>
/// Where a point meets the walking network: the nearest point of edge <paramref name="Edge"/>, at share
/// <paramref name="T"/> (0..1) of the way from its <see cref="WalkNetwork.From"/> node to its <see cref="WalkNetwork.To"/> node,
/// reached by a straight access leg of <paramref name="Access"/> metres.
/// </summary>
public readonly record struct NetworkAnchor(int Edge, double T, double Access);

/// <summary>
/// The walking graph in projected metres: one node per distinct vertex, one edge per segment of a walkable line. Lines
/// join only where they share a vertex — a bridge crossing a road without a shared vertex does not connect to it.
/// Edges are stored as compressed adjacency (CSR) so that 180k edges cost a few megabytes.
/// </summary>
public sealed class WalkNetwork
{
    public int NodeCount => X.Length;
    public int EdgeCount => From.Length;

    /// <summary>Node positions (projected metres).</summary>
    public double[] X { get; }
    public double[] Y { get; }

    /// <summary>Edge end nodes and lengths (m).</summary>
    public int[] From { get; }
    public int[] To { get; }
    public double[] Length { get; }

    /// <summary>Edges at node v are <c>IncidentEdge[Offset[v]..Offset[v+1]]</c>.</summary>
    public int[] Offset { get; }
    public int[] IncidentEdge { get; }

    readonly STRtree<int> _index = new();

    WalkNetwork(double[] x, double[] y, int[] from, int[] to)
    {
        X = x;
        Y = y;
        From = from;
        To = to;
        Length = new double[from.Length];
        var degree = new int[x.Length + 1];
        for (var e = 0; e < from.Length; e++)
        {
            Length[e] = Math.Sqrt((x[from[e]] - x[to[e]]) * (x[from[e]] - x[to[e]]) + (y[from[e]] - y[to[e]]) * (y[from[e]] - y[to[e]]));
            degree[from[e]]++;
            degree[to[e]]++;
            _index.Insert(new Envelope(x[from[e]], x[to[e]], y[from[e]], y[to[e]]), e);
        }
        Offset = new int[x.Length + 1];
        for (var v = 0; v < x.Length; v++) Offset[v + 1] = Offset[v] + degree[v];
        IncidentEdge = new int[Offset[x.Length]];
        var fill = (int[])Offset.Clone();
        for (var e = 0; e < from.Length; e++)
        {
            IncidentEdge[fill[from[e]]++] = e;
            IncidentEdge[fill[to[e]]++] = e;
        }
        if (from.Length > 0) _index.Build();
    }

    /// <summary>The node across edge <paramref name="e"/> from node <paramref name="v"/>.</summary>
    public int Other(int e, int v) => From[e] == v ? To[e] : From[e];

    /// <summary>Builds the graph of the given walkable lines (projected metres); repeated segments count once.</summary>
    public static WalkNetwork Build(IEnumerable<LineString> lines)
    {
        var nodeOf = new Dictionary<(double, double), int>();
        var x = new List<double>();
        var y = new List<double>();
        var from = new List<int>();
        var to = new List<int>();
        var seen = new HashSet<(int, int)>();
        int Node(Coordinate c)
        {
            if (!nodeOf.TryGetValue((c.X, c.Y), out var n))
            {
                nodeOf[(c.X, c.Y)] = n = x.Count;
                x.Add(c.X);
                y.Add(c.Y);
            }
            return n;
        }
        foreach (var line in lines)
        {
            var pts = line.Coordinates;
            for (var i = 0; i + 1 < pts.Length; i++)
            {
                int a = Node(pts[i]), b = Node(pts[i + 1]);
                if (a == b || !seen.Add(a < b ? (a, b) : (b, a))) continue;
                from.Add(a);
                to.Add(b);
            }
        }
        return new WalkNetwork(x.ToArray(), y.ToArray(), from.ToArray(), to.ToArray());
    }

    /// <summary>The nearest point of the network to <paramref name="p"/> (null when the network has no edge).</summary>
    public NetworkAnchor? Attach(Coordinate p)
    {
        if (EdgeCount == 0) return null;
        var e = _index.NearestNeighbour(new Envelope(p), -1, new SegmentDistance(this, p));
        var (t, d) = Project(e, p);
        return new NetworkAnchor(e, t, d);
    }

    /// <summary>Share of the way along edge e of the point nearest to p, and its distance from p.</summary>
    (double T, double Distance) Project(int e, Coordinate p) => Project(e, p.X, p.Y);

    /// <summary>Share of the way along edge e of the point nearest to (px, py), and its distance from it.</summary>
    public (double T, double Distance) Project(int e, double px, double py)
    {
        double ax = X[From[e]], ay = Y[From[e]], bx = X[To[e]], by = Y[To[e]];
        double dx = bx - ax, dy = by - ay;
        var len2 = dx * dx + dy * dy;
        var t = len2 == 0 ? 0 : Math.Clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0, 1);
        double qx = ax + t * dx - px, qy = ay + t * dy - py;
        return (t, Math.Sqrt(qx * qx + qy * qy));
    }

    sealed class SegmentDistance(WalkNetwork network, Coordinate p) : IItemDistance<Envelope, int>
    {
        public double Distance(IBoundable<Envelope, int> a, IBoundable<Envelope, int> b)
        {
            // One side is the query (item -1); the distance is to the other's segment.
            var item = a.Item == -1 ? b.Item : a.Item;
            return network.Project(item, p).Distance;
        }
    }
}
