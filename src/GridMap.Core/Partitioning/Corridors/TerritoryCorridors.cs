using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Corridors through a neighbour's land. Territories are drawn, not given: with them fixed, a block whose neighbours are
/// all too heavy can never be in band (on Singapore's public housing 216 of 10,120 blocks are stuck that way), yet a grid
/// may join two atoms that both border the same face of a third atom by taking the corner of that face between them —
/// never the third atom's building, its site, or its link to the rest of its own grid.
/// <list type="bullet">
/// <item><see cref="Candidates"/> lists such pairs (atoms whose territories do not touch but border one common face); they
/// join the partition graph as corridor edges (<see cref="AtomGraph.Joined"/>).</item>
/// <item><see cref="CorridorRepair"/> uses them only to bring out-of-band grids into band, and keeps a change only when
/// its corridors can be drawn.</item>
/// <item><see cref="Carve"/> draws, for a finished assignment, the corners each grid needs: the face is split by a chord
/// from one atom's boundary edge to the other's, and the piece without the site goes to the grid. A grid whose corner
/// cannot be drawn (it would cut off the owner's grid, or take its site, or leave the face) is split into its parts.</item>
/// </list>
/// Faces keep sharing exact vertices (each chord end is inserted into both faces of its edge), so dissolving stays
/// sliver-free.
/// </summary>
public static class TerritoryCorridors
{
    /// <summary>Faces with more neighbouring atoms than this pair up only neighbours at most <see cref="FarRuns"/> runs apart.</summary>
    const int AllPairsUpTo = 12;

    const int FarRuns = 3;

    /// <summary>
    /// Pairs of atoms (A &lt; C) that do not border each other but both border one face of a third atom, with the faces
    /// that could carry a corridor between them.
    /// </summary>
    public static IReadOnlyDictionary<(int A, int C), int[]> Candidates(Tessellation t, PartitionGraph graph) =>
        Candidates(t, graph, FaceEdges.Build(t.Faces));

    internal static IReadOnlyDictionary<(int A, int C), int[]> Candidates(Tessellation t, PartitionGraph graph, FaceEdges edges)
    {
        var result = new Dictionary<(int, int), List<int>>();
        var runs = new List<int>();
        for (var f = 0; f < t.Faces.Count; f++)
        {
            var owner = t.Faces[f].Atom;
            if (owner < 0) continue;
            var ring = t.Faces[f].Polygon.ExteriorRing.Coordinates;
            runs.Clear();
            for (var i = 0; i + 1 < ring.Length; i++)
            {
                var other = edges.Across(ring[i], ring[i + 1], f);
                var atom = other < 0 ? -1 : t.Faces[other].Atom;
                if (atom < 0 || atom == owner) continue;
                if (runs.Count == 0 || runs[^1] != atom) runs.Add(atom);
            }
            if (runs.Count > 1 && runs[0] == runs[^1]) runs.RemoveAt(runs.Count - 1);
            var k = runs.Count;
            for (var i = 0; i < k; i++)
                for (var j = i + 1; j < k; j++)
                {
                    if (k > AllPairsUpTo && Math.Min(j - i, k - (j - i)) > FarRuns) continue;
                    int a = runs[i], c = runs[j];
                    if (a == c || Borders(graph, a, c)) continue;
                    var key = a < c ? (a, c) : (c, a);
                    if (!result.TryGetValue(key, out var faces)) result[key] = faces = [];
                    if (!faces.Contains(f)) faces.Add(f);
                }
        }
        return result.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    static bool Borders(PartitionGraph g, int a, int c)
    {
        for (var e = g.Offset[a]; e < g.Offset[a + 1]; e++)
            if (g.Target[e] == c && g.Length[e] > 0) return true;
        return false;
    }

    /// <summary>
    /// Draws the corridors an assignment needs. <paramref name="groupOf"/> (per atom) may rely on <paramref name="corridors"/>
    /// for its connectivity; <paramref name="sitesOf"/> gives each atom's sites (kept out of every corner). Returns the
    /// carved tessellation, and the assignment with every grid whose corridors could not all be drawn split into its
    /// connected parts (new groups numbered from <paramref name="groupCount"/> on).
    /// </summary>
    public static (Tessellation Tessellation, int[] GroupOf, int GroupCount) Carve(
        Tessellation t, IReadOnlyDictionary<(int A, int C), int[]> corridors, int[] groupOf, int groupCount,
        Func<int, IEnumerable<Coordinate>> sitesOf)
    {
        var assign = (int[])groupOf.Clone();
        var members = new List<int>[groupCount];
        for (var v = 0; v < assign.Length; v++) (members[assign[v]] ??= []).Add(v);
        var carving = new TerritoryCarving(t, assign, sitesOf);
        var count = groupCount;
        foreach (var atoms in members)
        {
            if (atoms is null) continue;
            var pieces = carving.JoinOrSplit(atoms, corridors);
            for (var k = 1; k < pieces.Count; k++)
            {
                foreach (var v in pieces[k]) assign[v] = count;
                count++;
            }
        }
        return (carving.Result(), assign, count);
    }

    /// <summary>
    /// Brings out-of-band grids into band through corridors (<see cref="CorridorRepair"/>). Returns the carved tessellation,
    /// the assignment (groups numbered 0…count-1) and, per group, the given group it continues (-1 for a new one).
    /// </summary>
    internal static (Tessellation Tessellation, int[] GroupOf, int GroupCount, int[] OriginalOf) Repair(
        AtomGraph built, Bounds bounds, int[] groupOf, int groupCount, Func<int, IEnumerable<Coordinate>> sitesOf, Func<int, bool>? canStart = null) =>
        new CorridorRepair(built, bounds, groupOf, groupCount, sitesOf, canStart).Run();
}
