namespace GridMap.Core.Partitioning;

/// <summary>Post-passes over a <see cref="BandWork"/>: recombination repair and boundary-move improvement.</summary>
internal static class BandRepair
{
    /// <summary>
    /// Recombination: for every out-of-band group, merge it with its neighbouring groups (then with the next ring) and
    /// re-solve the union exactly (<see cref="BandExact"/>, up to 30 nodes); keep the result when it has more in-band
    /// groups, or as many and fewer out-of-band ones. Where that search gives up (dense unions, e.g. lattices) or a large
    /// budget is granted, the union is also re-solved by the tree DP on other spanning trees.
    /// </summary>
    public static void Recombine(BandWork w)
    {
        var o = w.Options;
        var ctx = new Scratch(w.N);
        ctx.Budget = (long)o.RepairWork * w.N;
        var deep = o.RepairWork >= DeepRepairWork;
        Rounds(w, ctx, deep);
        // A small graph left with one group out of band, not holding a node that no combination brings into the band,
        // looks like an unlucky planted city rather than a hard one: it gets the deep tries too, on a budget of its own.
        if (deep || w.N > DeepBelowNodes) return;
        var outOfBand = Enumerable.Range(0, w.GroupCount).Where(grp => w.Kind[grp] == BandWork.Normal && w.Count[grp] > 0 && !w.InBand(w.Weight[grp])).ToList();
        if (outOfBand.Count != 1 || HasStuckNode(w, ctx, outOfBand[0])) return;
        ctx.Budget = (long)SmallDeepWork * w.N;
        ctx.Tried.Clear();
        Rounds(w, ctx, true);
    }

    private static void Rounds(BandWork w, Scratch ctx, bool deep)
    {
        var o = w.Options;
        for (var round = 0; round < o.RepairRounds && ctx.Budget > 0; round++)
        {
            var any = false;
            var count = w.GroupCount;
            for (var grp = 0; grp < count; grp++)
            {
                if (w.Kind[grp] != BandWork.Normal || w.Count[grp] == 0 || w.InBand(w.Weight[grp])) continue;
                var e1 = TryExact(w, ctx, grp, 1);
                if (e1 == Outcome.Improved) { any = true; continue; }
                var e2 = TryExact(w, ctx, grp, 2);
                if (e2 == Outcome.Improved) { any = true; continue; }
                // A fix may need a chain of re-balanced grids beyond the second ring (still at most ExactMaxNodes nodes).
                // (Skipped for a group holding a node no combination brings into the band: nothing wider can help it.)
                if (!HasStuckNode(w, ctx, grp) && TryExact(w, ctx, grp, 4) == Outcome.Improved) { any = true; continue; }
                // First ring provably optimal: random spanning trees of wider unions rarely help on real subzones (and
                // cost most of the repair time), so they are tried only when the caller grants a large budget
                // (RepairWork >= DeepRepairWork), and never for a group holding a node no combination brings into the band.
                if (e1 == Outcome.Proven && (!deep || HasStuckNode(w, ctx, grp))) continue;
                if ((e1 != Outcome.Proven && TryRepair(w, ctx, grp, 1, false)) || TryRepair(w, ctx, grp, 2, false) || TryRepair(w, ctx, grp, 4, false)) any = true;
            }
            var remaining = false;
            for (var grp = 0; grp < w.GroupCount && !remaining; grp++)
                remaining = w.Kind[grp] == BandWork.Normal && w.Count[grp] > 0 && !w.InBand(w.Weight[grp]);
            if (!remaining) break;
            if (!any)
            {
                // stuck: move the defects sideways (re-split each with its neighbours at no loss) and try again
                count = w.GroupCount;
                for (var grp = 0; grp < count; grp++)
                    if (w.Kind[grp] == BandWork.Normal && w.Count[grp] > 0 && !w.InBand(w.Weight[grp]))
                        TryRepair(w, ctx, grp, 1, true);
            }
        }
    }

