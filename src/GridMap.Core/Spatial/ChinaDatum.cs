using NetTopologySuite.Geometries;

namespace GridMap.Core.Spatial;

/// <summary>The lon/lat a source file is in: WGS84/CGCS2000 (GridMap's own), or the obfuscated GCJ-02 (Amap, Tencent) and BD-09 (Baidu).</summary>
public enum Datum { Wgs84, Gcj02, Bd09 }

/// <summary>
/// Converts GCJ-02 and BD-09 coordinates to WGS84, once, at import. GCJ-02 has no closed-form inverse:
/// the one-step inverse errs by metres, so the forward offset is inverted by fixed-point iteration to ~1 mm.
/// </summary>
public static class ChinaDatum
{
    const double A = 6378245.0;
    const double Ee = 0.00669342162296594323;
    const double XPi = Math.PI * 3000.0 / 180.0;

    public static bool TryParse(string? text, out Datum datum)
    {
        datum = text?.ToLowerInvariant() switch
        {
            null or "" or "wgs84" or "cgcs2000" or "epsg:4326" or "epsg:4490" => Datum.Wgs84,
            "gcj02" or "gcj-02" => Datum.Gcj02,
            "bd09" or "bd-09" => Datum.Bd09,
            _ => (Datum)(-1),
        };
        return Enum.IsDefined(datum);
    }

    /// <summary>GCJ-02 applies only inside China's rough bounding box; elsewhere it equals WGS84.</summary>
    public static bool InChina(double lon, double lat) => lon is >= 72.004 and <= 137.8347 && lat is >= 0.8293 and <= 55.8271;

    public static Coordinate Wgs84ToGcj02(Coordinate wgs)
    {
        if (!InChina(wgs.X, wgs.Y)) return wgs.Copy();
        var (dLon, dLat) = Offset(wgs.X, wgs.Y);
        return new Coordinate(wgs.X + dLon, wgs.Y + dLat);
    }

    public static Coordinate Gcj02ToWgs84(Coordinate gcj)
    {
        if (!InChina(gcj.X, gcj.Y)) return gcj.Copy();
        return Invert(Wgs84ToGcj02, gcj, gcj, 30);
    }

    /// <summary>The published closed form errs by centimetres; a few fixed-point steps on <see cref="Gcj02ToBd09"/> remove that.</summary>
    public static Coordinate Bd09ToGcj02(Coordinate bd)
    {
        double x = bd.X - 0.0065, y = bd.Y - 0.006;
        var z = Math.Sqrt(x * x + y * y) - 0.00002 * Math.Sin(y * XPi);
        var theta = Math.Atan2(y, x) - 0.000003 * Math.Cos(x * XPi);
        return Invert(Gcj02ToBd09, bd, new Coordinate(z * Math.Cos(theta), z * Math.Sin(theta)), 10);
    }

    /// <summary>Solves forward(x) = target by fixed-point steps from <paramref name="start"/>: the offsets are small and smooth, so it converges fast.</summary>
    static Coordinate Invert(Func<Coordinate, Coordinate> forward, Coordinate target, Coordinate start, int steps)
    {
        double lon = start.X, lat = start.Y;
        for (var i = 0; i < steps; i++)
        {
            var f = forward(new Coordinate(lon, lat));
            double ex = f.X - target.X, ey = f.Y - target.Y;
            lon -= ex;
            lat -= ey;
            if (Math.Abs(ex) < 1e-10 && Math.Abs(ey) < 1e-10) break;
        }
        return new Coordinate(lon, lat);
    }

    public static Coordinate Gcj02ToBd09(Coordinate gcj)
    {
        double x = gcj.X, y = gcj.Y;
        var z = Math.Sqrt(x * x + y * y) + 0.00002 * Math.Sin(y * XPi);
        var theta = Math.Atan2(y, x) + 0.000003 * Math.Cos(x * XPi);
        return new Coordinate(z * Math.Cos(theta) + 0.0065, z * Math.Sin(theta) + 0.006);
    }

    public static Coordinate ToWgs84(Coordinate c, Datum from) => from switch
    {
        Datum.Gcj02 => Gcj02ToWgs84(c),
        Datum.Bd09 => Gcj02ToWgs84(Bd09ToGcj02(c)),
        _ => c,
    };

    /// <summary>A copy of the geometry in WGS84.</summary>
    public static Geometry ToWgs84(Geometry g, Datum from) =>
        from == Datum.Wgs84 ? g : CoordinateMap.Apply(g, (x, y) => ToWgs84(new Coordinate(x, y), from) is var w ? (w.X, w.Y) : default);

    static (double DLon, double DLat) Offset(double lon, double lat)
    {
        double x = lon - 105.0, y = lat - 35.0;
        var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.Sqrt(Math.Abs(x))
            + (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0
            + (20.0 * Math.Sin(y * Math.PI) + 40.0 * Math.Sin(y / 3.0 * Math.PI)) * 2.0 / 3.0
            + (160.0 * Math.Sin(y / 12.0 * Math.PI) + 320 * Math.Sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
        var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.Sqrt(Math.Abs(x))
            + (20.0 * Math.Sin(6.0 * x * Math.PI) + 20.0 * Math.Sin(2.0 * x * Math.PI)) * 2.0 / 3.0
            + (20.0 * Math.Sin(x * Math.PI) + 40.0 * Math.Sin(x / 3.0 * Math.PI)) * 2.0 / 3.0
            + (150.0 * Math.Sin(x / 12.0 * Math.PI) + 300.0 * Math.Sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
        var radLat = lat / 180.0 * Math.PI;
        var magic = Math.Sin(radLat);
        magic = 1 - Ee * magic * magic;
        var sqrtMagic = Math.Sqrt(magic);
        dLat = dLat * 180.0 / (A * (1 - Ee) / (magic * sqrtMagic) * Math.PI);
        dLon = dLon * 180.0 / (A / sqrtMagic * Math.Cos(radLat) * Math.PI);
        return (dLon, dLat);
    }
}
