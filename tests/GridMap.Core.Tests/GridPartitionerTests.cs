using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Geometry in, grids out: one case per partitioning rule.</summary>
public class GridPartitionerTests
{
    static readonly MetricProjection Zone = LocalMetres.Zone;
    static readonly GeometryFactory Metric = LocalMetres.Metric;

    static T LonLat<T>(T metric) where T : Geometry => LocalMetres.LonLat(metric);

    static Polygon Box(double x0, double y0, double x1, double y1) => LocalMetres.Box(x0, y0, x1, y1);

    static PartitionUnit Building(string id, int households, double x, double y, string? compound = null, IReadOnlyList<BuildingUnit>? units = null) =>
        new(id, households, Box(x - 8, y - 8, x + 8, y + 8), compound, units);

    static readonly PartitionArea Community = new("520304001001", Box(0, 0, 600, 400));

    static void AssertSeamless(PartitionResult result)
    {
        Assert.True(result.Report.GapM2 < 1, $"gap {result.Report.GapM2} m²");
        Assert.True(result.Report.OverlapM2 < 1, $"overlap {result.Report.OverlapM2} m²");
        Assert.Equal(0, result.Report.Noncontiguous);
        Assert.DoesNotContain(result.Grids, g => g.Households == 0 && g.UnitIds.Count == 0);
    }

    static void AssertEveryUnitOnce(PartitionInput input, PartitionResult result)
    {
        var assigned = result.Grids.SelectMany(g => g.UnitIds.Select(id => id.Split('/')[0])).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        foreach (var u in input.Units)
            Assert.True(assigned.ContainsKey(u.Id), $"{u.Id} is in no grid");
        Assert.Equal(input.Units.Sum(u => u.Households) + (input.Compounds ?? []).Where(c => c.Households is not null).Sum(c => c.Households!.Value),
            result.Grids.Sum(g => g.Households));
    }

    [Fact]
    public void A_row_of_buildings_becomes_in_band_grids_coded_in_reading_order()
    {
        var units = Enumerable.Range(0, 6).Select(i => Building($"b{i}", 100, 50 + i * 100, 200)).ToList();
        var input = new PartitionInput(units, [Community]);
        var result = GridPartitioner.Partition(input);

        Assert.All(result.Grids, g => Assert.InRange(g.Households, 200, 300));
        Assert.Equal(result.Grids.Count, result.Report.InBand);
        AssertSeamless(result);
        AssertEveryUnitOnce(input, result);
        Assert.Equal(Enumerable.Range(1, result.Grids.Count).Select(i => $"520304001001{i:000}"), result.Grids.Select(g => g.Code).Order());
        // West to east: grid 001 holds b0.
        Assert.Contains("b0", result.Grids.Single(g => g.Code == "520304001001001").UnitIds);
    }

