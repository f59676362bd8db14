using NetTopologySuite.Geometries;

namespace GridMap.Core.Network;

/// <summary>
/// Coverage kept current while stations are added, moved or removed one at a time, for "what if the canteen were
/// here?". Only the nodes whose nearest station changes are walked again (<see cref="NodeLabels"/>), and only the places
/// on their edges are looked at again, so one change costs a small part of a full recompute. The numbers are the same
/// as a full <see cref="WalkCoverage"/> run on the changed stations.
/// </summary>
public sealed class CoverageWhatIf
{
    readonly WalkModel _model;
    readonly long[] _households;
    readonly double[] _thresholds;
    readonly NodeLabels? _labels;
    readonly AnchoredPoints? _places;
    readonly List<Coordinate?> _stations;
    readonly StationReach[] _reach;
    readonly long[] _covered;
    readonly List<long> _load;
    readonly int[] _stamp;
    int _round;

    public CoverageWhatIf(WalkModel model, IReadOnlyList<long> households, IReadOnlyList<double> thresholds)
    {
        _model = model;
        _households = [.. households];
        _thresholds = [.. thresholds];
        _stations = [.. model.Stations];
        _stamp = new int[model.Places.Length];
        if (model.Network is { } network)
        {
            _labels = new NodeLabels(network, model.StationAnchors!);
            _places = new AnchoredPoints(network, model.PlaceDoors!);
            _reach = Enumerable.Range(0, model.Places.Length).Select(p => model.ReachOf(_labels, p)).ToArray();
        }
        else _reach = WalkModel.StraightLine(model.Stations, model.Places);
        _covered = new long[_thresholds.Length];
        _load = [.. new long[_stations.Count]];
        for (var p = 0; p < _reach.Length; p++) Count(p, +1);
    }

    /// <summary>Every place's nearest station now.</summary>
    public IReadOnlyList<StationReach> Reach => _reach;

    /// <summary>Households within threshold <paramref name="t"/> of a station now.</summary>
    public long Covered(int t) => _covered[t];

    /// <summary>Households for which station <paramref name="s"/> is the nearest now.</summary>
    public long LoadOf(int s) => _load[s];

    public int StationCount => _stations.Count;

    /// <summary>A new station at <paramref name="at"/> (projected metres); returns its index.</summary>
    public int Add(Coordinate at)
    {
        _stations.Add(null);
        _load.Add(0);
        Place(_stations.Count - 1, at);
        return _stations.Count - 1;
    }

    /// <summary>Station <paramref name="s"/> goes; its places fall to their next nearest.</summary>
    public void Remove(int s)
    {
        if (_stations[s] is null) return;
        _stations[s] = null;
        if (_labels is { } labels)
        {
            var anchor = labels.StationAt(s);
            Update(labels.Remove(s), anchor?.Edge);
        }
        else Update(Enumerable.Range(0, _reach.Length).Where(p => _reach[p].Station == s));
    }

    /// <summary>Station <paramref name="s"/> moves to <paramref name="to"/> (projected metres).</summary>
    public void Move(int s, Coordinate to)
    {
        Remove(s);
        Place(s, to);
    }

    void Place(int s, Coordinate at)
    {
        _stations[s] = at;
        if (_labels is { } labels)
        {
            var anchor = _model.Network!.Attach(at);
            Update(labels.Add(s, anchor), anchor?.Edge);
        }
        else Update(Enumerable.Range(0, _reach.Length).Where(p => !(_reach[p].Metres <= at.Distance(_model.Places[p]))));
    }

    /// <summary>Looks again at the places on the edges around changed nodes (and on the station's own edge).</summary>
    void Update(List<int> changedNodes, int? stationEdge)
    {
        var n = _model.Network!;
        var places = new List<int>();
        if (++_round == int.MaxValue)
        {
            Array.Clear(_stamp);
            _round = 1;
        }
        void Edge(int e)
        {
            foreach (var door in _places!.On(e))
                if (_model.DoorPlace![door] is var p && _stamp[p] != _round)
                {
                    _stamp[p] = _round;
                    places.Add(p);
                }
        }
        if (stationEdge is { } se) Edge(se);
        foreach (var v in changedNodes)
            for (var i = n.Offset[v]; i < n.Offset[v + 1]; i++) Edge(n.IncidentEdge[i]);
        foreach (var p in places)
        {
            Count(p, -1);
            _reach[p] = _model.ReachOf(_labels!, p);
            Count(p, +1);
        }
    }

    /// <summary>Without a network: the given places take their nearest station as the crow flies again.</summary>
    void Update(IEnumerable<int> places)
    {
        foreach (var p in places.ToList())
        {
            Count(p, -1);
            var best = new StationReach(-1, double.PositiveInfinity);
            for (var s = 0; s < _stations.Count; s++)
                if (_stations[s] is { } at && at.Distance(_model.Places[p]) is var d && d < best.Metres) best = new StationReach(s, d);
            _reach[p] = best;
            Count(p, +1);
        }
    }

    void Count(int p, int sign)
    {
        var r = _reach[p];
        if (!r.Reachable) return;
        _load[r.Station] += sign * _households[p];
        for (var t = 0; t < _thresholds.Length; t++)
            if (r.Metres <= _thresholds[t]) _covered[t] += sign * _households[p];
    }
}
