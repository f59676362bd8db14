using GridMap.Core.Network;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using static GridMap.Core.Tests.Plane;

namespace GridMap.Core.Tests;

/// <summary>
/// Network islands: points attach only to connected components of at least N nodes (50 by default). The main network
/// is an 8×8 street grid (64 nodes, 100 m blocks); in the block between x 300–400 and y 300–400 lies a three-node
/// footway (320 350 – 380 350) joined to nothing, as the edge of an OSM extract leaves them.
/// </summary>
public class NetworkIslandTests
{
    static readonly string[] Grid = Enumerable.Range(0, 8).SelectMany(i => new[]
    {
        $"LINESTRING ({string.Join(", ", Enumerable.Range(0, 8).Select(j => $"{100 * j} {100 * i}"))})",
        $"LINESTRING ({string.Join(", ", Enumerable.Range(0, 8).Select(j => $"{100 * i} {100 * j}"))})",
    }).ToArray();

    const string Island = "LINESTRING (320 350, 350 350, 380 350)";

    /// <summary>5 m south of the island's middle; 45 m north of the street y = 300.</summary>
    static readonly Point Building = At(350, 345);

    /// <summary>5 m north of the island; 30 m east of the street x = 300.</summary>
    static readonly Point Station = At(330, 355);

    static IReadOnlyList<LineString> Lines(bool island) => (island ? Grid.Append(Island) : Grid).Select(LonLat<LineString>).ToList();

    static CoverageResult Coverage(IReadOnlyList<Point> stations, bool island = true, int? minComponentNodes = null)
    {
        var input = new CoverageInput([new CoveragePlace("b", 100, Building), new CoveragePlace("far", 50, At(705, 700))],
            stations.Select((s, i) => new CoverageStation($"s{i}", null, s)).ToList(), Lines(island), [new CoverageThreshold("300", 300)], 1.25);
        return WalkCoverage.Compute(minComponentNodes is { } n ? input with { MinComponentNodes = n } : input);
    }

    [Fact]
    public void A_building_and_a_station_beside_a_tiny_island_walk_over_the_main_network()
    {
        var result = Coverage([Station]);

        // 45 m to the street y = 300, 50 m west to the corner, 55 m north, 30 m to the station.
        Assert.Equal(45 + 50 + 55 + 30, result.Places[0].Metres!.Value, 3);
        // Exactly the walk on the network without the island.
        Assert.Equal(Coverage([Station], island: false).Places[0].Metres!.Value, result.Places[0].Metres!.Value, 9);
        Assert.Empty(result.Report.Unreachable);

        var report = result.Report;
        Assert.Equal(50, report.MinComponentNodes);
        var islands = report.NetworkIslands!;
        Assert.Equal((2, 64, 50, 1), (islands.Components, islands.LargestComponentNodes, islands.AttachMinNodes, islands.Count));
        var only = Assert.Single(islands.Islands);
        Assert.Equal((3, 2, 60.0), (only.Nodes, only.Edges, only.LengthM));
        Assert.Equal((3, 2, 60.0), (islands.Nodes, islands.Edges, islands.LengthM));
        var west = At(320, 350).Coordinate;
        var east = At(380, 350).Coordinate;
        // Its position and bounds in lon/lat (rounded to 7 decimals, about a centimetre).
        Assert.Equal(west.X, only.Bbox[0], 1e-6);
        Assert.Equal(west.Y, only.Bbox[1], 1e-6);
        Assert.Equal(east.X, only.Bbox[2], 1e-6);
        Assert.Equal(east.Y, only.Bbox[3], 1e-6);
        Assert.InRange(only.At[0], west.X - 1e-6, east.X + 1e-6);
        Assert.Equal(west.Y, only.At[1], 1e-6);
    }

    [Fact]
    public void With_min_component_nodes_1_every_piece_takes_points_as_before()
    {
        // Both on the island: 5 m, 20 m along it, 5 m.
        var result = Coverage([Station], minComponentNodes: 1);
        Assert.Equal(5 + 20 + 5, result.Places[0].Metres!.Value, 3);
        Assert.Equal(1, result.Report.MinComponentNodes);
        Assert.Equal(0, result.Report.NetworkIslands!.Count);
        Assert.Equal(1, result.Report.NetworkIslands.AttachMinNodes);
        // The far building cannot reach the island's station.
        Assert.Equal(["far"], result.Report.Unreachable);

        // A station on the main network only: the building beside the island is cut off with N = 1, not with 50.
        var street = At(0, -5);
        Assert.Equal(["b"], Coverage([street], minComponentNodes: 1).Report.Unreachable);
        var walk = Coverage([street]).Places[0].Metres!.Value;
        Assert.Equal(45 + 350 + 300 + 5, walk, 3);
    }

    [Fact]
    public void Attach_is_the_nearest_point_of_an_attachable_edge()
    {
        var reader = new WKTReader();
        var network = WalkNetwork.Build(Grid.Append(Island).Append("LINESTRING (1000 1000, 1010 1000)").Select(w => (LineString)reader.Read(w)));
        var old = network.WithMinComponentNodes(1);
        Assert.Same(network.X, old.X);
        Assert.Equal(3, network.ComponentCount);
        Assert.Equal(2, network.Islands.Count);
        var random = new Random(7);
        for (var k = 0; k < 500; k++)
        {
            var p = new Coordinate(random.NextDouble() * 1100 - 50, random.NextDouble() * 1100 - 50);
            foreach (var (net, onlyMain) in new[] { (network, true), (old, false) })
            {
                var a = net.Attach(p)!.Value;
                var best = Enumerable.Range(0, net.EdgeCount).Where(e => !onlyMain || net.ComponentSize[net.Component[net.From[e]]] == 64)
                    .Min(e => net.Project(e, p.X, p.Y).Distance);
                Assert.Equal(best, a.Access, 9);
                Assert.True(net.Attachable(a.Edge));
                if (onlyMain) Assert.Equal(64, net.ComponentSize[net.Component[net.From[a.Edge]]]);
            }
        }
    }

    [Fact]
    public void When_no_component_reaches_n_the_largest_takes_the_points()
    {
        var reader = new WKTReader();
        // A 3-node street and a 2-node one, 100 m apart: the threshold in force is min(50, 3) = 3.
        var network = WalkNetwork.Build(new[] { "LINESTRING (0 0, 50 0, 100 0)", "LINESTRING (0 100, 100 100)" }.Select(w => (LineString)reader.Read(w)));
        Assert.Equal((50, 3), (network.MinComponentNodes, network.AttachMinNodes));
        var a = network.Attach(new Coordinate(50, 95))!.Value;
        Assert.Equal(95, a.Access, 9);
        var island = Assert.Single(network.Islands);
        Assert.Equal((2, 1, 100.0), (island.Nodes, island.Edges, island.Length));

        // Components of equal size both take points (two river banks stay two banks).
        var banks = WalkNetwork.Build(new[] { "LINESTRING (0 0, 1000 0)", "LINESTRING (0 100, 1000 100)" }.Select(w => (LineString)reader.Read(w)));
        Assert.Equal(5, banks.Attach(new Coordinate(500, 95))!.Value.Access, 9);
        Assert.Empty(banks.Islands);
        Assert.Throws<ArgumentOutOfRangeException>(() => banks.WithMinComponentNodes(0));
    }
}
