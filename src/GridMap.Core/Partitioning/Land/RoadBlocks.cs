using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Grid boundaries follow major roads (issue 9): an area is cut by its major roads into blocks, blocks whose households
/// cannot make grids of Min..Max on their own are joined to a neighbour until every group can, and each group is solved
/// on its own. A grid then crosses a major road only where a side is too small (<c>side_below_min</c>) or does not fit
/// (<c>no_road_free_fit</c>) — the reasons <see cref="CrossedRoads"/> reports.
/// </summary>
public static class RoadBlocks
{
    /// <summary>Blocks smaller than this (m², slivers between carriageways) join their neighbour whatever they hold.</summary>
    public const double MinBlockM2 = 2_000;

    /// <summary>
    /// Land between major roads with nobody on it stays a grid of its own (dedicated, kind other) from this size (m²) up;
    /// smaller empty blocks join a neighbour.
    /// </summary>
    public const double MinEmptyBlockM2 = 20_000;

    /// <summary>Off (<c>GRIDMAP_ROAD_BLOCKS=0</c>) only to compare: major roads are then only cheap places to cut.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("GRIDMAP_ROAD_BLOCKS") != "0";

    public static AreaOutcome Solve(GridPartitioner.PreparedInput p, int i, Func<GridPartitioner.PreparedInput, int, AreaOutcome> solve)
    {
        if (!Enabled) return solve(p, i);
        var polygon = p.Areas[i].Polygon;
        var roads = p.MajorRoads.Query(polygon.EnvelopeInternal).Select(r => (LineString)r.Line).ToList();
        if (roads.Count == 0) return solve(p, i);
        var regions = Regions(polygon, roads, p.UnitsByArea[i], p.CompoundsByArea[i], p.Bounds).ToList();
        // Most areas hold no major road: solving blocks is a method of its own, compiled only where it runs.
        return regions.Count < 2 ? solve(p, i) : SolveBlocks(p, i, regions, solve);
    }

    /// <summary>Each group of blocks solved on its own; a group left out of band is solved again with a neighbour.</summary>
    static AreaOutcome SolveBlocks(GridPartitioner.PreparedInput p, int i, List<Geometry> regions, Func<GridPartitioner.PreparedInput, int, AreaOutcome> solve)
    {
        var code = p.Areas[i].Code;

        AreaOutcome SolveRegion(Geometry region)
        {
            var prepared = PreparedGeometryFactory.Prepare(region);
            var factory = region.Factory;
            var areas = p.Areas.ToArray();
            areas[i] = (code, region);
            var units = (IReadOnlyList<AreaAtoms.MetricUnit>[])p.UnitsByArea.Clone();
            units[i] = p.UnitsByArea[i].Where(u => prepared.Covers(factory.CreatePoint(u.Point))).ToList();
            var compounds = (IReadOnlyList<AreaAtoms.MetricCompound>[])p.CompoundsByArea.Clone();
            // A compound counted by area (no buildings known) belongs to the region of its inside point only.
            compounds[i] = p.CompoundsByArea[i].Where(c => prepared.Intersects(c.Polygon)
                && (c.Compound.Households is null || prepared.Covers(c.Polygon.InteriorPoint))).ToList();
            var outcome = solve(p with { Areas = areas, UnitsByArea = units, CompoundsByArea = compounds }, i);
            return outcome.Households.Any(h => h > 0) ? AllLand.JoinEmptyGrids(outcome) : DedicatedGrids.Unoccupied(outcome, region);
        }

        var outcomes = regions.Select(SolveRegion).ToList();
        var joined = new List<Geometry>();
        // A block whose households fit on paper may still find no contiguous grids of Min..Max on its own: it is solved
        // again with each neighbour, and the pair that leaves fewest grids out of band is kept (no_road_free_fit), until
        // no pair helps.
        int OutOfBand(AreaOutcome o) => Enumerable.Range(0, o.Polygons.Count).Count(k => o.Specials?[k] is null && !p.Bounds.Contains(o.Households[k]));
        var tried = new HashSet<(Geometry, Geometry)>();
        for (var improved = true; improved;)
        {
            improved = false;
            foreach (var r in Enumerable.Range(0, regions.Count).Where(r => OutOfBand(outcomes[r]) > 0).OrderByDescending(r => OutOfBand(outcomes[r])).ToList())
            {
                var best = (Other: -1, Outcome: (AreaOutcome?)null, Union: (Geometry?)null, Gain: 0);
                foreach (var n in Enumerable.Range(0, regions.Count).Where(n => n != r && outcomes[n].Households.Any(h => h > 0)
                             && regions[n].EnvelopeInternal.Intersects(regions[r].EnvelopeInternal)
                             && tried.Add((regions[r], regions[n]))
                             && Robust.SharedLength(regions[n], regions[r]) > 1))
                {
                    var union = UnaryUnionNG.Union(regions[r].Factory.BuildGeometry([regions[r], regions[n]]), Millimetre);
                    var outcome = SolveRegion(union);
                    var gain = OutOfBand(outcomes[r]) + OutOfBand(outcomes[n]) - OutOfBand(outcome);
                    if (gain > best.Gain) best = (n, outcome, union, gain);
                }
                if (best.Other < 0) continue;
                joined.RemoveAll(j => j == regions[r] || j == regions[best.Other]);
                (regions[r], outcomes[r]) = (best.Union!, best.Outcome!);
                regions.RemoveAt(best.Other);
                outcomes.RemoveAt(best.Other);
                joined.Add(regions[best.Other < r ? r - 1 : r]);
                improved = true;
                break; // indices moved: start the pass again
            }
        }
        return Concat(KeepCodesOfEmptyLand(outcomes, p.ExistingByArea[i])) with { JoinedForFit = joined };
    }

