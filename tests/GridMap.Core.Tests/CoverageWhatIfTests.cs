using CsCheck;
using GridMap.Core.Network;
using NetTopologySuite.Geometries;
using static GridMap.Core.Tests.Plane;

namespace GridMap.Core.Tests;

/// <summary>What-if: after any sequence of added, moved and removed stations, the kept coverage equals a full recompute.</summary>
public class CoverageWhatIfTests
{
    /// <summary>A jittered street lattice with some streets missing, places and stations scattered over it.</summary>
    static (WalkModel Model, long[] Households) City(Random r, int side, int places, int stations, bool network = true)
    {
        var lines = new List<LineString>();
        Point Node(int i, int j) => At(i * 100 + (i * 7919 + j * 104729) % 13, j * 100 + (i * 104723 + j * 7907) % 11);
        for (var i = 0; i < side; i++)
        for (var j = 0; j < side; j++)
        {
            if (i + 1 < side && r.Next(6) > 0) lines.Add(new LineString([Node(i, j).Coordinate, Node(i + 1, j).Coordinate]));
            if (j + 1 < side && r.Next(6) > 0) lines.Add(new LineString([Node(i, j).Coordinate, Node(i, j + 1).Coordinate]));
        }
        Point Anywhere() => At(r.NextDouble() * (side - 1) * 100, r.NextDouble() * (side - 1) * 100);
        var model = WalkModel.Build(Enumerable.Range(0, places).Select(_ => (Geometry)Anywhere()), Enumerable.Range(0, stations).Select(_ => Anywhere()),
            network ? lines : null);
        return (model, Enumerable.Range(0, places).Select(_ => (long)r.Next(1, 200)).ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void After_any_changes_coverage_and_loads_equal_a_full_recompute(bool network)
    {
        double[] thresholds = [150, 300, 600];
        Gen.Int[0, 1_000_000].Sample(seed =>
        {
            var r = new Random(seed);
            var (model, households) = City(r, 12, 300, 6, network);
            var whatIf = new CoverageWhatIf(model, households, thresholds);
            var stations = model.Stations.Select(c => (Coordinate?)c).ToList();
            for (var step = 0; step < 12; step++)
            {
                var at = new Coordinate(model.Places[0].X - 600 + r.NextDouble() * 1800, model.Places[0].Y - 600 + r.NextDouble() * 1800);
                var live = Enumerable.Range(0, stations.Count).Where(s => stations[s] is not null).ToList();
                switch (r.Next(3))
                {
                    case 0:
                        Assert.Equal(stations.Count, whatIf.Add(at));
                        stations.Add(at);
                        break;
                    case 1 when live.Count > 0:
                        var m = live[r.Next(live.Count)];
                        whatIf.Move(m, at);
                        stations[m] = at;
                        break;
                    case 2 when live.Count > 0:
                        var gone = live[r.Next(live.Count)];
                        whatIf.Remove(gone);
                        stations[gone] = null;
                        break;
                }

                var full = Full(model, stations);
                for (var p = 0; p < full.Length; p++)
                    Assert.True(full[p].Metres == whatIf.Reach[p].Metres || Math.Abs(full[p].Metres - whatIf.Reach[p].Metres) < 1e-9,
                        $"seed {seed}, step {step}, place {p}: full {full[p]}, what-if {whatIf.Reach[p]}");
                for (var t = 0; t < thresholds.Length; t++)
                    Assert.Equal(households.Where((_, p) => full[p].Metres <= thresholds[t]).Sum(), whatIf.Covered(t));
                for (var s = 0; s < stations.Count; s++)
                    Assert.Equal(households.Where((_, p) => whatIf.Reach[p].Station == s).Sum(), whatIf.LoadOf(s));
            }
        }, iter: 30);
    }

    static StationReach[] Full(WalkModel model, List<Coordinate?> stations)
    {
        if (model.Network is not { } n)
        {
            var live = stations.Select((c, i) => (c, i)).Where(x => x.c is not null).ToList();
            var straight = WalkModel.StraightLine(live.Select(x => x.c!).ToArray(), model.Places);
            return straight.Select(x => x.Reachable ? x with { Station = live[x.Station].i } : x).ToArray();
        }
        var labels = new NodeLabels(n, stations.Select(c => c is null ? null : n.Attach(c)).ToList());
        return Enumerable.Range(0, model.Places.Length).Select(p => model.ReachOf(labels, p)).ToArray();
    }

    [Fact]
    public void Removing_the_only_station_leaves_every_place_unreachable_and_adding_it_back_restores_coverage()
    {
        var (model, households) = City(new Random(3), 6, 50, 1);
        var whatIf = new CoverageWhatIf(model, households, [10_000]);
        var before = whatIf.Covered(0);
        Assert.True(before > 0);

        whatIf.Remove(0);
        Assert.Equal(0, whatIf.Covered(0));
        Assert.All(whatIf.Reach, r => Assert.False(r.Reachable));

        var again = whatIf.Add(model.Stations[0]);
        Assert.Equal(1, again);
        Assert.Equal(before, whatIf.Covered(0));
        Assert.Equal(0, whatIf.LoadOf(0));
        Assert.Equal(before, whatIf.LoadOf(1));
    }
}
