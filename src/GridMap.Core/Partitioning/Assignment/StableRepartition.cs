namespace GridMap.Core.Partitioning;

/// <summary>
/// Re-partitions an area that already has grids (相对稳定): grids that are still in band and contiguous stay exactly as
/// they are; a grid pushed out of band first tries single boundary moves to or from a neighbour, and only when that
/// fails is it re-solved together with its neighbours. Codes follow the households: each new grid takes the old code
/// it shares most households with, and grids left without one get the next free number.
/// </summary>
public static class StableRepartition
{
    public sealed record Outcome(int[] GroupOf, int GroupCount, IReadOnlyList<int?> OldGridOfGroup);

    /// <param name="oldGroupOf">Old grid index of each node, or -1 for a node no old grid holds.</param>
    /// <param name="oldHouseholds">Households of each old grid when it was made, where known: a grid that still holds exactly its
    /// old buildings and households was left out of band by a search that could do no better, and is not re-solved.</param>
    public static Outcome Solve(PartitionGraph graph, int[] oldGroupOf, int oldGroupCount, Bounds bounds, int?[]? oldHouseholds = null)
    {
        var n = graph.NodeCount;
        var group = (int[])oldGroupOf.Clone();
        var next = oldGroupCount;

        AttachNewNodes(graph, group, ref next);
        SplitDisconnected(graph, group, ref next);

        var weight = Weights(graph, group, next);
        var untouched = Untouched(graph, oldGroupOf, group, weight, oldGroupCount, oldHouseholds);
        for (var pass = 0; pass < 4; pass++)
        {
            var bad = Enumerable.Range(0, next).Where(g => weight[g] > 0 && !bounds.Contains(weight[g]) && !IsOversizedSingle(graph, group, g, bounds) && !untouched.Contains(g)).ToList();
            if (bad.Count == 0) break;
            foreach (var g in bad.OrderByDescending(g => Math.Abs(weight[g] - bounds.Target)))
            {
                if (bounds.Contains(weight[g])) continue;
                if (TryMoves(graph, group, weight, g, bounds)) continue;
                if (TryChain(graph, group, weight, g, bounds, ChainDepth, [])) continue;
                Resolve(graph, group, ref weight, ref next, g, bounds);
            }
        }

        // Renumber densely; remember which old grid each new group came from by most shared households.
        var dense = new Dictionary<int, int>();
        var groupOf = new int[n];
        for (var v = 0; v < n; v++)
        {
            if (!dense.TryGetValue(group[v], out var d)) dense[group[v]] = d = dense.Count;
            groupOf[v] = d;
        }
        return new Outcome(groupOf, dense.Count, InheritCodes(graph, groupOf, dense.Count, oldGroupOf));
    }

    /// <summary>Old grids that hold exactly their old nodes and their old households: nothing happened to them.</summary>
    static HashSet<int> Untouched(PartitionGraph graph, int[] oldGroupOf, int[] group, long[] weight, int oldGroupCount, int?[]? oldHouseholds)
    {
        var result = new HashSet<int>();
        if (oldHouseholds is null) return result;
        var changed = new bool[oldGroupCount];
        for (var v = 0; v < graph.NodeCount; v++)
        {
            if (oldGroupOf[v] >= 0 && group[v] != oldGroupOf[v]) changed[oldGroupOf[v]] = true;
            if (group[v] < oldGroupCount && oldGroupOf[v] != group[v]) changed[group[v]] = true;
        }
        for (var g = 0; g < oldGroupCount; g++)
            if (!changed[g] && oldHouseholds[g] is { } h && h == weight[g]) result.Add(g);
        return result;
    }

    /// <summary>New buildings join the neighbouring grid they share most boundary with; isolated ones start a group.</summary>
    static void AttachNewNodes(PartitionGraph graph, int[] group, ref int next)
    {
        bool changed;
        do
        {
            changed = false;
            for (var v = 0; v < graph.NodeCount; v++)
            {
                if (group[v] >= 0) continue;
                int best = -1;
                double bestLength = -1;
                for (var e = graph.Offset[v]; e < graph.Offset[v + 1]; e++)
                {
                    var g = group[graph.Target[e]];
                    if (g >= 0 && graph.Length[e] > bestLength) (best, bestLength) = (g, graph.Length[e]);
                }
                if (best >= 0)
                {
                    group[v] = best;
                    changed = true;
                }
            }
        } while (changed);
        for (var v = 0; v < graph.NodeCount; v++)
            if (group[v] < 0) Flood(graph, group, v, -1, next++);
    }

