using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>
/// High-rise estates with one point per block and no stairwell data (as public-housing registers give them): blocks
/// above the band are split into synthesised stairwells of about 50 households, and grids take whole ones.
/// </summary>
public class TowerBlockTests
{
    static readonly MetricProjection Zone = MetricProjection.ForLongitude(104.07);
    static readonly Coordinate Origin = Zone.Project(new Coordinate(104.07, 30.66));
    static readonly GeometryFactory LonLat = new(new PrecisionModel(), 4326);

    static Point At(double x, double y) => LonLat.CreatePoint(Zone.Unproject(new Coordinate(Origin.X + x, Origin.Y + y)));

    static Polygon Box(double w, double h) => (Polygon)Zone.Unproject(new GeometryFactory().ToGeometry(
        new Envelope(Origin.X - 30, Origin.X + w, Origin.Y - 30, Origin.Y + h)));

    /// <summary>An estate of <paramref name="n"/>×<paramref name="n"/> point blocks 70 m apart, 300–1,000 households each (seeded).</summary>
    public static PartitionInput Estate(int n, int seed)
    {
        var random = new Random(seed);
        var units = new List<PartitionUnit>();
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                units.Add(new PartitionUnit($"blk{i:00}{j:00}", random.Next(300, 1001), At(i * 70, j * 70)));
        return new PartitionInput(units, [new PartitionArea("EST", Box((n - 1) * 70 + 30, (n - 1) * 70 + 30))]);
    }

    [Fact]
    public void A_533_flat_block_becomes_11_stairwells_and_two_grids_of_about_266()
    {
        var input = new PartitionInput([new PartitionUnit("blk", 533, At(0, 0))], [new PartitionArea("EST", Box(30, 30))]);
        var result = GridPartitioner.Partition(input);
        Assert.Equal(2, result.Grids.Count);
        Assert.All(result.Grids, g => Assert.InRange(g.Households, 240, 293));
        Assert.Equal(533, result.Grids.Sum(g => g.Households));
        Assert.Equal(11, result.Grids.Sum(g => g.UnitIds.Count));
        Assert.All(result.Grids.SelectMany(g => g.UnitIds), id => Assert.Matches("^blk/S([1-9]|1[01])$", id));
        var split = Assert.Single(result.Report.SplitBuildings);
        Assert.Equal(new[] { "blk", "533", "11", "True" }, new[] { split.Id, split.Households.ToString(), split.Units.ToString(), split.Synthesised.ToString() });
        Assert.Equal(result.Grids.Select(g => g.Code).OrderBy(c => c), split.Grids.OrderBy(c => c));
        Assert.Empty(result.Report.InfeasibleUnits);
    }

    /// <summary>
    /// The issue's target: 90 % in band. Measured 94–98 % (6×6 and 8×8, seeds 1–3) since a block gets as many synthesised
    /// stairwells as it needs to make grids on its own (a 420-household block 10, not 9); before, 8×8 estates came out
    /// 86–88 %, and before stairwells were synthesised at all under 10 %.
    /// </summary>
    [Theory]
    [InlineData(6, 1, 0.9)]
    [InlineData(6, 2, 0.9)]
    [InlineData(8, 1, 0.9)]
    [InlineData(8, 2, 0.9)]
    [InlineData(8, 3, 0.9)]
    public void An_estate_of_300_to_1000_household_blocks_is_mostly_in_band(int n, int seed, double share)
    {
        var input = Estate(n, seed);
        var result = GridPartitioner.Partition(input);
        Assert.Equal(input.Units.Sum(u => u.Households), result.Grids.Sum(g => g.Households));
        Assert.True(result.Report.InBand >= share * result.Report.Grids,
            $"{result.Report.InBand} of {result.Report.Grids} in band; out: {string.Join(", ", result.Report.OutOfBand.Select(o => $"{o.Households} {o.Reason}"))}");
        Assert.Equal(0, result.Report.Noncontiguous);
        Assert.True(result.Report.GapM2 < 1 && result.Report.OverlapM2 < 1);
        Assert.NotEmpty(result.Report.SplitBuildings);
        // Every stairwell of a block is in exactly one grid.
        var ids = result.Grids.SelectMany(g => g.UnitIds).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
