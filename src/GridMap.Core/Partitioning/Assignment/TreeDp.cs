using System.Numerics;
using System.Runtime.CompilerServices;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Exact partition of a spanning tree into connected pieces with as few out-of-band pieces as possible.
/// <para>
/// For a subset of graph nodes (connected or not) it builds a maximum spanning forest on cut cost (ties: shorter
/// distance, then a seeded random order; optional multiplicative jitter for alternative trees), then runs a DP over the
/// tree: the state of a node is, for each count b of out-of-band pieces already closed below it (0..B, the top level
/// meaning "B or more" when saturating), the bitset of achievable weights 0..Max of the still-open piece holding the node.
/// Bits are kept only at the smallest b that reaches them, so the DP computes min-b exactly per weight.
/// A child is merged by closing its piece (in band at cost b, or out of band at cost b+1) or by joining it
/// (bitset sumset, truncated at Max). The prefix state after each child is kept so the partition is rebuilt top-down.
/// </para>
/// All traversals are iterative; buffers are reused between calls.
/// </summary>
internal sealed class TreeDp
{
    private readonly PartitionGraph _g;
    private readonly int _min, _max, _target;
    private readonly int _words;
    private readonly ulong _lastMask;
    private readonly ulong[] _band;
    private readonly int[] _local; // global → local index, -1 outside the current subset

    private int _n;
    private int[] _nodes = [];
    private int[] _wt = [];
    private Edge[] _edges = [];
    private int[] _uf = [];
    private int[] _treeOff = [], _treeAdj = [], _fill = [];
    private int[] _parent = [], _order = [], _childStart = [], _childList = [], _roots = [];
    private int _rootCount;
    private ulong[] _states = [];
    private ulong[] _init = [], _tmp = [];
    private int _levels = 4;
    private int[] _base = [];
    private ulong[] _wide = [];
    private (int V, int W, int B, int G)[] _stack = [];

    /// <summary>Group of each local node (index into <see cref="GroupWeight"/>), valid after <see cref="Solve"/>.</summary>
    public int[] LocalGroup = [];
    public int[] GroupWeight = [];
    public int GroupCount;
    public int OutCount;
    /// <summary>Global node of each local index of the last solve.</summary>
    public ReadOnlySpan<int> Nodes => _nodes.AsSpan(0, _n);

    /// <summary>
    /// Out-of-band counts tracked per state above the state's own minimum (its base). A weight whose count exceeds the
    /// minimum by this much or more is dropped; exact whenever no optimal solution needs such a locally poor state.
    /// </summary>
    public int Levels
    {
        get => _levels;
        set => _levels = Math.Max(1, value);
    }

    public TreeDp(PartitionGraph g, Bounds bounds)
    {
        _g = g;
        _min = bounds.Min;
        _max = bounds.Max;
        _target = bounds.Target;
        _words = (_max >> 6) + 1;
        var rem = (_max + 1) & 63;
        _lastMask = rem == 0 ? ulong.MaxValue : (1UL << rem) - 1;
        _band = new ulong[_words];
        for (var w = Math.Max(0, _min); w <= _max; w++) _band[w >> 6] |= 1UL << (w & 63);
        _local = new int[g.NodeCount];
        Array.Fill(_local, -1);
    }

    private struct Edge
    {
        public double K1, K2;
        public ulong K3;
        public int U, V;
    }

    private struct EdgeComparer : IComparer<Edge>
    {
        public readonly int Compare(Edge a, Edge b)
        {
            var c = a.K1.CompareTo(b.K1);
            if (c != 0) return c;
            c = a.K2.CompareTo(b.K2);
            return c != 0 ? c : a.K3.CompareTo(b.K3);
        }
    }

    /// <summary>
    /// Partitions the given nodes. Every node must be lighter than or equal to Max.
    /// Returns the number of out-of-band groups (exact minimum for the tree used, unless more than the level cap).
    /// </summary>
    public int Solve(ReadOnlySpan<int> subset, ref BandRng rng, double jitter)
    {
        Load(subset);
        if (_n == 0)
        {
            GroupCount = OutCount = 0;
            return 0;
        }
        BuildForest(ref rng, jitter);
        RunDp();
        Reconstruct();
        Unload();
        return OutCount;
    }

