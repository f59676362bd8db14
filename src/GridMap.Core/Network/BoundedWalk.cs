namespace GridMap.Core.Network;

/// <summary>
/// Points on the network (places, candidate sites, raster cells) indexed by the edge they sit on, so that a walk that
/// reaches an edge finds at once who is on it.
/// </summary>
public sealed class AnchoredPoints
{
    public NetworkAnchor?[] Anchors { get; }
    readonly int[] _offset;
    readonly int[] _items;

    public AnchoredPoints(WalkNetwork network, NetworkAnchor?[] anchors)
    {
        Anchors = anchors;
        _offset = new int[network.EdgeCount + 1];
        foreach (var a in anchors)
            if (a is { } x) _offset[x.Edge + 1]++;
        for (var e = 0; e < network.EdgeCount; e++) _offset[e + 1] += _offset[e];
        _items = new int[_offset[network.EdgeCount]];
        var fill = (int[])_offset.Clone();
        for (var i = 0; i < anchors.Length; i++)
            if (anchors[i] is { } x) _items[fill[x.Edge]++] = i;
    }

    public int Count => Anchors.Length;

    /// <summary>The points on edge <paramref name="edge"/>.</summary>
    public ReadOnlySpan<int> On(int edge) => _items.AsSpan(_offset[edge], _offset[edge + 1] - _offset[edge]);
}

/// <summary>
/// One source's walk over the network, no further than a limit: every anchored point within it and its walk (both
/// access legs, the anchor edges' walked parts and the network between, as <see cref="NearestStation"/> counts them).
/// Dijkstra stops at the limit, and its arrays are reused between sources, so a walk costs what it touches. Not
/// thread-safe: one per thread.
/// </summary>
public sealed class BoundedWalk
{
    readonly WalkNetwork _network;
    readonly double[] _dist;
    readonly int[] _edgeStamp;
    readonly List<int> _touched = [];
    readonly PriorityQueue<int, double> _queue = new();
    int _stamp;

    public BoundedWalk(WalkNetwork network)
    {
        _network = network;
        _dist = new double[network.NodeCount];
        Array.Fill(_dist, double.PositiveInfinity);
        _edgeStamp = new int[network.EdgeCount];
    }

    /// <summary>Calls <paramref name="visit"/>(point, metres) once for every point of <paramref name="targets"/> within <paramref name="limit"/> metres of <paramref name="source"/>.</summary>
    public void Reach(NetworkAnchor source, double limit, AnchoredPoints targets, Action<int, double> visit)
    {
        var n = _network;
        foreach (var v in _touched) _dist[v] = double.PositiveInfinity;
        _touched.Clear();
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_edgeStamp);
            _stamp = 1;
        }

        var len = n.Length[source.Edge];
        Relax(n.From[source.Edge], source.Access + source.T * len);
        Relax(n.To[source.Edge], source.Access + (1 - source.T) * len);
        while (_queue.TryDequeue(out var v, out var d))
        {
            if (d > _dist[v]) continue;
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++)
            {
                var e = n.IncidentEdge[i];
                Relax(n.Other(e, v), d + n.Length[e]);
            }
        }

        Visit(source.Edge);
        for (var k = 0; k < _touched.Count; k++)
        {
            var v = _touched[k];
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++) Visit(n.IncidentEdge[i]);
        }

        void Relax(int v, double d)
        {
            if (d > limit || d >= _dist[v]) return;
            if (double.IsPositiveInfinity(_dist[v])) _touched.Add(v);
            _dist[v] = d;
            _queue.Enqueue(v, d);
        }

        void Visit(int e)
        {
            if (_edgeStamp[e] == _stamp) return;
            _edgeStamp[e] = _stamp;
            var l = n.Length[e];
            double a = _dist[n.From[e]], b = _dist[n.To[e]];
            foreach (var p in targets.On(e))
            {
                var t = targets.Anchors[p]!.Value;
                var walk = Math.Min(a + t.T * l, b + (1 - t.T) * l);
                if (e == source.Edge) walk = Math.Min(walk, source.Access + Math.Abs(source.T - t.T) * l);
                walk += t.Access;
                if (walk <= limit) visit(p, walk);
            }
        }
    }
}
