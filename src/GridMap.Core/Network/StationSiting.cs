using System.Diagnostics;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Network;

/// <summary>A chosen site: candidate index, its rank in the choice, and the households and buildings it covers that nothing ranked before it does.</summary>
public sealed record ChosenSite(int Candidate, int Rank, long HouseholdsGained, int BuildingsGained);

/// <summary>
/// The outcome of siting: the chosen sites; households covered before and after; an upper bound on what any choice of
/// the same number of sites could gain (maximal covering) or a lower bound on the number of sites (set covering).
/// </summary>
public sealed record SitingResult(
    IReadOnlyList<ChosenSite> Sites, long Households, long CoveredBefore, long CoveredAfter, long Gained, long? GainBound,
    int? SitesLowerBound, int Candidates, double Seconds);

/// <summary>
/// Where new stations would cover the most households within a walk, with existing stations fixed. Each candidate's
/// reach is one bounded walk over the network (or a circle without one), counted only over households no station
/// reaches yet. Maximal covering: lazy greedy, then swaps of one chosen site for one other candidate while any improves;
/// the bound is the best of the greedy steps' "covered so far plus the k largest gains left" (coverage is submodular,
/// so no k sites can beat it). Set covering: greedy until the share is reached, then sites that became redundant are
/// dropped; the lower bound is the fewest sites whose separate gains could add up to what is missing.
/// </summary>
public static class StationSiting
{
    /// <summary>Chooses up to <paramref name="k"/> of <paramref name="candidates"/> (projected metres) to cover the most households within <paramref name="metres"/>.</summary>
    public static SitingResult MaximalCovering(WalkModel model, IReadOnlyList<long> households, IReadOnlyList<Coordinate> candidates, double metres, int k)
    {
        var clock = Stopwatch.StartNew();
        var s = Setting.Of(model, households, candidates, metres);
        var (chosen, bound) = Greedy(s, k, stopAt: long.MaxValue);
        Swap(s, chosen);
        return s.Result(chosen, bound, null, clock);
    }

    /// <summary>The fewest of <paramref name="candidates"/> that bring the covered share of households within <paramref name="metres"/> to <paramref name="share"/> (as near as the candidates allow).</summary>
    public static SitingResult SetCovering(WalkModel model, IReadOnlyList<long> households, IReadOnlyList<Coordinate> candidates, double metres, double share)
    {
        var clock = Stopwatch.StartNew();
        var s = Setting.Of(model, households, candidates, metres);
        var missing = (long)Math.Ceiling(share * s.Total) - s.CoveredBefore;
        var (chosen, _) = Greedy(s, candidates.Count, stopAt: Math.Max(0, missing));
        DropRedundant(s, chosen, missing);
        // Fewest sites whose separate gains (each the most it could ever add) reach what is missing.
        var gains = s.Reach.Select(r => r.Sum(i => s.Households[i])).OrderDescending().ToList();
        int lower = 0;
        for (long sum = 0; sum < missing && lower < gains.Count; lower++) sum += gains[lower];
        return s.Result(chosen, null, missing <= 0 ? 0 : lower, clock);
    }

    /// <summary>Candidates in the gaps: per square of <paramref name="spacing"/> metres holding uncovered households, the point of the network nearest to their households' centre (their centre without a network).</summary>
    public static IReadOnlyList<Coordinate> AutomaticCandidates(WalkModel model, IReadOnlyList<long> households, double metres, double spacing)
    {
        var reach = model.Nearest();
        var cells = new Dictionary<(long, long), (double X, double Y, double W)>();
        for (var i = 0; i < model.Places.Length; i++)
        {
            if (reach[i].Metres <= metres || households[i] <= 0) continue;
            var p = model.Places[i];
            var key = ((long)Math.Floor(p.X / spacing), (long)Math.Floor(p.Y / spacing));
            var (x, y, w) = cells.GetValueOrDefault(key);
            cells[key] = (x + p.X * households[i], y + p.Y * households[i], w + households[i]);
        }
        return cells.OrderBy(c => c.Key).Select(c =>
        {
            var centre = new Coordinate(c.Value.X / c.Value.W, c.Value.Y / c.Value.W);
            if (model.Network is not { } n || n.Attach(centre) is not { } a) return centre;
            double t = a.T;
            return new Coordinate(n.X[n.From[a.Edge]] + t * (n.X[n.To[a.Edge]] - n.X[n.From[a.Edge]]),
                n.Y[n.From[a.Edge]] + t * (n.Y[n.To[a.Edge]] - n.Y[n.From[a.Edge]]));
        }).ToList();
    }

