using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Valid;

namespace GridMap.Core.Spatial;

/// <summary>What became of a geometry on its way into the store.</summary>
public enum GeometryOutcome { Valid, Repaired, Rejected }

/// <param name="Code">The stable code of a refusal that is a rule, not a reading error (422): <c>too_many_positions</c>,
/// <c>too_complex_to_repair</c>, <c>unrepairable_geometry</c>; null otherwise.</param>
public sealed record GeometryCheck(GeometryOutcome Outcome, Geometry? Geometry, string? Message, string? Code = null);

/// <summary>
/// The geometry rules of the store: lon/lat in range, 7 decimals, RFC 7946 ring orientation
/// (outer rings counter-clockwise), invalid polygons repaired with GeometryFixer and reported.
/// </summary>
public static class GeometryRules
{
    /// <summary>The factory of every stored geometry: SRID 4326, 1e-7° precision (≈ 1 cm).</summary>
    public static readonly GeometryFactory Factory = new(new PrecisionModel(1e7), 4326);

    /// <summary>Most positions in one geometry (a district boundary from OSM holds a few tens of thousands).</summary>
    public const int MaxPositions = 200_000;

    /// <summary>
    /// Most vertices an invalid polygon may have to be repaired whatever is wrong with it: NTS's GeometryFixer grows much
    /// faster than the vertex count when the rings cross often, and takes no cancellation, so this is where its worst case
    /// (a self-intersecting zig-zag, a crossing per tooth) stays within about a second on the reference machine
    /// (`gridmap bench repair`, docs/benchmarks.md).
    /// </summary>
    public const int MaxRepairVertices = 500;

    /// <summary>
    /// Above <see cref="MaxRepairVertices"/>, an invalid polygon is still repaired when it is a real boundary with a few
    /// faults — at most <see cref="MaxRepairCrossings"/> crossings and <see cref="MaxRepairRings"/> rings, up to this many
    /// vertices (Singapore's subzones: 818–2,102 vertices, 0–4 crossings). The repair's cost follows the crossings and the
    /// rings; the worst cases inside these bounds are measured by `gridmap bench repair`. Beyond them: 422.
    /// </summary>
    public const int MaxRepairVerticesFewFaults = 10_000;

    /// <summary>Crossings (and touches) of the rings allowed for a repair above <see cref="MaxRepairVertices"/>.</summary>
    public const int MaxRepairCrossings = 16;

    /// <summary>Rings (shells and holes) allowed for a repair above <see cref="MaxRepairVertices"/>.</summary>
    public const int MaxRepairRings = 100;

