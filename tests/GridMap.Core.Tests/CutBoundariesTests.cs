using GridMap.Core.Areas;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Boundary relations an extract cut, closed along its bounds: lines in, polygons out (plain coordinates).</summary>
public class CutBoundariesTests
{
    static readonly GeometryFactory F = new(new PrecisionModel(), 4326);
    static readonly Envelope Bounds = new(0, 10, 0, 10);

    static LineString Line(params double[] xy) =>
        F.CreateLineString(Enumerable.Range(0, xy.Length / 2).Select(i => new Coordinate(xy[2 * i], xy[2 * i + 1])).ToArray());

    static Polygon Box(double x0, double y0, double x1, double y1) =>
        F.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);

    static void SameArea(Geometry expected, Geometry? actual)
    {
        Assert.NotNull(actual);
        Assert.True(actual.IsValid);
        Assert.True(expected.SymmetricDifference(actual).Area < 1e-9, $"expected {expected}, got {actual}");
    }

    [Fact]
    public void A_relation_whose_other_ways_lie_outside_is_closed_along_the_bounds_on_the_side_of_its_inside_node()
    {
        // The square (-5,-5)–(5,5): the way along its top and right edges crosses the bounds, the rest is not in the file.
        var way = new BoundaryWay(1, Line(-5, 5, 5, 5, 5, -5));
        var closed = CutBoundaries.Close(Bounds, [new BoundaryRelation("r1", [way], null, [new Coordinate(2, 2)])]);
        var r = Assert.Single(closed);
        SameArea(Box(0, 0, 5, 5), r.Polygon);
        Assert.True(r.Repaired);
        Assert.Equal(BoundarySide.InsidePoint, r.Side);
    }

    [Fact]
    public void Without_an_inside_node_a_lone_relation_takes_the_side_its_known_boundary_curves_around()
    {
        var way = new BoundaryWay(1, Line(-5, 5, 5, 5, 5, -5));
        var r = Assert.Single(CutBoundaries.Close(Bounds, [new BoundaryRelation("r1", [way])]));
        SameArea(Box(0, 0, 5, 5), r.Polygon);
        Assert.Equal(BoundarySide.Guessed, r.Side);
    }

    [Fact]
    public void Three_neighbours_sharing_ways_take_the_sides_where_they_do_not_overlap()
    {
        // A west of x = 5; B north-east, C south-east of it; each shares a way with the other two, nothing else is in the file.
        var ac = new BoundaryWay(1, Line(5, -5, 5, 5));
        var ab = new BoundaryWay(2, Line(5, 5, 5, 15));
        var bc = new BoundaryWay(3, Line(5, 5, 15, 5));
        var closed = CutBoundaries.Close(Bounds,
        [
            new BoundaryRelation("A", [ac, ab]),
            new BoundaryRelation("B", [ab, bc]),
            new BoundaryRelation("C", [bc, ac]),
        ]);
        SameArea(Box(0, 0, 5, 10), closed[0].Polygon);
        SameArea(Box(5, 5, 10, 10), closed[1].Polygon);
        SameArea(Box(5, 0, 10, 5), closed[2].Polygon);
        Assert.All(closed, c => Assert.Equal(BoundarySide.Neighbours, c.Side));
    }

    [Fact]
    public void A_neighbour_with_an_inside_node_tells_the_other_its_side()
    {
        var shared = new BoundaryWay(7, Line(5, -5, 5, 15));
        var closed = CutBoundaries.Close(Bounds,
        [
            new BoundaryRelation("east", [shared]),
            new BoundaryRelation("west", [shared], null, [new Coordinate(1, 1)]),
        ]);
        SameArea(Box(5, 0, 10, 10), closed[0].Polygon);
        Assert.Equal(BoundarySide.Neighbours, closed[0].Side);
        SameArea(Box(0, 0, 5, 10), closed[1].Polygon);
    }

    [Fact]
    public void A_complete_relation_is_only_clipped_and_anchors_its_neighbour()
    {
        var ring = Box(-2, -2, 4, 12);
        var east = new BoundaryWay(9, Line(4, -2, 4, 12));
        var closed = CutBoundaries.Close(Bounds,
        [
            new BoundaryRelation("complete", [new BoundaryWay(8, ring.ExteriorRing as LineString ?? Line()), east], ring),
            new BoundaryRelation("cut", [east]),
        ]);
        SameArea(Box(0, 0, 4, 10), closed[0].Polygon);
        Assert.False(closed[0].Repaired);
        SameArea(Box(4, 0, 10, 10), closed[1].Polygon);
        Assert.True(closed[1].Repaired);
    }

    [Fact]
    public void A_way_the_extract_cut_inside_the_bounds_is_carried_to_the_nearest_edge()
    {
        // The way stops 0.2 short of the bottom edge (its next node was outside and dropped).
        var way = new BoundaryWay(1, Line(3, 15, 3, 0.2));
        var r = Assert.Single(CutBoundaries.Close(Bounds, [new BoundaryRelation("r1", [way], null, [new Coordinate(1, 5)])]));
        SameArea(Box(0, 0, 3, 10), r.Polygon);
    }

    [Fact]
    public void A_relation_with_no_way_across_the_bounds_and_nothing_inside_them_is_reported_not_guessed()
    {
        var r = Assert.Single(CutBoundaries.Close(Bounds, [new BoundaryRelation("r1", [new BoundaryWay(1, Line(20, 20, 30, 20))])]));
        Assert.Null(r.Polygon);
        Assert.NotNull(r.Problem);
        var none = Assert.Single(CutBoundaries.Close(Bounds, [new BoundaryRelation("r2", [])]));
        Assert.Null(none.Polygon);
    }
}

