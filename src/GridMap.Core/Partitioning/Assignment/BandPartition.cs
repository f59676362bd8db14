namespace GridMap.Core.Partitioning;

/// <summary>Why a group is outside the household band.</summary>
public enum OutOfBandReason
{
    /// <summary>In band.</summary>
    None,
    /// <summary>The whole connected area holds fewer households than the band's minimum.</summary>
    AreaBelowMin,
    /// <summary>A single node heavier than the band's maximum.</summary>
    OversizedUnit,
    /// <summary>No contiguous split was found that puts this group in band.</summary>
    NoContiguousFit,
}

public sealed record GroupInfo(int Households, int NodeCount, OutOfBandReason Reason);

public sealed record BandResult(int[] GroupOf, int GroupCount, IReadOnlyList<GroupInfo> Groups)
{
    public int InBandCount => Groups.Count(g => g.Reason == OutOfBandReason.None);

    /// <summary>Groups that could be in band: all but oversized units and areas below the minimum.</summary>
    public int EligibleCount => Groups.Count(g => g.Reason is OutOfBandReason.None or OutOfBandReason.NoContiguousFit);

    /// <summary>In-band share over the groups that could be in band (1 when there are none).</summary>
    public double InBandShare => EligibleCount == 0 ? 1 : (double)InBandCount / EligibleCount;
}

/// <summary>Spanning forest the exact tree DP runs on.</summary>
public enum BandTreeKind
{
    /// <summary>Depth-first, preferring high cut-cost edges: path-like, few leaves, rarely forces an out-of-band piece.</summary>
    DepthFirst,
    /// <summary>Maximum spanning forest on cut cost (Kruskal): bushy, follows cost structure closely.</summary>
    MaximumSpanning,
}

public sealed record BandOptions
{
    /// <summary>Spanning forest of the initial solve (recombination always alternates both kinds).</summary>
    public BandTreeKind Tree { get; init; } = BandTreeKind.DepthFirst;

    /// <summary>Seed of every random choice (tie-breaks, alternative spanning trees); same seed, same result.</summary>
    public ulong Seed { get; init; } = 0x9E3779B97F4A7C15UL;

    /// <summary>Out-of-band counts the tree DP tracks above each state's minimum (more: closer to exact, slower).</summary>
    public int Levels { get; init; } = 3;

    /// <summary>Rounds of recombination repair over out-of-band groups (0 disables it).</summary>
    public int RepairRounds { get; init; } = 8;

    /// <summary>Recombination work budget: node-visits of re-solved unions per node of the graph (raise it for small, hard graphs).</summary>
    public int RepairWork { get; init; } = 1000;

    /// <summary>Spanning trees tried for each recombination.</summary>
    public int RepairTrees { get; init; } = 64;

    /// <summary>Largest union (in nodes) re-solved by one recombination.</summary>
    public int RepairMaxNodes { get; init; } = 400;

    /// <summary>Sweeps of boundary moves that reduce out-of-band count, cut cost and deviation from target (0 disables).</summary>
    public int ImproveSweeps { get; init; } = 4;
}

