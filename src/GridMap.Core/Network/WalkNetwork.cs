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
/// A connected piece of the walking network too small to attach to (fewer nodes than <see cref="WalkNetwork.AttachMinNodes"/>):
/// its node and edge counts, total length (m), bounds and one of its nodes (projected metres).
/// </summary>
public sealed record NetworkIsland(int Nodes, int Edges, double Length, Envelope Bounds, Coordinate At);

/// <summary>
/// The walking graph in projected metres: one node per distinct vertex, one edge per segment of a walkable line. Lines
/// join only where they share a vertex — a bridge crossing a road without a shared vertex does not connect to it.
/// Edges are stored as compressed adjacency (CSR) so that 180k edges cost a few megabytes.
/// <para>
/// An extract's network falls apart at its edge, and a few footways are mapped on their own: points attach only to
/// connected components of at least <see cref="MinComponentNodes"/> nodes (50 by default, as Valhalla's minimum
/// reachability), so that a building beside a three-node island walks from the main network instead of being cut off.
/// When no component is that large (a small test network), the threshold is the largest component's size
/// (<see cref="AttachMinNodes"/> = min(N, largest)): the largest component always takes points. The pieces left out are
/// <see cref="Islands"/>.
/// </para>
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

    /// <summary>The default of <see cref="MinComponentNodes"/>.</summary>
    public const int DefaultMinComponentNodes = 50;

    /// <summary>Points attach only to components of at least this many nodes (as asked; see <see cref="AttachMinNodes"/>).</summary>
    public int MinComponentNodes { get; }

    /// <summary>The threshold in force: min(<see cref="MinComponentNodes"/>, the largest component's node count).</summary>
    public int AttachMinNodes { get; }

    /// <summary>Each node's connected component (0..<see cref="ComponentCount"/>-1), and each component's node count.</summary>
    public int[] Component { get; }
    public int[] ComponentSize { get; }
    public int ComponentCount => ComponentSize.Length;

    /// <summary>Components with an edge but fewer nodes than <see cref="AttachMinNodes"/>: nothing attaches to them. Largest first.</summary>
    public IReadOnlyList<NetworkIsland> Islands { get; }

    /// <summary>The edges points may attach to (those of components of at least <see cref="AttachMinNodes"/> nodes).</summary>
    readonly STRtree<int> _index;

    /// <summary>Whether points may attach to edge <paramref name="e"/>: its component has at least <see cref="AttachMinNodes"/> nodes.</summary>
    public bool Attachable(int e) => ComponentSize[Component[From[e]]] >= AttachMinNodes;

    WalkNetwork(double[] x, double[] y, int[] from, int[] to, int minComponentNodes)
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
        (Component, ComponentSize) = Components(x.Length, from, to);
        (MinComponentNodes, AttachMinNodes, Islands, _index) = Restrict(minComponentNodes);
    }

    /// <summary>The same graph with another <see cref="MinComponentNodes"/>: arrays and components shared, only the index rebuilt.</summary>
    WalkNetwork(WalkNetwork g, int minComponentNodes)
    {
        (X, Y, From, To, Length, Offset, IncidentEdge, Component, ComponentSize) =
            (g.X, g.Y, g.From, g.To, g.Length, g.Offset, g.IncidentEdge, g.Component, g.ComponentSize);
        (MinComponentNodes, AttachMinNodes, Islands, _index) = Restrict(minComponentNodes);
    }

    /// <summary>This graph with points attaching to components of at least <paramref name="minComponentNodes"/> nodes.</summary>
    public WalkNetwork WithMinComponentNodes(int minComponentNodes) =>
        minComponentNodes == MinComponentNodes ? this : new WalkNetwork(this, minComponentNodes);

    /// <summary>Connected components by union-find over the edges: each node's component (numbered in order of first node) and their sizes.</summary>
    static (int[] Component, int[] Size) Components(int nodes, int[] from, int[] to)
    {
        var parent = new int[nodes];
        for (var v = 0; v < nodes; v++) parent[v] = v;
        int Find(int v)
        {
            while (parent[v] != v) v = parent[v] = parent[parent[v]];
            return v;
        }
        for (var e = 0; e < from.Length; e++)
        {
            int a = Find(from[e]), b = Find(to[e]);
            if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b);
        }
        var component = new int[nodes];
        var idOfRoot = new int[nodes];
        Array.Fill(idOfRoot, -1);
        var sizes = new List<int>();
        for (var v = 0; v < nodes; v++)
        {
            var r = Find(v);
            if (idOfRoot[r] < 0)
            {
                idOfRoot[r] = sizes.Count;
                sizes.Add(0);
            }
            component[v] = idOfRoot[r];
            sizes[component[v]]++;
        }
        return (component, sizes.ToArray());
    }

    /// <summary>The threshold in force, the islands it leaves out, and the index of the edges points may attach to.</summary>
    (int Asked, int InForce, IReadOnlyList<NetworkIsland> Islands, STRtree<int> Index) Restrict(int minComponentNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minComponentNodes, 1);
        var inForce = Math.Min(minComponentNodes, ComponentSize.Length == 0 ? 1 : ComponentSize.Max());
        var index = new STRtree<int>();
        var edges = new int[ComponentSize.Length];
        var length = new double[ComponentSize.Length];
        var bounds = new Envelope?[ComponentSize.Length];
        var first = new int[ComponentSize.Length];
        for (var e = 0; e < From.Length; e++)
        {
            var c = Component[From[e]];
            if (ComponentSize[c] >= inForce)
            {
                index.Insert(new Envelope(X[From[e]], X[To[e]], Y[From[e]], Y[To[e]]), e);
                continue;
            }
            if (bounds[c] is null)
            {
                bounds[c] = new Envelope();
                first[c] = From[e];
            }
            edges[c]++;
            length[c] += Length[e];
            bounds[c]!.ExpandToInclude(X[From[e]], Y[From[e]]);
            bounds[c]!.ExpandToInclude(X[To[e]], Y[To[e]]);
        }
        if (From.Length > 0) index.Build();
        var islands = Enumerable.Range(0, ComponentSize.Length).Where(c => bounds[c] is not null)
            .Select(c => new NetworkIsland(ComponentSize[c], edges[c], length[c], bounds[c]!, new Coordinate(X[first[c]], Y[first[c]])))
            .OrderByDescending(i => i.Nodes).ThenByDescending(i => i.Length).ToList();
        return (minComponentNodes, inForce, islands, index);
    }

    /// <summary>The node across edge <paramref name="e"/> from node <paramref name="v"/>.</summary>
    public int Other(int e, int v) => From[e] == v ? To[e] : From[e];

    /// <summary>
    /// Builds the graph of the given walkable lines (projected metres); repeated segments count once. Points attach to
    /// components of at least <paramref name="minComponentNodes"/> nodes (or the largest, when none is that large).
    /// </summary>
    public static WalkNetwork Build(IEnumerable<LineString> lines, int minComponentNodes = DefaultMinComponentNodes)
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
        return new WalkNetwork(x.ToArray(), y.ToArray(), from.ToArray(), to.ToArray(), minComponentNodes);
    }

    /// <summary>
    /// The nearest point to <paramref name="p"/> of an edge points may attach to (<see cref="Attachable"/>: of a
    /// component of at least <see cref="AttachMinNodes"/> nodes); null when the network has no edge.
    /// </summary>
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