    private void Load(ReadOnlySpan<int> subset)
    {
        _n = subset.Length;
        EnsureCapacity(_n);
        for (var i = 0; i < _n; i++)
        {
            var v = subset[i];
            _nodes[i] = v;
            _local[v] = i;
            _wt[i] = _g.Weight[v];
        }
    }

    private void Unload()
    {
        for (var i = 0; i < _n; i++) _local[_nodes[i]] = -1;
    }

    private void EnsureCapacity(int n)
    {
        if (_nodes.Length >= n) return;
        var cap = Math.Max(n, _nodes.Length * 2);
        _nodes = new int[cap];
        _wt = new int[cap];
        _uf = new int[cap];
        _treeOff = new int[cap + 1];
        _fill = new int[cap + 1];
        _treeAdj = new int[2 * cap];
        _parent = new int[cap];
        _order = new int[cap];
        _childStart = new int[cap + 1];
        _childList = new int[cap];
        _roots = new int[cap];
        LocalGroup = new int[cap];
        GroupWeight = new int[cap];
        _stack = new (int, int, int, int)[cap];
    }

    // ---------------------------------------------------------------- spanning forest

    /// <summary>Which spanning forest the DP runs on.</summary>
    public BandTreeKind Tree { get; set; } = BandTreeKind.DepthFirst;

    /// <summary>
    /// Optional labels per global node: an edge whose two ends carry the same non-negative label is taken into the tree
    /// before any other, so that labelled groups stay whole subtrees (the DP can then reproduce them, or do better).
    /// </summary>
    public int[]? Guide { get; set; }

    private const double GuideBonus = 1e12;

    /// <summary>Preference of an edge for the tree: cut cost, jittered (infinite jitter: ignored), plus the guide bonus.</summary>
    private double EdgeCost(int e, int v, int u, ref BandRng rng, double jitter)
    {
        double cost;
        if (double.IsPositiveInfinity(jitter)) cost = 0;
        else
        {
            cost = _g.Cost[e];
            if (jitter > 0) cost *= 1 + jitter * rng.NextDouble();
        }
        var guide = Guide;
        if (guide != null && guide[v] >= 0 && guide[v] == guide[u]) cost += GuideBonus;
        return cost;
    }

    private double EdgeDist(int v, int u, double jitter)
    {
        if (double.IsPositiveInfinity(jitter)) return 0;
        double dx = _g.X[v] - _g.X[u], dy = _g.Y[v] - _g.Y[u];
        return dx * dx + dy * dy;
    }

    private void BuildForest(ref BandRng rng, double jitter)
    {
        if (Tree == BandTreeKind.DepthFirst) BuildDfs(ref rng, jitter);
        else BuildKruskal(ref rng, jitter);
        BuildChildren();
    }

    /// <summary>
    /// Depth-first forest: from each node go on to the unvisited neighbour with the highest (jittered) cut cost, ties by
    /// shorter distance, then at random. Few leaves, so few forced out-of-band pieces; paths follow high-cost edges.
    /// </summary>
    private void BuildDfs(ref BandRng rng, double jitter)
    {
        var g = _g;
        var n = _n;
        var parent = _parent;
        for (var i = 0; i < n; i++) parent[i] = -2;
        var stack = _uf; // reused as the DFS stack
        var k = 0;
        _rootCount = 0;
        for (var s = 0; s < n; s++)
        {
            if (parent[s] != -2) continue;
            parent[s] = -1;
            _roots[_rootCount++] = s;
            _order[k++] = s;
            var sp = 0;
            stack[sp++] = s;
            while (sp > 0)
            {
                var i = stack[sp - 1];
                var v = _nodes[i];
                int best = -1;
                double bestCost = 0, bestDist = 0;
                ulong bestRand = 0;
                for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
                {
                    var u = g.Target[e];
                    var j = _local[u];
                    if (j < 0 || parent[j] != -2) continue;
                    var cost = EdgeCost(e, v, u, ref rng, jitter);
                    var dist = EdgeDist(v, u, jitter);
                    var rand = rng.NextULong();
                    if (best < 0 || cost > bestCost || (cost == bestCost && (dist < bestDist || (dist == bestDist && rand < bestRand))))
                    {
                        best = j;
                        bestCost = cost;
                        bestDist = dist;
                        bestRand = rand;
                    }
                }
                if (best < 0) { sp--; continue; }
                parent[best] = i;
                _order[k++] = best;
                stack[sp++] = best;
            }
        }
    }

