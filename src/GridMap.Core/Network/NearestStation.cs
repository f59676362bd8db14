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
        var n = network.NodeCount;
        var dist = new double[n];
        var source = new int[n];
        Array.Fill(dist, double.PositiveInfinity);
        Array.Fill(source, -1);
        var queue = new PriorityQueue<int, double>();
        var onEdge = new Dictionary<int, List<int>>();
        for (var s = 0; s < stations.Count; s++)
        {
            if (stations[s] is not { } a) continue;
            var len = network.Length[a.Edge];
            Relax(network.From[a.Edge], a.Access + a.T * len, s);
            Relax(network.To[a.Edge], a.Access + (1 - a.T) * len, s);
            if (!onEdge.TryGetValue(a.Edge, out var list)) onEdge[a.Edge] = list = [];
            list.Add(s);
        }
        while (queue.TryDequeue(out var v, out var d))
        {
            if (d > dist[v]) continue; // a stale entry
            for (var i = network.Offset[v]; i < network.Offset[v + 1]; i++)
            {
                var e = network.IncidentEdge[i];
                Relax(network.Other(e, v), d + network.Length[e], source[v]);
            }
        }

        var result = new StationReach[places.Count];
        for (var p = 0; p < places.Count; p++)
        {
            var best = new StationReach(-1, double.PositiveInfinity);
            if (places[p] is { } a)
            {
                var len = network.Length[a.Edge];
                int from = network.From[a.Edge], to = network.To[a.Edge];
                Consider(ref best, source[from], dist[from] + a.T * len + a.Access);
                Consider(ref best, source[to], dist[to] + (1 - a.T) * len + a.Access);
                if (onEdge.TryGetValue(a.Edge, out var here))
                    foreach (var s in here)
                    {
                        var sa = stations[s]!.Value;
                        Consider(ref best, s, sa.Access + Math.Abs(sa.T - a.T) * len + a.Access);
                    }
            }
            result[p] = best;
        }
        return result;

        void Relax(int v, double d, int s)
        {
            // Ties go to the lower station index, so that the answer does not depend on the queue's order.
            if (d < dist[v] || (d == dist[v] && s < source[v] && s >= 0))
            {
                dist[v] = d;
                source[v] = s;
                queue.Enqueue(v, d);
            }
        }
    }

    static void Consider(ref StationReach best, int station, double metres)
    {
        if (station < 0 || double.IsInfinity(metres)) return;
        if (metres < best.Metres || (metres == best.Metres && station < best.Station)) best = new StationReach(station, metres);
    }
}