    [Fact]
    public void An_oversized_building_without_units_is_split_into_synthesised_stairwells()
    {
        var units = new List<PartitionUnit> { Building("big", 420, 100, 200), Building("a", 120, 300, 200), Building("b", 130, 450, 200) };
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community]));

        // 420 households → 10 stairwells of 42 (9 of 46–47 could not make two grids of 200 on their own); grids take
        // whole ones, and nothing is infeasible.
        var stairs = result.Grids.SelectMany(g => g.UnitIds).Where(id => id.StartsWith("big/", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, stairs.Count);
        Assert.Empty(result.Report.InfeasibleUnits);
        Assert.DoesNotContain(result.Report.OutOfBand, o => o.Reason == "oversized_unit");
        Assert.Equal(670, result.Grids.Sum(g => g.Households));
        var split = Assert.Single(result.Report.SplitBuildings);
        Assert.True(split.Synthesised);
        Assert.Equal(10, split.Units);
        AssertSeamless(result);
    }

    [Fact]
    public void An_oversized_building_with_stairwells_is_split_by_whole_stairwells()
    {
        var units = new List<PartitionUnit>
        {
            Building("tower", 480, 300, 200, units: [new("1", 240), new("2", 240)]),
        };
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community]));
        Assert.Equal(2, result.Grids.Count);
        Assert.All(result.Grids, g => Assert.Equal(240, g.Households));
        Assert.Equal(["tower/1", "tower/2"], result.Grids.SelectMany(g => g.UnitIds).Order());
        Assert.Empty(result.Report.InfeasibleUnits);
        AssertSeamless(result);
    }

    [Fact]
    public void A_large_compound_without_buildings_is_divided_into_grids_of_its_own()
    {
        var compound = new PartitionCompound("yangguang", Box(50, 50, 450, 350), 1000);
        var outside = new List<PartitionUnit> { Building("o1", 110, 520, 100), Building("o2", 120, 520, 300) };
        var input = new PartitionInput(outside, [Community], [compound]);
        var result = GridPartitioner.Partition(input);

        var inside = result.Grids.Where(g => g.UnitIds.Any(id => id.StartsWith("yangguang", StringComparison.Ordinal))).ToList();
        Assert.Equal(4, inside.Count);
        Assert.All(inside, g => Assert.InRange(g.Households, 240, 260));
        Assert.All(inside, g => Assert.DoesNotContain(g.UnitIds, id => id.StartsWith('o')));
        Assert.Equal(1, result.Report.SplitCompounds);
        AssertSeamless(result);
        AssertEveryUnitOnce(input, result);
    }

    [Fact]
    public void Small_neighbouring_compounds_are_grouped_and_never_split()
    {
        var compounds = new List<PartitionCompound>
        {
            new("c1", Box(20, 20, 180, 380)), new("c2", Box(200, 20, 380, 380)), new("c3", Box(400, 20, 580, 380)),
        };
        var units = new List<PartitionUnit>();
        foreach (var (c, x) in new[] { ("c1", 100.0), ("c2", 290.0), ("c3", 490.0) })
            for (var j = 0; j < 3; j++) units.Add(Building($"{c}-{j}", 25 + j * 5, x, 80 + j * 100, c));
        var input = new PartitionInput(units, [Community], compounds);
        var result = GridPartitioner.Partition(input);

        foreach (var c in compounds)
            Assert.Single(result.Grids, g => g.UnitIds.Any(id => id.StartsWith(c.Id + "-", StringComparison.Ordinal)));
        Assert.Equal(0, result.Report.SplitCompounds);
        Assert.Single(result.Grids);
        Assert.Equal(270, result.Grids[0].Households);
        AssertSeamless(result);
    }

    [Fact]
    public void The_boundary_between_two_grids_follows_the_road_between_them()
    {
        // Two blocks of 250 households either side of a road at x = 300, with buildings closer across the road than within.
        var units = new List<PartitionUnit>();
        for (var j = 0; j < 5; j++)
        {
            units.Add(Building($"w{j}", 50, 280, 40 + j * 80));
            units.Add(Building($"e{j}", 50, 320, 40 + j * 80));
        }
        var road = LonLat(Metric.CreateLineString([new Coordinate(300, -10), new Coordinate(300, 410)]));
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community], Barriers: [road]));

        Assert.Equal(2, result.Grids.Count);
        var west = result.Grids.Single(g => g.UnitIds.Contains("w0"));
        Assert.All(Enumerable.Range(0, 5), j => Assert.Contains($"w{j}", west.UnitIds));
        var shared = Zone.Project(west.Polygon).Intersection(Zone.Project(result.Grids.Single(g => g != west).Polygon));
        var roadMetric = Zone.Project(road);
        Assert.True(shared.Length > 350, $"shared boundary {shared.Length} m");
        Assert.True(new NetTopologySuite.Algorithm.Distance.DiscreteHausdorffDistance(shared, roadMetric.Intersection(Zone.Project(Community.Polygon))).Distance() < 1.0);
    }

    [Fact]
    public void An_area_below_the_minimum_is_one_grid_with_that_reason()
    {
        var units = new List<PartitionUnit> { Building("a", 70, 100, 100), Building("b", 80, 300, 300) };
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community]));
        var grid = Assert.Single(result.Grids);
        Assert.Equal(150, grid.Households);
        Assert.Equal(OutOfBandReason.AreaBelowMin, grid.Reason);
        Assert.Equal("area_below_min", Assert.Single(result.Report.OutOfBand).Reason);
        AssertSeamless(result);
    }

    [Fact]
    public void Without_areas_the_units_form_one_area_with_codes_of_the_other_form()
    {
        var units = Enumerable.Range(0, 4).Select(i => Building($"b{i}", 125, 50 + i * 60, 50)).ToList();
        var result = GridPartitioner.Partition(new PartitionInput(units));
        Assert.Equal(2, result.Grids.Count);
        Assert.All(result.Grids, g => Assert.Matches(@"^AREA-00\d$", g.Code));
        AssertSeamless(result);
    }

    static List<PartitionUnit> Town(int seed)
    {
        var random = new Random(seed);
        var units = new List<PartitionUnit>();
        for (var i = 0; i < 10; i++)
            for (var j = 0; j < 6; j++)
                units.Add(Building($"b{i}-{j}", random.Next(40, 90), 30 + i * 58, 30 + j * 64));
        return units;
    }

    static IReadOnlyList<ExistingGrid> AsExisting(PartitionResult result) =>
        result.Grids.Select(g => new ExistingGrid(g.Code, g.Polygon, g.UnitIds, g.Households)).ToList();

    [Fact]
    public void A_re_run_on_unchanged_input_keeps_every_grid_and_code()
    {
        var units = Town(7);
        var first = GridPartitioner.Partition(new PartitionInput(units, [Community]));
        var again = GridPartitioner.Partition(new PartitionInput(units, [Community], Existing: AsExisting(first)));

        Assert.Equal(0, again.Report.Churn);
        Assert.Equal(first.Grids.Select(g => (g.Code, string.Join(",", g.UnitIds.Order()))).Order(),
                     again.Grids.Select(g => (g.Code, string.Join(",", g.UnitIds.Order()))).Order());
    }

    [Fact]
    public void When_households_change_few_buildings_move_codes_stay_and_new_grids_take_the_next_number()
    {
        var units = Town(11);
        var first = GridPartitioner.Partition(new PartitionInput(units, [Community]));
        Assert.Equal(first.Grids.Count, first.Report.InBand);

        // One grid gains 150 households in one building: it must shed or split, the rest stays.
        var grown = first.Grids.OrderBy(g => g.Code).First();
        var changedId = grown.UnitIds[0];
        var changed = units.Select(u => u.Id == changedId ? u with { Households = u.Households + 150 } : u).ToList();
        var second = GridPartitioner.Partition(new PartitionInput(changed, [Community], Existing: AsExisting(first)));

        Assert.Equal(second.Grids.Count, second.Report.InBand);
        Assert.NotNull(second.Report.Churn);
        Assert.True(second.Report.Churn <= 12, $"churn {second.Report.Churn} of {units.Count}");
        var kept = second.Grids.Select(g => g.Code).Intersect(first.Grids.Select(g => g.Code)).Count();
        Assert.True(kept >= first.Grids.Count - 1, $"{kept} of {first.Grids.Count} codes kept");
        // Grids far from the change are untouched.
        var untouched = first.Grids.Count(f => second.Grids.Any(s => s.Code == f.Code && s.UnitIds.Order().SequenceEqual(f.UnitIds.Order())));
        Assert.True(untouched >= first.Grids.Count - 3, $"{untouched} of {first.Grids.Count} grids unchanged");
        var maxOld = first.Grids.Max(g => int.Parse(g.Code[12..]));
        Assert.All(second.Grids.Where(g => !first.Grids.Any(f => f.Code == g.Code)), g => Assert.True(int.Parse(g.Code[12..]) > maxOld));
        AssertSeamless(second);
    }

    [Fact]
    public void Two_blocks_with_a_heavy_block_between_them_are_joined_through_a_corner_of_its_land()
    {
        // 180 | 150 | 40 in a row: no two neighbours fit in 200–300, but 180 + 40 does, through the middle block's land.
        var units = new[] { Building("a", 180, 50, 50), Building("b", 150, 150, 50), Building("c", 40, 250, 50) };
        var input = new PartitionInput(units, [new PartitionArea("520304001001", Box(0, 0, 300, 100))]);

        var result = GridPartitioner.Partition(input);

        var joined = Assert.Single(result.Grids, g => g.UnitIds.Order().SequenceEqual(["a", "c"]));
        Assert.Equal(220, joined.Households);
        Assert.IsType<Polygon>(joined.Polygon);
        var middle = Assert.Single(result.Grids, g => g.UnitIds.SequenceEqual(["b"]));
        Assert.True(middle.Polygon.Covers(units[1].Geometry), "the middle block keeps its building");
        Assert.Equal(1, result.Report.InBand);
        Assert.Equal("no_contiguous_fit", Assert.Single(result.Report.OutOfBand).Reason);
        AssertSeamless(result);
        AssertEveryUnitOnce(input, result);
    }

    [Fact]
    public void A_campus_becomes_one_dedicated_grid_and_basic_grids_share_the_rest()
    {
        // 600 × 400 m: a 200 × 200 m campus in the east with a teaching building on it; ten houses of 50 in the west.
        var units = Enumerable.Range(0, 10).Select(k => Building($"h{k}", 50, 40 + k % 5 * 70, 100 + k / 5 * 200)).ToList();
        units.Add(Building("teach", 0, 500, 200));
        var campus = new PartitionSpecialArea("w1", "university", "某大学", Box(400, 100, 600, 300));
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community]) { SpecialAreas = [campus] });

        var dedicated = Assert.Single(result.Grids, g => g.Type == "dedicated");
        Assert.Equal(campus, dedicated.Special);
        Assert.Equal(["teach"], dedicated.UnitIds);
        Assert.InRange(MetricProjection.For(dedicated.Polygon).AreaM2(dedicated.Polygon), 39_990, 40_010);
        Assert.All(result.Grids.Where(g => g.Type == "basic"), g => Assert.InRange(g.Households, 200, 300));
        Assert.Equal(1, result.Report.Dedicated);
        Assert.Equal(result.Grids.Count - 1, result.Report.InBand);
        Assert.Empty(result.Report.OutOfBand);
        Assert.All(result.Grids, g => Assert.StartsWith("520304001001", g.Code));
        Assert.Equal(result.Grids.Count, result.Grids.Select(g => g.Code).Distinct().Count());
        AssertSeamless(result);
    }

    [Fact]
    public void An_area_that_holds_no_households_is_one_dedicated_grid()
    {
        var units = new List<PartitionUnit> { Building("shed", 0, 100, 100) };
        var result = GridPartitioner.Partition(new PartitionInput(units, [Community]));
        var grid = Assert.Single(result.Grids);
        Assert.Equal("dedicated", grid.Type);
        Assert.Equal("other", grid.Special!.Kind);
        Assert.Empty(result.Report.OutOfBand);
        AssertSeamless(result);
    }

    [Fact]
    public void An_area_with_nobody_in_it_is_a_dedicated_grid_of_its_own_outline()
    {
        var empty = new PartitionArea("520304001002", Box(600, 0, 900, 400));
        var result = GridPartitioner.Partition(new PartitionInput([Building("h", 250, 300, 200)], [Community, empty]));

        var grid = Assert.Single(result.Grids, g => g.Area == empty.Code);
        Assert.Equal("dedicated", grid.Type);
        // Nothing was cut from it: the grid is the area's own outline, vertex for vertex.
        var (gridShape, areaShape) = (grid.Polygon.Copy(), empty.Polygon.Copy());
        gridShape.Normalize();
        areaShape.Normalize();
        Assert.True(gridShape.EqualsExact(areaShape, 1e-9));
        Assert.Equal((0.0, 0.0), (result.Report.GapM2, result.Report.OverlapM2));
    }
}
