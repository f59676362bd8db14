using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Corridor grids: two blocks of buildings joined only through a sliver.</summary>
public class NarrowNecksTests
{
    static readonly GeometryFactory F = new();

    /// <summary>Two 100 × 100 m squares 50 m apart, joined by a corridor <paramref name="width"/> m wide.</summary>
    static Geometry Dumbbell(double width) => F.BuildGeometry(
    [
        F.ToGeometry(new Envelope(0, 100, 0, 100)),
        F.ToGeometry(new Envelope(150, 250, 0, 100)),
        F.ToGeometry(new Envelope(99, 151, 50 - width / 2, 50 + width / 2)),
    ]).Union();

    static readonly Coordinate[] TwoBuildings = [new(50, 50), new(200, 50)];

    [Fact]
    public void A_grid_joined_through_a_4_m_corridor_has_a_neck()
    {
        var neck = NarrowNecks.Of("g1", Dumbbell(4), TwoBuildings);
        Assert.Equal(new NarrowNeck("g1", 1, 2), neck);
    }

    [Fact]
    public void A_30_m_wide_link_is_no_neck_and_nor_is_a_grid_of_one_building()
    {
        Assert.Null(NarrowNecks.Of("g1", Dumbbell(30), TwoBuildings));
        Assert.Null(NarrowNecks.Of("g1", Dumbbell(4), [new Coordinate(50, 50)]));
    }

    [Fact]
    public void Both_buildings_on_one_side_of_the_neck_is_no_neck()
    {
        Assert.Null(NarrowNecks.Of("g1", Dumbbell(4), [new Coordinate(20, 20), new Coordinate(80, 80)]));
    }
}