    private void BuildKruskal(ref BandRng rng, double jitter)
    {
        var g = _g;
        var n = _n;
        var m = 0;
        for (var i = 0; i < n; i++)
        {
            var v = _nodes[i];
            for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
            {
                var j = _local[g.Target[e]];
                if (j <= i) continue;
                if (m == _edges.Length) Array.Resize(ref _edges, Math.Max(16, m * 2));
                var u = g.Target[e];
                var cost = EdgeCost(e, v, u, ref rng, jitter);
                _edges[m++] = new Edge { K1 = -cost, K2 = EdgeDist(v, u, jitter), K3 = rng.NextULong(), U = i, V = j };
            }
        }
        var edges = _edges.AsSpan(0, m);
        edges.Sort(new EdgeComparer());

        var uf = _uf;
        for (var i = 0; i < n; i++) uf[i] = -1;
        var deg = _treeOff;
        Array.Clear(deg, 0, n + 1);
        var chosen = 0;
        for (var k = 0; k < m && chosen < n - 1; k++)
        {
            int a = Find(uf, edges[k].U), b = Find(uf, edges[k].V);
            if (a == b) continue;
            if (uf[a] > uf[b]) (a, b) = (b, a);
            uf[a] += uf[b];
            uf[b] = a;
            edges[chosen++] = edges[k]; // compact chosen edges to the front
            deg[edges[chosen - 1].U + 1]++;
            deg[edges[chosen - 1].V + 1]++;
        }
        for (var i = 0; i < n; i++) deg[i + 1] += deg[i];
        Array.Copy(deg, _fill, n + 1);
        for (var k = 0; k < chosen; k++)
        {
            _treeAdj[_fill[edges[k].U]++] = edges[k].V;
            _treeAdj[_fill[edges[k].V]++] = edges[k].U;
        }
        BfsOrder();
    }

    /// <summary>Orders the tree given by <c>_treeAdj</c> breadth-first from one root per tree.</summary>
    private void BfsOrder()
    {
        var n = _n;
        // BFS order from a root per tree; children lists in BFS order.
        var parent = _parent;
        for (var i = 0; i < n; i++) parent[i] = -2;
        var head = 0;
        var tail = 0;
        _rootCount = 0;
        for (var s = 0; s < n; s++)
        {
            if (parent[s] != -2) continue;
            parent[s] = -1;
            _roots[_rootCount++] = s;
            _order[tail++] = s;
            while (head < tail)
            {
                var v = _order[head++];
                for (var e = _treeOff[v]; e < _treeOff[v + 1]; e++)
                {
                    var u = _treeAdj[e];
                    if (parent[u] != -2) continue;
                    parent[u] = v;
                    _order[tail++] = u;
                }
            }
        }
    }

    private void BuildChildren()
    {
        var n = _n;
        var parent = _parent;
        var cs = _childStart;
        Array.Clear(cs, 0, n + 1);
        for (var i = 0; i < n; i++) if (parent[i] >= 0) cs[parent[i] + 1]++;
        for (var i = 0; i < n; i++) cs[i + 1] += cs[i];
        Array.Copy(cs, _fill, n + 1);
        for (var k = 0; k < n; k++)
        {
            var v = _order[k];
            if (parent[v] >= 0) _childList[_fill[parent[v]]++] = v;
        }
    }

