using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;
using static GridMap.Core.Tests.LocalMetres;

namespace GridMap.Core.Tests;

/// <summary>Grid boundaries follow major roads; each crossing that remains is reported with its reason.</summary>
public class MajorRoadTests
{
    /// <summary>A community 1,000 × 400 m with a primary road running north–south at x = 500.</summary>
    static readonly PartitionArea Community = new("510106001001", Box(0, 0, 1000, 400));

    static readonly PartitionRoad Road = new("w1", "primary", "解放路", Line((500, -20), (500, 420)));

    /// <summary>Buildings of <paramref name="each"/> households in a row, 40 m apart, from x0 on.</summary>
    static IEnumerable<PartitionUnit> Row(string prefix, int count, int each, double x0, double y = 200) =>
        Enumerable.Range(0, count).Select(i => new PartitionUnit($"{prefix}{i}", each, Box(x0 + i * 40 - 8, y - 8, x0 + i * 40 + 8, y + 8)));

    static PartitionResult Partition(IEnumerable<PartitionUnit> units, IReadOnlyList<PartitionRoad>? roads = null) =>
        GridPartitioner.Partition(new PartitionInput(units.ToList(), [Community]) { MajorRoads = roads ?? [Road] });

    static string SideOf(string unitId) => unitId[..1];

    [Fact]
    public void With_enough_households_on_each_side_no_grid_crosses_the_road()
    {
        // West 500 and east 500 households, the nearest buildings 30 m apart across the road.
        var result = Partition(Row("w", 10, 50, 125).Concat(Row("e", 10, 50, 515)));

        Assert.Empty(result.Report.CrossedRoads);
        Assert.All(result.Grids, g => Assert.Single(g.UnitIds.Select(SideOf).Distinct()));
        Assert.Equal(4, result.Grids.Count);
        Assert.Equal(4, result.Report.InBand);
        Assert.True(result.Report.GapM2 < 1, $"gap {result.Report.GapM2} m²");
    }

    [Fact]
    public void A_side_too_small_for_a_grid_crosses_with_the_reason_side_below_min()
    {
        // West 120 households cannot make a grid; with the east's 330 they make two.
        var result = Partition(Row("w", 4, 30, 360).Concat(Row("e", 11, 30, 515)));

        var crossing = Assert.Single(result.Report.CrossedRoads);
        Assert.Equal(("w1", "解放路", "primary", "side_below_min"), (crossing.Road, crossing.Name, crossing.Highway, crossing.Reason));
        Assert.True(crossing.LengthM > 100, $"{crossing.LengthM} m");
        Assert.Equal(2, result.Report.InBand);
    }

    [Fact]
    public void Households_that_fit_no_number_of_grids_cross_with_the_reason_no_road_free_fit()
    {
        // West 330 (one grid is too many, two too few) and east 270: together two grids.
        var result = Partition(Row("w", 11, 30, 60).Concat(Row("e", 9, 30, 515)));

        Assert.NotEmpty(result.Report.CrossedRoads);
        Assert.All(result.Report.CrossedRoads, c => Assert.Contains(c.Reason, new[] { "no_road_free_fit", "side_below_min" }));
        Assert.Contains(result.Report.CrossedRoads, c => c.Reason == "no_road_free_fit");
        Assert.Equal(2, result.Report.InBand);
    }

    [Fact]
    public void A_compound_drawn_across_the_road_crosses_with_the_reason_compound_straddles()
    {
        var compound = new PartitionCompound("c1", Box(380, 100, 620, 300));
        var units = Row("c", 6, 40, 400).Select(u => u with { Compound = "c1" }).ToList();
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community], [compound]) { MajorRoads = [Road] });

        Assert.Contains(result.Report.CrossedRoads, c => c.Reason == "compound_straddles");
    }

    [Fact]
    public void A_stretch_of_100_m_or_less_or_a_dead_end_inside_the_grid_is_no_crossing()
    {
        var area = Metric.ToGeometry(new Envelope(0, 1000, 0, 400));
        var grid = new CrossedRoads.Grid("g", Metric.ToGeometry(new Envelope(0, 90, 0, 400)), []);
        PartitionRoad Through((double X, double Y) a, (double X, double Y) b) =>
            Road with { Line = Metric.CreateLineString([new Coordinate(a.X, a.Y), new Coordinate(b.X, b.Y)]) };

        Assert.Empty(CrossedRoads.Find(area, [grid], [Through((-20, 200), (110, 200))], [], new Bounds())); // 80 m inside
        Assert.Empty(CrossedRoads.Find(area, [grid], [Through((50, 420), (50, 150))], [], new Bounds())); // a dead end
        var crossing = Assert.Single(CrossedRoads.Find(area, [grid], [Through((50, -20), (50, 420))], [], new Bounds()));
        Assert.Equal(390, crossing.LengthM, 0.5);
    }

    [Theory]
    [InlineData(199, false)]
    [InlineData(200, true)]
    [InlineData(300, true)]
    [InlineData(310, false)]
    [InlineData(399, false)]
    [InlineData(400, true)]
    [InlineData(610, true)]
    public void Households_fit_a_whole_number_of_grids_in_band(long households, bool fits) =>
        Assert.Equal(fits, CrossedRoads.Fits(households, new Bounds()));

    [Fact]
    public void Whole_units_must_make_the_grids_not_only_their_total()
    {
        Assert.False(CrossedRoads.Fits([199, 250], new Bounds())); // 449 fits two grids on paper, not in whole buildings
        Assert.True(CrossedRoads.Fits([200, 249], new Bounds()));
        Assert.True(CrossedRoads.Fits([449], new Bounds())); // one block above 300 is cut into stairwells
        Assert.False(CrossedRoads.Fits([150, 160], new Bounds()));
    }

    [Fact]
    public void Empty_land_between_major_roads_is_a_dedicated_grid_and_all_land_is_covered()
    {
        // A second road at x = 800 closes off 20 ha with nobody on it in the east.
        var east = new PartitionRoad("w2", "secondary", "东路", Line((800, -20), (800, 420)));
        var result = Partition(Row("w", 10, 50, 125).Concat(Row("e", 6, 50, 530)), [Road, east]);

        var nobody = Assert.Single(result.Grids, g => g.Type == "dedicated");
        Assert.Equal(0, nobody.Households);
        Assert.Equal(80_000, Zone.Project(nobody.Polygon).Area, 0.01 * 80_000);
        Assert.True(result.Report.GapM2 < 1, $"gap {result.Report.GapM2} m²");
        Assert.Empty(result.Report.CrossedRoads);

        // A re-run on the same input keeps every code, the empty land's too.
        var existing = result.Grids.Select(g => new ExistingGrid(g.Code, g.Polygon, g.UnitIds, g.Households)).ToList();
        var again = GridPartitioner.Partition(new PartitionInput(Row("w", 10, 50, 125).Concat(Row("e", 6, 50, 530)).ToList(), [Community], Existing: existing)
        {
            MajorRoads = [Road, east],
        });
        Assert.Equal(result.Grids.Select(g => (g.Code, g.Type, string.Join(",", g.UnitIds.Order()))).Order(),
            again.Grids.Select(g => (g.Code, g.Type, string.Join(",", g.UnitIds.Order()))).Order());
    }

    [Theory]
    [InlineData(533, 11)]
    [InlineData(930, 20)]
    [InlineData(301, 7)]
    public void Synthesised_stairwells_can_always_make_grids_in_band(int households, int stairwells)
    {
        var units = BuildingUnit.Synthesise(households, 50);
        Assert.Equal(stairwells, units.Count);
        Assert.Equal(households, units.Sum(u => u.Households));
    }
}