/// <summary>
/// Partitions a graph's nodes into connected groups with as many groups as possible within a household band.
/// <list type="number">
/// <item>Connected components lighter than Min become one group each (<see cref="OutOfBandReason.AreaBelowMin"/>);
/// nodes heavier than Max become singleton groups (<see cref="OutOfBandReason.OversizedUnit"/>).</item>
/// <item>Each remaining piece is solved exactly on a maximum spanning tree of cut cost (<see cref="TreeDp"/>):
/// fewest out-of-band groups that tree allows; closed groups nearest the target are preferred.</item>
/// <item>Out-of-band groups are repaired by recombination: the group and its neighbours (one ring, then two) are merged
/// and re-solved exactly by a memoised search over connected subsets (<see cref="BandExact"/>); unions that search cannot
/// finish are re-solved on other spanning trees of the union. A result is kept only when it has more in-band groups,
/// or as many and fewer out-of-band ones.</item>
/// <item>Boundary moves keep groups connected and lower, in order, the out-of-band count, the cut cost and the
/// deviation from the target.</item>
/// </list>
/// Deterministic for a given <see cref="BandOptions.Seed"/>.
/// </summary>
public static class BandPartition
{
    public static BandResult Solve(PartitionGraph graph, Bounds bounds, BandOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(bounds);
        if (bounds.Min < 0 || bounds.Max < bounds.Min)
            throw new ArgumentException("Bounds must satisfy 0 <= Min <= Max.", nameof(bounds));
        foreach (var w in graph.Weight)
            if (w < 0) throw new ArgumentException("Node weights must not be negative.", nameof(graph));
        options ??= new BandOptions();

        var work = new BandWork(graph, bounds, options);
        work.Initial();
        if (options.RepairRounds > 0) BandRepair.Recombine(work);
        if (options.ImproveSweeps > 0) BandRepair.Improve(work);
        return work.ToResult();
    }
}

/// <summary>Mutable state of one solve: group of each node and per-group totals.</summary>
internal sealed class BandWork
{
    public const byte Normal = 0, Oversized = 1, AreaBelowMin = 2, Forced = 3;

    public readonly PartitionGraph G;
    public readonly Bounds B;
    public readonly BandOptions Options;
    public readonly int N;
    public readonly int[] GroupOf;
    public int GroupCount;
    public int[] Weight = new int[16];
    public int[] Count = new int[16];
    public int[] Seed = new int[16];
    public byte[] Kind = new byte[16];
    /// <summary>When each group last changed (a tick of <see cref="Clock"/>), so that a re-solve of unchanged groups can be skipped.</summary>
    public int[] ChangedAt = new int[16];
    public int Clock = 1;
    public BandRng Rng;
    public readonly TreeDp Dp;
    private BandExact? _exact;
    public BandExact Exact => _exact ??= new BandExact(G, B);

    public BandWork(PartitionGraph g, Bounds b, BandOptions options)
    {
        G = g;
        B = b;
        Options = options;
        N = g.NodeCount;
        GroupOf = new int[N];
        Rng = new BandRng(options.Seed);
        Dp = new TreeDp(g, b) { Tree = options.Tree, Levels = options.Levels };
    }

    public bool InBand(int w) => w >= B.Min && w <= B.Max;

    public int NewGroup(byte kind)
    {
        if (GroupCount == Weight.Length)
        {
            var cap = GroupCount * 2;
            Array.Resize(ref Weight, cap);
            Array.Resize(ref Count, cap);
            Array.Resize(ref Seed, cap);
            Array.Resize(ref Kind, cap);
            Array.Resize(ref ChangedAt, cap);
        }
        ChangedAt[GroupCount] = Clock;
        Weight[GroupCount] = 0;
        Count[GroupCount] = 0;
        Seed[GroupCount] = -1;
        Kind[GroupCount] = kind;
        return GroupCount++;
    }

    public void Assign(int v, int group)
    {
        GroupOf[v] = group;
        Weight[group] += G.Weight[v];
        Count[group]++;
        Seed[group] = v;
        ChangedAt[group] = Clock;
    }