    private enum Outcome { Improved, Proven, Unknown }

    /// <summary>From this <see cref="BandOptions.RepairWork"/> on, tree-DP recombination also follows exactly solved first rings.</summary>
    private const int DeepRepairWork = 5000;

    /// <summary>Graphs of at most this many nodes may get the deep tries whatever the budget (see <see cref="Recombine"/>).</summary>
    private const int DeepBelowNodes = 200;

    /// <summary>Their budget, node-visits per node.</summary>
    private const int SmallDeepWork = 100;

    /// <summary>
    /// Largest union re-solved exactly (bitmask search). Larger unions mostly run out of budget: on Singapore 30 keeps the
    /// in-band count of 40 with about a fifth less work, and planted cities still come back all in band.
    /// </summary>
    private const int ExactMaxNodes = 30;

    /// <summary>Search steps one exact re-solve may spend before giving up.</summary>
    private const long ExactBudget = 20_000;

    /// <summary>
    /// Fills <c>s.Groups</c> with <paramref name="grp"/> and the ordinary groups within <paramref name="rings"/> rings of it,
    /// as long as their nodes add up to at most <paramref name="maxNodes"/>; true when a group was left out for size.
    /// </summary>
    private static bool CollectRings(BandWork w, Scratch s, int grp, int rings, int maxNodes)
    {
        var g = w.G;
        s.EnsureGroups(w.GroupCount);
        var gen = ++s.GroupGen;
        s.Groups.Clear();
        s.Groups.Add(grp);
        s.GroupMark[grp] = gen;
        var size = w.Count[grp];
        var truncated = false;
        var frontierStart = 0;
        for (var ring = 0; ring < rings; ring++)
        {
            var frontierEnd = s.Groups.Count;
            for (var fi = frontierStart; fi < frontierEnd; fi++)
            {
                s.Nodes.Clear();
                CollectGroup(w, s, s.Groups[fi]);
                foreach (var v in s.Nodes)
                    foreach (var u in g.Neighbours(v))
                    {
                        var gu = w.GroupOf[u];
                        if (s.GroupMark[gu] == gen || w.Kind[gu] != BandWork.Normal) continue;
                        if (size + w.Count[gu] > maxNodes) { truncated = true; continue; }
                        s.GroupMark[gu] = gen;
                        s.Groups.Add(gu);
                        size += w.Count[gu];
                    }
            }
            frontierStart = frontierEnd;
        }
        return truncated;
    }

    /// <summary>
    /// Merges <paramref name="grp"/> with the groups within <paramref name="rings"/> rings (up to <see cref="ExactMaxNodes"/>
    /// nodes) and re-solves the union exactly; adopts the result when it has more in-band groups, or as many and fewer
    /// out-of-band ones. <see cref="Outcome.Proven"/>: no better split of this union exists.
    /// </summary>
    private static Outcome TryExact(BandWork w, Scratch s, int grp, int rings)
    {
        if (w.Count[grp] > ExactMaxNodes) return Outcome.Unknown;
        var truncated = CollectRings(w, s, grp, rings, ExactMaxNodes);
        // The same union, unchanged since it was last re-solved here, gives the same answer: skip it.
        var lastChange = 0;
        foreach (var h in s.Groups) lastChange = Math.Max(lastChange, w.ChangedAt[h]);
        if (s.Tried.TryGetValue((grp, rings), out var tried) && tried.At >= lastChange) return tried.Outcome;
        var (outcome, solved) = SolveExact(w, s, grp, truncated);
        if (solved && outcome != Outcome.Improved) s.Tried[(grp, rings)] = (w.Clock, outcome);
        return outcome;
    }

