using GridMap.Core.Editing;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using Xunit;

namespace GridMap.Core.Tests;

/// <summary>Assign and rebalance on small hand-made communities: geometry in, grids out.</summary>
public sealed class GridEditTests
{
    static readonly GeometryFactory F = GeometryRules.Factory;
    const double X0 = 106.9, Y0 = 27.7, Step = 0.0004; // about 40 m
    const string Community = "520304001001";

    /// <summary>
    /// A community of <paramref name="cols"/>×<paramref name="rows"/> buildings of <paramref name="households"/> each, in
    /// two grids: the west half (…001) and the east half (…002).
    /// </summary>
    static GridSet TwoGrids(int cols = 6, int rows = 4, int households = 20)
    {
        var buildings = new List<EditBuilding>();
        var west = new List<string>();
        var east = new List<string>();
        for (var c = 0; c < cols; c++)
            for (var r = 0; r < rows; r++)
            {
                var id = $"b{c}{r}";
                double x = X0 + (c + 0.5) * Step, y = Y0 + (r + 0.5) * Step, h = Step / 6;
                buildings.Add(new EditBuilding(id, households, Box(x - h, y - h, x + h, y + h)));
                (c < cols / 2 ? west : east).Add(id);
            }
        var mid = X0 + cols / 2 * Step;
        return new GridSet(
        [
            new EditGrid(Community + "001", Community, Box(X0, Y0, mid, Y0 + rows * Step), west, west.Count * households),
            new EditGrid(Community + "002", Community, Box(mid, Y0, X0 + cols * Step, Y0 + rows * Step), east, east.Count * households),
        ], buildings);
    }