    /// <summary>A grid whose buildings no longer touch stays whole in its largest piece; the other pieces become groups of their own.</summary>
    static void SplitDisconnected(PartitionGraph graph, int[] group, ref int next)
    {
        var seen = new bool[graph.NodeCount];
        var pieces = new Dictionary<int, List<List<int>>>();
        for (var v = 0; v < graph.NodeCount; v++)
        {
            if (seen[v]) continue;
            var piece = Component(graph, group, v, seen);
            if (!pieces.TryGetValue(group[v], out var list)) pieces[group[v]] = list = [];
            list.Add(piece);
        }
        foreach (var list in pieces.Values.Where(l => l.Count > 1))
            foreach (var piece in list.OrderByDescending(p => p.Sum(v => graph.Weight[v])).Skip(1))
            {
                var g = next++;
                foreach (var v in piece) group[v] = g;
            }
    }

    static bool IsOversizedSingle(PartitionGraph graph, int[] group, int g, Bounds bounds)
    {
        var members = 0;
        var over = false;
        for (var v = 0; v < graph.NodeCount && members < 2; v++)
            if (group[v] == g)
            {
                members++;
                over = graph.Weight[v] > bounds.Max;
            }
        return members == 1 && over;
    }

    /// <summary>One building moves across a grid boundary when that brings the grid into band and keeps both sides in band and contiguous.</summary>
    static bool TryMoves(PartitionGraph graph, int[] group, long[] weight, int g, Bounds bounds)
    {
        var over = weight[g] > bounds.Max;
        (int Node, int To, double Score)? best = null;
        for (var v = 0; v < graph.NodeCount; v++)
        {
            // Over: move one of g's nodes out to a neighbour. Under: pull a neighbour's node in.
            if (over ? group[v] != g : group[v] == g) continue;
            if (!over && !Touches(graph, group, v, g)) continue;
            for (var e = graph.Offset[v]; e < graph.Offset[v + 1]; e++)
            {
                var other = group[graph.Target[e]];
                if (other == group[v]) continue;
                var (from, to) = over ? (g, other) : (group[v], g);
                if (!over && to != g) continue;
                var w = graph.Weight[v];
                if (!bounds.Contains(weight[from] - w) || !bounds.Contains(weight[to] + w)) continue;
                if (!StaysConnectedWithout(graph, group, from, v)) continue;
                var score = Math.Abs(weight[from] - w - bounds.Target) + Math.Abs(weight[to] + w - bounds.Target);
                if (best is null || score < best.Value.Score) best = (v, to, score);
            }
        }
        if (best is not { } move) return false;
        var was = group[move.Node];
        weight[was] -= graph.Weight[move.Node];
        weight[move.To] += graph.Weight[move.Node];
        group[move.Node] = move.To;
        return true;
    }

    /// <summary>Longest chain of single moves tried before re-solving a neighbourhood.</summary>
    const int ChainDepth = 3;

    /// <summary>Candidates tried at each step of a chain.</summary>
    const int ChainWidth = 6;

    /// <summary>
    /// An ejection chain: move one building so that <paramref name="g"/> comes into band even if the neighbour that takes
    /// (or gives) it leaves the band, then mend that neighbour the same way, up to <paramref name="depth"/> moves.
    /// Moves that fail are undone, so either every grid on the chain ends in band or nothing changed.
    /// </summary>
    static bool TryChain(PartitionGraph graph, int[] group, long[] weight, int g, Bounds bounds, int depth, HashSet<int> visited)
    {
        if (bounds.Contains(weight[g])) return true;
        if (depth == 0) return false;
        visited.Add(g);
        var over = weight[g] > bounds.Max;
        var candidates = new List<(int Node, int From, int To, double Score)>();
        for (var v = 0; v < graph.NodeCount; v++)
        {
            if (over ? group[v] != g : group[v] == g || !Touches(graph, group, v, g)) continue;
            for (var e = graph.Offset[v]; e < graph.Offset[v + 1]; e++)
            {
                var other = group[graph.Target[e]];
                var (from, to) = over ? (g, other) : (group[v], g);
                if (from == to || visited.Contains(over ? to : from)) continue;
                if (!over && to != g) continue;
                var w = graph.Weight[v];
                if (!bounds.Contains(over ? weight[g] - w : weight[g] + w)) continue;
                var neighbour = over ? to : from;
                var after = over ? weight[neighbour] + w : weight[neighbour] - w;
                if (after <= 0) continue;
                candidates.Add((v, from, to, Math.Abs(after - bounds.Target)));
            }
        }
        foreach (var (v, from, to, _) in candidates.OrderBy(c => c.Score).ThenBy(c => c.Node).Take(ChainWidth))
        {
            if (!StaysConnectedWithout(graph, group, from, v)) continue;
            var w = graph.Weight[v];
            group[v] = to;
            weight[from] -= w;
            weight[to] += w;
            if (TryChain(graph, group, weight, over ? to : from, bounds, depth - 1, visited))
            {
                visited.Remove(g);
                return true;
            }
            group[v] = from;
            weight[from] += w;
            weight[to] -= w;
        }
        visited.Remove(g);
        return false;
    }

