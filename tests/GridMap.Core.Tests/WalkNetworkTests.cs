using GridMap.Core.Network;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Core.Tests;

/// <summary>Walking distances to the nearest station: lines in (projected metres), metres out.</summary>
public class WalkNetworkTests
{
    static readonly WKTReader Reader = new();

    static WalkNetwork Network(params string[] wkt) => WalkNetwork.Build(wkt.Select(w => (LineString)Reader.Read(w)));

    static StationReach[] Reach(WalkNetwork network, Coordinate[] stations, Coordinate[] places) =>
        NearestStation.Compute(network, stations.Select(network.Attach).ToList(), places.Select(network.Attach).ToList());

    [Fact]
    public void A_walk_counts_both_access_legs_and_the_road_between()
    {
        var road = Network("LINESTRING (0 0, 250 0, 500 0, 750 0, 1000 0)");

        var reach = Reach(road, [new(100, 10)], [new(700, -20)]);

        Assert.Equal(0, reach[0].Station);
        Assert.Equal(10 + 600 + 20, reach[0].Metres, 6);
    }

    [Fact]
    public void A_station_across_a_river_is_unreachable_however_close()
    {
        // Two banks, no bridge: 100 m apart in a straight line, no walk between them.
        var banks = Network("LINESTRING (0 0, 1000 0)", "LINESTRING (0 100, 1000 100)");

        var reach = Reach(banks, [new(500, 10)], [new(500, 90), new(900, -5)]);

        Assert.False(reach[0].Reachable);
        Assert.True(double.IsPositiveInfinity(reach[0].Metres));
        Assert.Equal(0, reach[1].Station);
        Assert.Equal(10 + 400 + 5, reach[1].Metres, 6);
    }

    [Fact]
    public void Lines_join_only_at_shared_vertices_so_a_bridge_does_not_meet_the_road_below()
    {
        // The bridge crosses the road at (100, 0) without a vertex there.
        var bridge = Network("LINESTRING (0 0, 200 0)", "LINESTRING (100 -100, 100 100)");
        Assert.False(Reach(bridge, [new(0, 5)], [new(105, 90)])[0].Reachable);

        // A crossing with a shared vertex is a junction: walk 100 along the road, then 90 up the street.
        var junction = Network("LINESTRING (0 0, 100 0, 200 0)", "LINESTRING (100 -100, 100 0, 100 100)");
        var reach = Reach(junction, [new(0, 5)], [new(105, 90)]);
        Assert.Equal(5 + 100 + 90 + 5, reach[0].Metres, 6);
    }

    [Fact]
    public void The_nearest_station_is_the_nearest_walk_not_the_nearest_point()
    {
        // A cul-de-sac: station 0 is 60 m from the house in a straight line but 60 + 2·200 along the street;
        // station 1 is 150 m away on the same street as the house.
        var streets = Network(
            "LINESTRING (0 0, 200 0)",        // the house's street
            "LINESTRING (0 0, 0 60, 200 60)"); // the street behind, joined only at (0, 0)
        var reach = Reach(streets, [new(190, 62), new(50, -2)], [new(190, -2)]);

        Assert.Equal(1, reach[0].Station);
        Assert.Equal(2 + 140 + 2, reach[0].Metres, 6);
    }

    [Fact]
    public void A_station_on_the_same_edge_is_reached_along_it()
    {
        var lane = Network("LINESTRING (0 0, 1000 0)");

        var reach = Reach(lane, [new(400, 3), new(0, 0)], [new(450, 4)]);

        Assert.Equal(0, reach[0].Station);
        Assert.Equal(3 + 50 + 4, reach[0].Metres, 6);
    }

    [Fact]
    public void Repeated_segments_count_once_and_an_empty_network_attaches_nothing()
    {
        var twice = Network("LINESTRING (0 0, 10 0)", "LINESTRING (10 0, 0 0)");
        Assert.Equal(1, twice.EdgeCount);
        Assert.Equal(2, twice.NodeCount);
        Assert.Null(WalkNetwork.Build([]).Attach(new Coordinate(0, 0)));
    }
}
