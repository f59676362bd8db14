using GridMap.Core.Areas;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Tests;

/// <summary>Provisional streets and communities from blocks bounded by major roads: geometry in, areas out.</summary>
public class ProvisionalAreasTests
{
    static readonly MetricProjection Zone = ChengduMetres.Zone;
    static readonly GeometryFactory F = ChengduMetres.F;

    static Coordinate At(double x, double y) => ChengduMetres.At(x, y);

    static Polygon Square(double x0, double y0, double x1, double y1) => ChengduMetres.Square(x0, y0, x1, y1);

    static LineString Road(double x0, double y0, double x1, double y1) => ChengduMetres.Road(x0, y0, x1, y1);

    static double AreaM2(Geometry g) => Zone.AreaM2(g);

    /// <summary>A 1.2 km square cut by two roads each way into 9 blocks of 400 m, each holding <paramref name="perBlock"/> households (in 10 points).</summary>
    static ProvisionalAreaResult NineBlocks(int perBlock, Func<int, int, int>? households = null)
    {
        var extent = Square(0, 0, 1200, 1200);
        var roads = new Geometry[] { Road(400, -50, 400, 1250), Road(800, -50, 800, 1250), Road(-50, 400, 1250, 400), Road(-50, 800, 1250, 800) };
        var points = new List<HouseholdPoint>();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                for (var k = 0; k < 10; k++)
                    points.Add(new HouseholdPoint(At(i * 400 + 50 + k * 30, j * 400 + 200), (households?.Invoke(i, j) ?? perBlock) / 10));
        var compounds = new List<NamedCompound> { new(Square(850, 850, 1150, 1150), "锦绣花园", 900), new(Square(860, 860, 900, 900), "小院", 10) };
        return ProvisionalAreas.Build(extent, roads, points, compounds);
    }

    [Fact]
    public void Blocks_of_900_households_pair_up_into_communities_within_1000_to_3000_that_tile_the_land()
    {
        var result = NineBlocks(900);
        Assert.Equal(9, result.Blocks);
        Assert.All(result.Communities, c => Assert.InRange(c.Households, 1000, 3000));
        Assert.Equal(8100, result.Communities.Sum(c => c.Households));
        var union = UnaryUnionOp.Union(result.Communities.Select(c => c.Polygon).ToList());
        Assert.True(Math.Abs(AreaM2(union) - AreaM2(Square(0, 0, 1200, 1200))) < 1);
        Assert.True(result.Communities.Sum(c => AreaM2(c.Polygon)) - AreaM2(union) < 1, "communities overlap");
        Assert.All(result.Communities, c => Assert.IsType<Polygon>(c.Polygon)); // contiguous
        // Community boundaries follow the roads: every block lies wholly in one community.
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
            {
                var block = Square(i * 400 + 5, j * 400 + 5, i * 400 + 395, j * 400 + 395);
                Assert.Single(result.Communities, c => AreaM2(c.Polygon.Intersection(block)) > 1);
            }
    }

    [Fact]
    public void Codes_are_provisional_ranges_in_reading_order_and_names_come_from_the_largest_compound()
    {
        var result = NineBlocks(900);
        Assert.Equal("990001", result.District.Code);
        Assert.All(result.Streets, s => Assert.Matches("^9900019[0-9]{2}$", s.Code));
        Assert.All(result.Communities, c => Assert.StartsWith(c.Parent!, c.Code));
        Assert.All(result.Communities, c => Assert.Matches("^9900019[0-9]{2}9[0-9]{2}$", c.Code));
        Assert.Equal(result.Communities.Count, result.Communities.Select(c => c.Code).Distinct().Count());
        // The north-east block holds 锦绣花园, the largest compound: its community is named after it.
        var ne = result.Communities.Single(c => c.Polygon.Covers(F.CreatePoint(At(1000, 1000))));
        Assert.Equal("锦绣花园社区（暂定）", ne.Name);
        // The first community in reading order is in the north-west.
        var first = result.Communities.OrderBy(c => c.Code, StringComparer.Ordinal).First();
        Assert.True(first.Polygon.Covers(F.CreatePoint(At(200, 1000))));
    }

    [Fact]
    public void An_empty_block_joins_a_neighbour_and_a_dense_block_stands_alone()
    {
        // The centre block is a park (nobody); the south-west block holds 5,000.
        var result = NineBlocks(0, (i, j) => (i, j) switch { (1, 1) => 0, (0, 0) => 5000, _ => 900 });
        Assert.Equal(5000 + 7 * 900, result.Communities.Sum(c => c.Households));
        Assert.Contains(result.Communities, c => c.Households == 5000);
        var park = F.CreatePoint(At(600, 600));
        Assert.Single(result.Communities, c => c.Polygon.Covers(park));
        Assert.All(result.Communities.Where(c => c.Households != 5000), c => Assert.InRange(c.Households, 1000, 3000));
    }
}
