using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Network;

/// <summary>A compound with a wall and known gates (lon/lat): whoever lives inside walks out through a gate.</summary>
public sealed record WalledCompound(Geometry Outline, IReadOnlyList<Point> Gates);

/// <summary>
/// Places and stations in one metric plane, on the walking network when there is one: what coverage, isochrones, gaps
/// and siting all start from. Without a network every walk is a straight line (<see cref="Mode"/> "euclidean").
/// </summary>
public sealed class WalkModel
{
    public MetricProjection Projection { get; }
    public WalkNetwork? Network { get; }

    /// <summary>"network" or "euclidean".</summary>
    public string Mode => Network is null ? "euclidean" : "network";

    /// <summary>Place and station positions in projected metres (a polygon by its interior point).</summary>
    public Coordinate[] Places { get; }
    public Coordinate[] Stations { get; }

    /// <summary>
    /// Where places meet the network (null without a network): one door per place — its nearest edge — or, for a place
    /// inside a walled compound with known gates, one door per gate (the walk to the gate counted in its access leg).
    /// Doors of place p are <c>PlaceDoors[DoorOffset[p]..DoorOffset[p+1]]</c>; <see cref="DoorPlace"/> maps a door back.
    /// </summary>
    public NetworkAnchor?[]? PlaceDoors { get; }
    public int[]? DoorOffset { get; }
    public int[]? DoorPlace { get; }

    /// <summary>Where each station meets the network (null without a network).</summary>
    public NetworkAnchor?[]? StationAnchors { get; }

    /// <summary>The gates (projected metres) each place must walk out through; null where it walks straight to its nearest edge.</summary>
    readonly Coordinate[]?[]? _gates;

    WalkModel(MetricProjection projection, WalkNetwork? network, Coordinate[] places, Coordinate[] stations, Coordinate[]?[]? gates,
        (NetworkAnchor?[] Doors, int[] Offset, int[] Place)? doors = null)
    {
        Projection = projection;
        Network = network;
        Places = places;
        Stations = stations;
        _gates = gates;
        if (network is null) return;
        (PlaceDoors, DoorOffset, DoorPlace) = doors ?? Doors(network, places, gates);
        StationAnchors = stations.Select(network.Attach).ToArray();
    }

    /// <summary>Attaching 100k buildings is most of a model's set-up, and each is independent.</summary>
    static (NetworkAnchor?[] Doors, int[] Offset, int[] Place) Doors(WalkNetwork network, Coordinate[] places, Coordinate[]?[]? gates)
    {
        var offset = new int[places.Length + 1];
        for (var p = 0; p < places.Length; p++) offset[p + 1] = offset[p] + (gates?[p] is { Length: > 0 } g ? g.Length : 1);
        var doors = new NetworkAnchor?[offset[^1]];
        var owner = new int[doors.Length];
        Parallel.For(0, places.Length, p =>
        {
            if (gates?[p] is not { Length: > 0 } through)
            {
                doors[offset[p]] = network.Attach(places[p]);
                owner[offset[p]] = p;
                return;
            }
            for (var k = 0; k < through.Length; k++)
            {
                owner[offset[p] + k] = p;
                if (network.Attach(through[k]) is { } at) doors[offset[p] + k] = at with { Access = at.Access + places[p].Distance(through[k]) };
            }
        });
        return (doors, offset, owner);
    }

    /// <summary>A place's walk to its nearest station: the best of its doors.</summary>
    public StationReach ReachOf(NodeLabels labels, int place)
    {
        var best = new StationReach(-1, double.PositiveInfinity);
        for (var d = DoorOffset![place]; d < DoorOffset[place + 1]; d++)
            if (labels.ReachOf(PlaceDoors![d]) is { Reachable: true } r && (r.Metres < best.Metres || (r.Metres == best.Metres && r.Station < best.Station)))
                best = r;
        return best;
    }

