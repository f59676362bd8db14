using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;
using static GridMap.Core.Tests.LocalMetres;

namespace GridMap.Core.Tests;

/// <summary>Corridor grids: two blocks of buildings joined only through a sliver.</summary>
public class NarrowNecksTests
{
    static readonly GeometryFactory F = Metric;

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

    [Fact]
    public void A_neck_is_widened_with_a_neighbours_spare_land_and_no_building_moves()
    {
        // Grid a: two 100 × 100 m squares joined by a 4 m corridor at y 48..52; grid b: the land below the corridor.
        var a = Dumbbell(4);
        var b = F.ToGeometry(new Envelope(100, 150, 0, 48));
        var grids = new List<NeckRepair.Grid>
        {
            new(a, TwoBuildings, [], Basic: true),
            new(b, [new Coordinate(125, 10)], [F.ToGeometry(new Envelope(118, 132, 4, 16))], Basic: true),
        };
        var (polygons, necks) = NeckRepair.Repair(grids, []);

        Assert.Null(necks[0]);
        Assert.Null(NarrowNecks.Of("a", polygons[0], TwoBuildings));
        Assert.Equal(a.Area + b.Area, polygons[0].Area + polygons[1].Area, 0.01);
        Assert.True(polygons[1].Covers(F.CreatePoint(new Coordinate(125, 10))));
        Assert.True(polygons[1].Covers(F.ToGeometry(new Envelope(118, 132, 4, 16))));
        Assert.Equal(0, polygons[0].Intersection(polygons[1]).Area, 0.01);
    }

    [Fact]
    public void A_neck_with_no_neighbour_to_spare_land_or_only_across_a_major_road_stays_and_is_reported()
    {
        var a = Dumbbell(4);
        var b = F.ToGeometry(new Envelope(100, 150, 0, 48));
        var road = F.CreateLineString([new Coordinate(100, 46), new Coordinate(150, 46)]);
        var grids = new List<NeckRepair.Grid> { new(a, TwoBuildings, [], true), new(b, [new Coordinate(125, 10)], [], true) };

        var (alone, aloneNecks) = NeckRepair.Repair([grids[0]], []);
        Assert.Equal(new NarrowNeck("", 1, 2), aloneNecks[0]);
        Assert.Same(a, alone[0]);
        var (_, acrossRoad) = NeckRepair.Repair(grids, [road]);
        Assert.NotNull(acrossRoad[0]);
    }

    [Fact]
    public void A_neck_inside_one_units_own_land_is_excused()
    {
        var neck = NarrowNecks.Of("g1", Dumbbell(4), TwoBuildings, [F.ToGeometry(new Envelope(90, 160, 40, 60))]);
        Assert.Equal(new NarrowNeck("g1", 1, 2, Excused: true), neck);
    }

    [Fact]
    public void A_corridor_inside_one_units_territory_is_excused_and_one_shared_by_two_territories_is_not()
    {
        // Territories tile the grid: the west square with the whole corridor, and the east square.
        var west = F.ToGeometry(new Envelope(0, 100, 0, 100)).Union(F.ToGeometry(new Envelope(99, 150, 48, 52)));
        var east = F.ToGeometry(new Envelope(150, 250, 0, 100));
        Assert.Equal(new NarrowNeck("g1", 1, 2, Excused: true), NarrowNecks.Of("g1", Dumbbell(4), TwoBuildings, [west, east]));

        // The corridor halved between the two territories: no one unit's land holds it.
        var westHalf = F.ToGeometry(new Envelope(0, 100, 0, 100)).Union(F.ToGeometry(new Envelope(99, 125, 48, 52)));
        var eastHalf = F.ToGeometry(new Envelope(150, 250, 0, 100)).Union(F.ToGeometry(new Envelope(125, 151, 48, 52)));
        Assert.Equal(new NarrowNeck("g1", 1, 2, Excused: false), NarrowNecks.Of("g1", Dumbbell(4), TwoBuildings, [westHalf, eastHalf]));
    }

