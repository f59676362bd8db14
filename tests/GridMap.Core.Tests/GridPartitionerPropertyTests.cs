using CsCheck;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Random cities, every invariant on every run.</summary>
public class GridPartitionerPropertyTests
{
    static readonly MetricProjection Zone = MetricProjection.ForLongitude(106.83);
    static readonly Coordinate Origin = Zone.Project(new Coordinate(106.83, 27.54));
    static readonly GeometryFactory Metric = new();
    static readonly Bounds Band = new();

    static Point At(double x, double y)
    {
        var p = Zone.Unproject(Metric.CreatePoint(new Coordinate(Origin.X + x, Origin.Y + y)));
        p.SRID = 4326;
        return p;
    }

    static Geometry Box(double w, double h) =>
        Zone.Unproject(Metric.ToGeometry(new Envelope(Origin.X - 60, Origin.X + w + 60, Origin.Y - 60, Origin.Y + h + 60)));

    /// <summary>
    /// Clusters of 2–4 buildings on a jittered lattice 200 m apart, each cluster summing to 210–290 households:
    /// a valid partition exists by construction.
    /// </summary>
    static PartitionInput Planted(int cols, int rows, int seed)
    {
        var r = new Random(seed);
        var units = new List<PartitionUnit>();
        for (var i = 0; i < cols; i++)
            for (var j = 0; j < rows; j++)
            {
                var total = r.Next(210, 291);
                var parts = r.Next(2, 5);
                var cx = i * 200 + r.Next(-20, 21);
                var cy = j * 200 + r.Next(-20, 21);
                var left = total;
                for (var k = 0; k < parts; k++)
                {
                    var h = k == parts - 1 ? left : Math.Max(1, left / (parts - k) + r.Next(-10, 11));
                    left -= h;
                    units.Add(new PartitionUnit($"c{i}-{j}-{k}", h, At(cx + (k % 2) * 30, cy + (k / 2) * 30)));
                }
            }
        return new PartitionInput(units, [new PartitionArea("520304001001", Box(cols * 200 - 200, rows * 200 - 200))]);
    }

    [Fact]
    public void A_planted_city_that_needs_a_long_chain_of_rebalanced_grids_comes_back_all_in_band()
    {
        // Found by the property test below (CsCheck seed 8pXKDuNW9Bj2): a 95-household building was left alone, and only
        // re-balancing about ten grids in a row brings it into band. Small areas now get the deep repair for that.
        var result = GridPartitioner.Partition(Planted(6, 5, 780198));
        Assert.Equal(result.Grids.Count, result.Report.InBand);
    }

    [Fact]
    public void Cities_planted_from_a_valid_partition_come_back_all_in_band()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 6], Gen.Int[0, 1_000_000]).Sample((cols, rows, seed) =>
        {
            var input = Planted(cols, rows, seed);
            var result = GridPartitioner.Partition(input);
            Assert.Equal(result.Grids.Count, result.Report.InBand);
            Assert.True(result.Report.GapM2 < 1 && result.Report.OverlapM2 < 1);
        }, iter: 25);
    }

    [Fact]
    public void On_arbitrary_cities_every_grid_outside_the_band_has_a_reason_that_holds()
    {
        Gen.Select(Gen.Int[1, 60], Gen.Int[0, 1_000_000], Gen.Int[0, 2]).Sample((count, seed, flavour) =>
        {
            var r = new Random(seed);
            var units = Enumerable.Range(0, count).Select(i => new PartitionUnit($"u{i}",
                flavour switch { 0 => r.Next(0, 120), 1 => r.Next(20, 320), _ => r.Next(10) == 0 ? r.Next(300, 600) : r.Next(1, 200) },
                At(r.Next(0, 800), r.Next(0, 600)))).ToList();
            var area = new PartitionArea("520304001001", Box(800, 600));
            var input = new PartitionInput(units, [area]);
            var result = GridPartitioner.Partition(input);

            // Every unit in exactly one grid (a block above the band by whole synthesised stairwells); households add up.
            var ids = result.Grids.SelectMany(g => g.UnitIds).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(units.Select(u => u.Id).Order(), ids.Select(id => id.Split('/')[0]).Distinct().Order());
            Assert.Equal(units.Sum(u => u.Households), result.Grids.Sum(g => g.Households));
            Assert.True(result.Report.GapM2 < 1 && result.Report.OverlapM2 < 1, $"gap {result.Report.GapM2} overlap {result.Report.OverlapM2}");

            var total = units.Sum(u => u.Households);
            foreach (var g in result.Grids.Where(g => !Band.Contains(g.Households)))
            {
                switch (g.Reason)
                {
                    case OutOfBandReason.OversizedUnit:
                        // One place: a single unit, or units generated on the same point (one atom nothing can divide).
                        var places = g.UnitIds.Select(id => units.Single(u => u.Id == id.Split('/')[0]).Geometry.Coordinate).Distinct().ToList();
                        Assert.Single(places);
                        Assert.True(g.Households > Band.Max);
                        if (g.UnitIds.Count == 1) Assert.Contains(g.UnitIds[0], result.Report.InfeasibleUnits);
                        break;
                    case OutOfBandReason.AreaBelowMin:
                        Assert.True(total < Band.Min);
                        break;
                    case OutOfBandReason.NoContiguousFit:
                        Assert.True(total >= Band.Min);
                        break;
                    default:
                        Assert.Fail($"grid {g.Code} with {g.Households} households has no reason");
                        break;
                }
            }
            Assert.Equal(result.Grids.Count(g => !Band.Contains(g.Households)), result.Report.OutOfBand.Count);
        }, iter: 40);
    }
}
