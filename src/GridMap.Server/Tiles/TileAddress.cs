using NetTopologySuite.Geometries;

namespace GridMap.Server.Tiles;

/// <summary>
/// A tile of the Web Mercator (XYZ, "slippy map") grid that MapLibre requests: zoom 0..<see cref="MaxZoom"/>, x from the
/// west and y from the north, each 0..2^z−1. Its edges are lines of constant longitude and latitude, so its lon/lat
/// bounds are exact.
/// </summary>
public sealed record TileAddress(int Z, int X, int Y)
{
    public const int MaxZoom = 22;

    /// <summary>The largest x or y at zoom <paramref name="z"/>.</summary>
    public static int MaxIndex(int z) => (1 << z) - 1;

    public bool IsValid => Z is >= 0 and <= MaxZoom && X >= 0 && Y >= 0 && X <= MaxIndex(Z) && Y <= MaxIndex(Z);

    /// <summary>The tile's lon/lat bounds.</summary>
    public Envelope Bounds => new(Lon(X), Lon(X + 1), Lat(Y + 1), Lat(Y));

    /// <summary>The bounds grown by <paramref name="units"/> of an <paramref name="extent"/>-unit tile on every side (the MVT buffer).</summary>
    public Envelope Buffered(double units, double extent)
    {
        var n = (double)(1L << Z);
        var d = units / extent;
        return new Envelope(Lon(X - d), Lon(X + 1 + d), Lat(Math.Min(Y + 1 + d, n)), Lat(Math.Max(Y - d, 0)));
    }

    double Lon(double x) => x / (1L << Z) * 360.0 - 180.0;

    double Lat(double y)
    {
        var n = Math.PI - 2.0 * Math.PI * y / (1L << Z);
        return 180.0 / Math.PI * Math.Atan(Math.Sinh(n));
    }

    public override string ToString() => $"{Z}/{X}/{Y}";
}
