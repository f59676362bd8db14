namespace GridMap.Core.Network;

/// <summary>The nearest station of a place and the walk to it (m); Station -1 and Metres ∞ when none is reachable.</summary>
public readonly record struct StationReach(int Station, double Metres)
{
    public bool Reachable => Station >= 0;
}

/// <summary>
/// Multi-source shortest paths on a <see cref="WalkNetwork"/>: for every place, the nearest station by walking distance.
/// Stations and places sit on the network at their anchors; each walk counts both straight access legs, the part of the
/// anchor edges walked, and the network between. One Dijkstra run from all stations at once (each node labelled with its
/// nearest station), then each place looks at the two ends of its edge — and at stations on that same edge, reached
/// along it without passing an end.
/// </summary>
public static class NearestStation
{
    public static StationReach[] Compute(WalkNetwork network, IReadOnlyList<NetworkAnchor?> stations, IReadOnlyList<NetworkAnchor?> places)
    {
        var labels = new NodeLabels(network, stations);
        var result = new StationReach[places.Count];
        for (var p = 0; p < places.Count; p++) result[p] = labels.ReachOf(places[p]);
        return result;
    }
}

/// <summary>
/// Every node's nearest station and its walk (the multi-source Dijkstra behind <see cref="NearestStation"/>), kept so
/// that one station can be added, moved or removed afterwards at the cost of the nodes it changes: an added station
/// relaxes outwards only while it is nearer; a removed one clears its own region and lets the neighbours' stations
/// flow back in from its border. Ties go to the lower station index, as in a full run.
/// </summary>
public sealed class NodeLabels
{
    readonly WalkNetwork _network;
    readonly double[] _dist;
    readonly int[] _source;
    readonly List<NetworkAnchor?> _stations;
    readonly Dictionary<int, List<int>> _onEdge = new();
    readonly PriorityQueue<int, double> _queue = new();
    List<int>? _changed;

    public NodeLabels(WalkNetwork network, IReadOnlyList<NetworkAnchor?> stations)
    {
        _network = network;
        _dist = new double[network.NodeCount];
        _source = new int[network.NodeCount];
        Array.Fill(_dist, double.PositiveInfinity);
        Array.Fill(_source, -1);
        _stations = [.. stations];
        for (var s = 0; s < _stations.Count; s++) Seed(s);
        Run();
    }

    NodeLabels(NodeLabels other)
    {
        _network = other._network;
        _dist = (double[])other._dist.Clone();
        _source = (int[])other._source.Clone();
        _stations = [.. other._stations];
        foreach (var (e, list) in other._onEdge) _onEdge[e] = [.. list];
    }

    /// <summary>A copy to change while this one keeps answering (the copy costs two arrays of the network's nodes).</summary>
    public NodeLabels Clone() => new(this);

    public int StationCount => _stations.Count;

    /// <summary>Where station <paramref name="s"/> meets the network (null when removed or never attached).</summary>
    public NetworkAnchor? StationAt(int s) => _stations[s];

    /// <summary>A place's nearest station: through either end of its edge, or along the edge to a station on it.</summary>
    public StationReach ReachOf(NetworkAnchor? place)
    {
        var best = new StationReach(-1, double.PositiveInfinity);
        if (place is not { } a) return best;
        var n = _network;
        var len = n.Length[a.Edge];
        int from = n.From[a.Edge], to = n.To[a.Edge];
        Consider(ref best, _source[from], _dist[from] + a.T * len + a.Access);
        Consider(ref best, _source[to], _dist[to] + (1 - a.T) * len + a.Access);
        if (_onEdge.TryGetValue(a.Edge, out var here))
            foreach (var s in here)
            {
                var sa = _stations[s]!.Value;
                Consider(ref best, s, sa.Access + Math.Abs(sa.T - a.T) * len + a.Access);
            }
        return best;
    }

    /// <summary>Puts station <paramref name="s"/> (a new index = <see cref="StationCount"/>, or a removed one) at <paramref name="anchor"/>; returns the nodes whose label changed.</summary>
    public List<int> Add(int s, NetworkAnchor? anchor)
    {
        if (s == _stations.Count) _stations.Add(null);
        if (_stations[s] is not null) throw new InvalidOperationException($"station {s} is in place; remove it first");
        _stations[s] = anchor;
        _changed = [];
        Seed(s);
        Run();
        var changed = _changed;
        _changed = null;
        return changed;
    }

    /// <summary>Takes station <paramref name="s"/> away; returns the nodes whose label changed.</summary>
    public List<int> Remove(int s)
    {
        if (_stations[s] is not { } a) return [];
        var n = _network;
        _stations[s] = null;
        _onEdge[a.Edge].Remove(s);
        // Its region: the nodes labelled with it, connected to its edge through one another.
        var region = new List<int>();
        foreach (var end in new[] { n.From[a.Edge], n.To[a.Edge] })
            if (_source[end] == s)
            {
                _source[end] = -2; // in the region, not yet cleared
                region.Add(end);
            }
        for (var k = 0; k < region.Count; k++)
        {
            var v = region[k];
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++)
            {
                var u = n.Other(n.IncidentEdge[i], v);
                if (_source[u] != s) continue;
                _source[u] = -2;
                region.Add(u);
            }
        }
        foreach (var v in region)
        {
            _dist[v] = double.PositiveInfinity;
            _source[v] = -1;
        }
        _changed = [.. region];
        // The neighbours' stations flow back in from the region's border, and stations on its edges from there.
        foreach (var v in region)
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++)
            {
                var e = n.IncidentEdge[i];
                var u = n.Other(e, v);
                if (_source[u] >= 0) Relax(v, _dist[u] + n.Length[e], _source[u]);
                if (_onEdge.TryGetValue(e, out var on))
                    foreach (var other in on) Seed(other, e);
            }
        Run();
        var changed = _changed.Distinct().ToList();
        _changed = null;
        return changed;
    }

    void Seed(int s, int onlyEdge = -1)
    {
        if (_stations[s] is not { } a || (onlyEdge >= 0 && a.Edge != onlyEdge)) return;
        var len = _network.Length[a.Edge];
        Relax(_network.From[a.Edge], a.Access + a.T * len, s);
        Relax(_network.To[a.Edge], a.Access + (1 - a.T) * len, s);
        if (onlyEdge >= 0) return;
        if (!_onEdge.TryGetValue(a.Edge, out var list)) _onEdge[a.Edge] = list = [];
        list.Add(s);
    }

    void Run()
    {
        var n = _network;
        while (_queue.TryDequeue(out var v, out var d))
        {
            if (d > _dist[v]) continue; // a stale entry
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++)
            {
                var e = n.IncidentEdge[i];
                Relax(n.Other(e, v), d + n.Length[e], _source[v]);
            }
        }
    }

    void Relax(int v, double d, int s)
    {
        // Ties go to the lower station index, so that the answer does not depend on the queue's order.
        if (d < _dist[v] || (d == _dist[v] && s < _source[v] && s >= 0))
        {
            _dist[v] = d;
            _source[v] = s;
            _queue.Enqueue(v, d);
            _changed?.Add(v);
        }
    }

    static void Consider(ref StationReach best, int station, double metres)
    {
        if (station < 0 || double.IsInfinity(metres)) return;
        if (metres < best.Metres || (metres == best.Metres && station < best.Station)) best = new StationReach(station, metres);
    }
}
