using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Editing;

/// <summary>
/// Re-partitions a few grids' buildings (周边平衡) with the stable re-partitioner: the land they cover together is divided
/// again, grids keep their codes where their households go, new grids take the community's next free code, and a grid left
/// with no building is retired. A planner who fixes one grid by hand gets its neighbours brought back into band.
/// </summary>
public static class GridRebalance
{
    /// <summary>Active grids of the same community that share boundary with any of <paramref name="codes"/> (dedicated grids left out).</summary>
    public static IReadOnlyList<string> Neighbours(GridSet set, IReadOnlyCollection<string> codes)
    {
        var named = codes.Select(set.Grid).OfType<EditGrid>().Where(g => !g.IsRetired && !g.Polygon.IsEmpty).ToList();
        var result = new List<string>();
        foreach (var grid in named)
        {
            var prepared = PreparedGeometryFactory.Prepare(grid.Polygon.Buffer(1e-7));
            foreach (var other in set.InCommunity(grid.Community))
            {
                if (other.IsRetired || other.Type != GridTypes.Basic || other.Polygon.IsEmpty || codes.Contains(other.Code) || result.Contains(other.Code)) continue;
                if (other.Polygon.EnvelopeInternal.Intersects(grid.Polygon.EnvelopeInternal) && prepared.Intersects(other.Polygon)) result.Add(other.Code);
            }
        }
        return result;
    }

    /// <returns>Codes of the grids created.</returns>
    public static IReadOnlyList<string> Apply(GridSet set, IReadOnlyList<string> codes, bool neighbours, Bounds bounds)
    {
        var named = codes.Distinct().Select(c => set.Grid(c) ?? throw new EditRefusedException("not_found", $"there is no grid {c}", codes.ToList().IndexOf(c),
            new Dictionary<string, object?> { ["grid"] = c })).ToList();
        foreach (var g in named.Where(g => g.IsRetired))
            throw new EditRefusedException("retired_grid", $"grid {g.Code} is retired", codes.ToList().IndexOf(g.Code), new Dictionary<string, object?> { ["grid"] = g.Code });
        var all = named.Select(g => g.Code).Concat(neighbours ? Neighbours(set, named.Select(g => g.Code).ToList()) : []).ToList();

        var created = new List<string>();
        foreach (var community in all.Select(c => set.Grid(c)!).GroupBy(g => g.Community))
            created.AddRange(Rebalance(set, community.Key, community.ToList(), bounds));
        return created;
    }

    static readonly PrecisionModel Grid7 = new(1e7);

