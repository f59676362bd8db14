using GridMap.Core.Codes;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Areas;

/// <summary>A community as it will stand after an import: code and lon/lat polygon.</summary>
public sealed record RecodingArea(string Code, Geometry Polygon);

/// <summary>An active grid of a provisional community: its code, its community's code, its lon/lat polygon.</summary>
public sealed record RecodingGrid(string Code, string Community, Geometry Polygon);

public sealed record RecodingOptions
{
    /// <summary>
    /// A grid counts as wholly inside a community when at least this share of its area is: a hand-drawn community
    /// outline never follows the provisional edge to the centimetre, so 1 % of slack keeps such grids whole.
    /// </summary>
    public double WhollyInsideShare { get; init; } = 0.99;

    /// <summary>Pieces of land left of a provisional community (or of a straddling grid) smaller than this (m²) are slivers.</summary>
    public double MinPieceM2 { get; init; } = 2000;

    /// <summary>Pieces thinner than this (m, twice area over perimeter) are slivers along an outline, whatever their area.</summary>
    public double MinPieceWidthM { get; init; } = 5;
}

/// <summary>A grid wholly inside one community that is given a code of that community.</summary>
public sealed record RecodedGrid(string From, string To, string Community);

/// <summary>The share of a grid's area that lies in a community.</summary>
public sealed record GridShare(string Community, double Share);

/// <summary>A grid that no community holds wholly: the communities it lies in (largest share first) and the share in none.</summary>
public sealed record StraddlingGrid(string Code, IReadOnlyList<GridShare> Shares, double OutsideShare);

/// <summary>Land to re-partition inside one community: the parts of the straddling grids that lie in it (lon/lat).</summary>
public sealed record RepartitionArea(string Community, Geometry Polygon, IReadOnlyList<string> FromGrids);

/// <summary>
/// What importing real communities over provisional ones changes: the provisional communities left (clipped to the land
/// the real ones leave) or removed, the grids re-coded, the grids kept, and the straddling grids with the land to re-partition.
/// </summary>
public sealed record RecodingPlan(
    IReadOnlyList<RecodingArea> ClippedProvisional,
    IReadOnlyList<string> RemovedProvisional,
    IReadOnlyList<RecodedGrid> Recoded,
    IReadOnlyList<string> Kept,
    IReadOnlyList<StraddlingGrid> Straddling,
    IReadOnlyList<RepartitionArea> Repartition)
{
    public bool ChangesAnything => ClippedProvisional.Count + RemovedProvisional.Count + Recoded.Count + Straddling.Count > 0;
}

