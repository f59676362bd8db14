using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Dedicated grids (专属网格): each special area's piece inside an area (a campus, a hospital, business land, a park)
/// becomes one grid of its own holding the buildings on it, and basic grids are solved on the rest, so that
/// non-residential land is never poured into residential grids. Land left with nobody on it, and an area that holds no
/// households at all, is a dedicated grid too: all land belongs to some grid (全覆盖), and no basic grid is empty.
/// </summary>
public static class DedicatedGrids
{
    /// <summary>Pieces of a special area smaller than this (m²) inside an area stay with the basic grids.</summary>
    public const double MinPieceM2 = 2_000;

    static readonly PartitionSpecialArea NobodysLand = new("", "other", null, Point.Empty);

    public static AreaOutcome Solve(GridPartitioner.PreparedInput p, int i, IReadOnlyList<(PartitionSpecialArea Area, Geometry Polygon)> specials,
        Func<GridPartitioner.PreparedInput, int, AreaOutcome> solveBasic)
    {
        var polygon = p.Areas[i].Polygon;
        var (pieces, taken) = Pieces(polygon, specials);
        // Without special land the area is solved whole (carving it is a method of its own: compiled only where it runs).
        return pieces.Count == 0
            ? AllLand.Cover(Unoccupied(solveBasic(p, i), polygon), polygon)
            : WithPieces(p, i, pieces, taken, solveBasic);
    }

    /// <summary>Each special area's piece of the area (slivers and pieces under <see cref="MinPieceM2"/> left out), and their union.</summary>
    static (List<(PartitionSpecialArea Area, Geometry Polygon)> Pieces, Geometry Taken) Pieces(Geometry polygon,
        IReadOnlyList<(PartitionSpecialArea Area, Geometry Polygon)> specials)
    {
        var pieces = new List<(PartitionSpecialArea Area, Geometry Polygon)>();
        Geometry taken = polygon.Factory.CreatePolygon();
        foreach (var (area, g) in specials.Where(s => s.Polygon.EnvelopeInternal.Intersects(polygon.EnvelopeInternal)))
        {
            // OverlayNG's intersection of polygons that also touch along an edge holds lines too: keep the polygons before the next overlay.
            var piece = Polygonal(Overlay(Polygonal(Overlay(polygon, g, SpatialFunction.Intersection)), taken, SpatialFunction.Difference));
            // A sliver-thin remnant (a campus edge along the community's boundary) stays with the basic grids.
            piece = Polygonal(Overlay(piece.Buffer(-1).Buffer(1), piece, SpatialFunction.Intersection));
            if (piece.Area < MinPieceM2) continue;
            pieces.Add((area, piece));
            taken = taken.IsEmpty ? piece : Overlay(taken, piece, SpatialFunction.Union);
        }
        return (pieces, taken);
    }