    private static int Find(int[] uf, int x)
    {
        while (uf[x] >= 0)
        {
            var p = uf[x];
            if (uf[p] >= 0) uf[x] = uf[p];
            x = p;
        }
        return x;
    }

    // ---------------------------------------------------------------- DP

    private int StateSize => _levels * _words;

    private Span<ulong> State(int v) => _states.AsSpan(v * StateSize, StateSize);

    private void RunDp()
    {
        var size = StateSize;
        var need = (long)_n * size;
        if (_states.Length < need) _states = new ulong[Math.Max(need, Math.Min((long)_states.Length * 2, Array.MaxLength))];
        if (_base.Length < _n) _base = new int[_nodes.Length];
        if (_init.Length < size)
        {
            _init = new ulong[size];
            _tmp = new ulong[size];
            _wide = new ulong[2 * size];
        }
        for (var k = _n - 1; k >= 0; k--)
        {
            var v = _order[k];
            int c0 = _childStart[v], c1 = _childStart[v + 1];
            if (c0 == c1) continue; // leaf: final state is the init state, computed on demand
            ReadOnlySpan<ulong> prev = InitState(v, _init);
            var prevBase = 0;
            for (var ci = c0; ci < c1; ci++)
            {
                var c = _childList[ci];
                var fin = Final(c, _tmp, out var finBase);
                _base[c] = Merge(prev, prevBase, fin, finBase, State(c));
                prev = State(c);
                prevBase = _base[c];
            }
        }
    }

    /// <summary>Final state of <paramref name="v"/>'s subtree (leaf states are written to <paramref name="leafBuffer"/>).</summary>
    private ReadOnlySpan<ulong> Final(int v, ulong[] leafBuffer, out int stateBase)
    {
        int c0 = _childStart[v], c1 = _childStart[v + 1];
        if (c0 == c1)
        {
            stateBase = 0;
            return InitState(v, leafBuffer);
        }
        var last = _childList[c1 - 1];
        stateBase = _base[last];
        return State(last);
    }

    private Span<ulong> InitState(int v, ulong[] buffer)
    {
        var s = buffer.AsSpan(0, StateSize);
        s.Clear();
        var w = _wt[v];
        s[w >> 6] = 1UL << (w & 63);
        return s;
    }

    /// <summary>
    /// Cheapest way to close the open piece described by <paramref name="s"/>, relative to its base: the level of the
    /// first in-band weight, or one more than the first non-empty level, whichever is smaller.
    /// </summary>
    private int CloseCost(ReadOnlySpan<ulong> s, out int level, out bool inBand)
    {
        var W = _words;
        for (var l = 0; l < _levels; l++)
        {
            var set = s.Slice(l * W, W);
            var any = false;
            for (var i = 0; i < W; i++)
            {
                if ((set[i] & _band[i]) != 0)
                {
                    level = l;
                    inBand = true;
                    return l;
                }
                if (set[i] != 0) any = true;
            }
            if (!any) continue;
            // first non-empty level without an in-band weight: closing out of band costs l + 1,
            // unless the next level holds an in-band weight (same cost, preferred).
            if (l + 1 < _levels)
            {
                var next = s.Slice((l + 1) * W, W);
                for (var i = 0; i < W; i++)
                    if ((next[i] & _band[i]) != 0)
                    {
                        level = l + 1;
                        inBand = true;
                        return l + 1;
                    }
            }
            level = l;
            inBand = false;
            return l + 1;
        }
        throw new InvalidOperationException("empty DP state");
    }