    /// <summary>
    /// On a re-run, a grid of nobody's land keeps the code of the existing grid that covers most of it (and most of which
    /// it covers), as a dedicated piece does: unchanged input keeps every code.
    /// </summary>
    static List<AreaOutcome> KeepCodesOfEmptyLand(List<AreaOutcome> outcomes, IReadOnlyList<ExistingGrid> existing)
    {
        if (existing.Count == 0) return outcomes;
        var claimed = outcomes.SelectMany(o => o.Codes ?? []).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return outcomes.Select(o =>
        {
            if (o.Households.Any(h => h > 0)) return o;
            var codes = o.Polygons.Select((polygon, k) =>
            {
                if (o.Codes?[k] is { } kept) return kept;
                var match = existing.Where(e => !claimed.Contains(e.Code) && e.Polygon.EnvelopeInternal.Intersects(polygon.EnvelopeInternal))
                    .Select(e => (e.Code, Shared: Robust.Intersection(e.Polygon, polygon).Area, e.Polygon.Area))
                    .Where(x => x.Shared > 0.5 * polygon.Area && x.Shared > 0.5 * x.Area).Select(x => x.Code).FirstOrDefault();
                if (match is not null) claimed.Add(match);
                return match;
            }).ToList();
            return o with { Codes = codes };
        }).ToList();
    }

    static readonly AreaOutcome Empty = new([], [], [], [], [], 0);

    /// <summary>The area cut by the roads into blocks, grouped so that each group's households fit a whole number of grids.</summary>
    public static IReadOnlyList<Geometry> Regions(Geometry area, IReadOnlyList<LineString> roads, IReadOnlyList<AreaAtoms.MetricUnit> units,
        IReadOnlyList<AreaAtoms.MetricCompound> compounds, Bounds bounds)
    {
        var blocks = Robust.Faces(area, roads);
        // Faces may miss bits of an area that is not cleanly noded; they must tile it, or land would go missing.
        if (blocks.Count < 2 || Math.Abs(blocks.Sum(b => b.Area) - area.Area) > 1e-6 * area.Area + 1) return [area];

        var households = new long[blocks.Count];
        var prepared = blocks.Select(PreparedGeometryFactory.Prepare).ToList();
        int BlockOf(Coordinate c)
        {
            var point = area.Factory.CreatePoint(c);
            return prepared.FindIndex(b => b.Covers(point));
        }
        var items = blocks.Select(_ => new List<int>()).ToArray();
        foreach (var u in units)
            if (BlockOf(u.Point) is var b and >= 0)
            {
                households[b] += u.Unit.Households;
                if (u.Unit.Units is { Count: > 1 } stairs && u.Unit.Households > bounds.Max) items[b].AddRange(stairs.Select(s => s.Households));
                else items[b].Add(u.Unit.Households);
            }
        // A compound's own count stands only where none of its buildings is known (as in AreaAtoms).
        var withUnits = units.Select(u => u.Unit.Compound).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var c in compounds)
            if (c.Compound.Households is > 0 and var h && !withUnits.Contains(c.Compound.Id) && BlockOf(c.Polygon.InteriorPoint.Coordinate) is var b and >= 0)
            {
                households[b] += h;
                items[b].Add(h);
            }