    static Polygon Box(double x0, double y0, double x1, double y1) =>
        (Polygon)GeometryRules.OrientForRfc7946(F.CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]));

    static double AreaM2(Geometry g) => g.IsEmpty ? 0 : MetricProjection.For(g).AreaM2(g);

    static Geometry UnionOf(GridSet set) => NetTopologySuite.Operation.OverlayNG.UnaryUnionNG.Union(
        F.BuildGeometry(set.Grids.Where(g => !g.IsRetired).Select(g => g.Polygon).ToList()), new PrecisionModel(1e7));

    static void AssertTiled(GridSet set, Geometry before)
    {
        var grids = set.Grids.Where(g => !g.IsRetired && !g.Polygon.IsEmpty).ToList();
        double overlap = 0;
        for (var i = 0; i < grids.Count; i++)
            for (var j = i + 1; j < grids.Count; j++)
                overlap += AreaM2(grids[i].Polygon.Intersection(grids[j].Polygon));
        Assert.True(overlap < 1, $"grids overlap by {overlap:0.###} m²");
        var after = UnionOf(set);
        var gap = AreaM2(before.Difference(after)) + AreaM2(after.Difference(before));
        Assert.True(gap < 1, $"the union changed by {gap:0.###} m²");
        foreach (var g in grids) Assert.True(g.Polygon.IsValid, $"{g.Code} is not valid");
    }

    [Fact]
    public void Moving_a_building_moves_its_households_and_land_and_nothing_else()
    {
        var set = TwoGrids();
        var before = UnionOf(set);
        // b20 is the west grid's building next to the boundary.
        var created = GridReassignment.Apply(set, [new Move("b20", Community + "002")], _ => true);

        Assert.Empty(created);
        var west = set.Grid(Community + "001")!;
        var east = set.Grid(Community + "002")!;
        Assert.Equal(220, west.Households);
        Assert.Equal(260, east.Households);
        Assert.DoesNotContain("b20", west.UnitIds);
        Assert.Contains("b20", east.UnitIds);
        var at = set.Buildings["b20"].Geometry.InteriorPoint;
        Assert.True(east.Polygon.Covers(at));
        Assert.False(west.Polygon.Covers(at));
        Assert.IsType<Polygon>(east.Polygon); // it borders the east grid: still one piece
        Assert.Equal([Community + "001", Community + "002"], set.Touched.Order());
        AssertTiled(set, before);
        // The moved land is about one building's territory (40 m × 40 m), not more.
        Assert.InRange(AreaM2(east.Polygon) - AreaM2(before) / 2, 1000, 2500);
    }

    [Fact]
    public void A_null_grid_splits_a_selection_into_one_new_grid_with_the_next_code()
    {
        var set = TwoGrids();
        var before = UnionOf(set);
        var created = GridReassignment.Apply(set, [new Move("b00", null), new Move("b01", null), new Move("b10", null)], _ => true);

        var code = Assert.Single(created);
        Assert.Equal(Community + "003", code);
        var grid = set.Grid(code)!;
        Assert.Equal(60, grid.Households);
        Assert.Equal(180, set.Grid(Community + "001")!.Households);
        Assert.True(grid.Polygon.Covers(set.Buildings["b01"].Geometry.InteriorPoint));
        AssertTiled(set, before);
    }

    [Fact]
    public void Merging_a_grid_retires_it_and_its_code_is_not_reused()
    {
        var set = TwoGrids();
        var before = UnionOf(set);
        var west = set.Grid(Community + "001")!;
        GridReassignment.Apply(set, west.UnitIds.Select(b => new Move(b, Community + "002")).ToList(), _ => true);

        var retired = set.Grid(Community + "001")!;
        Assert.True(retired.IsRetired);
        Assert.Equal(0, retired.Households);
        Assert.Equal(480, set.Grid(Community + "002")!.Households);
        AssertTiled(set, before);
        // A later split takes 003, not the retired 001.
        var created = GridReassignment.Apply(set, [new Move("b50", null)], _ => true);
        Assert.Equal([Community + "003"], created);
    }

    [Fact]
    public void A_building_moved_to_a_grid_it_does_not_border_makes_that_grid_noncontiguous()
    {
        var set = TwoGrids(cols: 6);
        GridReassignment.Apply(set, [new Move("b00", Community + "002")], _ => true);
        var east = set.Grid(Community + "002")!;
        Assert.IsType<MultiPolygon>(east.Polygon);
        var warnings = GridWarnings.For(set, set.Touched, _ => new Bounds(200, 300, 250));
        Assert.Contains(warnings, w => w.Code == "noncontiguous" && w.Grid == east.Code);
        Assert.DoesNotContain(warnings, w => w.Code is "below_band" or "above_band"); // 220 and 260 are in band
    }

    [Fact]
    public void Moves_across_real_communities_and_into_retired_grids_are_refused()
    {
        var set = TwoGrids();
        var other = "520304001002";
        set.Put(new EditGrid(other + "001", other, Box(X0, Y0 - Step, X0 + Step, Y0), [], 0));
        var e = Assert.Throws<EditRefusedException>(() => GridReassignment.Apply(set, [new Move("b00", other + "001")], _ => true));
        Assert.Equal("cross_community", e.Code);
        // Provisional communities move their edge instead.
        GridReassignment.Apply(set, [new Move("b00", other + "001")], c => c != other);
        Assert.Contains("b00", set.Grid(other + "001")!.UnitIds);

        var unknown = Assert.Throws<EditRefusedException>(() => GridReassignment.Apply(set, [new Move("nope", Community + "001")], _ => true));
        Assert.Equal("not_found", unknown.Code);
        Assert.Equal(0, unknown.Index);
    }

    [Fact]
    public void Rebalance_brings_two_unbalanced_grids_back_into_band_keeping_their_codes()
    {
        // 6×4 buildings of 20: move a column so the west grid holds 160 and the east 320, then rebalance.
        var set = TwoGrids();
        var before = UnionOf(set);
        GridReassignment.Apply(set, new[] { "b20", "b21", "b22", "b23" }.Select(b => new Move(b, Community + "002")).ToList(), _ => true);
        Assert.Equal(160, set.Grid(Community + "001")!.Households);

        var created = GridRebalance.Apply(set, [Community + "001"], neighbours: true, new Bounds(200, 300, 240));
        Assert.Empty(created);
        var grids = set.Grids.Where(g => !g.IsRetired).ToList();
        Assert.Equal(2, grids.Count);
        Assert.All(grids, g => Assert.InRange(g.Households, 200, 300));
        Assert.Equal(480, grids.Sum(g => g.Households));
        Assert.Equal([Community + "001", Community + "002"], grids.Select(g => g.Code).Order());
        AssertTiled(set, before);
    }

    [Fact]
    public void Neighbours_are_the_grids_that_share_boundary()
    {
        var set = TwoGrids();
        set.Put(new EditGrid(Community + "009", Community, Box(X0 + 0.01, Y0, X0 + 0.011, Y0 + 0.001), [], 0));
        Assert.Equal([Community + "002"], GridRebalance.Neighbours(set, [Community + "001"]));
    }

    /// <summary>The two grids with b20 a tower of 6 stairwells of 20, all in the west grid (held whole as "b20").</summary>
    static GridSet TwoGridsWithTower()
    {
        var set = TwoGrids();
        var tower = set.Buildings["b20"] with { Households = 120, Units = Enumerable.Range(1, 6).Select(i => new GridMap.Core.Model.BuildingUnit($"S{i}", 20)).ToList() };
        var buildings = set.Buildings.Values.Select(b => b.Id == "b20" ? tower : b).ToList();
        var grids = set.Grids.Select(g => g with { Households = g.UnitIds.Sum(id => buildings.Single(b => b.Id == id).Households) }).ToList();
        return new GridSet(grids, buildings);
    }

    [Fact]
    public void Moving_one_stairwell_moves_its_households_and_its_strip_of_the_building()
    {
        var set = TwoGridsWithTower();
        var before = UnionOf(set);
        var west0 = set.Grid(Community + "001")!.Households;
        var east0 = set.Grid(Community + "002")!.Households;
        GridReassignment.Apply(set, [new Move("b20", Community + "002", "S6"), new Move("b20", Community + "002", "S5")], _ => true);

        var west = set.Grid(Community + "001")!;
        var east = set.Grid(Community + "002")!;
        Assert.Equal(west0 - 40, west.Households);
        Assert.Equal(east0 + 40, east.Households);
        Assert.Equal(["b20/S1", "b20/S2", "b20/S3", "b20/S4"], west.UnitIds.Where(id => id.StartsWith("b20", StringComparison.Ordinal)).Order());
        Assert.Equal(["b20/S5", "b20/S6"], east.UnitIds.Where(id => id.StartsWith("b20", StringComparison.Ordinal)).Order());
        Assert.Equal([Community + "001", Community + "002"], set.GridsOf("b20").Order());
        // The building's footprint is shared: each grid covers part of it.
        var footprint = set.Buildings["b20"].Geometry;
        Assert.True(AreaM2(east.Polygon.Intersection(footprint)) > 0.1 * AreaM2(footprint));
        Assert.True(AreaM2(west.Polygon.Intersection(footprint)) > 0.1 * AreaM2(footprint));
        AssertTiled(set, before);
    }

    [Fact]
    public void Moving_the_whole_building_afterwards_gathers_its_stairwells()
    {
        var set = TwoGridsWithTower();
        var before = UnionOf(set);
        var total = set.Grids.Sum(g => g.Households);
        GridReassignment.Apply(set, [new Move("b20", Community + "002", "S1")], _ => true);
        GridReassignment.Apply(set, [new Move("b20", Community + "001")], _ => true);
        Assert.Equal(["b20"], set.Grid(Community + "001")!.UnitIds.Where(id => id.StartsWith("b20", StringComparison.Ordinal)));
        Assert.DoesNotContain(set.Grid(Community + "002")!.UnitIds, id => id.StartsWith("b20", StringComparison.Ordinal));
        Assert.Equal(total, set.Grids.Sum(g => g.Households));
        AssertTiled(set, before);
    }

    [Fact]
    public void An_unknown_stairwell_or_a_building_moved_whole_and_by_stairwell_is_refused()
    {
        var set = TwoGridsWithTower();
        Assert.Equal("not_found", Assert.Throws<EditRefusedException>(() => GridReassignment.Apply(set, [new Move("b20", Community + "002", "S9")], _ => true)).Code);
        Assert.Equal("not_found", Assert.Throws<EditRefusedException>(() => GridReassignment.Apply(set, [new Move("b00", Community + "002", "S1")], _ => true)).Code);
        Assert.Equal("duplicate", Assert.Throws<EditRefusedException>(() =>
            GridReassignment.Apply(set, [new Move("b20", Community + "002", "S1"), new Move("b20", Community + "002")], _ => true)).Code);
        Assert.Empty(set.Touched); // refused before anything changed
    }
}