    [Fact]
    public void A_hair_thin_spike_of_the_grid_outside_the_territory_does_not_spoil_the_excuse()
    {
        // The corridor's north edge carries a spike 60 m long and a tenth of a millimetre wide, running out of the territory.
        var spiked = F.CreatePolygon(
        [
            new(0, 0), new(100, 0), new(100, 48), new(150, 48), new(150, 0), new(250, 0), new(250, 100), new(150, 100), new(150, 52),
            new(125.0001, 52), new(125, 112), new(125, 52), new(100, 52), new(100, 100), new(0, 100), new(0, 0),
        ]);
        var west = F.ToGeometry(new Envelope(0, 100, 0, 100)).Union(F.ToGeometry(new Envelope(99, 150, 48, 52)));

        Assert.Equal(new NarrowNeck("g1", 1, 2, Excused: true), NarrowNecks.Of("g1", spiked, TwoBuildings, [west]));
    }

    [Fact]
    public void Spare_land_cut_off_from_the_grid_by_a_footprint_stays_and_the_neck_is_still_widened()
    {
        // Grid a: two squares joined by a 6 m corridor at y 47..53. Grid b, the land below the corridor, holds an arched
        // building (legs down to y 34, roof at y 38..41): its 1 m margin shuts off the land under the arch, of which a
        // strip (y 36.5..37) lies within 10.5 m of the corridor but touches a nowhere.
        var a = Dumbbell(6);
        var b = F.ToGeometry(new Envelope(100, 150, 0, 47));
        var arch = F.CreatePolygon([new(105, 34), new(108, 34), new(108, 38), new(142, 38), new(142, 34), new(145, 34), new(145, 41), new(105, 41), new(105, 34)]);
        var grids = new List<NeckRepair.Grid>
        {
            new(a, TwoBuildings, [], Basic: true),
            new(b, [new Coordinate(125, 40)], [arch], Basic: true),
        };
        var (polygons, necks) = NeckRepair.Repair(grids, []);

        Assert.Null(necks[0]);
        Assert.Null(NarrowNecks.Of("a", polygons[0], TwoBuildings));
        // The land along the corridor moved; the strip under the arch stayed with b, which is still one piece with its building.
        var underArch = F.ToGeometry(new Envelope(110, 140, 36.5, 37));
        Assert.True(polygons[0].Covers(F.ToGeometry(new Envelope(100, 150, 42.5, 47))));
        Assert.True(polygons[1].Covers(underArch));
        Assert.True(polygons[1].Covers(arch));
        Assert.Equal(1, polygons[1].NumGeometries);
        Assert.Equal(a.Area + b.Area, polygons[0].Area + polygons[1].Area, 0.01);
        Assert.Equal(0, polygons[0].Intersection(polygons[1]).Area, 0.01);
    }

    /// <summary>
    /// A community shaped like the dumbbell (two 100 m squares joined by a 4 m corridor) with one building of 120
    /// households in each square: one grid, held together by the corridor, which no neighbour can widen.
    /// </summary>
    static PartitionResult DumbbellCommunity((double X, double Y) west, (double X, double Y) east)
    {
        PartitionUnit Building(string id, (double X, double Y) at) => new(id, 120, Box(at.X - 4, at.Y - 4, at.X + 4, at.Y + 4));
        return GridPartitioner.Partition(new PartitionInput([Building("w", west), Building("e", east)], [new PartitionArea("520304001001", LonLat(Dumbbell(4)))]));
    }

    [Fact]
    public void A_grid_whose_corridor_lies_inside_one_buildings_territory_is_excused_in_the_report()
    {
        // The west building stands at the corridor's mouth and the east one in the far corner: the whole corridor is
        // nearer the west building, so it is the west building's territory.
        var result = DumbbellCommunity((90, 50), (240, 90));

        var grid = Assert.Single(result.Grids);
        Assert.Equal(240, grid.Households);
        Assert.Equal(new NarrowNeck(grid.Code, 1, 2, Excused: true), Assert.Single(result.Report.NarrowNecks));
    }

    [Fact]
    public void A_grid_whose_corridor_is_shared_by_two_buildings_territories_has_an_unexcused_neck()
    {
        // Buildings in opposite corners: the line halfway between them crosses the corridor, which both territories share.
        var result = DumbbellCommunity((10, 10), (240, 90));

        var grid = Assert.Single(result.Grids);
        Assert.Equal(new NarrowNeck(grid.Code, 1, 2, Excused: false), Assert.Single(result.Report.NarrowNecks));
    }
}