        // Shared boundary lengths between blocks (faces of one noding share exact edges).
        var shared = new Dictionary<(int, int), double>();
        for (var a = 0; a < blocks.Count; a++)
            for (var b = a + 1; b < blocks.Count; b++)
                if (blocks[a].EnvelopeInternal.Intersects(blocks[b].EnvelopeInternal)
                    && Robust.SharedLength(blocks[a], blocks[b]) is > 0 and var length)
                    shared[(a, b)] = length;

        var groups = new Groups(blocks.Count, households, blocks.Select(b => b.Area).ToArray(), shared);
        // Slivers join the neighbour they share most with, and small empty blocks one with households.
        for (var b = 0; b < blocks.Count; b++)
            if (blocks[b].Area < MinBlockM2 && groups.BestNeighbour(b, _ => 0) is var n and >= 0)
                groups.Join(b, n);
        bool Empty(int g) => groups.Households(g) == 0;
        while (groups.Roots().FirstOrDefault(g => Empty(g) && groups.Area(g) < MinEmptyBlockM2 && groups.BestNeighbour(g, _ => 0) >= 0, -1) is var small and >= 0)
            groups.Join(small, groups.BestNeighbour(small, other => Empty(other) ? 0 : 1));
        // Empty land next to empty land is one dedicated grid, not many.
        while (groups.Roots().FirstOrDefault(g => Empty(g) && groups.BestNeighbour(g, o => Empty(o) ? 1 : 0) is var e and >= 0 && Empty(e), -1) is var lone and >= 0)
            groups.Join(lone, groups.BestNeighbour(lone, o => Empty(o) ? 1 : 0));
        // Groups that cannot make grids grow, smallest first, into the neighbour that makes them fit, else into one that
        // cannot fit either; never into empty land, which stays a dedicated grid.
        var stuck = new HashSet<int>();
        List<int> ItemsOf(params int[] gs) => gs.SelectMany(groups.Members).SelectMany(b => items[b]).ToList();
        while (groups.Roots().Where(g => !Empty(g) && !stuck.Contains(g) && !CrossedRoads.Fits(ItemsOf(g), bounds))
                   .OrderBy(groups.Households).FirstOrDefault(-1) is var misfit and >= 0)
        {
            var n = groups.BestNeighbour(misfit, other => Empty(other) ? -1
                : (CrossedRoads.Fits(ItemsOf(misfit, other), bounds) ? 2 : 0) + (CrossedRoads.Fits(ItemsOf(other), bounds) ? 0 : 1));
            if (n >= 0 && !Empty(n)) groups.Join(misfit, n);
            // With only empty land around, it is crossed on the shortest way to the nearest households.
            else if (groups.PathToHouseholds(misfit) is { Count: > 0 } path) foreach (var step in path) groups.Join(misfit, step);
            else stuck.Add(misfit); // an island: it stays out of band
        }
        // A sliver cut off from everything (between special areas) is left to the grid beside it (AllLand).
        return groups.Roots().Where(g => !(Empty(g) && groups.Area(g) < MinBlockM2 && groups.BestNeighbour(g, _ => 0) < 0)).Select(g => Union(groups.Members(g).Select(b => blocks[b]).ToList(), area.Factory)).ToList();
    }

    /// <summary>Regions snap-rounded to the millimetre, so that the overlays clipping compounds and roads to them node cleanly.</summary>
    static readonly PrecisionModel Millimetre = new(1000);

    static Geometry Union(IReadOnlyList<Polygon> parts, GeometryFactory factory) =>
        UnaryUnionNG.Union(factory.BuildGeometry(parts), Millimetre);

    static AreaOutcome Concat(IReadOnlyList<AreaOutcome> parts)
    {
        var codes = parts.Any(o => o.Codes is not null)
            ? parts.SelectMany(o => o.Codes ?? o.Polygons.Select(_ => (string?)null)).ToList()
            : null;
        var specials = parts.Any(o => o.Specials is not null)
            ? parts.SelectMany(o => o.Specials ?? o.Polygons.Select(_ => (PartitionSpecialArea?)null)).ToList()
            : null;
        return new AreaOutcome(
            parts.SelectMany(o => o.Polygons).ToList(), parts.SelectMany(o => o.Households).ToList(),
            parts.SelectMany(o => o.UnitIds).ToList(), parts.SelectMany(o => o.Reasons).ToList(),
            parts.SelectMany(o => o.InfeasibleUnits).ToList(), parts.Sum(o => o.SplitCompounds))
        {
            Codes = codes,
            Churn = parts.Any(o => o.Churn is not null) ? parts.Sum(o => o.Churn ?? 0) : null,
            Specials = specials,
            Territories = parts.SelectMany(o => o.Territories).ToList(),
        };
    }

    /// <summary>Union-find over blocks, with each group's households and its shared boundary with every other group.</summary>
    sealed class Groups(int count, long[] households, double[] areas, Dictionary<(int, int), double> shared)
    {
        readonly int[] _parent = Enumerable.Range(0, count).ToArray();
        readonly long[] _households = (long[])households.Clone();
        readonly double[] _areas = (double[])areas.Clone();

        int Find(int x) => _parent[x] == x ? x : _parent[x] = Find(_parent[x]);

        public int Root(int x) => Find(x);

        public IEnumerable<int> Roots() => Enumerable.Range(0, count).Where(x => Find(x) == x).ToList();

        public IEnumerable<int> Members(int root) => Enumerable.Range(0, count).Where(x => Find(x) == root);

        public long Households(int root) => _households[Find(root)];

        public double Area(int root) => _areas[Find(root)];

        public void Join(int a, int b)
        {
            (a, b) = (Find(a), Find(b));
            if (a == b) return;
            _parent[a] = b;
            _households[b] += _households[a];
            _areas[b] += _areas[a];
        }

        /// <summary>Groups from <paramref name="x"/> through empty ones to the nearest with households (fewest steps), that one last.</summary>
        public List<int> PathToHouseholds(int x)
        {
            var start = Find(x);
            var neighbours = new Dictionary<int, HashSet<int>>();
            foreach (var (a, b) in shared.Keys)
            {
                var (ra, rb) = (Find(a), Find(b));
                if (ra == rb) continue;
                (neighbours.TryGetValue(ra, out var na) ? na : neighbours[ra] = []).Add(rb);
                (neighbours.TryGetValue(rb, out var nb) ? nb : neighbours[rb] = []).Add(ra);
            }
            var previous = new Dictionary<int, int> { [start] = -1 };
            var queue = new Queue<int>([start]);
            while (queue.Count > 0)
            {
                var g = queue.Dequeue();
                if (g != start && _households[g] > 0)
                {
                    var path = new List<int>();
                    for (var at = g; at != start; at = previous[at]) path.Add(at);
                    return path;
                }
                if (g != start && _households[g] > 0) continue;
                foreach (var n in neighbours.GetValueOrDefault(g, []).OrderBy(n => n))
                    if (previous.TryAdd(n, g)) queue.Enqueue(n);
            }
            return [];
        }

        /// <summary>The neighbouring group with the highest score, ties to the longest shared boundary; -1 for none.</summary>
        public int BestNeighbour(int x, Func<int, int> score)
        {
            var root = Find(x);
            var lengths = new Dictionary<int, double>();
            foreach (var ((a, b), length) in shared)
            {
                var (ra, rb) = (Find(a), Find(b));
                if (ra == rb || (ra != root && rb != root)) continue;
                var other = ra == root ? rb : ra;
                lengths[other] = lengths.GetValueOrDefault(other) + length;
            }
            return lengths.Count == 0 ? -1 : lengths.OrderByDescending(kv => score(kv.Key)).ThenByDescending(kv => kv.Value).First().Key;
        }
    }
}
