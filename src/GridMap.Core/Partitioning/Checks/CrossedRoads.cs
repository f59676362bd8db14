using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Partitioning;

/// <summary>A major road (trunk, primary, secondary, tertiary; motorway too) that grid boundaries should follow.</summary>
public sealed record PartitionRoad(string Id, string Highway, string? Name, Geometry Line)
{
    public static readonly IReadOnlySet<string> Classes = new HashSet<string> { "motorway", "trunk", "primary", "secondary", "tertiary" };
}

/// <summary>
/// A major road running through a basic grid, with the reason the grid could not stop at it:
/// <c>compound_straddles</c> (a compound spans the road), <c>side_below_min</c> (the households on one side, between
/// major roads, cannot make a grid), <c>no_road_free_fit</c> (they cannot be cut into grids of Min..Max); a crossing
/// without a reason (<c>none</c>) is a defect.
/// </summary>
public sealed record CrossedRoad(string Grid, string Road, string? Name, string Highway, double LengthM, string Reason);

/// <summary>
/// Crossings of major roads by basic grids (issue 9): a road's length inside the grid shrunk by
/// <see cref="InsetM"/>, summed over the road's pieces (by name, else by id), over <see cref="MinLengthM"/>.
/// Metric geometry in.
/// </summary>
public static class CrossedRoads
{
    public const double InsetM = 5;
    public const double MinLengthM = 100;

    /// <summary>A grid takes a side of a road when it holds this much land (m²) of the block there.</summary>
    const double MinSideM2 = 500;

    /// <summary>A basic grid as the check sees it: metric polygon and the points (with households) of what it holds.</summary>
    public sealed record Grid(string Code, Geometry Polygon, IReadOnlyList<(Coordinate Point, long Households)> Holds);

    public static IReadOnlyList<CrossedRoad> Find(Geometry area, IReadOnlyList<Grid> grids, IReadOnlyList<PartitionRoad> roads,
        IReadOnlyList<Geometry> compounds, Bounds bounds, IReadOnlyList<Geometry>? joinedForFit = null)
    {
        if (grids.Count == 0 || roads.Count == 0) return [];
        var tree = new STRtree<PartitionRoad>();
        foreach (var r in roads) tree.Insert(r.Line.EnvelopeInternal, r);
        Blocks? blocks = null; // only built when some grid crosses a road
        var found = new List<CrossedRoad>();
        foreach (var grid in grids)
        {
            var near = tree.Query(grid.Polygon.EnvelopeInternal);
            if (near.Count == 0) continue;
            var inset = grid.Polygon.Buffer(-InsetM);
            if (inset.IsEmpty) continue;
            var prepared = PreparedGeometryFactory.Prepare(inset);
            var pieces = near.Where(r => prepared.Intersects(r.Line))
                .Select(r => (Road: r, Inside: Robust.Intersection(r.Line, inset)))
                .Where(x => x.Inside.Length > 0)
                .GroupBy(x => x.Road.Name ?? x.Road.Id);
            foreach (var road in pieces)
            {
                var length = road.Sum(x => x.Inside.Length);
                if (length <= MinLengthM) continue;
                var inside = area.Factory.BuildGeometry(road.Select(x => x.Inside));
                // A road that ends inside the grid (a dead end) has the same land on both sides: nothing is crossed.
                if (!Divides(grid.Polygon, road.Select(x => x.Road.Line))) continue;
                blocks ??= new Blocks(area, roads, grids);
                var first = road.First().Road;
                found.Add(new CrossedRoad(grid.Code, first.Id, first.Name, first.Highway, Math.Round(length, 1),
                    ReasonOf(grid, inside, compounds, blocks, bounds, joinedForFit ?? [])));
            }
        }
        return found;
    }

    /// <summary>Whether the road lines cut the polygon into at least two parts of more than <see cref="MinSideM2"/> each.</summary>
    static bool Divides(Geometry polygon, IEnumerable<Geometry> lines) => Robust.Faces(polygon, lines).Count(f => f.Area > MinSideM2) >= 2;