    /// <summary>The pieces as dedicated grids, and basic grids solved on the rest of the area.</summary>
    static AreaOutcome WithPieces(GridPartitioner.PreparedInput p, int i, List<(PartitionSpecialArea Area, Geometry Polygon)> pieces, Geometry taken,
        Func<GridPartitioner.PreparedInput, int, AreaOutcome> solveBasic)
    {
        var (code, polygon) = p.Areas[i];
        // The buildings on each piece are its grid's; the rest are the basic grids'.
        var prepared = pieces.Select(x => PreparedGeometryFactory.Prepare(x.Polygon)).ToArray();
        var onPiece = pieces.Select(_ => new List<AreaAtoms.MetricUnit>()).ToArray();
        var others = new List<AreaAtoms.MetricUnit>();
        foreach (var u in p.UnitsByArea[i])
        {
            var point = polygon.Factory.CreatePoint(u.Point);
            var k = Array.FindIndex(prepared, x => x.Covers(point));
            (k >= 0 ? onPiece[k] : others).Add(u);
        }
        var rest = Polygonal(Overlay(polygon, taken, SpatialFunction.Difference));
        var restHolds = others.Sum(u => (long)u.Unit.Households) + p.CompoundsByArea[i].Sum(c => (long)(c.Compound.Households ?? 0));
        AreaOutcome basic;
        if (rest.Area < 1) basic = Empty();
        else if (restHolds == 0) basic = Unoccupied(Single(rest, others), rest);
        else
        {
            var areas = p.Areas.ToArray();
            areas[i] = (code, rest);
            var units = (IReadOnlyList<AreaAtoms.MetricUnit>[])p.UnitsByArea.Clone();
            units[i] = others;
            basic = Unoccupied(solveBasic(p with { Areas = areas, UnitsByArea = units }, i), rest);
        }

        // Codes: a dedicated grid keeps the code of an existing grid that covers most of it (and most of which it covers).
        var claimed = new HashSet<string>((basic.Codes ?? []).OfType<string>(), StringComparer.Ordinal);
        var codes = (basic.Codes ?? basic.Polygons.Select(_ => (string?)null)).ToList();
        foreach (var (_, piece) in pieces)
        {
            var match = p.ExistingByArea[i].Where(e => !claimed.Contains(e.Code) && e.Polygon.EnvelopeInternal.Intersects(piece.EnvelopeInternal))
                .Select(e => (e.Code, Shared: e.Polygon.Intersection(piece).Area, e.Polygon.Area))
                .Where(x => x.Shared > 0.5 * piece.Area && x.Shared > 0.5 * x.Area).Select(x => x.Code).FirstOrDefault();
            if (match is not null) claimed.Add(match);
            codes.Add(match);
        }
        return AllLand.Cover(new AreaOutcome(
            [.. basic.Polygons, .. pieces.Select(x => x.Polygon)],
            [.. basic.Households, .. onPiece.Select(list => list.Sum(u => u.Unit.Households))],
            [.. basic.UnitIds, .. onPiece.Select(list => (IReadOnlyList<string>)list.Select(u => u.Unit.Id).ToList())],
            [.. basic.Reasons, .. pieces.Select(_ => OutOfBandReason.None)],
            basic.InfeasibleUnits, basic.SplitCompounds)
        {
            Codes = codes.Any(c => c is not null) || basic.Codes is not null ? codes : null,
            Churn = basic.Churn,
            JoinedForFit = basic.JoinedForFit,
            Territories = basic.Territories,
            Specials = [.. basic.Specials ?? basic.Polygons.Select(_ => (PartitionSpecialArea?)null), .. pieces.Select(x => (PartitionSpecialArea?)x.Area)],
        }, polygon);
    }

    /// <summary>An outcome whose grids hold no households at all: one dedicated grid (kind other) over its land.</summary>
    public static AreaOutcome Unoccupied(AreaOutcome o, Geometry land)
    {
        if (o.Polygons.Count == 0 || o.Households.Any(h => h > 0)) return o;
        return o with { Reasons = o.Polygons.Select(_ => OutOfBandReason.None).ToList(), Specials = o.Polygons.Select(_ => (PartitionSpecialArea?)NobodysLand).ToList() };
    }

    static AreaOutcome Single(Geometry land, IReadOnlyList<AreaAtoms.MetricUnit> units) =>
        new([land], [0], [units.Select(u => u.Unit.Id).ToList()], [OutOfBandReason.None], [], 0);

    static AreaOutcome Empty() => new([], [], [], [], [], 0);

    /// <summary>Overlays snap-rounded to the millimetre: pieces and the rest share exact edges, so later overlays node cleanly.</summary>
    static readonly PrecisionModel Millimetre = new(1000);

    static Geometry Overlay(Geometry a, Geometry b, SpatialFunction op) =>
        b.IsEmpty ? op == SpatialFunction.Intersection ? b : a : OverlayNG.Overlay(a, b, op, Millimetre);

    static Geometry Polygonal(Geometry g) => Robust.Polygonal(g);
}