    /// <summary>Components, oversized units, and the tree DP on every remaining piece.</summary>
    public void Initial()
    {
        var g = G;
        var weight = g.Weight;
        var comp = new int[N];
        Array.Fill(comp, -1);
        var queue = new int[N];
        var members = new List<int>();
        var piece = new int[N];

        // 1. connected components; those below Min are whole groups.
        for (var s = 0; s < N; s++)
        {
            if (comp[s] >= 0) continue;
            int head = 0, tail = 0;
            long total = 0;
            comp[s] = s;
            queue[tail++] = s;
            while (head < tail)
            {
                var v = queue[head++];
                total += weight[v];
                foreach (var u in g.Neighbours(v))
                {
                    if (comp[u] >= 0) continue;
                    comp[u] = s;
                    queue[tail++] = u;
                }
            }
            if (total < B.Min)
            {
                var grp = NewGroup(AreaBelowMin);
                for (var i = 0; i < tail; i++) Assign(queue[i], grp);
                continue;
            }
            // 2. oversized nodes alone; 3. pieces between them by the tree DP.
            for (var i = 0; i < tail; i++)
            {
                var v = queue[i];
                if (weight[v] > B.Max) Assign(v, NewGroup(Oversized));
                else GroupOf[v] = -1;
            }
            for (var i = 0; i < tail; i++)
            {
                var p = queue[i];
                if (GroupOf[p] != -1) continue;
                // collect the piece holding p (non-oversized nodes reachable without crossing oversized ones)
                int ph = 0, pt = 0;
                long pw = 0;
                GroupOf[p] = -2;
                piece[pt++] = p;
                while (ph < pt)
                {
                    var v = piece[ph++];
                    pw += weight[v];
                    foreach (var u in g.Neighbours(v))
                    {
                        if (GroupOf[u] != -1) continue;
                        GroupOf[u] = -2;
                        piece[pt++] = u;
                    }
                }
                if (pw < B.Min)
                {
                    var grp = NewGroup(Forced);
                    for (var k = 0; k < pt; k++) Assign(piece[k], grp);
                    continue;
                }
                ApplyDp(piece.AsSpan(0, pt), null, 0);
            }
        }
    }

    /// <summary>Runs the tree DP on <paramref name="nodes"/> and writes its groups, reusing <paramref name="reuse"/> ids first.</summary>
    public int ApplyDp(ReadOnlySpan<int> nodes, List<int>? reuse, double jitter)
    {
        var outCount = Dp.Solve(nodes, ref Rng, jitter);
        AdoptDp(reuse);
        return outCount;
    }

    /// <summary>Writes the groups of the last DP solve, reusing the given ids first (unused ones become empty).</summary>
    public void AdoptDp(List<int>? reuse) => Adopt(Dp.Nodes, Dp.LocalGroup, Dp.GroupCount, reuse);

    /// <summary>Writes groups given per local node, reusing the given ids first (unused ones become empty).</summary>
    public void Adopt(ReadOnlySpan<int> nodes, int[] localGroup, int groupCount, List<int>? reuse)
    {
        Clock++;
        Span<int> ids = groupCount <= 256 ? stackalloc int[groupCount] : new int[groupCount];
        var r = 0;
        for (var k = 0; k < groupCount; k++)
        {
            if (reuse != null && r < reuse.Count)
            {
                var id = reuse[r++];
                Weight[id] = 0;
                Count[id] = 0;
                Seed[id] = -1;
                Kind[id] = Normal;
                ids[k] = id;
            }
            else ids[k] = NewGroup(Normal);
        }
        if (reuse != null)
            for (; r < reuse.Count; r++)
            {
                var id = reuse[r];
                Weight[id] = 0;
                Count[id] = 0;
                Seed[id] = -1;
                ChangedAt[id] = Clock;
            }
        for (var i = 0; i < nodes.Length; i++) Assign(nodes[i], ids[localGroup[i]]);
    }

    public BandResult ToResult()
    {
        var map = new int[GroupCount];
        var infos = new List<GroupInfo>(GroupCount);
        var k = 0;
        for (var grp = 0; grp < GroupCount; grp++)
        {
            if (Count[grp] == 0) { map[grp] = -1; continue; }
            map[grp] = k++;
            var reason = Kind[grp] switch
            {
                Oversized => OutOfBandReason.OversizedUnit,
                AreaBelowMin => OutOfBandReason.AreaBelowMin,
                _ => InBand(Weight[grp]) ? OutOfBandReason.None : OutOfBandReason.NoContiguousFit,
            };
            infos.Add(new GroupInfo(Weight[grp], Count[grp], reason));
        }
        var groupOf = new int[N];
        for (var v = 0; v < N; v++) groupOf[v] = map[GroupOf[v]];
        return new BandResult(groupOf, k, infos);
    }
}
