using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Valid;

namespace GridMap.Core.Spatial;

/// <summary>What became of a geometry on its way into the store.</summary>
public enum GeometryOutcome { Valid, Repaired, Rejected }

public sealed record GeometryCheck(GeometryOutcome Outcome, Geometry? Geometry, string? Message);

/// <summary>
/// The geometry rules of the store: lon/lat in range, 7 decimals, RFC 7946 ring orientation
/// (outer rings counter-clockwise), invalid polygons repaired with GeometryFixer and reported.
/// </summary>
public static class GeometryRules
{
    /// <summary>The factory of every stored geometry: SRID 4326, 1e-7° precision (≈ 1 cm).</summary>
    public static readonly GeometryFactory Factory = new(new PrecisionModel(1e7), 4326);

    public static GeometryCheck Check(Geometry geometry)
    {
        if (geometry.IsEmpty) return new(GeometryOutcome.Rejected, null, "geometry is empty");
        foreach (var c in geometry.Coordinates)
        {
            if (double.IsNaN(c.X) || double.IsNaN(c.Y) || double.IsInfinity(c.X) || double.IsInfinity(c.Y))
                return new(GeometryOutcome.Rejected, null, "coordinate is not a number");
            if (c.X is < -180 or > 180 || c.Y is < -90 or > 90)
                return new(GeometryOutcome.Rejected, null, $"coordinate ({c.X}, {c.Y}) is outside lon/lat range: longitude must be in -180..180 and latitude in -90..90");
        }

        var rounded = Factory.CreateGeometry(geometry);
        rounded.Apply(new RoundFilter());
        rounded.GeometryChanged();

        string? repaired = null;
        if (rounded is IPolygonal)
        {
            var validity = new IsValidOp(rounded);
            if (!validity.IsValid)
            {
                var error = validity.ValidationError;
                var fixedGeometry = GeometryFixer.Fix(rounded);
                if (fixedGeometry.IsEmpty || fixedGeometry is not IPolygonal)
                    return new(GeometryOutcome.Rejected, null, $"invalid polygon ({error.Message} at {error.Coordinate}) that cannot be repaired to a polygon");
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