    /// <summary>The same places and network with other stations (lon/lat): a kind's stations, or a what-if's.</summary>
    public WalkModel WithStations(IEnumerable<Point> stations) =>
        new(Projection, Network, Places, stations.Select(s => Metric(Projection, s)).ToArray(), _gates,
            PlaceDoors is null ? null : (PlaceDoors, DoorOffset!, DoorPlace!)) { Walled = Walled };

    /// <summary>
    /// The same network, projection, walls and stations with another list of places (lon/lat): place i is old place
    /// <paramref name="reuse"/>[i] (its position and doors kept) or, where that is -1, <paramref name="places"/>[i] attached
    /// afresh. One building written costs one attach and a copy of the arrays, not a new model.
    /// </summary>
    public WalkModel WithPlaces(IReadOnlyList<Geometry> places, IReadOnlyList<int> reuse)
    {
        var metric = new Coordinate[places.Count];
        var gates = _gates is null && Walled.Count == 0 ? null : new Coordinate[]?[places.Count];
        for (var i = 0; i < metric.Length; i++)
        {
            if (reuse[i] >= 0)
            {
                metric[i] = Places[reuse[i]];
                if (gates is not null) gates[i] = _gates?[reuse[i]];
                continue;
            }
            metric[i] = Metric(Projection, places[i]);
            if (gates is not null) gates[i] = WallAround(Walled, metric[i])?.Gates;
        }
        (NetworkAnchor?[] Doors, int[] Offset, int[] Place)? doors = null;
        if (Network is { } network)
        {
            var offset = new int[metric.Length + 1];
            for (var p = 0; p < metric.Length; p++) offset[p + 1] = offset[p] + (gates?[p] is { Length: > 0 } g ? g.Length : 1);
            var door = new NetworkAnchor?[offset[^1]];
            var owner = new int[door.Length];
            for (var p = 0; p < metric.Length; p++)
            {
                for (var d = offset[p]; d < offset[p + 1]; d++) owner[d] = p;
                if (reuse[p] >= 0)
                {
                    Array.Copy(PlaceDoors!, DoorOffset![reuse[p]], door, offset[p], offset[p + 1] - offset[p]);
                    continue;
                }
                if (gates?[p] is not { Length: > 0 } through) door[offset[p]] = network.Attach(metric[p]);
                else
                    for (var k = 0; k < through.Length; k++)
                        if (network.Attach(through[k]) is { } at) door[offset[p] + k] = at with { Access = at.Access + metric[p].Distance(through[k]) };
            }
            doors = (door, offset, owner);
        }
        return new WalkModel(Projection, Network, metric, Stations, gates, doors) { Walled = Walled };
    }

    /// <summary>
    /// The same places and stations with points attaching to network components of at least
    /// <paramref name="minComponentNodes"/> nodes (<see cref="WalkNetwork.MinComponentNodes"/>): places and stations re-attached.
    /// </summary>
    public WalkModel WithMinComponentNodes(int minComponentNodes) =>
        Network is not { } network || network.MinComponentNodes == minComponentNodes
            ? this
            : new WalkModel(Projection, network.WithMinComponentNodes(minComponentNodes), Places, Stations, _gates) { Walled = Walled };

    /// <summary>Walled compounds with known gates, projected: outline and gates.</summary>
    public IReadOnlyList<(Geometry Outline, Coordinate[] Gates)> Walled { get; private init; } = [];