    /// <summary>The exact re-solve of the collected union; <c>Solved</c> is false when it was not attempted.</summary>
    private static (Outcome Outcome, bool Solved) SolveExact(BandWork w, Scratch s, int grp, bool truncated)
    {
        var g = w.G;
        int inBefore = 0, outBefore = 0;
        foreach (var h in s.Groups)
        {
            if (w.InBand(w.Weight[h])) inBefore++;
            else outBefore++;
        }
        // breadth-first order of the union from the out-of-band group
        var q = s.Queue;
        int head = 0, tail = 0;
        var ngen = ++s.NodeGen;
        var seed = w.Seed[grp];
        s.NodeMark[seed] = ngen;
        q[tail++] = seed;
        while (head < tail)
        {
            var v = q[head++];
            foreach (var u in g.Neighbours(v))
            {
                if (s.NodeMark[u] == ngen || s.GroupMark[w.GroupOf[u]] != s.GroupGen || w.Kind[w.GroupOf[u]] != BandWork.Normal) continue;
                s.NodeMark[u] = ngen;
                q[tail++] = u;
            }
        }
        if (s.ExactFails > 8 && s.ExactFails > s.ExactOks) return (Outcome.Unknown, false); // dense graph: the search rarely finishes
        var ex = w.Exact;
        long spent = 0;
        var ok = ex.Solve(q.AsSpan(0, tail), ExactBudget, ref spent);
        s.Budget -= spent / 8;
        if (!ok)
        {
            s.ExactFails++;
            return (Outcome.Unknown, true);
        }
        s.ExactOks++;
        if (ex.InCount > inBefore || (ex.InCount == inBefore && ex.OutCount < outBefore))
        {
            w.Adopt(ex.Nodes, ex.LocalGroup, ex.GroupCount, s.Groups);
            return (Outcome.Improved, true);
        }
        return (truncated ? Outcome.Unknown : Outcome.Proven, true);
    }

    private sealed class Scratch(int n)
    {
        public readonly int[] NodeMark = new int[n];
        public int NodeGen;
        public int[] GroupMark = new int[64];
        public int GroupGen;
        public readonly int[] Queue = new int[n];
        public readonly int[] Guide = new int[n];
        public long Budget;
        public int ExactFails, ExactOks;
        /// <summary>Per (group, rings): the clock tick of the last exact re-solve and what it gave.</summary>
        public readonly Dictionary<(int, int), (int At, Outcome Outcome)> Tried = new();
        public readonly List<int> Groups = new();
        public readonly List<int> Nodes = new();

        public void EnsureGroups(int count)
        {
            if (GroupMark.Length < count) Array.Resize(ref GroupMark, Math.Max(count, GroupMark.Length * 2));
        }
    }

    private static bool TryRepair(BandWork w, Scratch s, int grp, int rings, bool sideways)
    {
        var g = w.G;
        var o = w.Options;
        CollectRings(w, s, grp, rings, o.RepairMaxNodes);
        if (s.Groups.Count == 1 && rings > 1) return false;
        int outBefore = 0, inBefore = 0;
        s.Nodes.Clear();
        foreach (var h in s.Groups)
        {
            if (!w.InBand(w.Weight[h])) outBefore++;
            else inBefore++;
            CollectGroup(w, s, h);
        }
        if (outBefore == 0) return false;
        // no count of in-band groups can hold the union's total: one group stays out whatever the split
        long total = 0;
        foreach (var h in s.Groups) total += w.Weight[h];
        var fits = w.B.Min == 0 || (total + w.B.Max - 1) / Math.Max(1, w.B.Max) <= total / w.B.Min;
        if (!fits && outBefore <= 1 && !sideways) return false;
        var nodes = s.Nodes.ToArray();
        var dp = w.Dp;
        var kind = dp.Tree;
        var improved = false;
        // small unions are cheap to re-solve: spend more trees on them (about 20k node-visits per tree budget unit)
        var trees = sideways ? 4 : o.RepairTrees * Math.Clamp(4000 / Math.Max(1, nodes.Length), 1, 8);
        for (var t = 0; t < trees && !improved && s.Budget > 0; t++)
        {
            // Alternate: random depth-first tree; random Kruskal tree; Kruskal tree that keeps a random ~70 % of the
            // in-band groups whole (so the DP can keep them and re-cut only the rest); cost-jittered depth-first tree.
            var mode = t & 3;
            dp.Tree = mode is 0 or 3 ? BandTreeKind.DepthFirst : BandTreeKind.MaximumSpanning;
            if (mode == 2)
            {
                foreach (var v in nodes)
                {
                    var h = w.GroupOf[v];
                    s.Guide[v] = w.InBand(w.Weight[h]) && (uint)(h * 2654435761u ^ (uint)t * 40503u) % 10 < 7 ? h : -1;
                }
                dp.Guide = s.Guide;
            }
            var outAfter = dp.Solve(nodes, ref w.Rng, mode == 3 ? 1.0 : double.PositiveInfinity);
            dp.Guide = null;
            s.Budget -= nodes.Length;
            var inAfter = dp.GroupCount - outAfter;
            if (inAfter >= inBefore && (outAfter < outBefore || (sideways && outAfter == outBefore)))
            {
                w.AdoptDp(s.Groups);
                improved = true;
            }
        }
        dp.Tree = kind;
        return improved;
    }

