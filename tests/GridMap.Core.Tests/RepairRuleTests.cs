using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Core.Tests;

/// <summary>
/// Which invalid polygons are repaired: any up to <see cref="GeometryRules.MaxRepairVertices"/> vertices; above, only
/// boundaries with a few faults (crossings and rings counted by <see cref="SelfCrossings"/>), up to
/// <see cref="GeometryRules.MaxRepairVerticesFewFaults"/>. Geometry in, outcome out.
/// </summary>
public class RepairRuleTests
{
    static readonly GeometryFactory F = GeometryRules.Factory;

    [Theory]
    [InlineData("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))", 0)]
    [InlineData("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))", 1)]
    // A hole crossing its shell twice.
    [InlineData("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (3 1, 5 1, 5 2, 3 2, 3 1))", 2)]
    // Two members of a multipolygon overlapping: their rings cross twice.
    [InlineData("MULTIPOLYGON(((0 0, 2 0, 2 2, 0 2, 0 0)), ((1 1, 3 1, 3 3, 1 3, 1 1)))", 2)]
    public void Crossings_of_rings_are_counted(string wkt, int expected) =>
        Assert.Equal(expected, SelfCrossings.Count(new WKTReader().Read(wkt), 100));

    [Fact]
    public void Counting_stops_just_past_the_limit_on_a_ring_that_crosses_itself_everywhere()
    {
        var zigzag = ZigZag(20_000);
        Assert.Equal(17, SelfCrossings.Count(zigzag, 16));
    }

    [Fact]
    public void A_long_boundary_with_a_few_crossings_is_repaired_and_one_with_many_is_refused()
    {
        var twisted = Circle(2_001, twist: true);
        Assert.Equal(1, SelfCrossings.Count(twisted, 100));
        var repaired = GeometryRules.Check(twisted);
        Assert.Equal(GeometryOutcome.Repaired, repaired.Outcome);
        Assert.True(repaired.Geometry!.IsValid);

        var zigzag = GeometryRules.Check(ZigZag(600));
        Assert.Equal(GeometryOutcome.Rejected, zigzag.Outcome);
        Assert.Equal("too_complex_to_repair", zigzag.Code);
        Assert.Contains("more than 16 crossings", zigzag.Message);
    }

    [Fact]
    public void Above_the_few_faults_bounds_an_invalid_polygon_is_refused_with_what_exceeds_them()
    {
        var large = GeometryRules.Check(Circle(GeometryRules.MaxRepairVerticesFewFaults + 11, twist: true));
        Assert.Equal("too_complex_to_repair", large.Code);
        Assert.Contains("with 10,012 vertices:", large.Message);

        // 150 holes outside their shell, 5 vertices each: no crossing, but too many rings to repair within the bound.
        var shell = F.CreateLinearRing(Square(0, 0, 1));
        var holes = Enumerable.Range(0, 150).Select(i => F.CreateLinearRing(Square(2 + i % 10 * 0.05, i / 10 * 0.05, 0.02))).ToArray();
        var rings = GeometryRules.Check(F.CreatePolygon(shell, holes));
        Assert.Equal("too_complex_to_repair", rings.Code);
        Assert.Contains("151 rings", rings.Message);

        // Ten holes outside, round (61 vertices each, 615 in all): few rings, no crossing — repaired (GeometryFixer
        // keeps the shell whole and makes the stray rings parts of their own).
        var round = Enumerable.Range(0, 10).Select(i => F.CreateLinearRing(Circle(60, false, 2 + i * 0.1, 0.5, 0.04).Shell.Coordinates)).ToArray();
        var few = GeometryRules.Check(F.CreatePolygon(shell, round));
        Assert.True(few.Geometry is not null, few.Message);
        Assert.Equal(GeometryOutcome.Repaired, few.Outcome);
        Assert.True(few.Geometry.IsValid);
        Assert.True(few.Geometry.Covers(F.CreatePolygon(shell)));
    }

    static Coordinate[] Square(double x, double y, double side) =>
        [new(x, y), new(x + side, y), new(x + side, y + side), new(x, y + side), new(x, y)];

    /// <summary>A circle of n vertices; with <paramref name="twist"/> its last quarter is mirrored, so the ring crosses itself once.</summary>
    static Polygon Circle(int n, bool twist, double cx = 0.5, double cy = 0.5, double r = 0.4)
    {
        var points = Enumerable.Range(0, n).Select(i => 2 * Math.PI * i / n)
            .Select(a => new Coordinate(cx + r * Math.Cos(a), cy + r * Math.Sin(a))).ToList();
        if (twist)
        {
            // A figure of eight: the second half runs round the mirror image, crossing the first at the centre line once.
            points = Enumerable.Range(0, n).Select(i => 2 * Math.PI * i / n)
                .Select(a => new Coordinate(cx + r * Math.Sin(a), cy + r * Math.Sin(a) * Math.Cos(a))).ToList();
        }
        points.Add(points[0].Copy());
        return F.CreatePolygon(points.ToArray());
    }

    static Polygon ZigZag(int n)
    {
        var points = new List<Coordinate>();
        for (var i = 0; i < n - 1; i++) points.Add(new Coordinate(106.821 + i * 0.00001, 27.521 + (i % 2 == 0 ? 0 : 0.001)));
        points.Add(new Coordinate(106.821 + (n - 2) * 0.00001, 27.5205));
        points.Add(new Coordinate(106.821, 27.5215));
        points.Add(points[0].Copy());
        return F.CreatePolygon(points.ToArray());
    }
}
