using System.Numerics;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Exact re-partition of a small node set (at most 63 nodes, all no heavier than Max) into connected groups:
/// most in-band groups, then fewest nodes left outside every in-band group, then least total deviation from the target.
/// Left-over nodes are grouped greedily into connected pieces no heavier than Max (so no group ever exceeds Max).
/// <para>
/// Search over "first unassigned node": it is either left over or starts a connected in-band set of unassigned nodes
/// (enumerated once each, ESU-style, on bitmasks). The best value of the remainder depends only on the set of assigned
/// nodes, so it is memoised; with nodes ordered breadth-first the reachable sets stay few. A work budget bounds the
/// search; when it runs out the solve reports failure and the caller falls back to the tree DP.
/// </para>
/// </summary>
internal sealed class BandExact
{
    private const long InBandGain = 1L << 40; // one more in-band group outweighs any number of left-over nodes
    private const long LeftOverCost = 1L << 24; // one more left-over node outweighs any deviation

    private readonly PartitionGraph _g;
    private readonly int _min, _max, _target;
    private readonly int[] _local;
    private int _n;
    private readonly int[] _nodes = new int[64];
    private readonly int[] _wt = new int[64];
    private readonly ulong[] _adj = new ulong[64];
    private ulong _full;
    private readonly Dictionary<ulong, (long Value, ulong Choice)> _memo = MemoOfThisThread ??= new();

    /// <summary>
    /// One memo per thread, shared by every solver on it: a solve clears it and is done with it before the next starts,
    /// and a table that has grown once is not grown again for every area.
    /// </summary>
    [ThreadStatic] private static Dictionary<ulong, (long Value, ulong Choice)>? MemoOfThisThread;
    private long _budget;
    private bool _aborted;

    /// <summary>Group of each local node, weights per group, and in-band / out-of-band counts of the last solve.</summary>
    public readonly int[] LocalGroup = new int[64];
    public readonly int[] GroupWeight = new int[64];
    public int GroupCount, InCount, OutCount;
    public ReadOnlySpan<int> Nodes => _nodes.AsSpan(0, _n);

    public BandExact(PartitionGraph g, Bounds b)
    {
        _g = g;
        _min = b.Min;
        _max = b.Max;
        _target = b.Target;
        _local = new int[g.NodeCount];
        Array.Fill(_local, -1);
    }

    /// <summary>
    /// Solves the set given in <paramref name="order"/> (breadth-first order helps). Returns false when the set is too
    /// large or the budget ran out; <paramref name="work"/> is charged with the search steps spent.
    /// </summary>
    public bool Solve(ReadOnlySpan<int> order, long budget, ref long work) => Solve(order, budget, ref work, null);

    /// <summary>As <see cref="Solve(ReadOnlySpan{int}, long, ref long)"/>, over only the edges <paramref name="allow"/> accepts.</summary>
    public bool Solve(ReadOnlySpan<int> order, long budget, ref long work, Func<int, int, bool>? allow)
    {
        if (order.Length > 63) return false;
        _n = order.Length;
        for (var i = 0; i < _n; i++)
        {
            _nodes[i] = order[i];
            _local[order[i]] = i;
            _wt[i] = _g.Weight[order[i]];
        }
        for (var i = 0; i < _n; i++)
        {
            ulong m = 0;
            foreach (var u in _g.Neighbours(_nodes[i]))
            {
                var j = _local[u];
                if (j >= 0 && (allow is null || allow(_nodes[i], u))) m |= 1UL << j;
            }
            _adj[i] = m & ~(1UL << i);
        }
        for (var i = 0; i < _n; i++) _local[_nodes[i]] = -1;
        _full = (1UL << _n) - 1;
        _memo.Clear();
        _budget = budget;
        _aborted = false;
        Best(0);
        work += budget - _budget;
        if (_aborted) return false;
        Rebuild();
        return true;
    }

