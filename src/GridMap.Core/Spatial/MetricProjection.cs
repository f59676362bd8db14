using NetTopologySuite.Geometries;
using ProjNet.CoordinateSystems;
using ProjNet.CoordinateSystems.Transformations;

namespace GridMap.Core.Spatial;

/// <summary>
/// Lon/lat (CGCS2000 ≈ WGS84) to the CGCS2000 3° Gauss–Krüger zone (EPSG:4534–4554) of a longitude, and back.
/// All metric work — areas, distances, buffers — happens in this plane.
/// </summary>
public sealed class MetricProjection
{
    readonly MathTransform _forward;
    readonly MathTransform _inverse;

    public int CentralMeridian { get; }

    /// <summary>The EPSG code of the zone (4534 for 75° E … 4554 for 135° E); 0 outside China's zones.</summary>
    public int Epsg => CentralMeridian is >= 75 and <= 135 ? 4534 + (CentralMeridian - 75) / 3 : 0;

    MetricProjection(int centralMeridian)
    {
        CentralMeridian = centralMeridian;
        var wgs = GeographicCoordinateSystem.WGS84;
        var parameters = new List<ProjectionParameter>
        {
            new("latitude_of_origin", 0),
            new("central_meridian", centralMeridian),
            new("scale_factor", 1),
            new("false_easting", 500000),
            new("false_northing", 0),
        };
        var factory = new CoordinateSystemFactory();
        var projection = factory.CreateProjection("Gauss-Kruger", "Transverse_Mercator", parameters);
        var projected = factory.CreateProjectedCoordinateSystem(
            $"CGCS2000 / 3-degree Gauss-Kruger CM {centralMeridian}E", wgs, projection, LinearUnit.Metre,
            new AxisInfo("East", AxisOrientationEnum.East), new AxisInfo("North", AxisOrientationEnum.North));
        var transform = new CoordinateTransformationFactory().CreateFromCoordinateSystems(wgs, projected);
        _forward = transform.MathTransform;
        _inverse = transform.MathTransform.Inverse();
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<int, MetricProjection> Zones = new();

    /// <summary>The zone whose central meridian is nearest to <paramref name="longitude"/>: CM = 3 × round(lon / 3).</summary>
    public static MetricProjection ForLongitude(double longitude)
    {
        var cm = 3 * (int)Math.Round(longitude / 3.0, MidpointRounding.AwayFromZero);
        return Zones.GetOrAdd(cm, c => new MetricProjection(c));
    }

    public static MetricProjection For(Geometry g) =>
        ForLongitude(g.IsEmpty ? 0 : g.EnvelopeInternal.Centre.X);

    public Coordinate Project(Coordinate lonLat)
    {
        var (x, y) = _forward.Transform(lonLat.X, lonLat.Y);
        return new Coordinate(x, y);
    }

    public Coordinate Unproject(Coordinate xy)
    {
        var (lon, lat) = _inverse.Transform(xy.X, xy.Y);
        return new Coordinate(lon, lat);
    }

    public T Project<T>(T geometry) where T : Geometry => Apply(geometry, _forward);

    public T Unproject<T>(T geometry) where T : Geometry => Apply(geometry, _inverse);

    static T Apply<T>(T geometry, MathTransform transform) where T : Geometry =>
        CoordinateMap.Apply(geometry, (x, y) => transform.Transform(x, y));

    /// <summary>Area in square metres of a lon/lat geometry.</summary>
    public double AreaM2(Geometry lonLat) => Project(lonLat).Area;

    /// <summary>Distance in metres between two lon/lat geometries.</summary>
    public double DistanceM(Geometry a, Geometry b) =>
        Project(a).Distance(Project(b));
}