    /// <summary>Merges a child's final state into the parent's prefix state; returns the base of <paramref name="dst"/>.</summary>
    private int Merge(ReadOnlySpan<ulong> cur, int curBase, ReadOnlySpan<ulong> child, int childBase, Span<ulong> dst)
    {
        int W = _words, L = _levels;
        var wide = _wide.AsSpan(0, 2 * L * W);
        wide.Clear();
        var cc = CloseCost(child, out _, out _);
        var firstCur = -1;
        for (var b1 = 0; b1 < L; b1++)
        {
            if (IsEmpty(cur.Slice(b1 * W, W))) continue;
            firstCur = b1;
            break;
        }
        var limit = firstCur + cc + L; // levels at or above this are dropped after normalisation
        for (var b1 = firstCur; b1 < L; b1++)
        {
            var a = cur.Slice(b1 * W, W);
            if (IsEmpty(a)) continue;
            var lv = b1 + cc;
            if (lv < limit)
            {
                var d = wide.Slice(lv * W, W);
                for (var i = 0; i < W; i++) d[i] |= a[i];
            }
            for (var b2 = 0; b2 < L && b1 + b2 < limit; b2++)
            {
                var b = child.Slice(b2 * W, W);
                if (IsEmpty(b)) continue;
                SumsetOr(a, b, wide.Slice((b1 + b2) * W, W));
            }
        }
        // normalise: first non-empty level becomes 0; keep each weight only at its smallest level; drop the rest
        var l0 = 0;
        while (IsEmpty(wide.Slice(l0 * W, W))) l0++;
        Span<ulong> acc = stackalloc ulong[W];
        acc.Clear();
        for (var l = 0; l < L; l++)
        {
            var src = l0 + l < 2 * L ? wide.Slice((l0 + l) * W, W) : default;
            var d = dst.Slice(l * W, W);
            if (src.IsEmpty)
            {
                d.Clear();
                continue;
            }
            for (var i = 0; i < W; i++)
            {
                var x = src[i] & ~acc[i];
                d[i] = x;
                acc[i] |= x;
            }
        }
        return curBase + childBase + l0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEmpty(ReadOnlySpan<ulong> s)
    {
        for (var i = 0; i < s.Length; i++) if (s[i] != 0) return false;
        return true;
    }

    private static int PopCount(ReadOnlySpan<ulong> s)
    {
        var c = 0;
        for (var i = 0; i < s.Length; i++) c += BitOperations.PopCount(s[i]);
        return c;
    }

    private static int LowestBit(ReadOnlySpan<ulong> s)
    {
        for (var i = 0; i < s.Length; i++) if (s[i] != 0) return (i << 6) + BitOperations.TrailingZeroCount(s[i]);
        return -1;
    }

    /// <summary>dst |= {x + y : x ∈ a, y ∈ b, x + y ≤ Max}.</summary>
    private void SumsetOr(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst)
    {
        if (PopCount(a) < PopCount(b)) { var t = a; a = b; b = t; } // iterate the sparser one
        var W = _words;
        var lowA = LowestBit(a);
        var limit = _max - lowA;
        for (var wi = 0; wi < W; wi++)
        {
            var word = b[wi];
            while (word != 0)
            {
                var j = (wi << 6) + BitOperations.TrailingZeroCount(word);
                if (j > limit) goto done;
                word &= word - 1;
                int ws = j >> 6, bs = j & 63;
                if (bs == 0)
                {
                    for (var i = ws; i < W; i++) dst[i] |= a[i - ws];
                }
                else
                {
                    dst[ws] |= a[0] << bs;
                    var rs = 64 - bs;
                    for (var i = ws + 1; i < W; i++) dst[i] |= (a[i - ws] << bs) | (a[i - ws - 1] >> rs);
                }
            }
        }
        done:
        dst[W - 1] &= _lastMask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Has(ReadOnlySpan<ulong> s, int level, int w) =>
        w >= 0 && level >= 0 && level < _levels && (s[level * _words + (w >> 6)] & (1UL << (w & 63))) != 0;

    // ---------------------------------------------------------------- reconstruction

    /// <summary>Weight of a closed piece chosen from level <paramref name="level"/>: in band nearest target, else the heaviest.</summary>
    private int PickClose(ReadOnlySpan<ulong> s, int level, bool inBand)
    {
        var W = _words;
        var set = s.Slice(level * W, W);
        if (inBand)
        {
            for (var d = 0; ; d++)
            {
                int lo = _target - d, hi = _target + d;
                if (lo < _min && hi > _max) break;
                if (lo >= _min && lo <= _max && (set[lo >> 6] & (1UL << (lo & 63))) != 0) return lo;
                if (hi >= _min && hi <= _max && (set[hi >> 6] & (1UL << (hi & 63))) != 0) return hi;
            }
            throw new InvalidOperationException("no in-band weight");
        }
        for (var i = W - 1; i >= 0; i--)
            if (set[i] != 0) return (i << 6) + 63 - BitOperations.LeadingZeroCount(set[i]);
        throw new InvalidOperationException("empty level");
    }

    private void Reconstruct()
    {
        GroupCount = 0;
        var sp = 0;
        for (var r = 0; r < _rootCount; r++)
        {
            var root = _roots[r];
            var f = Final(root, _tmp, out var fb);
            CloseCost(f, out var lvl, out var inBand);
            var w = PickClose(f, lvl, inBand);
            _stack[sp++] = (root, w, fb + lvl, NewGroup(w));
        }
        while (sp > 0)
        {
            var (v, w, b, gid) = _stack[--sp];
            LocalGroup[v] = gid;
            int c0 = _childStart[v], c1 = _childStart[v + 1];
            for (var ci = c1 - 1; ci >= c0; ci--)
            {
                var c = _childList[ci];
                ReadOnlySpan<ulong> prev;
                int pb;
                if (ci > c0)
                {
                    prev = State(_childList[ci - 1]);
                    pb = _base[_childList[ci - 1]];
                }
                else
                {
                    prev = InitState(v, _init);
                    pb = 0;
                }
                var fin = Final(c, _tmp, out var fb);
                var cc = CloseCost(fin, out var cl, out var cIn);
                // 1. close the child in band
                if (cIn && Has(prev, b - fb - cc - pb, w))
                {
                    var w2 = PickClose(fin, cl, true);
                    _stack[sp++] = (c, w2, fb + cl, NewGroup(w2));
                    b -= fb + cc;
                    continue;
                }
                // 2. join
                if (TryJoin(prev, pb, fin, fb, w, b, out var w1, out var w2j, out var l2))
                {
                    _stack[sp++] = (c, w2j, fb + l2, gid);
                    b -= fb + l2;
                    w = w1;
                    continue;
                }
                // 3. close the child out of band
                if (!Has(prev, b - fb - cc - pb, w)) throw new InvalidOperationException("tree DP reconstruction failed");
                var wc = PickClose(fin, cl, cIn);
                _stack[sp++] = (c, wc, fb + cl, NewGroup(wc));
                b -= fb + cc;
            }
            if (w != _wt[v] || b != 0) throw new InvalidOperationException("tree DP reconstruction inconsistent");
        }
        OutCount = 0;
        for (var gi = 0; gi < GroupCount; gi++)
            if (GroupWeight[gi] < _min || GroupWeight[gi] > _max) OutCount++;
    }

    private int NewGroup(int w)
    {
        GroupWeight[GroupCount] = w;
        return GroupCount++;
    }

    private bool TryJoin(ReadOnlySpan<ulong> prev, int pb, ReadOnlySpan<ulong> fin, int fb, int w, int b,
        out int w1, out int w2, out int l2)
    {
        var W = _words;
        for (l2 = 0; l2 < _levels; l2++)
        {
            var l1 = b - fb - l2 - pb;
            if (l1 < 0) break;
            if (l1 >= _levels) continue;
            var set = fin.Slice(l2 * W, W);
            for (var wi = W - 1; wi >= 0; wi--)
            {
                var word = set[wi];
                while (word != 0)
                {
                    var bit = 63 - BitOperations.LeadingZeroCount(word);
                    word &= ~(1UL << bit);
                    w2 = (wi << 6) + bit;
                    w1 = w - w2;
                    if (w1 >= 0 && Has(prev, l1, w1)) return true;
                }
            }
        }
        w1 = w2 = l2 = -1;
        return false;
    }
}

/// <summary>Small deterministic PRNG (xoshiro256** seeded by SplitMix64).</summary>
internal struct BandRng
{
    private ulong _s0, _s1, _s2, _s3;

    public BandRng(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public int Next(int n) => (int)((NextULong() >> 33) % (ulong)n);
}
