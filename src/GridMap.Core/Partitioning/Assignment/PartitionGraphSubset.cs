namespace GridMap.Core.Partitioning;

/// <summary>The subgraph induced by some nodes of a <see cref="PartitionGraph"/>, with the way back to the original node numbers.</summary>
public sealed record PartitionGraphSubset(PartitionGraph Graph, int[] Original)
{
    public static PartitionGraphSubset Induce(PartitionGraph g, IReadOnlyList<int> nodes)
    {
        var local = new Dictionary<int, int>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++) local[nodes[i]] = i;
        var weight = new int[nodes.Count];
        var x = new double[nodes.Count];
        var y = new double[nodes.Count];
        var offset = new int[nodes.Count + 1];
        var target = new List<int>();
        var cost = new List<double>();
        var length = new List<double>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var v = nodes[i];
            weight[i] = g.Weight[v];
            x[i] = g.X[v];
            y[i] = g.Y[v];
            for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
            {
                if (!local.TryGetValue(g.Target[e], out var w)) continue;
                target.Add(w);
                cost.Add(g.Cost[e]);
                length.Add(g.Length[e]);
            }
            offset[i + 1] = target.Count;
        }
        return new(new PartitionGraph(weight, x, y, offset, [.. target], [.. cost], [.. length]), [.. nodes]);
    }
}
