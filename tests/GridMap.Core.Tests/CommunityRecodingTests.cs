using GridMap.Core.Areas;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

/// <summary>Real communities over provisional ones: which grids are re-coded, kept or straddle; geometry in, plan out.</summary>
public class CommunityRecodingTests
{
    static readonly MetricProjection Zone = ChengduMetres.Zone;
    static readonly GeometryFactory F = ChengduMetres.F;

    static Coordinate At(double x, double y) => ChengduMetres.At(x, y);

    static Polygon Square(double x0, double y0, double x1, double y1) => ChengduMetres.Square(x0, y0, x1, y1);

    const string P = "990001901901";
    const string R = "510106001001";

    /// <summary>A provisional community 1,200 × 400 m holding three grids of 400 m side by side, west to east.</summary>
    static readonly RecodingGrid[] Grids =
    [
        new(P + "001", P, Square(0, 0, 400, 400)),
        new(P + "002", P, Square(400, 0, 800, 400)),
        new(P + "003", P, Square(800, 0, 1200, 400)),
    ];

    static readonly RecodingArea Provisional = new(P, Square(0, 0, 1200, 400));

    [Fact]
    public void A_grid_wholly_inside_is_recoded_with_the_next_free_code_a_straddling_one_is_listed_and_the_rest_stays()
    {
        // The real community covers the west half: grid 1 wholly, grid 2 half. Its sequence 001 was used once (retired).
        var plan = CommunityRecoding.Plan([new RecodingArea(R, Square(0, 0, 600, 400))], [Provisional], Grids, [R + "001", .. Grids.Select(g => g.Code)]);

        Assert.Equal([new RecodedGrid(P + "001", R + "002", R)], plan.Recoded);
        Assert.Equal([P + "003"], plan.Kept);
        var straddling = Assert.Single(plan.Straddling);
        Assert.Equal(P + "002", straddling.Code);
        Assert.Equal([R, P], straddling.Shares.Select(s => s.Community).Order(StringComparer.Ordinal));
        Assert.All(straddling.Shares, s => Assert.Equal(0.5, s.Share, 2));

        // The provisional community keeps the land the real one leaves; each community re-partitions its half of grid 2.
        var clipped = Assert.Single(plan.ClippedProvisional);
        Assert.Equal(600 * 400, Zone.AreaM2(clipped.Polygon), 1.0);
        Assert.Empty(plan.RemovedProvisional);
        Assert.Equal([R, P], plan.Repartition.Select(a => a.Community).Order(StringComparer.Ordinal));
        Assert.All(plan.Repartition, a => Assert.Equal(200 * 400, Zone.AreaM2(a.Polygon), 1.0));
        Assert.All(plan.Repartition, a => Assert.Equal([P + "002"], a.FromGrids));
    }

    [Fact]
    public void Real_communities_covering_a_provisional_one_remove_it_and_a_few_metres_of_offset_still_count_as_wholly_inside()
    {
        // Two real communities drawn by hand, 2 m off the provisional edges: grids stay whole within 1 %.
        var west = new RecodingArea("510106001001", Square(-2, -2, 402, 402));
        var east = new RecodingArea("510106001002", Square(402, -2, 1202, 402));
        var plan = CommunityRecoding.Plan([west, east], [Provisional], Grids, Grids.Select(g => g.Code));

        Assert.Equal([P], plan.RemovedProvisional);
        Assert.Empty(plan.ClippedProvisional);
        Assert.Empty(plan.Straddling);
        Assert.Equal(
            [new RecodedGrid(P + "001", "510106001001001", west.Code), new RecodedGrid(P + "002", "510106001002001", east.Code), new RecodedGrid(P + "003", "510106001002002", east.Code)],
            plan.Recoded);
    }

    [Fact]
    public void A_real_community_elsewhere_changes_nothing()
    {
        var plan = CommunityRecoding.Plan([new RecodingArea(R, Square(5000, 0, 6000, 400))], [Provisional], Grids, Grids.Select(g => g.Code));
        Assert.False(plan.ChangesAnything);
        Assert.Equal(Grids.Select(g => g.Code), plan.Kept);
    }

    [Fact]
    public void New_codes_follow_reading_order_after_every_code_taken()
    {
        var codes = CommunityRecoding.NextCodes(R, [Square(400, 0, 800, 400), Square(0, 500, 400, 900), Square(0, 0, 400, 400)], [R + "001", R + "007", "510106001002009"]);
        // North first, then west to east.
        Assert.Equal([R + "010", R + "008", R + "009"], codes);
    }
}