    private long Best(ulong assigned)
    {
        if (assigned == _full) return 0;
        if (_memo.TryGetValue(assigned, out var hit)) return hit.Value;
        if (--_budget < 0)
        {
            _aborted = true;
            return 0;
        }
        var v = BitOperations.TrailingZeroCount(~assigned);
        var vb = 1UL << v;
        var avail = _full & ~assigned;
        var remaining = 0;
        for (var m = avail; m != 0; m &= m - 1) remaining += _wt[BitOperations.TrailingZeroCount(m)];
        // v in a connected in-band set of available nodes — first, so that a good value found early bounds the rest
        var ctx = new EnumCtx { Assigned = assigned, Avail = avail, Best = long.MaxValue, Choice = 0, Remaining = remaining };
        Enumerate(ref ctx, vb, _adj[v] & avail, vb | _adj[v], _wt[v]);
        if (_aborted) return 0;
        // v left over — unless even as many in-band groups as the rest could hold would not beat that
        if (ctx.Choice == 0 || LeftOverCost - InBandGain * MostGroups(remaining - _wt[v]) < ctx.Best)
        {
            var left = LeftOverCost + Best(assigned | vb);
            if (_aborted) return 0;
            if (ctx.Choice == 0 || left < ctx.Best)
            {
                ctx.Best = left;
                ctx.Choice = vb | LeftOverFlag;
            }
        }
        _memo[assigned] = (ctx.Best, ctx.Choice);
        return ctx.Best;
    }

    /// <summary>An upper bound on the in-band groups nodes of this total weight can form (each holds at least Min).</summary>
    private long MostGroups(int weight) => _min > 0 ? weight / _min : 64;

    private struct EnumCtx
    {
        public ulong Assigned, Avail;
        public long Best;
        public ulong Choice;
        public int Remaining; // weight of the available nodes
    }

    /// <summary>Marks a memoised choice as "this node is left over" (node sets use bits 0..62 only).</summary>
    private const ulong LeftOverFlag = 1UL << 63;

    /// <summary>Every connected set of available nodes containing the current set S (weight <paramref name="w"/>), once.</summary>
    private void Enumerate(ref EnumCtx ctx, ulong s, ulong ext, ulong closed, int w)
    {
        // Branch and bound: the rest can add at most MostGroups(its weight) in-band groups, and nothing else lowers the value.
        if (w >= _min && -InBandGain * (1 + MostGroups(ctx.Remaining - w)) + Math.Abs(w - _target) < ctx.Best)
        {
            var value = -InBandGain + Math.Abs(w - _target) + Best(ctx.Assigned | s);
            if (_aborted) return;
            if (value < ctx.Best)
            {
                ctx.Best = value;
                ctx.Choice = s;
            }
        }
        while (ext != 0)
        {
            var u = BitOperations.TrailingZeroCount(ext);
            var ub = 1UL << u;
            ext &= ~ub;
            var w2 = w + _wt[u];
            if (w2 > _max) continue;
            if (--_budget < 0)
            {
                _aborted = true;
                return;
            }
            Enumerate(ref ctx, s | ub, ext | (_adj[u] & ctx.Avail & ~closed), closed | _adj[u], w2);
            if (_aborted) return;
        }
    }

    private void Rebuild()
    {
        GroupCount = InCount = OutCount = 0;
        ulong assigned = 0, left = 0;
        while (assigned != _full)
        {
            var (_, choice) = _memo[assigned];
            if ((choice & LeftOverFlag) != 0)
            {
                var vb = choice & ~LeftOverFlag;
                left |= vb;
                assigned |= vb;
                continue;
            }
            var gid = GroupCount++;
            var wsum = 0;
            for (var m = choice; m != 0; m &= m - 1)
            {
                var i = BitOperations.TrailingZeroCount(m);
                LocalGroup[i] = gid;
                wsum += _wt[i];
            }
            GroupWeight[gid] = wsum;
            InCount++;
            assigned |= choice;
        }
        // left-over nodes: grouped greedily into connected pieces no heavier than Max (each usually below Min)
        while (left != 0)
        {
            var seed = BitOperations.TrailingZeroCount(left);
            var piece = 1UL << seed;
            var wsum = _wt[seed];
            left &= ~piece;
            var grown = true;
            while (grown)
            {
                grown = false;
                ulong frontier = 0;
                for (var m = piece; m != 0; m &= m - 1) frontier |= _adj[BitOperations.TrailingZeroCount(m)];
                frontier &= left;
                for (; frontier != 0; frontier &= frontier - 1)
                {
                    var u = BitOperations.TrailingZeroCount(frontier);
                    if (wsum + _wt[u] > _max) continue;
                    wsum += _wt[u];
                    piece |= 1UL << u;
                    left &= ~(1UL << u);
                    grown = true;
                }
            }
            var gid = GroupCount++;
            for (var m = piece; m != 0; m &= m - 1) LocalGroup[BitOperations.TrailingZeroCount(m)] = gid;
            GroupWeight[gid] = wsum;
            if (wsum >= _min && wsum <= _max) InCount++;
            else OutCount++;
        }
    }
}