    static string ReasonOf(Grid grid, Geometry roadInside, IReadOnlyList<Geometry> compounds, Blocks blocks, Bounds bounds, IReadOnlyList<Geometry> joinedForFit)
    {
        // A compound the road runs through (not along its edge) cannot be kept whole on one side.
        foreach (var c in compounds)
        {
            if (!c.EnvelopeInternal.Intersects(roadInside.EnvelopeInternal)) continue;
            if (Robust.Intersection(roadInside, c.Buffer(-InsetM)).Length > 2 * InsetM && Robust.Intersection(c, grid.Polygon).Area > 0.5 * c.Area) return "compound_straddles";
        }
        // The sides: the blocks between major roads the grid takes land of, whether or not anyone lives there.
        var sides = blocks.Overlapping(grid.Polygon);
        // Empty land from 2 ha up could have been a grid of its own (RoadBlocks): taking it is no reason to cross.
        if (sides.Any(b => blocks.Households[b] < bounds.Min && (blocks.Households[b] > 0 || blocks.Area(b) < RoadBlocks.MinEmptyBlockM2)))
            return "side_below_min";
        if (sides.Any(b => !Fits(blocks.Items[b], bounds))) return "no_road_free_fit";
        // Blocks the partitioner solved together because apart they found no grids in band.
        if (joinedForFit.Any(j => j.EnvelopeInternal.Intersects(grid.Polygon.EnvelopeInternal) && Robust.Intersection(j, grid.Polygon).Area > 0.5 * grid.Polygon.Area))
            return "no_road_free_fit";
        return "none";
    }

    /// <summary>Whether some number of grids k holds h households within Min..Max each.</summary>
    public static bool Fits(long h, Bounds bounds)
    {
        if (h < bounds.Min) return false;
        var k = (h + bounds.Max - 1) / bounds.Max;
        return k * bounds.Min <= h;
    }

    /// <summary>
    /// Whether whole units of these sizes can make grids of Min..Max: the total must fit, and where it fits two grids
    /// only, some units must add up to one of them (199 + 250 households cannot). A unit above Max counts as its
    /// stairwells of about 50. Three grids or more are taken to fit when the total does.
    /// </summary>
    public static bool Fits(IReadOnlyList<int> items, Bounds bounds)
    {
        long h = items.Sum(i => (long)i);
        if (!Fits(h, bounds)) return false;
        if (h <= bounds.Max || 3 * bounds.Min <= h) return true;
        var (low, high) = ((int)Math.Max(bounds.Min, h - bounds.Max), (int)Math.Min(bounds.Max, h - bounds.Min));
        var reachable = new bool[high + 1];
        reachable[0] = true;
        foreach (var item in items.SelectMany(i => i > bounds.Max ? Model.BuildingUnit.Synthesise(i, bounds.SynthesisedUnitHouseholds, bounds.Min, bounds.Max).Select(u => u.Households) : [i]))
            for (var s = high - item; s >= 0; s--)
                if (reachable[s]) reachable[s + item] = true;
        for (var s = low; s <= high; s++) if (reachable[s]) return true;
        return false;
    }

    /// <summary>The area cut by the major roads into blocks, with the households the basic grids hold in each.</summary>
    sealed class Blocks
    {
        readonly List<IPreparedGeometry> _faces;
        public readonly long[] Households;
        public readonly List<int>[] Items;

        public Blocks(Geometry area, IReadOnlyList<PartitionRoad> roads, IReadOnlyList<Grid> grids)
        {
            var lines = roads.Select(r => r.Line).Where(l => l.EnvelopeInternal.Intersects(area.EnvelopeInternal));
            _faces = Robust.Faces(area, lines).Select(f => PreparedGeometryFactory.Prepare(f)).ToList();
            Households = new long[_faces.Count];
            Items = _faces.Select(_ => new List<int>()).ToArray();
            foreach (var (point, households) in grids.SelectMany(g => g.Holds))
                if (Of(point) is var b and >= 0)
                {
                    Households[b] += households;
                    Items[b].Add((int)households);
                }
        }

        public List<int> Overlapping(Geometry grid) => Enumerable.Range(0, _faces.Count)
            .Where(b => _faces[b].Geometry.EnvelopeInternal.Intersects(grid.EnvelopeInternal) && _faces[b].Intersects(grid)
                        && Robust.Intersection(_faces[b].Geometry, grid).Area > Math.Min(MinSideM2, 0.5 * _faces[b].Geometry.Area))
            .ToList();

        public double Area(int b) => _faces[b].Geometry.Area;

        public int Of(Coordinate c)
        {
            var point = _faces.Count == 0 ? null : _faces[0].Geometry.Factory.CreatePoint(c);
            return _faces.FindIndex(f => f.Covers(point));
        }
    }
}
