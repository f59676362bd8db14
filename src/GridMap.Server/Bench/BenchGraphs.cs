using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Bench;

/// <summary>
/// One area's partition graph exactly as GridMap builds it (<see cref="GridPartitioner.Prepare"/> +
/// <see cref="GridPartitioner.ProblemOf"/> + <see cref="AreaPartition.BuildGraph"/>), with a map from unit id to atom.
/// <see cref="Polygon"/> is the area in the partitioner's metric projection.
/// </summary>
public sealed record AreaGraph(
    int Index, string Code, Geometry Polygon, AreaProblem Problem, Tessellation? Tessellation, PartitionGraph Graph,
    IReadOnlyDictionary<string, int> AtomOfId)
{
    /// <summary>The graph GridMap assigns: <see cref="Graph"/> (territory adjacency, what METIS gets) plus corridor edges.</summary>
    public PartitionGraph Joined { get; init; } = Graph;

    public long Households => Problem.Atoms.Sum(a => (long)a.Households);

    public int EdgeCount => Graph.Target.Length / 2;
}

/// <summary>The graphs of every area of one instance.</summary>
public sealed record InstanceGraphs(IReadOnlyList<AreaGraph> Areas, Bounds Bounds, double Seconds)
{
    public int Nodes => Areas.Sum(a => a.Graph.NodeCount);

    public long Edges => Areas.Sum(a => (long)a.EdgeCount);

    public static InstanceGraphs Build(PartitionInput input)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var prepared = GridPartitioner.Prepare(input);
        var areas = new AreaGraph[prepared.Areas.Count];
        Parallel.For(0, areas.Length, i =>
        {
            var (code, polygon) = prepared.Areas[i];
            var problem = GridPartitioner.ProblemOf(prepared, i);
            Tessellation? tessellation = null;
            PartitionGraph graph, joined;
            if (problem.Atoms.Count == 0) graph = joined = new PartitionGraph([], [], [], [0], [], [], []);
            else
            {
                var built = AreaPartition.BuildGraph(problem);
                (tessellation, graph, joined) = (built.Tessellation, built.Territory, AreaPartition.Corridors ? built.Joined : built.Territory);
            }
            var atomOf = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var atom in problem.Atoms)
                foreach (var id in atom.UnitIds) atomOf[id] = atom.Index;
            areas[i] = new AreaGraph(i, code, polygon, problem, tessellation, graph, atomOf) { Joined = joined };
        });
        return new InstanceGraphs(areas, prepared.Bounds, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>An assignment of every atom of every area to a group (a grid or a METIS part); -1 for an atom left out.</summary>
public sealed record Grouping(int[][] GroupOf)
{
    /// <summary>
    /// Groups whose atoms are not connected in the area graph (with corridor edges when <paramref name="joined"/>), cut edges
    /// of the territory graph (endpoints in different groups) and their summed cost, and atoms in no group.
    /// </summary>
    public (int Noncontiguous, long CutEdges, double CutCost, int Unassigned) GraphMetrics(InstanceGraphs graphs, bool joined = false)
    {
        var noncontiguous = 0;
        long cut = 0;
        double cost = 0;
        var unassigned = 0;
        foreach (var area in graphs.Areas)
        {
            var g = joined ? area.Joined : area.Graph;
            var groupOf = GroupOf[area.Index];
            var component = new int[g.NodeCount];
            Array.Fill(component, -1);
            var components = new Dictionary<int, int>();
            var stack = new Stack<int>();
            for (var s = 0; s < g.NodeCount; s++)
            {
                if (groupOf[s] < 0) { unassigned++; continue; }
                for (var e = g.Offset[s]; e < g.Offset[s + 1]; e++)
                {
                    var t = g.Target[e];
                    if (t > s && groupOf[t] != groupOf[s] && g.Length[e] > 0)
                    {
                        cut++;
                        cost += g.Cost[e];
                    }
                }
                if (component[s] >= 0) continue;
                components[groupOf[s]] = components.GetValueOrDefault(groupOf[s]) + 1;
                component[s] = s;
                stack.Push(s);
                while (stack.Count > 0)
                {
                    var v = stack.Pop();
                    foreach (var t in g.Neighbours(v))
                        if (component[t] < 0 && groupOf[t] == groupOf[s])
                        {
                            component[t] = s;
                            stack.Push(t);
                        }
                }
            }
            noncontiguous += components.Values.Count(c => c > 1);
        }
        return (noncontiguous, cut, cost, unassigned);
    }
}
