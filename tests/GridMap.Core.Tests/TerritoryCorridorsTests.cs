using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Core.Tests;

/// <summary>Corridors through a neighbour's land: WKT faces in, carved grids out.</summary>
public class TerritoryCorridorsTests
{
    static readonly WKTReader Reader = new();

    static Polygon P(string wkt) => (Polygon)Reader.Read(wkt);

    // A | B | C side by side: A and C both border B's face but not each other. B's site sits near the top edge.
    static readonly Polygon A = P("POLYGON ((-5 0, 0 0, 0 10, -5 10, -5 0))");
    static readonly Polygon B = P("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
    static readonly Polygon C = P("POLYGON ((10 0, 15 0, 15 10, 10 10, 10 0))");
    static readonly Coordinate SiteOfB = new(5, 9.5);

    static Tessellation Row(params TessellationFace[] extra) =>
        new([A, B, C], [(0, 1, 10, 0), (1, 2, 10, 0)],
            [new TessellationFace(0, A, -1, 0), new TessellationFace(1, B, -1, 0), new TessellationFace(2, C, -1, 0), .. extra]);

    static PartitionGraph Graph(int atoms, params (int A, int B, double Length)[] edges) =>
        PartitionGraph.FromEdges(new int[atoms], new double[atoms], new double[atoms], edges.Select(e => (e.A, e.B, e.Length, e.Length)));

    [Fact]
    public void Atoms_that_border_one_face_of_a_third_are_corridor_candidates()
    {
        var candidates = TerritoryCorridors.Candidates(Row(), Graph(3, (0, 1, 10), (1, 2, 10)));

        var pair = Assert.Single(candidates);
        Assert.Equal((0, 2), pair.Key);
        Assert.Equal([1], pair.Value);
    }

    [Fact]
    public void A_grid_joined_through_a_neighbour_gets_the_corner_away_from_its_site()
    {
        var t = Row();
        var graph = Graph(3, (0, 1, 10), (1, 2, 10));
        var candidates = TerritoryCorridors.Candidates(t, graph);

        var (carved, groupOf, count) = TerritoryCorridors.Carve(t, candidates, [0, 1, 0], 2, a => a == 1 ? [SiteOfB] : []);

        Assert.Equal(2, count);
        Assert.Equal([0, 1, 0], groupOf);
        var grids = GridPolygons.Dissolve(carved, groupOf, count);
        var joined = Assert.IsType<Polygon>(grids[0]);
        Assert.Equal(150, joined.Area, 6);
        Assert.Equal(50, grids[1].Area, 6);
        Assert.True(grids[1].Covers(new Point(SiteOfB)));
        Assert.Equal(200, grids[0].Union(grids[1]).Area, 6);
        Assert.Equal(0, grids[0].Intersection(grids[1]).Area, 6);
    }

    [Fact]
    public void A_corridor_that_would_cut_off_the_neighbours_grid_is_not_drawn_and_the_grid_is_split()
    {
        // D lies below B and is in B's grid: a lower corner would cut them apart; every upper one holds B's site.
        var d = P("POLYGON ((0 -5, 10 -5, 10 0, 0 0, 0 -5))");
        var t = Row(new TessellationFace(3, d, -1, 0));
        var graph = Graph(4, (0, 1, 10), (1, 2, 10), (1, 3, 10));
        var candidates = TerritoryCorridors.Candidates(t, graph);

        var (carved, groupOf, count) = TerritoryCorridors.Carve(t, candidates, [0, 1, 0, 1], 2, a => a == 1 ? [SiteOfB] : []);

        Assert.Equal(3, count);
        Assert.NotEqual(groupOf[0], groupOf[2]);
        Assert.Equal(groupOf[1], groupOf[3]);
        Assert.Same(t, carved);
        var grids = GridPolygons.Dissolve(carved, groupOf, count);
        Assert.All(grids, g => Assert.IsType<Polygon>(g));
    }
}