    /// <summary>
    /// The model of lon/lat places, stations and walkable lines (null or empty: straight lines). A place inside one of
    /// the <paramref name="walled"/> compounds walks out through its gates, not across the wall to the nearest street.
    /// Places, gates and stations attach only to network components of at least <paramref name="minComponentNodes"/>
    /// nodes (<see cref="WalkNetwork"/>).
    /// </summary>
    public static WalkModel Build(IEnumerable<Geometry> places, IEnumerable<Point> stations, IReadOnlyList<LineString>? network,
        IReadOnlyList<WalledCompound>? walled = null, int minComponentNodes = WalkNetwork.DefaultMinComponentNodes)
    {
        var placeList = places.ToList();
        var stationList = stations.ToList();
        var envelope = new Envelope();
        foreach (var p in placeList) envelope.ExpandToInclude(p.EnvelopeInternal);
        foreach (var s in stationList) envelope.ExpandToInclude(s.EnvelopeInternal);
        var projection = MetricProjection.For(new GeometryFactory().ToGeometry(envelope));
        var graph = network is { Count: > 0 } lines ? WalkNetwork.Build(lines.Select(l => (LineString)projection.Project(l)), minComponentNodes) : null;
        var walls = (walled ?? []).Where(w => w.Gates.Count > 0)
            .Select(w => (Outline: projection.Project(w.Outline), Gates: w.Gates.Select(g => projection.Project(g.Coordinate)).ToArray())).ToList();
        var metricPlaces = placeList.Select(p => Metric(projection, p)).ToArray();
        var through = walls.Count == 0 ? null : metricPlaces.Select(p => WallAround(walls, p)?.Gates).ToArray();
        return new WalkModel(projection, graph is { EdgeCount: > 0 } ? graph : null,
            metricPlaces, stationList.Select(s => Metric(projection, s)).ToArray(), through) { Walled = walls };
    }

    /// <summary>The walled compound a point stands in, if any.</summary>
    public static (Geometry Outline, Coordinate[] Gates)? WallAround(IReadOnlyList<(Geometry Outline, Coordinate[] Gates)> walls, Coordinate at)
    {
        var point = new GeometryFactory().CreatePoint(at);
        foreach (var w in walls)
            if (w.Outline.EnvelopeInternal.Contains(at) && w.Outline.Covers(point)) return w;
        return null;
    }

    /// <summary>A place's position in the plane: a point as it is, anything else by its interior point.</summary>
    public static Coordinate Metric(MetricProjection projection, Geometry g) =>
        projection.Project(g is Point pt ? pt : g.InteriorPoint).Coordinate;

    /// <summary>Every place's nearest station among <paramref name="chosen"/> (indices into <see cref="Stations"/>).</summary>
    public StationReach[] Nearest(IReadOnlyList<int> chosen)
    {
        if (Network is not { } network) return StraightLine(chosen.Select(s => Stations[s]).ToArray(), Places);
        var labels = new NodeLabels(network, chosen.Select(s => StationAnchors![s]).ToList());
        var result = new StationReach[Places.Length];
        for (var p = 0; p < result.Length; p++) result[p] = ReachOf(labels, p);
        return result;
    }

    /// <summary>Every place's nearest station among all of them.</summary>
    public StationReach[] Nearest() => Nearest(Enumerable.Range(0, Stations.Length).ToList());

    /// <summary>The straight-line fallback: the nearest station as the crow flies.</summary>
    public static StationReach[] StraightLine(Coordinate[] stations, Coordinate[] places)
    {
        var result = new StationReach[places.Length];
        if (stations.Length == 0)
        {
            Array.Fill(result, new StationReach(-1, double.PositiveInfinity));
            return result;
        }
        var tree = new STRtree<int>();
        for (var s = 0; s < stations.Length; s++) tree.Insert(new Envelope(stations[s]), s);
        tree.Build();
        for (var i = 0; i < places.Length; i++)
        {
            var p = places[i];
            var s = tree.NearestNeighbour(new Envelope(p), -1, new PointDistance(stations, p));
            result[i] = new StationReach(s, stations[s].Distance(p));
        }
        return result;
    }

    sealed class PointDistance(Coordinate[] stations, Coordinate p) : IItemDistance<Envelope, int>
    {
        public double Distance(IBoundable<Envelope, int> a, IBoundable<Envelope, int> b) =>
            stations[a.Item == -1 ? b.Item : a.Item].Distance(p);
    }
}