/// <summary>
/// Real communities imported over provisional ones (contract, "Provisional areas"): provisional communities give up
/// the land real ones cover (what is left of one is kept, so grids outside every real community keep a community);
/// a grid wholly inside one community (real, or what is left of a provisional one) is re-coded into it with the
/// community's next free sequence; a grid that straddles is listed with the land each community should re-partition.
/// Pure: lon/lat geometry in, plan out.
/// </summary>
public static class CommunityRecoding
{
    /// <param name="real">The real communities after the import.</param>
    /// <param name="provisional">The stored provisional communities (not replaced by an imported one of the same code).</param>
    /// <param name="grids">Active grids whose community is provisional.</param>
    /// <param name="takenCodes">Every grid code in the store, retired ones included: codes are never given twice.</param>
    public static RecodingPlan Plan(IReadOnlyList<RecodingArea> real, IReadOnlyList<RecodingArea> provisional,
        IReadOnlyList<RecodingGrid> grids, IEnumerable<string> takenCodes, RecodingOptions? options = null)
    {
        var o = options ?? new RecodingOptions();
        if (real.Count == 0 || (provisional.Count == 0 && grids.Count == 0)) return new([], [], [], grids.Select(g => g.Code).ToList(), [], []);
        var extent = new Envelope();
        foreach (var g in real.Select(a => a.Polygon).Concat(provisional.Select(a => a.Polygon)).Concat(grids.Select(g => g.Polygon)))
            extent.ExpandToInclude(g.EnvelopeInternal);
        var projection = MetricProjection.For(GeometryRules.Factory.ToGeometry(extent));

        var realMetric = real.Select(a => (a.Code, Polygon: Valid(projection.Project(a.Polygon)))).ToList();
        var realTree = Index(realMetric.Select(a => a.Polygon).ToList());

        // Provisional communities give up what real ones cover; slivers along the new edges go too.
        var clipped = new List<RecodingArea>();
        var removed = new List<string>();
        var targets = new List<(string Code, Geometry Polygon)>(realMetric);
        foreach (var p in provisional)
        {
            var metric = Valid(projection.Project(p.Polygon));
            var over = realTree.Query(metric.EnvelopeInternal).Select(i => realMetric[i].Polygon).Where(r => r.Intersects(metric)).ToList();
            var left = over.Count == 0 ? metric : metric.Difference(UnaryUnionOp.Union(over));
            if (metric.Area - left.Area < 1)
            {
                targets.Add((p.Code, metric)); // not overlapped (or by less than a square metre): left as it is
                continue;
            }
            var pieces = Pieces(left).Where(q => !Sliver(q, o)).ToList();
            if (pieces.Count == 0)
            {
                removed.Add(p.Code);
                continue;
            }
            var kept = UnaryUnionOp.Union(pieces);
            targets.Add((p.Code, kept));
            clipped.Add(new RecodingArea(p.Code, GeometryRules.SnapPolygonal(projection.Unproject(kept))));
        }
        var targetTree = Index(targets.Select(t => t.Polygon).ToList());

        var taken = takenCodes.ToHashSet(StringComparer.Ordinal);
        var moving = new List<(RecodingGrid Grid, string To)>();
        var keptGrids = new List<string>();
        var straddling = new List<StraddlingGrid>();
        var parts = new Dictionary<string, List<(string Grid, Geometry Part)>>(StringComparer.Ordinal);
        foreach (var grid in grids)
        {
            var metric = Valid(projection.Project(grid.Polygon));
            var area = metric.Area;
            if (area <= 0)
            {
                keptGrids.Add(grid.Code);
                continue;
            }
            var shares = targetTree.Query(metric.EnvelopeInternal)
                .Select(i => (Index: i, Part: targets[i].Polygon.Intersects(metric) ? targets[i].Polygon.Intersection(metric) : null))
                .Where(s => s.Part is { IsEmpty: false } && s.Part.Area > 0)
                .Select(s => (s.Index, Part: s.Part!, Share: s.Part!.Area / area))
                .OrderByDescending(s => s.Share).ThenBy(s => targets[s.Index].Code, StringComparer.Ordinal)
                .ToList();
            if (shares.Count > 0 && shares[0].Share >= o.WhollyInsideShare)
            {
                var to = targets[shares[0].Index].Code;
                if (to == grid.Community) keptGrids.Add(grid.Code);
                else moving.Add((grid, to));
                continue;
            }
            straddling.Add(new StraddlingGrid(grid.Code,
                shares.Where(s => s.Share >= 0.001).Select(s => new GridShare(targets[s.Index].Code, Math.Round(s.Share, 4))).ToList(),
                Math.Round(Math.Max(0, 1 - shares.Sum(s => s.Share)), 4)));
            // Each community re-partitions the part of the grid it holds; sliver parts go to the community holding most.
            var main = shares.Count > 0 ? targets[shares[0].Index].Code : null;
            foreach (var (index, part, _) in shares)
                foreach (var piece in Pieces(part))
                {
                    var to = Sliver(piece, o) && main is not null ? main : targets[index].Code;
                    if (!parts.TryGetValue(to, out var list)) parts[to] = list = [];
                    list.Add((grid.Code, piece));
                }
        }

        // New codes: per community, the grids moving in take its next free sequences in reading order.
        var recoded = new List<RecodedGrid>();
        foreach (var group in moving.GroupBy(m => m.To).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var list = group.ToList();
            var codes = NextCodes(group.Key, list.Select(m => m.Grid.Polygon).ToList(), taken);
            for (var i = 0; i < list.Count; i++)
            {
                recoded.Add(new RecodedGrid(list[i].Grid.Code, codes[i], group.Key));
                taken.Add(codes[i]);
            }
        }

        var repartition = parts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new RepartitionArea(kv.Key,
                GeometryRules.SnapPolygonal(projection.Unproject(UnaryUnionOp.Union(kv.Value.Select(p => p.Part).ToList()))),
                kv.Value.Select(p => p.Grid).Distinct().ToList()))
            .Where(r => !r.Polygon.IsEmpty)
            .ToList();
        return new RecodingPlan(clipped, removed, recoded, keptGrids, straddling, repartition);
    }

    /// <summary>
    /// Codes for grids new to a community: its next free sequences (after every code taken, retired ones included),
    /// given in reading order (west→east, north→south). Returned in the order of <paramref name="grids"/>.
    /// </summary>
    public static IReadOnlyList<string> NextCodes(string community, IReadOnlyList<Geometry> grids, IEnumerable<string> taken)
    {
        var next = GridCode.NextFree(taken.Select(c => GridCode.SequenceOf(community, c)).OfType<int>());
        var codes = new string[grids.Count];
        foreach (var i in GridCode.ReadingOrder(grids)) codes[i] = GridCode.Format(community, next++);
        return codes;
    }

    static bool Sliver(Geometry piece, RecodingOptions o) =>
        piece.Area < o.MinPieceM2 || (piece.Length > 0 && 2 * piece.Area / piece.Length < o.MinPieceWidthM);

    static IEnumerable<Geometry> Pieces(Geometry g) => g switch
    {
        Polygon { IsEmpty: false } p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Pieces),
        _ => [],
    };

    static Geometry Valid(Geometry g) => g.IsValid ? g : NetTopologySuite.Geometries.Utilities.GeometryFixer.Fix(g);

    static STRtree<int> Index(IReadOnlyList<Geometry> polygons)
    {
        var tree = new STRtree<int>();
        for (var i = 0; i < polygons.Count; i++) tree.Insert(polygons[i].EnvelopeInternal, i);
        tree.Build();
        return tree;
    }
}