    /// <summary>
    /// Does the group hold a node below Min that every neighbour (of at most Max) would push above Max? Such a node is
    /// out of band in every partition.
    /// </summary>
    private static bool HasStuckNode(BandWork w, Scratch s, int grp)
    {
        var g = w.G;
        s.Nodes.Clear();
        CollectGroup(w, s, grp);
        foreach (var v in s.Nodes)
        {
            var wv = g.Weight[v];
            if (wv >= w.B.Min) continue;
            var stuck = true;
            foreach (var u in g.Neighbours(v))
                if (g.Weight[u] <= w.B.Max && wv + g.Weight[u] <= w.B.Max) { stuck = false; break; }
            if (stuck) return true;
        }
        return false;
    }

    /// <summary>Appends the nodes of group <paramref name="grp"/> to <c>s.Nodes</c> (BFS from its seed).</summary>
    private static void CollectGroup(BandWork w, Scratch s, int grp)
    {
        var g = w.G;
        var gen = ++s.NodeGen;
        var start = s.Nodes.Count;
        var seed = w.Seed[grp];
        s.NodeMark[seed] = gen;
        s.Nodes.Add(seed);
        for (var i = start; i < s.Nodes.Count; i++)
            foreach (var u in g.Neighbours(s.Nodes[i]))
            {
                if (w.GroupOf[u] != grp || s.NodeMark[u] == gen) continue;
                s.NodeMark[u] = gen;
                s.Nodes.Add(u);
            }
    }

