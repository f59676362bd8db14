namespace GridMap.Core.Partitioning;

/// <summary>
/// The graph the grid partitioner assigns: one node per atom (a building, a unit of a building, a compound kept whole,
/// a piece of a divided compound) weighted by households, and an undirected edge between atoms whose territories share
/// a boundary. <see cref="Cost"/> is what cutting that edge costs: low along roads, rivers and walls, high inside a block.
/// Stored as compressed adjacency (CSR) so that 100k atoms cost a few megabytes.
/// </summary>
public sealed class PartitionGraph
{
    public int NodeCount => Weight.Length;

    /// <summary>Households of each node.</summary>
    public int[] Weight { get; }

    /// <summary>Neighbours of node v are <c>Target[Offset[v]..Offset[v+1]]</c>, with costs <c>Cost[…]</c> and shared boundary lengths <c>Length[…]</c> (m).</summary>
    public int[] Offset { get; }
    public int[] Target { get; }
    public double[] Cost { get; }
    public double[] Length { get; }

    /// <summary>Node position (projected metres), for compactness and ordering.</summary>
    public double[] X { get; }
    public double[] Y { get; }

    public PartitionGraph(int[] weight, double[] x, double[] y, int[] offset, int[] target, double[] cost, double[] length)
    {
        Weight = weight;
        X = x;
        Y = y;
        Offset = offset;
        Target = target;
        Cost = cost;
        Length = length;
    }

    public ReadOnlySpan<int> Neighbours(int v) => Target.AsSpan(Offset[v], Offset[v + 1] - Offset[v]);

    /// <summary>Builds the CSR form from an undirected edge list (each pair once; duplicates are summed).</summary>
    public static PartitionGraph FromEdges(int[] weight, double[] x, double[] y, IEnumerable<(int A, int B, double Cost, double Length)> edges)
    {
        var n = weight.Length;
        // Sorting packed keys merges duplicates without a hash table (whose long hash collides on path-like lists).
        var list = new List<(long Key, double Cost, double Length)>();
        foreach (var (a, b, c, l) in edges)
        {
            if (a == b) continue;
            list.Add((a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a, c, l));
        }
        list.Sort((p, q) => p.Key.CompareTo(q.Key));
        var merged = new List<(long Key, double Cost, double Length)>(list.Count);
        foreach (var e in list)
        {
            if (merged.Count > 0 && merged[^1].Key == e.Key) merged[^1] = (e.Key, merged[^1].Cost + e.Cost, merged[^1].Length + e.Length);
            else merged.Add(e);
        }
        var degree = new int[n + 1];
        foreach (var (key, _, _) in merged)
        {
            degree[(int)(key >> 32)]++;
            degree[(int)(key & 0xffffffff)]++;
        }
        var offset = new int[n + 1];
        for (var v = 0; v < n; v++) offset[v + 1] = offset[v] + degree[v];
        var fill = (int[])offset.Clone();
        var target = new int[offset[n]];
        var cost = new double[offset[n]];
        var length = new double[offset[n]];
        foreach (var (key, c, l) in merged)
        {
            int a = (int)(key >> 32), b = (int)(key & 0xffffffff);
            target[fill[a]] = b; cost[fill[a]] = c; length[fill[a]++] = l;
            target[fill[b]] = a; cost[fill[b]] = c; length[fill[b]++] = l;
        }
        return new PartitionGraph(weight, x, y, offset, target, cost, length);
    }
}

/// <summary>Household bounds of a grid (defaults 200–300, target 250).</summary>
public sealed record Bounds(int Min = 200, int Max = 300, int Target = 250)
{
    public bool Contains(long households) => households >= Min && households <= Max;

    /// <summary>
    /// A building above <see cref="Max"/> with no stairwells (单元) given is split into synthesised ones of about this
    /// many households (<see cref="Model.BuildingUnit.Synthesise"/>), so grids can take whole stairwells of it.
    /// </summary>
    public int SynthesisedUnitHouseholds { get; init; } = 50;
}