    /// <summary>
    /// What compound pieces (households no mapped building holds) the grids hold, by compound: each grid's households beyond
    /// its buildings, shared among its pieces by the area of their compound inside the grid. Only these households are
    /// divided again, so a compound also held by grids outside the rebalance keeps its households there.
    /// </summary>
    static Dictionary<string, int> PieceHouseholds(GridSet set, IReadOnlyList<EditGrid> grids)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in grids)
        {
            var pieces = g.UnitIds.Where(id => !set.Buildings.ContainsKey(GridSet.BuildingOf(id))).Select(id => id.Split('#')[0])
                .Where(set.Compounds.ContainsKey).Distinct().ToList();
            if (pieces.Count == 0) continue;
            var buildings = g.UnitIds.Where(id => set.Buildings.ContainsKey(GridSet.BuildingOf(id))).ToList();
            var remainder = Math.Max(0, g.Households - set.HouseholdsOf(buildings, null));
            var weights = pieces.Select(c => Math.Max(set.Compounds[c].Polygon.Intersection(g.Polygon).Area, 1e-12)).ToList();
            var total = weights.Sum();
            var given = 0;
            for (var i = 0; i < pieces.Count; i++)
            {
                var share = i == pieces.Count - 1 ? remainder - given : (int)Math.Round(remainder * weights[i] / total);
                share = Math.Clamp(share, 0, remainder - given);
                given += share;
                result[pieces[i]] = result.GetValueOrDefault(pieces[i]) + share;
            }
        }
        return result;
    }

    static int OutOfBand(PartitionResult r) => r.Report.Below + r.Report.Above;

    /// <summary>Each new grid takes the old code it shares most households with (each code once); the rest get none ("").</summary>
    static PartitionResult Recode(PartitionResult result, IReadOnlyList<EditGrid> old, IReadOnlyList<PartitionUnit> units)
    {
        var households = units.ToDictionary(u => u.Id, u => u.Households, StringComparer.Ordinal);
        var oldOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in old) foreach (var id in g.UnitIds) oldOf.TryAdd(GridSet.BuildingOf(id), g.Code);
        var pairs = new List<(int Grid, string Code, long Shared)>();
        for (var i = 0; i < result.Grids.Count; i++)
            foreach (var byCode in result.Grids[i].UnitIds.Select(GridSet.BuildingOf).Distinct().Where(oldOf.ContainsKey).GroupBy(id => oldOf[id]))
                pairs.Add((i, byCode.Key, byCode.Sum(id => (long)households.GetValueOrDefault(id, 1))));
        var codes = new string[result.Grids.Count];
        Array.Fill(codes, "");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (grid, code, _) in pairs.OrderByDescending(p => p.Shared).ThenBy(p => p.Code, StringComparer.Ordinal))
            if (codes[grid] == "" && used.Add(code)) codes[grid] = code;
        return result with { Grids = result.Grids.Select((g, i) => g with { Code = codes[i] }).ToList() };
    }

    /// <summary>
    /// The new polygons made to tile exactly the land the old grids covered, on the 7-decimal grid: each is clipped to it
    /// and to what earlier ones took, and slivers left over (metric rounding) go to the grid they share most boundary with.
    /// </summary>
    static Geometry[] Fit(Geometry area, IReadOnlyList<Geometry> pieces)
    {
        var result = new Geometry[pieces.Count];
        Geometry taken = area.Factory.CreatePolygon();
        for (var i = 0; i < pieces.Count; i++)
        {
            // Overlays may answer with lines and points where pieces touch: only the polygons go on.
            var p = GridReassignment.Clean(OverlayNG.Overlay(GridReassignment.Clean(pieces[i]), area, SpatialFunction.Intersection, Grid7));
            if (!taken.IsEmpty && !p.IsEmpty) p = GridReassignment.Clean(OverlayNG.Overlay(p, taken, SpatialFunction.Difference, Grid7));
            result[i] = p;
            if (!p.IsEmpty) taken = taken.IsEmpty ? p : GridReassignment.Clean(OverlayNG.Overlay(taken, p, SpatialFunction.Union, Grid7));
        }
        var left = taken.IsEmpty ? area : OverlayNG.Overlay(area, taken, SpatialFunction.Difference, Grid7);
        foreach (var sliver in AreaAtoms.Polygons(left))
        {
            var best = Enumerable.Range(0, result.Length).OrderByDescending(i => result[i].IsEmpty ? -1 : sliver.Boundary.Intersection(result[i]).Length)
                .ThenBy(i => result[i].Distance(sliver)).FirstOrDefault(-1);
            if (best >= 0) result[best] = GridReassignment.Clean(OverlayNG.Overlay(result[best], sliver, SpatialFunction.Union, Grid7));
        }
        return result;
    }

    /// <summary>
    /// What the grids hold, as partition units: whole buildings, and where a building's stairwells are shared with grids
    /// outside (a high-rise or a compound remainder split between grids), only the stairwells these grids hold, each at
    /// the building's point, so that nothing held elsewhere is pulled in.
    /// </summary>
    static List<PartitionUnit> UnitsOf(GridSet set, IReadOnlyList<EditGrid> grids)
    {
        var held = grids.SelectMany(g => g.UnitIds).ToHashSet(StringComparer.Ordinal);
        var units = new List<PartitionUnit>();
        foreach (var id in held.Select(GridSet.BuildingOf).Distinct())
        {
            if (set.Buildings.GetValueOrDefault(id) is not { } b) continue;
            var stairs = b.Units is { Count: > 0 } u ? u : null;
            if (stairs is null || held.Contains(b.Id) || stairs.All(s => held.Contains($"{b.Id}/{s.Id}")))
            {
                units.Add(new PartitionUnit(b.Id, b.Households, b.Geometry, b.Compound, stairs));
                continue;
            }
            var point = b.Geometry as Point ?? b.Geometry.InteriorPoint;
            foreach (var s in stairs.Where(s => held.Contains($"{b.Id}/{s.Id}")))
                units.Add(new PartitionUnit($"{b.Id}/{s.Id}", s.Households, point, b.Compound));
        }
        return units;
    }

    static IReadOnlyList<string> Rebalance(GridSet set, string community, IReadOnlyList<EditGrid> grids, Bounds bounds)
    {
        var area = GridReassignment.Clean(UnaryUnionNG.Union(GridMap.Core.Spatial.GeometryRules.Factory.BuildGeometry(grids.Select(g => g.Polygon).ToList()), new PrecisionModel(1e7)));
        if (area.IsEmpty) return [];
        var units = UnitsOf(set, grids);
        var envelope = area.EnvelopeInternal;
        var pieceHouseholds = PieceHouseholds(set, grids);
        var compounds = set.Compounds.Values.Where(c => c.Polygon.EnvelopeInternal.Intersects(envelope))
            .Select(c => new PartitionCompound(c.Id, c.Polygon, pieceHouseholds.TryGetValue(c.Id, out var h) ? h : null)).ToList();
        var barriers = set.Barriers.Where(b => b.EnvelopeInternal.Intersects(envelope)).ToList();
        var input = new PartitionInput(units, [new PartitionArea(community, area)], compounds, barriers,
            grids.Select(g => new ExistingGrid(g.Code, g.Polygon, g.UnitIds)).ToList(), bounds);
        // The stable re-partitioner keeps what it can; after hand edits a fresh solve of the same land may reach the band
        // where it cannot. The fresh one is taken only when it leaves fewer grids out of band; its grids then inherit
        // the old codes they share most households with.
        var stable = GridPartitioner.Partition(input);
        var fresh = GridPartitioner.Partition(input with { Existing = null });
        var result = OutOfBand(fresh) < OutOfBand(stable) ? Recode(fresh, grids, units) : stable;
        // Never leave more grids out of band than there were: then the grids stay as they are.
        if (OutOfBand(result) > grids.Count(g => g.Type == GridTypes.Basic && !bounds.Contains(g.Households))) return [];

        var given = grids.Select(g => g.Code).ToHashSet(StringComparer.Ordinal);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var created = new List<string>();
        var polygons = Fit(area, result.Grids.Select(r => r.Polygon).ToList());
        for (var i = 0; i < result.Grids.Count; i++)
        {
            var (r, polygon) = (result.Grids[i], polygons[i]);
            if (given.Contains(r.Code) && kept.Add(r.Code))
            {
                var old = set.Grid(r.Code)!;
                set.Put(old with { Polygon = polygon, UnitIds = r.UnitIds.ToList(), Households = r.Households, Status = old.IsRetired ? "active" : old.Status });
                continue;
            }
            // The partitioner numbers new grids after the ones it was given; the community may hold higher codes.
            var code = GridReassignment.NextCode(set, community);
            set.Put(new EditGrid(code, community, polygon, r.UnitIds.ToList(), r.Households), created: true);
            created.Add(code);
        }
        foreach (var g in grids.Where(g => !kept.Contains(g.Code)))
            set.Put(g with { UnitIds = [], Households = 0, Status = g.Type == GridTypes.Basic ? "retired" : g.Status }); // keeps its last polygon as history
        return created;
    }
}
