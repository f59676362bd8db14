using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Network;

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

    /// <summary>Where each place and station meets the network (null without a network).</summary>
    public NetworkAnchor?[]? PlaceAnchors { get; }
    public NetworkAnchor?[]? StationAnchors { get; }

    WalkModel(MetricProjection projection, WalkNetwork? network, Coordinate[] places, Coordinate[] stations, NetworkAnchor?[]? placeAnchors = null)
    {
        Projection = projection;
        Network = network;
        Places = places;
        Stations = stations;
        if (network is null) return;
        PlaceAnchors = placeAnchors ?? Attach(network, places);
        StationAnchors = stations.Select(network.Attach).ToArray();
    }

    /// <summary>Attaching 100k buildings is most of a model's set-up, and each is independent.</summary>
    static NetworkAnchor?[] Attach(WalkNetwork network, Coordinate[] points)
    {
        var anchors = new NetworkAnchor?[points.Length];
        Parallel.For(0, points.Length, i => anchors[i] = network.Attach(points[i]));
        return anchors;
    }

    /// <summary>The same places and network with other stations (lon/lat): a kind's stations, or a what-if's.</summary>
    public WalkModel WithStations(IEnumerable<Point> stations) =>
        new(Projection, Network, Places, stations.Select(s => Metric(Projection, s)).ToArray(), PlaceAnchors);

    /// <summary>The model of lon/lat places, stations and walkable lines (null or empty: straight lines).</summary>
    public static WalkModel Build(IEnumerable<Geometry> places, IEnumerable<Point> stations, IReadOnlyList<LineString>? network)
    {
        var placeList = places.ToList();
        var stationList = stations.ToList();
        var envelope = new Envelope();
        foreach (var p in placeList) envelope.ExpandToInclude(p.EnvelopeInternal);
        foreach (var s in stationList) envelope.ExpandToInclude(s.EnvelopeInternal);
        var projection = MetricProjection.For(new GeometryFactory().ToGeometry(envelope));
        var graph = network is { Count: > 0 } lines ? WalkNetwork.Build(lines.Select(l => (LineString)projection.Project(l))) : null;
        return new WalkModel(projection, graph is { EdgeCount: > 0 } ? graph : null,
            placeList.Select(p => Metric(projection, p)).ToArray(), stationList.Select(s => Metric(projection, s)).ToArray());
    }

    /// <summary>A place's position in the plane: a point as it is, anything else by its interior point.</summary>
    public static Coordinate Metric(MetricProjection projection, Geometry g) =>
        projection.Project(g is Point pt ? pt : g.InteriorPoint).Coordinate;

    /// <summary>Every place's nearest station among <paramref name="chosen"/> (indices into <see cref="Stations"/>).</summary>
    public StationReach[] Nearest(IReadOnlyList<int> chosen) => Network is { } network
        ? NearestStation.Compute(network, chosen.Select(s => StationAnchors![s]).ToList(), PlaceAnchors!)
        : StraightLine(chosen.Select(s => Stations[s]).ToArray(), Places);

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
