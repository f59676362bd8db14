namespace GridMap.Core.Partitioning;

/// <summary>
/// Which nodes can be in band at all: a node is stuck when no connected set of nodes holding it weighs within the band
/// (its neighbours are all too heavy, or too light and themselves hemmed in). Exhaustive over connected sets up to the
/// band's maximum, with a work budget per node beyond which the node counts as not stuck.
/// </summary>
public static class BandReach
{
    public static bool[] Stuck(PartitionGraph g, Bounds bounds, int budgetPerNode = 20_000)
    {
        var n = g.NodeCount;
        var stuck = new bool[n];
        var inSet = new bool[n];
        var banned = new int[n];
        var set = new List<int>();
        var budget = 0;
        for (var v = 0; v < n; v++)
        {
            if (g.Weight[v] > bounds.Max) continue;
            set.Clear();
            set.Add(v);
            inSet[v] = true;
            budget = budgetPerNode;
            stuck[v] = !Grow(g.Weight[v]);
            inSet[v] = false;
        }
        return stuck;

        // Simple-path enumeration of connected sets (each set once): extend by a frontier node, then ban it for the siblings after.
        bool Grow(int weight)
        {
            if (weight >= bounds.Min && weight <= bounds.Max) return true;
            if (--budget < 0) return true;
            var candidates = new List<int>();
            foreach (var u in set)
                foreach (var x in g.Neighbours(u))
                    if (!inSet[x] && banned[x] <= 0 && !candidates.Contains(x)) candidates.Add(x);
            var result = false;
            var bannedHere = new List<int>();
            foreach (var x in candidates)
            {
                if (weight + g.Weight[x] <= bounds.Max)
                {
                    set.Add(x);
                    inSet[x] = true;
                    var ok = Grow(weight + g.Weight[x]);
                    set.RemoveAt(set.Count - 1);
                    inSet[x] = false;
                    if (ok) { result = true; break; }
                }
                banned[x]++;
                bannedHere.Add(x);
            }
            foreach (var x in bannedHere) banned[x]--;
            return result;
        }
    }
}