    /// <summary>What every strategy shares: households, who is covered already, and each candidate's reach over the rest.</summary>
    sealed class Setting
    {
        public required long[] Households { get; init; }
        public required int[][] Reach { get; init; }
        public long Total { get; init; }
        public long CoveredBefore { get; init; }

        public static Setting Of(WalkModel model, IReadOnlyList<long> households, IReadOnlyList<Coordinate> candidates, double metres)
        {
            var reach = model.Nearest();
            var covered = reach.Select(r => r.Metres <= metres).ToArray();
            var hh = households.ToArray();
            var sets = new int[candidates.Count][];
            if (model.Network is { } network)
            {
                var places = new AnchoredPoints(network, model.PlaceDoors!);
                Parallel.For(0, candidates.Count, () => (Walk: new BoundedWalk(network), List: new List<int>()), (c, _, local) =>
                {
                    local.List.Clear();
                    if (network.Attach(candidates[c]) is { } anchor)
                        local.Walk.Reach(anchor, metres, places, (door, _) =>
                        {
                            var p = model.DoorPlace![door];
                            if (!covered[p] && hh[p] > 0) local.List.Add(p);
                        });
                    // A place reached through two gates counts once.
                    sets[c] = local.List.Distinct().ToArray();
                    return local;
                }, _ => { });
            }
            else
            {
                var tree = new STRtree<int>();
                for (var i = 0; i < model.Places.Length; i++)
                    if (!covered[i] && hh[i] > 0) tree.Insert(new Envelope(model.Places[i]), i);
                tree.Build();
                Parallel.For(0, candidates.Count, c =>
                {
                    var at = candidates[c];
                    var box = new Envelope(at);
                    box.ExpandBy(metres);
                    sets[c] = tree.Query(box).Where(i => model.Places[i].Distance(at) <= metres).Order().ToArray();
                });
            }
            return new Setting
            {
                Households = hh, Reach = sets,
                Total = hh.Sum(), CoveredBefore = hh.Where((_, i) => covered[i]).Sum(),
            };
        }