    static bool Touches(PartitionGraph graph, int[] group, int v, int g)
    {
        for (var e = graph.Offset[v]; e < graph.Offset[v + 1]; e++)
            if (group[graph.Target[e]] == g) return true;
        return false;
    }

    static bool StaysConnectedWithout(PartitionGraph graph, int[] group, int g, int removed)
    {
        var members = new List<int>();
        for (var v = 0; v < graph.NodeCount; v++) if (group[v] == g && v != removed) members.Add(v);
        if (members.Count == 0) return false;
        var seen = new HashSet<int> { members[0] };
        var stack = new Stack<int>([members[0]]);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            foreach (var w in graph.Neighbours(v))
                if (w != removed && group[w] == g && seen.Add(w)) stack.Push(w);
        }
        return seen.Count == members.Count;
    }

    /// <summary>Re-solves a bad grid with its neighbours (one ring, then two) and keeps the result if fewer grids are out of band.</summary>
    static void Resolve(PartitionGraph graph, int[] group, ref long[] weight, ref int next, int g, Bounds bounds)
    {
        var scope = new HashSet<int> { g };
        for (var ring = 0; ring < 2; ring++)
        {
            var around = new HashSet<int>();
            for (var v = 0; v < graph.NodeCount; v++)
                if (scope.Contains(group[v]))
                    foreach (var w in graph.Neighbours(v))
                        if (!scope.Contains(group[w])) around.Add(group[w]);
            scope.UnionWith(around);

            var nodes = Enumerable.Range(0, graph.NodeCount).Where(v => scope.Contains(group[v])).ToList();
            var sub = PartitionGraphSubset.Induce(graph, nodes);
            var result = BandPartition.Solve(sub.Graph, bounds);
            var before = weight;
            var badBefore = scope.Count(s => !bounds.Contains(before[s]));
            var badAfter = result.Groups.Count(r => !bounds.Contains(r.Households));
            if (badAfter >= badBefore) continue;

            // Reuse the scope's group numbers first, so untouched grids elsewhere keep theirs.
            var numbers = scope.OrderBy(s => s).ToList();
            while (numbers.Count < result.GroupCount) numbers.Add(next++);
            if (next > weight.Length) Array.Resize(ref weight, next * 2);
            foreach (var s in scope) weight[s] = 0;
            for (var i = 0; i < nodes.Count; i++)
            {
                var to = numbers[result.GroupOf[i]];
                group[nodes[i]] = to;
                weight[to] += graph.Weight[nodes[i]];
            }
            return;
        }
    }

    static IReadOnlyList<int?> InheritCodes(PartitionGraph graph, int[] groupOf, int count, int[] oldGroupOf)
    {
        var shared = new Dictionary<(int Group, int Old), long>();
        for (var v = 0; v < graph.NodeCount; v++)
        {
            if (oldGroupOf[v] < 0) continue;
            var key = (groupOf[v], oldGroupOf[v]);
            shared[key] = shared.GetValueOrDefault(key) + Math.Max(1, graph.Weight[v]);
        }
        var result = new int?[count];
        var taken = new HashSet<int>();
        foreach (var ((group, old), _) in shared.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Group))
        {
            if (result[group] is not null || taken.Contains(old)) continue;
            result[group] = old;
            taken.Add(old);
        }
        return result;
    }

    static long[] Weights(PartitionGraph graph, int[] group, int count)
    {
        var w = new long[Math.Max(count * 2, 4)];
        for (var v = 0; v < graph.NodeCount; v++) w[group[v]] += graph.Weight[v];
        return w;
    }

    static List<int> Component(PartitionGraph graph, int[] group, int start, bool[] seen)
    {
        var piece = new List<int>();
        var stack = new Stack<int>([start]);
        seen[start] = true;
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            piece.Add(v);
            foreach (var w in graph.Neighbours(v))
                if (!seen[w] && group[w] == group[start]) { seen[w] = true; stack.Push(w); }
        }
        return piece;
    }

    static void Flood(PartitionGraph graph, int[] group, int start, int from, int to)
    {
        var stack = new Stack<int>([start]);
        group[start] = to;
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            foreach (var w in graph.Neighbours(v))
                if (group[w] == from) { group[w] = to; stack.Push(w); }
        }
    }
}
