using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Linemerge;

namespace GridMap.IO.Osm;

/// <summary>Polygons from OSM ways and multipolygon relations (lon/lat, not yet validated).</summary>
internal static class OsmPolygons
{
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>A closed way's polygon, or null (with a reason) when it has too few distinct points.</summary>
    public static Polygon? FromRing(Coordinate[] ring, out string? problem)
    {
        problem = null;
        if (ring.Length < 4 || !ring[0].Equals2D(ring[^1]) || ring.Distinct().Count() < 3)
        {
            problem = "ring has fewer than 3 distinct points";
            return null;
        }
        return Factory.CreatePolygon(ring);
    }

    /// <summary>
    /// Assembles a multipolygon relation: member ways with role <c>outer</c> (or no role) are joined end to end into
    /// shells, <c>inner</c> ones into holes, and each hole goes to the smallest shell that contains it.
    /// </summary>
    public static Geometry? FromMultipolygon(IEnumerable<(string Role, Coordinate[] Line)> members, out string? problem)
    {
        problem = null;
        var outer = new List<LineString>();
        var inner = new List<LineString>();
        foreach (var (role, line) in members)
        {
            if (line.Length < 2) continue;
            (role == "inner" ? inner : outer).Add(Factory.CreateLineString(line));
        }
        if (outer.Count == 0) { problem = "has no outer member ways"; return null; }

        var shells = Rings(outer, out problem);
        if (shells is null) return null;
        var holes = Rings(inner, out problem);
        if (holes is null) return null;

        var shellPolygons = shells.Select(s => Factory.CreatePolygon(s)).ToList();
        var holesOf = shellPolygons.Select(_ => new List<LinearRing>()).ToList();
        foreach (var hole in holes)
        {
            var holePolygon = Factory.CreatePolygon(hole);
            var at = -1;
            for (var i = 0; i < shellPolygons.Count; i++)
            {
                if (!shellPolygons[i].EnvelopeInternal.Covers(hole.EnvelopeInternal)) continue;
                if (!shellPolygons[i].Covers(holePolygon.InteriorPoint)) continue;
                if (at < 0 || shellPolygons[i].Area < shellPolygons[at].Area) at = i;
            }
            if (at < 0) { problem = "has an inner ring outside every outer ring"; return null; }
            holesOf[at].Add(hole);
        }

        var polygons = shells.Select((s, i) => Factory.CreatePolygon(s, holesOf[i].ToArray())).ToArray();
        return polygons.Length == 1 ? polygons[0] : Factory.CreateMultiPolygon(polygons);
    }

    static List<LinearRing>? Rings(List<LineString> lines, out string? problem)
    {
        problem = null;
        var rings = new List<LinearRing>();
        if (lines.Count == 0) return rings;
        var merger = new LineMerger();
        merger.Add(lines);
        foreach (LineString merged in merger.GetMergedLineStrings())
        {
            var coords = merged.Coordinates;
            if (coords.Length < 4 || !coords[0].Equals2D(coords[^1]) || coords.Distinct().Count() < 3)
            {
                problem = "has a ring that does not close";
                return null;
            }
            rings.Add(Factory.CreateLinearRing(coords));
        }
        return rings;
    }
}
