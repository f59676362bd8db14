using System.Text.Json;
using NetTopologySuite.Geometries;

namespace GridMap.IO.GeoJson;

/// <summary>
/// Writes geometries as RFC 7946 GeoJSON: lon/lat with at most 7 decimals (≈ 1 cm), no crs member.
/// Ring orientation is the store's job (<see cref="GridMap.Core.Spatial.GeometryRules"/>).
/// </summary>
public static class GeoJsonGeometry
{
    public static void Write(Utf8JsonWriter w, Geometry g)
    {
        w.WriteStartObject();
        w.WriteString("type", g.GeometryType);
        if (g is GeometryCollection gc and not (MultiPoint or MultiLineString or MultiPolygon))
        {
            w.WriteStartArray("geometries");
            foreach (var part in gc.Geometries) Write(w, part);
            w.WriteEndArray();
        }
        else
        {
            w.WritePropertyName("coordinates");
            WriteCoordinates(w, g);
        }
        w.WriteEndObject();
    }

    static void WriteCoordinates(Utf8JsonWriter w, Geometry g)
    {
        // An empty geometry has no positions (RFC 7946 §3.1: an empty coordinates array), not [[]] or [NaN, NaN].
        if (g.IsEmpty)
        {
            w.WriteStartArray();
            w.WriteEndArray();
            return;
        }
        switch (g)
        {
            case Point p:
                WritePosition(w, p.X, p.Y);
                break;
            case LineString l:
                WriteSequence(w, l.CoordinateSequence);
                break;
            case Polygon p:
                w.WriteStartArray();
                WriteSequence(w, p.ExteriorRing.CoordinateSequence);
                // An empty hole is no hole (a reader takes [] for a position list it cannot read).
                foreach (var hole in p.InteriorRings) if (!hole.IsEmpty) WriteSequence(w, hole.CoordinateSequence);
                w.WriteEndArray();
                break;
            case GeometryCollection multi:
                w.WriteStartArray();
                foreach (var part in multi.Geometries) WriteCoordinates(w, part);
                w.WriteEndArray();
                break;
        }
    }

    static void WriteSequence(Utf8JsonWriter w, CoordinateSequence seq)
    {
        w.WriteStartArray();
        for (var i = 0; i < seq.Count; i++) WritePosition(w, seq.GetX(i), seq.GetY(i));
        w.WriteEndArray();
    }

    static void WritePosition(Utf8JsonWriter w, double x, double y)
    {
        w.WriteStartArray();
        w.WriteNumberValue(Math.Round(x, 7));
        w.WriteNumberValue(Math.Round(y, 7));
        w.WriteEndArray();
    }

    public static double[] Bbox(Geometry g)
    {
        var e = g.EnvelopeInternal;
        return [Math.Round(e.MinX, 7), Math.Round(e.MinY, 7), Math.Round(e.MaxX, 7), Math.Round(e.MaxY, 7)];
    }
}
