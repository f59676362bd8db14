using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Partitions one area: territories for its atoms, then large compounds on their own (so that they are divided into
/// grids of their own where their households allow), then everything else together.
/// </summary>
public static class AreaPartition
{
    public static AreaOutcome Solve(string code, AreaProblem problem, Bounds bounds, IReadOnlyList<ExistingGrid>? existing = null)
    {
        var atoms = problem.Atoms;
        if (atoms.Count == 0)
        {
            // No one lives here: one empty grid per island of the area, so the area is still tiled and every grid contiguous.
            var islands = AreaAtoms.Polygons(problem.Area);
            return new AreaOutcome(islands.Cast<Geometry>().ToList(), islands.Select(_ => 0).ToList(), islands.Select(_ => (IReadOnlyList<string>)[]).ToList(),
                islands.Select(_ => OutOfBandReason.AreaBelowMin).ToList(), problem.InfeasibleUnits, 0);
        }

        var built = BuildGraph(problem);
        var graph = built.Territory;
        if (existing is { Count: > 0 } && OldGroups(problem, existing) is { } old)
            return Resolve(problem, built, bounds, existing, old);

        var groupOf = new int[atoms.Count];
        Array.Fill(groupOf, -1);
        var reasons = new List<OutOfBandReason>();
        var areaHouseholds = atoms.Sum(a => (long)a.Households);

        // Large compounds first: their in-band groups become grids of their own; the rest joins the open problem.
        foreach (var compound in atoms.Where(a => a.LargeCompound >= 0).GroupBy(a => a.LargeCompound))
        {
            var nodes = compound.Select(a => a.Index).ToList();
            var sub = PartitionGraphSubset.Induce(graph, nodes);
            var result = BandPartition.Solve(sub.Graph, bounds);
            var kept = new Dictionary<int, int>();
            for (var i = 0; i < nodes.Count; i++)
            {
                var g = result.GroupOf[i];
                if (!bounds.Contains(result.Groups[g].Households) && result.Groups[g].Reason != OutOfBandReason.OversizedUnit) continue;
                if (!kept.TryGetValue(g, out var grid))
                {
                    kept[g] = grid = reasons.Count;
                    reasons.Add(result.Groups[g].Reason);
                }
                groupOf[sub.Original[i]] = grid;
            }
        }

        var rest = Enumerable.Range(0, atoms.Count).Where(v => groupOf[v] < 0).ToList();
        if (rest.Count > 0)
        {
            var sub = PartitionGraphSubset.Induce(graph, rest);
            var result = BandPartition.Solve(sub.Graph, bounds);
            var first = reasons.Count;
            foreach (var g in result.Groups)
                reasons.Add(g.Reason == OutOfBandReason.AreaBelowMin && areaHouseholds >= bounds.Min ? OutOfBandReason.NoContiguousFit : g.Reason);
            for (var i = 0; i < rest.Count; i++) groupOf[sub.Original[i]] = first + result.GroupOf[i];
        }

        // Grids still out of band may reach it through a corridor across a neighbour's land.
        var (tessellation, count) = (built.Tessellation, reasons.Count);
        if (Corridors && reasons.Any(r => r == OutOfBandReason.NoContiguousFit) && built.Corridors.Count > 0)
        {
            (tessellation, groupOf, count, _) = TerritoryCorridors.Repair(built, bounds, groupOf, count, a => atoms[a].Points);
            reasons = Enumerable.Repeat(OutOfBandReason.None, count).ToList();
            var members = new int[count];
            var weight = new long[count];
            foreach (var a in atoms)
            {
                members[groupOf[a.Index]]++;
                weight[groupOf[a.Index]] += a.Households;
            }
            for (var g = 0; g < count; g++) reasons[g] = ReasonOf(weight[g], members[g], areaHouseholds, bounds);
        }
        var polygons = GridPolygons.Dissolve(tessellation, groupOf, count);
        var households = new int[count];
        var unitIds = Enumerable.Range(0, count).Select(_ => new List<string>()).ToArray();
        foreach (var a in atoms)
        {
            households[groupOf[a.Index]] += a.Households;
            unitIds[groupOf[a.Index]].AddRange(a.UnitIds);
        }
        var split = atoms.Where(a => a.Region >= 0).GroupBy(a => a.Region).Count(c => c.Select(a => groupOf[a.Index]).Distinct().Count() > 1);
        return new AreaOutcome(polygons, households, unitIds, reasons, problem.InfeasibleUnits, split) { Territories = TerritoriesOf(atoms, built) };
    }

    /// <summary>Each atom's unit ids and territory, as drawn before corridors (<see cref="AreaOutcome.Territories"/>).</summary>
    static (IReadOnlyList<string>, Geometry)[] TerritoriesOf(IReadOnlyList<Atom> atoms, AtomGraph built) =>
        atoms.Select(a => (a.UnitIds, built.Tessellation.TerritoryOf[a.Index])).ToArray();

    /// <summary>The old grid of each atom: the one holding most of its buildings, else the one containing it; null when none applies.</summary>
    static int[]? OldGroups(AreaProblem problem, IReadOnlyList<ExistingGrid> existing)
    {
        var gridOfUnit = new Dictionary<string, int>();
        for (var g = 0; g < existing.Count; g++)
            foreach (var id in existing[g].UnitIds) gridOfUnit[id] = g;
        var prepared = existing.Select(e => NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(e.Polygon)).ToArray();
        var result = new int[problem.Atoms.Count];
        var any = false;
        foreach (var a in problem.Atoms)
        {
            var votes = a.UnitIds.Select(id => gridOfUnit.TryGetValue(id, out var g) ? g : gridOfUnit.TryGetValue(id.Split('/')[0], out var b) ? b : -1)
                .Where(g => g >= 0).GroupBy(g => g).OrderByDescending(v => v.Count()).Select(v => v.Key).DefaultIfEmpty(-1).First();
            if (votes < 0)
            {
                var centre = problem.Area.Factory.CreatePoint(a.Centre);
                votes = Enumerable.Range(0, existing.Count).FirstOrDefault(g => prepared[g].Covers(centre), -1);
            }
            result[a.Index] = votes;
            any |= votes >= 0;
        }
        return any ? result : null;
    }

    static AreaOutcome Resolve(AreaProblem problem, AtomGraph built, Bounds bounds, IReadOnlyList<ExistingGrid> existing, int[] old)
    {
        var atoms = problem.Atoms;
        // Corridors the existing grids rely on stay; no new ones are opened, so that a re-run moves as little as it can.
        var kept = Corridors && !AllConnected(built.Territory, old)
            ? built.Corridors.Where(c => old[c.Key.A] >= 0 && old[c.Key.A] == old[c.Key.C]).ToDictionary(c => c.Key, c => c.Value)
            : [];
        var graph = kept.Count == 0 ? built.Territory : built.JoinedBy(kept.Keys);
        var outcome = StableRepartition.Solve(graph, old, existing.Count, bounds, existing.Select(e => e.Households).ToArray());
        Tessellation tessellation;
        int count;
        if (Corridors && ChangedOutOfBand(outcome, existing, bounds, atoms) is { Count: > 0 } changed && built.Corridors.Count > 0)
        {
            // Grids this re-run changed and could not bring into band may reach it through a corridor (grids it left
            // alone stay as they are, even out of band).
            int[] groupOf, originalOf;
            (tessellation, groupOf, count, originalOf) = TerritoryCorridors.Repair(built, bounds, outcome.GroupOf, outcome.GroupCount, a => atoms[a].Points, changed.Contains);
            outcome = outcome with { GroupOf = groupOf, GroupCount = count, OldGridOfGroup = originalOf.Select(o => o >= 0 ? outcome.OldGridOfGroup[o] : null).ToList() };
        }
        else
        {
            int[] carvedGroupOf;
            (tessellation, carvedGroupOf, count) = Carve(problem, built, kept, outcome.GroupOf, outcome.GroupCount);
            if (count > outcome.GroupCount)
                outcome = outcome with { GroupOf = carvedGroupOf, GroupCount = count, OldGridOfGroup = [.. outcome.OldGridOfGroup, .. Enumerable.Repeat<int?>(null, count - outcome.GroupCount)] };
        }
        var polygons = GridPolygons.Dissolve(tessellation, outcome.GroupOf, count);
        var households = new int[count];
        var members = new int[count];
        var unitIds = Enumerable.Range(0, count).Select(_ => new List<string>()).ToArray();
        foreach (var a in atoms)
        {
            var g = outcome.GroupOf[a.Index];
            households[g] += a.Households;
            members[g]++;
            unitIds[g].AddRange(a.UnitIds);
        }
        var areaHouseholds = atoms.Sum(a => (long)a.Households);
        var reasons = Enumerable.Range(0, count).Select(g => ReasonOf(households[g], members[g], areaHouseholds, bounds)).ToList();
        var codes = outcome.OldGridOfGroup.Select(o => o is { } i ? existing[i].Code : null).ToList();
        // Churn: buildings that had a grid and now carry another code.
        var churn = atoms.Where(a => old[a.Index] >= 0 && outcome.OldGridOfGroup[outcome.GroupOf[a.Index]] != old[a.Index])
            .Sum(a => a.UnitIds.Select(id => id.Split('/')[0]).Distinct().Count());
        var split = atoms.Where(a => a.Region >= 0).GroupBy(a => a.Region).Count(c => c.Select(a => outcome.GroupOf[a.Index]).Distinct().Count() > 1);
        return new AreaOutcome(polygons, households, unitIds, reasons, problem.InfeasibleUnits, split)
        {
            Codes = codes, Churn = churn, Territories = TerritoriesOf(atoms, built),
        };
    }

    /// <summary>Why a finished grid is outside the band (None when it is in).</summary>
    static OutOfBandReason ReasonOf(long households, int members, long areaHouseholds, Bounds bounds) =>
        bounds.Contains(households) ? OutOfBandReason.None
        : members == 1 && households > bounds.Max ? OutOfBandReason.OversizedUnit
        : areaHouseholds < bounds.Min ? OutOfBandReason.AreaBelowMin
        : OutOfBandReason.NoContiguousFit;

    /// <summary>Draws the corridors an assignment relies on (<see cref="TerritoryCorridors.Carve"/>).</summary>
    static (Tessellation Tessellation, int[] GroupOf, int GroupCount) Carve(AreaProblem problem, AtomGraph built,
        IReadOnlyDictionary<(int A, int C), int[]> corridors, int[] groupOf, int groupCount) =>
        corridors.Count == 0
            ? (built.Tessellation, groupOf, groupCount)
            : TerritoryCorridors.Carve(built.Tessellation, corridors, groupOf, groupCount, a => problem.Atoms[a].Points);

    /// <summary>Groups of a re-run that are out of band and are not an existing grid left exactly as it was.</summary>
    static HashSet<int> ChangedOutOfBand(StableRepartition.Outcome outcome, IReadOnlyList<ExistingGrid> existing, Bounds bounds, IReadOnlyList<Atom> atoms)
    {
        var households = new long[outcome.GroupCount];
        foreach (var a in atoms) households[outcome.GroupOf[a.Index]] += a.Households;
        var result = new HashSet<int>();
        for (var g = 0; g < outcome.GroupCount; g++)
        {
            if (bounds.Contains(households[g])) continue;
            var was = outcome.OldGridOfGroup[g];
            if (was is not { } i || existing[i].Households is not { } before || before != households[g]) result.Add(g);
        }
        return result;
    }

    /// <summary>Whether every group (≥ 0) is connected in the graph.</summary>
    static bool AllConnected(PartitionGraph g, int[] groupOf)
    {
        var seen = new bool[g.NodeCount];
        var started = new HashSet<int>();
        var stack = new Stack<int>();
        for (var s = 0; s < g.NodeCount; s++)
        {
            if (seen[s] || groupOf[s] < 0) continue;
            if (!started.Add(groupOf[s])) return false;
            seen[s] = true;
            stack.Push(s);
            while (stack.Count > 0)
            {
                var v = stack.Pop();
                foreach (var u in g.Neighbours(v))
                    if (!seen[u] && groupOf[u] == groupOf[s])
                    {
                        seen[u] = true;
                        stack.Push(u);
                    }
            }
        }
        return true;
    }

    /// <summary>
    /// The territories of an area's atoms and the graph of which atoms border which (<see cref="AtomGraph.Territory"/>, what
    /// the partitioner solves and the bench hands to METIS); corridors are added on demand.
    /// </summary>
    public static AtomGraph BuildGraph(AreaProblem problem)
    {
        var atoms = problem.Atoms;
        var tessellation = TerritoryTessellation.Build(new TessellationInput(
            problem.Area,
            atoms.SelectMany(Sites).ToList(),
            problem.Regions,
            problem.Barriers,
            atoms.SelectMany(a => a.FixedTerritory.Select(p => (a.Index, p))).ToList()));
        var graph = PartitionGraph.FromEdges(
            atoms.Select(a => a.Households).ToArray(),
            atoms.Select(a => a.Centre.X).ToArray(),
            atoms.Select(a => a.Centre.Y).ToArray(),
            tessellation.Adjacent.Select(e => (e.A, e.B, Cost(e.SharedLength, e.BarrierLength), e.SharedLength)));
        return new AtomGraph(tessellation, graph);
    }

    /// <summary>
    /// Whether grids may reach the band through corridors (<see cref="TerritoryCorridors"/>): on unless the environment sets
    /// GRIDMAP_CORRIDORS=0 (for comparing with and without in the bench).
    /// </summary>
    public static bool Corridors { get; set; } = Environment.GetEnvironmentVariable("GRIDMAP_CORRIDORS") != "0";

    /// <summary>Cutting through a block costs its length; cutting along a road, river or wall a tenth of it.</summary>
    static double Cost(double shared, double onBarrier) =>
        Math.Max(shared - onBarrier, 0) + GridPartitioner.BarrierCutCost * onBarrier + 1e-3;

    static IEnumerable<Site> Sites(Atom a)
    {
        if (a.Footprints.Count > 0)
        {
            foreach (var f in a.Footprints) yield return new Site(a.Index, f.InteriorPoint.Coordinate, f, a.Region);
            yield break;
        }
        foreach (var p in a.Points) yield return new Site(a.Index, p, null, a.Region);
    }
}

/// <summary>
/// An area's atoms as a graph: <see cref="Territory"/> links atoms whose territories share boundary; <see cref="Joined"/> adds
/// an edge for each of <see cref="Corridors"/> (atoms that both border one face of a third atom, see
/// <see cref="TerritoryCorridors"/>), found on first use.
/// </summary>
public sealed class AtomGraph(Tessellation tessellation, PartitionGraph territory)
{
    /// <summary>A corridor edge is no boundary: cutting it costs next to nothing.</summary>
    const double CorridorCutCost = 1e-3;

    FaceEdges? _edges;
    IReadOnlyDictionary<(int A, int C), int[]>? _corridors;
    PartitionGraph? _joined;

    public Tessellation Tessellation => tessellation;

    public PartitionGraph Territory => territory;

    public IReadOnlyDictionary<(int A, int C), int[]> Corridors => _corridors ??= TerritoryCorridors.Candidates(tessellation, territory, Edges);

    public PartitionGraph Joined => _joined ??= Corridors.Count == 0 ? territory : JoinedBy(Corridors.Keys);

    /// <summary>Which faces lie on either side of each edge of the tessellation (built once, copied by every carving).</summary>
    internal FaceEdges Edges => _edges ??= FaceEdges.Build(tessellation.Faces);

    /// <summary>The territory graph plus an edge for each given corridor pair.</summary>
    public PartitionGraph JoinedBy(IEnumerable<(int A, int C)> pairs) =>
        PartitionGraph.FromEdges(territory.Weight, territory.X, territory.Y, TerritoryEdges().Concat(pairs.Select(k => (k.A, k.C, CorridorCutCost, 0.0))));

    IEnumerable<(int A, int B, double Cost, double Length)> TerritoryEdges()
    {
        var g = territory;
        for (var v = 0; v < g.NodeCount; v++)
            for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
                if (g.Target[e] > v) yield return (v, g.Target[e], g.Cost[e], g.Length[e]);
    }
}
