using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Tests;

public class ChinaDatumTests
{
    static double Metres(Coordinate a, Coordinate b) =>
        MetricProjection.ForLongitude(a.X).DistanceM(new Point(a), new Point(b));

    [Theory]
    [InlineData(106.83, 27.54)]   // Zunyi
    [InlineData(104.08, 30.69)]   // Chengdu
    [InlineData(116.397, 39.909)] // Beijing
    public void Gcj02_is_offset_by_hundreds_of_metres_and_inverts_to_a_millimetre(double lon, double lat)
    {
        var wgs = new Coordinate(lon, lat);
        var gcj = ChinaDatum.Wgs84ToGcj02(wgs);
        Assert.InRange(Metres(wgs, gcj), 100, 800);
        Assert.True(Metres(wgs, ChinaDatum.Gcj02ToWgs84(gcj)) < 0.001);
    }

    [Fact]
    public void Bd09_goes_back_through_gcj02_to_wgs84()
    {
        var wgs = new Coordinate(106.83, 27.54);
        var bd = ChinaDatum.Gcj02ToBd09(ChinaDatum.Wgs84ToGcj02(wgs));
        Assert.InRange(Metres(wgs, bd), 500, 1500);
        Assert.True(Metres(wgs, ChinaDatum.ToWgs84(bd, Datum.Bd09)) < 0.01);
    }

    [Fact]
    public void Outside_china_nothing_moves()
    {
        var singapore = new Coordinate(103.85, 1.29 - 1);
        Assert.Equal(singapore, ChinaDatum.ToWgs84(singapore, Datum.Gcj02));
    }

    [Fact]
    public void A_geometry_is_converted_vertex_by_vertex()
    {
        var f = new GeometryFactory();
        var line = f.CreateLineString([ChinaDatum.Wgs84ToGcj02(new(106.83, 27.54)), ChinaDatum.Wgs84ToGcj02(new(106.84, 27.55))]);
        var back = (LineString)ChinaDatum.ToWgs84(line, Datum.Gcj02);
        Assert.Equal(106.83, back.StartPoint.X, 7);
        Assert.Equal(27.55, back.EndPoint.Y, 7);
    }
}