    /// <param name="maxRepairVertices">The repair cap (<see cref="MaxRepairVertices"/>; `gridmap bench repair` measures beyond it).</param>
    public static GeometryCheck Check(Geometry geometry, int maxRepairVertices = MaxRepairVertices)
    {
        if (geometry.IsEmpty) return new(GeometryOutcome.Rejected, null, "geometry is empty");
        var positions = geometry.NumPoints;
        if (positions > MaxPositions)
            return new(GeometryOutcome.Rejected, null, $"geometry has {positions:N0} positions; at most {MaxPositions:N0} are taken", "too_many_positions");
        foreach (var c in geometry.Coordinates)
        {
            if (double.IsNaN(c.X) || double.IsNaN(c.Y) || double.IsInfinity(c.X) || double.IsInfinity(c.Y))
                return new(GeometryOutcome.Rejected, null, "coordinate is not a number");
            if (c.X is < -180 or > 180 || c.Y is < -90 or > 90)
                return new(GeometryOutcome.Rejected, null, $"coordinate ({c.X}, {c.Y}) is outside lon/lat range: longitude must be in -180..180 and latitude in -90..90");
        }

        // The store is 2-D lon/lat: an altitude (RFC 7946 allows a third number) is dropped here, so both stores keep the same.
        var flat = HasAltitude(geometry);
        var rounded = TwoD(Factory.CreateGeometry(geometry));
        rounded.Apply(new RoundFilter());
        rounded.GeometryChanged();

        string? repaired = flat ? "altitude dropped: positions are stored as lon/lat" : null;
        if (rounded is IPolygonal)
        {
            var validity = new IsValidOp(rounded);
            if (!validity.IsValid)
            {
                var error = validity.ValidationError;
                if (positions > maxRepairVertices && TooComplexToRepair(rounded, positions) is { } why)
                    return new(GeometryOutcome.Rejected, null,
                        $"invalid polygon ({error.Message} at {Format(error.Coordinate)}) with {why}: repair is attempted up to {maxRepairVertices:N0} vertices, " +
                        $"or up to {MaxRepairVerticesFewFaults:N0} with at most {MaxRepairCrossings} crossings and {MaxRepairRings} rings; fix it in an editor",
                        "too_complex_to_repair");
                var fixedGeometry = Repair(rounded);
                if (fixedGeometry is null)
                    return new(GeometryOutcome.Rejected, null, $"invalid polygon ({error.Message} at {Format(error.Coordinate)}) that cannot be repaired to a valid polygon", "unrepairable_geometry");
                rounded = fixedGeometry;
                repaired = $"repaired invalid polygon ({error.Message} at {Format(error.Coordinate)})";
            }
        }
        else if (rounded is LineString { Length: 0 } or MultiLineString { Length: 0 })
        {
            return new(GeometryOutcome.Rejected, null, "line has zero length");
        }

        var oriented = OrientForRfc7946(rounded);
        return repaired is null
            ? new(GeometryOutcome.Valid, oriented, null)
            : new(GeometryOutcome.Repaired, oriented, repaired);
    }

    /// <summary>What puts an invalid polygon above <see cref="MaxRepairVertices"/> out of repair's reach; null when a few faults are all it has.</summary>
    static string? TooComplexToRepair(Geometry polygonal, int positions)
    {
        if (positions > MaxRepairVerticesFewFaults) return $"{positions:N0} vertices";
        var rings = 0;
        for (var i = 0; i < polygonal.NumGeometries; i++)
            if (polygonal.GetGeometryN(i) is Polygon p) rings += 1 + p.NumInteriorRings;
        if (rings > MaxRepairRings) return $"{positions:N0} vertices in {rings:N0} rings";
        var crossings = SelfCrossings.Count(polygonal, MaxRepairCrossings);
        return crossings > MaxRepairCrossings ? $"{positions:N0} vertices and more than {MaxRepairCrossings} crossings" : null;
    }