        public SitingResult Result(List<int> chosen, long? bound, int? lower, Stopwatch clock)
        {
            var taken = new bool[Households.Length];
            var sites = new List<ChosenSite>();
            long gained = 0;
            foreach (var c in chosen)
            {
                long h = 0;
                var b = 0;
                foreach (var p in Reach[c])
                    if (!taken[p])
                    {
                        taken[p] = true;
                        h += Households[p];
                        b++;
                    }
                sites.Add(new ChosenSite(c, sites.Count + 1, h, b));
                gained += h;
            }
            return new SitingResult(sites, Total, CoveredBefore, CoveredBefore + gained, gained, bound, lower, Reach.Length, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Lazy greedy: up to k sites, each the largest gain; stops when the gain is 0 or the total reaches <paramref name="stopAt"/>. Also the online bound for k sites.</summary>
    static (List<int> Chosen, long Bound) Greedy(Setting s, int k, long stopAt)
    {
        var taken = new bool[s.Households.Length];
        long Gain(int c)
        {
            long g = 0;
            foreach (var p in s.Reach[c]) if (!taken[p]) g += s.Households[p];
            return g;
        }
        var gains = new long[s.Reach.Length];
        var queue = new PriorityQueue<int, long>();
        for (var c = 0; c < s.Reach.Length; c++)
        {
            gains[c] = Gain(c);
            if (gains[c] > 0) queue.Enqueue(c, -gains[c]);
        }
        var chosen = new List<int>();
        long total = 0;
        // Before any choice: the k largest gains, and never more than all the households some candidate reaches.
        var reachable = new bool[s.Households.Length];
        foreach (var set in s.Reach) foreach (var p in set) reachable[p] = true;
        var bound = Math.Min(TopK(gains, k), s.Households.Where((_, p) => reachable[p]).Sum());
        while (chosen.Count < k && total < stopAt && queue.TryDequeue(out var c, out var negative))
        {
            var g = Gain(c);
            if (g != -negative)
            {
                gains[c] = g;
                if (g > 0) queue.Enqueue(c, -g); // stale: gains only fall, so re-queue and look again
                continue;
            }
            if (g == 0) break;
            chosen.Add(c);
            total += g;
            foreach (var p in s.Reach[c]) taken[p] = true;
            gains[c] = 0;
            // Stale gains are upper bounds of the true ones, so this stays a valid (if looser) bound.
            bound = Math.Min(bound, total + TopK(gains, k));
        }
        return (chosen, bound);
    }

    static long TopK(long[] gains, int k)
    {
        if (k <= 0) return 0;
        var top = new PriorityQueue<long, long>();
        foreach (var g in gains)
        {
            if (g <= 0) continue;
            if (top.Count < k) top.Enqueue(g, g);
            else if (g > top.Peek()) top.DequeueEnqueue(g, g);
        }
        long sum = 0;
        while (top.TryDequeue(out var g, out _)) sum += g;
        return sum;
    }

    /// <summary>Swaps one chosen site for one other candidate while that covers more, best swap first.</summary>
    static void Swap(Setting s, List<int> chosen)
    {
        var count = new int[s.Households.Length];
        foreach (var c in chosen) foreach (var p in s.Reach[c]) count[p]++;
        var isChosen = new bool[s.Reach.Length];
        foreach (var c in chosen) isChosen[c] = true;
        for (var round = 0; round < 100; round++)
        {
            var (best, bestOut, bestIn) = (0L, -1, -1);
            foreach (var o in chosen)
            {
                long loss = 0;
                foreach (var p in s.Reach[o]) if (count[p] == 1) loss += s.Households[p];
                foreach (var p in s.Reach[o]) count[p]--;
                for (var c = 0; c < s.Reach.Length; c++)
                {
                    if (isChosen[c]) continue;
                    long gain = 0;
                    foreach (var p in s.Reach[c]) if (count[p] == 0) gain += s.Households[p];
                    if (gain - loss > best) (best, bestOut, bestIn) = (gain - loss, o, c);
                }
                foreach (var p in s.Reach[o]) count[p]++;
            }
            if (bestOut < 0) return;
            chosen[chosen.IndexOf(bestOut)] = bestIn;
            (isChosen[bestOut], isChosen[bestIn]) = (false, true);
            foreach (var p in s.Reach[bestOut]) count[p]--;
            foreach (var p in s.Reach[bestIn]) count[p]++;
        }
    }

    /// <summary>Drops, last chosen first, every site without which the others still cover what is missing.</summary>
    static void DropRedundant(Setting s, List<int> chosen, long missing)
    {
        var count = new int[s.Households.Length];
        foreach (var c in chosen) foreach (var p in s.Reach[c]) count[p]++;
        long covered = 0;
        for (var p = 0; p < count.Length; p++) if (count[p] > 0) covered += s.Households[p];
        for (var i = chosen.Count - 1; i >= 0; i--)
        {
            var c = chosen[i];
            long alone = 0;
            foreach (var p in s.Reach[c]) if (count[p] == 1) alone += s.Households[p];
            if (covered - alone < missing) continue;
            covered -= alone;
            foreach (var p in s.Reach[c]) count[p]--;
            chosen.RemoveAt(i);
        }
    }
}