    /// <summary>
    /// Boundary moves: move one node to a neighbouring group when both stay connected and the move lowers, in this
    /// order, the number of out-of-band groups, the cut cost, and the total deviation from the target.
    /// Never removes an in-band group, never lets the in-band count fall. O(edges) per sweep plus local BFS checks.
    /// </summary>
    public static void Improve(BandWork w)
    {
        var g = w.G;
        var n = w.N;
        var T = w.B.Target;
        var weight = g.Weight;
        var mark = new int[n];
        var gen = 0;
        var queue = new int[n];
        var maxDeg = 0;
        for (var v = 0; v < n; v++) maxDeg = Math.Max(maxDeg, g.Offset[v + 1] - g.Offset[v]);
        var nbGroup = new int[maxDeg];
        var nbCost = new double[maxDeg];

        for (var sweep = 0; sweep < w.Options.ImproveSweeps; sweep++)
        {
            var moves = 0;
            for (var v = 0; v < n; v++)
            {
                var a = w.GroupOf[v];
                if (w.Kind[a] != BandWork.Normal) continue;
                double costA = 0, absCost = 0;
                int k = 0, aNb = 0, anyANb = -1;
                for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
                {
                    var gu = w.GroupOf[g.Target[e]];
                    var c = g.Cost[e];
                    absCost += Math.Abs(c);
                    if (gu == a) { costA += c; aNb++; anyANb = g.Target[e]; continue; }
                    if (w.Kind[gu] != BandWork.Normal) continue;
                    var j = 0;
                    while (j < k && nbGroup[j] != gu) j++;
                    if (j == k) { nbGroup[k] = gu; nbCost[k++] = 0; }
                    nbCost[j] += c;
                }
                if (k == 0) continue;
                var wv = weight[v];
                var wa = w.Weight[a];
                var emptying = w.Count[a] == 1;
                if (emptying && w.InBand(wa)) continue;
                var eps = 1e-9 * (absCost + 1);
                int bestJ = -1, bestOut = 0;
                double bestCut = 0, bestDev = 0;
                var outA = w.InBand(wa) ? 0 : 1;
                for (var j = 0; j < k; j++)
                {
                    var b = nbGroup[j];
                    var wb = w.Weight[b];
                    int na = wa - wv, nb = wb + wv;
                    if (nb > w.B.Max) continue; // never build a group above Max
                    var dOut = (emptying ? 0 : w.InBand(na) ? 0 : 1) + (w.InBand(nb) ? 0 : 1) - outA - (w.InBand(wb) ? 0 : 1);
                    if (dOut > 0 || (emptying && dOut == 0)) continue;
                    var dCut = costA - nbCost[j];
                    double dDev = (emptying ? 0 : Math.Abs(na - T)) + Math.Abs(nb - T) - Math.Abs(wa - T) - Math.Abs(wb - T);
                    if (!Better(dOut, dCut, dDev, 0, 0, 0, eps)) continue;
                    if (bestJ < 0 || Better(dOut, dCut, dDev, bestOut, bestCut, bestDev, eps))
                    {
                        bestJ = j;
                        bestOut = dOut;
                        bestCut = dCut;
                        bestDev = dDev;
                    }
                }
                if (bestJ < 0) continue;
                if (!emptying && aNb >= 2 && !StaysConnected(g, w.GroupOf, v, a, aNb, mark, ++gen, queue)) continue;
                var to = nbGroup[bestJ];
                w.GroupOf[v] = to;
                w.Weight[a] -= wv;
                w.Count[a]--;
                w.Weight[to] += wv;
                w.Count[to]++;
                w.ChangedAt[a] = w.ChangedAt[to] = ++w.Clock;
                if (w.Seed[a] == v) w.Seed[a] = anyANb;
                moves++;
            }
            if (moves == 0) break;
        }
    }

    /// <summary>Lexicographic (out, cut, deviation) comparison: is (o1, c1, d1) strictly better than (o2, c2, d2)?</summary>
    private static bool Better(int o1, double c1, double d1, int o2, double c2, double d2, double eps)
    {
        if (o1 != o2) return o1 < o2;
        if (c1 < c2 - eps) return true;
        if (c1 > c2 + eps) return false;
        return d1 < d2 - 1e-9;
    }

    /// <summary>Does group <paramref name="a"/> stay connected without <paramref name="v"/>? BFS until all of v's neighbours in a are reached.</summary>
    private static bool StaysConnected(PartitionGraph g, int[] groupOf, int v, int a, int aNb, int[] mark, int gen, int[] queue)
    {
        var start = -1;
        foreach (var u in g.Neighbours(v))
            if (groupOf[u] == a) { start = u; break; }
        mark[v] = gen;
        mark[start] = gen;
        var found = 1;
        int head = 0, tail = 0;
        queue[tail++] = start;
        while (head < tail)
        {
            var x = queue[head++];
            foreach (var u in g.Neighbours(x))
            {
                if (mark[u] == gen || groupOf[u] != a) continue;
                mark[u] = gen;
                queue[tail++] = u;
            }
            // count how many of v's neighbours in a have been reached
            found = 0;
            foreach (var u in g.Neighbours(v))
                if (groupOf[u] == a && mark[u] == gen) found++;
            if (found >= aNb) return true;
        }
        return found >= aNb;
    }
}
