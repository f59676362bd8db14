using GridMap.Core.Network;
using NetTopologySuite.Geometries;
using static GridMap.Core.Tests.Plane;

namespace GridMap.Core.Tests;

/// <summary>Siting new stations: which candidates are chosen, what they gain, and the bounds reported beside them.</summary>
public class StationSitingTests
{
    // Along one street: buildings p2, p0, p1, p3 180 m apart (4, 5, 5, 4 households); candidates halfway between
    // neighbours reach the two buildings beside them within 100 m. c0 (p0 + p1 = 10) looks best alone, but c1 (p0 + p2)
    // and c2 (p1 + p3) together cover all 18: greedy takes c0 first, and a swap must undo it.
    static readonly Point[] Buildings = [At(180, 1), At(360, 1), At(0, 1), At(540, 1)];
    static readonly long[] Households = [5, 5, 4, 4];
    static readonly string[] Street = ["LINESTRING (-100 0, 700 0)"];

    static WalkModel Model(Point[] stations, bool network = true) =>
        WalkModel.Build(Buildings, stations, network ? Street.Select(LonLat<LineString>).ToList() : null);

    static List<Coordinate> Candidates(WalkModel model) =>
        new[] { At(270, 0), At(90, 0), At(450, 0) }.Select(p => WalkModel.Metric(model.Projection, p)).ToList();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Maximal_covering_swaps_away_a_greedy_first_choice_and_reports_a_bound_it_meets(bool network)
    {
        var model = Model([], network);

        var result = StationSiting.MaximalCovering(model, Households, Candidates(model), 100, 2);

        Assert.Equal([1, 2], result.Sites.Select(s => s.Candidate).Order());
        Assert.Equal(18, result.Gained);
        Assert.Equal(18, result.CoveredAfter);
        Assert.Equal(18, result.Sites.Sum(s => s.HouseholdsGained));
        Assert.InRange(result.GainBound!.Value, 18, 20); // greedy's bound: 10 + the two largest gains left (4 + 4)
    }

    [Fact]
    public void Existing_stations_stay_and_only_households_they_miss_count()
    {
        // A station already at p2 covers it (4 households).
        var model = Model([At(0, 0)]);

        var result = StationSiting.MaximalCovering(model, Households, Candidates(model), 100, 1);

        Assert.Equal(4, result.CoveredBefore);
        var site = Assert.Single(result.Sites);
        Assert.Equal(0, site.Candidate); // p0 + p1 = 10 beats c1 (p0 = 5 now) and c2 (p1 + p3 = 9)
        Assert.Equal(14, result.CoveredAfter);
    }

    [Fact]
    public void Set_covering_takes_the_fewest_sites_for_the_share_and_drops_the_redundant_one()
    {
        var model = Model([]);

        var all = StationSiting.SetCovering(model, Households, Candidates(model), 100, 1.0);
        Assert.Equal([1, 2], all.Sites.Select(s => s.Candidate).Order());
        Assert.Equal(18, all.CoveredAfter);
        Assert.Equal(2, all.SitesLowerBound);

        var half = StationSiting.SetCovering(model, Households, Candidates(model), 100, 0.5);
        Assert.Equal([0], half.Sites.Select(s => s.Candidate));
        Assert.Equal(1, half.SitesLowerBound);
    }

    [Fact]
    public void Automatic_candidates_lie_on_the_network_in_the_gaps()
    {
        var model = Model([At(0, 0)]);

        var candidates = StationSiting.AutomaticCandidates(model, Households, 100, 100);

        // p2 is covered; p0, p1 and p3 each get a candidate on the street beside them.
        Assert.Equal(3, candidates.Count);
        Assert.All(candidates, c => Assert.Contains(model.Places, p => Math.Abs(p.X - c.X) < 1e-6 && Math.Abs(p.Y - c.Y - 1) < 1e-3));
    }
}