    /// <summary>
    /// GeometryFixer's repair, snap-rounded to the store's 7-decimal grid (its new vertices, where edges crossed, lie off
    /// it: stored and read back they crossed again, and partition overlays failed with "found non-noded intersection").
    /// Kept only when the result is polygonal, valid at the stored precision and goes through the partitioner's overlay.
    /// </summary>
    static Geometry? Repair(Geometry invalid)
    {
        try
        {
            var fixedGeometry = GeometryFixer.Fix(invalid);
            if (fixedGeometry.IsEmpty || fixedGeometry is not IPolygonal) return null;
            var snapped = NetTopologySuite.Precision.GeometryPrecisionReducer.Reduce(fixedGeometry, Factory.PrecisionModel);
            if (snapped.IsEmpty || snapped is not IPolygonal || !new IsValidOp(snapped).IsValid) return null;
            // The overlay the partitioner runs (OverlayNG, robust): a repaired geometry must survive it.
            NetTopologySuite.Operation.OverlayNG.OverlayNGRobust.Union(snapped);
            // Overlay output carries XYZ sequences (Z unset): a 3-D WKB the PostGIS column refuses.
            return TwoD(Factory.CreateGeometry(snapped));
        }
        catch (Exception e) when (e is TopologyException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The geometry with 2-D coordinate sequences (XY), as both stores keep it; itself when it has them already.</summary>
    public static Geometry TwoD(Geometry g)
    {
        var deeper = false;
        g.Apply(new DimensionFinder(() => deeper = true));
        return deeper ? Factory.CreateGeometry(new DropAltitude().Transform(g)) : g;
    }

    sealed class DimensionFinder(Action found) : ICoordinateSequenceFilter
    {
        bool _done;
        public bool Done => _done;
        public bool GeometryChanged => false;

        public void Filter(CoordinateSequence seq, int i)
        {
            if (seq.Dimension > 2 || seq.Measures > 0) { _done = true; found(); }
        }
    }

    static bool HasAltitude(Geometry g)
    {
        var found = false;
        g.Apply(new AltitudeFinder(() => found = true));
        return found;
    }

    sealed class AltitudeFinder(Action found) : ICoordinateSequenceFilter
    {
        bool _done;
        public bool Done => _done;
        public bool GeometryChanged => false;

        public void Filter(CoordinateSequence seq, int i)
        {
            if (seq.HasZ && !double.IsNaN(seq.GetZ(i))) { _done = true; found(); }
            else if (seq.HasM && !double.IsNaN(seq.GetM(i))) { _done = true; found(); }
        }
    }

    /// <summary>The same geometry with X and Y only, on the store's factory.</summary>
    sealed class DropAltitude : GeometryTransformer
    {
        protected override CoordinateSequence TransformCoordinates(CoordinateSequence coords, Geometry parent)
        {
            var xy = GeometryRules.Factory.CoordinateSequenceFactory.Create(coords.Count, 2, 0);
            for (var i = 0; i < coords.Count; i++)
            {
                xy.SetX(i, coords.GetX(i));
                xy.SetY(i, coords.GetY(i));
            }
            return xy;
        }
    }

    /// <summary>
    /// Polygonal part only, snap-rounded to the store's 7-decimal grid (valid by construction; an invalid input is fixed
    /// first), oriented as RFC 7946 asks; empty when nothing polygonal is left.
    /// </summary>
    public static Geometry SnapPolygonal(Geometry g)
    {
        var reduced = g.IsEmpty ? g : Reduce(g);
        var polygons = Polygons(reduced).Where(p => !p.IsEmpty && p.Area > 0).ToArray();
        Geometry result = polygons.Length switch
        {
            0 => Factory.CreatePolygon(),
            1 => Factory.CreateGeometry(polygons[0]),
            _ => Factory.CreateMultiPolygon(polygons.Select(p => (Polygon)Factory.CreateGeometry(p)).ToArray()),
        };
        return OrientForRfc7946(result);
    }

    static Geometry Reduce(Geometry g)
    {
        try
        {
            return NetTopologySuite.Precision.GeometryPrecisionReducer.Reduce(g, Factory.PrecisionModel);
        }
        catch (ArgumentException)
        {
            return NetTopologySuite.Precision.GeometryPrecisionReducer.Reduce(GeometryFixer.Fix(g), Factory.PrecisionModel);
        }
    }

    static IEnumerable<Polygon> Polygons(Geometry g) => g switch
    {
        Polygon p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Polygons),
        _ => [],
    };

    static string Format(Coordinate? c) => c is null ? "?" : $"{c.X:0.#######}, {c.Y:0.#######}";

    /// <summary>Counter-clockwise shells and clockwise holes, as RFC 7946 §3.1.6 asks.</summary>
    public static Geometry OrientForRfc7946(Geometry g) => g switch
    {
        Polygon p => Orient(p),
        MultiPolygon mp => g.Factory.CreateMultiPolygon(mp.Geometries.Cast<Polygon>().Select(Orient).ToArray()),
        _ => g,
    };

    static Polygon Orient(Polygon p)
    {
        var shell = p.Shell.IsCCW ? p.Shell : (LinearRing)p.Shell.Reverse();
        var holes = p.Holes.Select(h => h.IsCCW ? (LinearRing)h.Reverse() : h).ToArray();
        return p.Factory.CreatePolygon(shell, holes);
    }

    sealed class RoundFilter : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            seq.SetX(i, Math.Round(seq.GetX(i), 7));
            seq.SetY(i, Math.Round(seq.GetY(i), 7));
        }
    }
}