/// <summary>Division codes from tags, provisional ones where the data holds none.</summary>
public class AdminAreasTests
{
    static readonly GeometryFactory F = new(new PrecisionModel(), 4326);

    static Polygon Box(double x0, double y0, double x1, double y1) =>
        F.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);

    [Theory]
    [InlineData("510104", 6, "510104")]
    [InlineData("510104000000", 6, "510104")]
    [InlineData("510104021", 9, "510104021")]
    [InlineData("510104021000", 9, "510104021")]
    [InlineData("510104021003", 12, "510104021003")]
    [InlineData("510104", 9, null)]
    [InlineData("G5", 6, null)]
    [InlineData("990001", 6, null)]
    [InlineData("510104000", 9, null)]
    [InlineData(null, 6, null)]
    public void Division_codes_are_read_for_their_level(string? value, int digits, string? expected) =>
        Assert.Equal(expected, AdminAreas.DivisionCode(value, digits));

    [Fact]
    public void Streets_and_communities_without_codes_are_numbered_9xx_under_their_parent()
    {
        var set = AdminAreas.Code(
        [
            new AdminBoundary("r1", 6, "锦江区", "510104", Box(0, 0, 10, 10)),
            new AdminBoundary("r2", 6, "无码区", null, Box(10, 0, 20, 10)),
            new AdminBoundary("r3", 8, "西街道", null, Box(0, 0, 5, 10)),
            new AdminBoundary("r4", 8, "东街道", "510104021", Box(5, 0, 10, 10)),
            new AdminBoundary("r5", 8, "某街道", null, Box(10, 0, 20, 10)),
            new AdminBoundary("r6", 10, "北社区", null, Box(0, 5, 5, 10)),
            new AdminBoundary("r7", 10, "南社区", "510104021007", Box(5, 0, 10, 5)),
        ]);
        Assert.Equal(["510104", "990001"], set.Districts.Select(d => d.Code).Order());
        Assert.True(set.Districts.Single(d => d.Code == "990001").Provisional);
        var streets = set.Streets.ToDictionary(s => s.Key);
        Assert.Equal("510104901", streets["r3"].Code);
        Assert.Equal("510104", streets["r3"].Parent);
        Assert.True(streets["r3"].Provisional);
        Assert.Equal("510104021", streets["r4"].Code);
        Assert.False(streets["r4"].Provisional);
        Assert.Equal("990001901", streets["r5"].Code);
        var communities = set.Communities.ToDictionary(c => c.Key);
        Assert.Equal("510104901901", communities["r6"].Code);
        Assert.Equal("510104901", communities["r6"].Parent);
        Assert.Equal("510104021007", communities["r7"].Code);
        Assert.False(communities["r7"].Provisional);
    }

    [Fact]
    public void Level_9_gives_way_to_level_10_where_both_cover_the_same_land()
    {
        var set = AdminAreas.Code(
        [
            new AdminBoundary("r9", 9, "片区", null, Box(0, 0, 10, 10)),
            new AdminBoundary("r10", 10, "社区", null, Box(0, 0, 10, 9)),
            new AdminBoundary("r9b", 9, "村", null, Box(20, 0, 30, 10)),
        ]);
        Assert.Equal(["r10", "r9b"], set.Communities.Select(c => c.Key).Order());
    }
}
