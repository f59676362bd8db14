using GridMap.Core.Model;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Core.Tests;

public class SpatialTests
{
    [Theory]
    [InlineData(106.9, 108, 4545)]
    [InlineData(114.0, 114, 4547)]
    [InlineData(104.08, 105, 4544)]
    [InlineData(75.2, 75, 4534)]
    public void The_gauss_kruger_zone_follows_the_longitude(double lon, int cm, int epsg)
    {
        var p = MetricProjection.ForLongitude(lon);
        Assert.Equal(cm, p.CentralMeridian);
        Assert.Equal(epsg, p.Epsg);
    }

    [Fact]
    public void Metric_distances_and_areas_are_right_to_a_metre()
    {
        var p = MetricProjection.ForLongitude(106.83);
        // 0.01° of latitude ≈ 1,109 m at 27.5° N; 0.01° of longitude ≈ 987 m there.
        var a = new Point(106.83, 27.54);
        Assert.InRange(p.DistanceM(a, new Point(106.83, 27.55)), 1107, 1111);
        Assert.InRange(p.DistanceM(a, new Point(106.84, 27.54)), 985, 989);
        var square = new WKTReader().Read("POLYGON((106.83 27.54, 106.84 27.54, 106.84 27.55, 106.83 27.55, 106.83 27.54))");
        Assert.InRange(p.AreaM2(square), 1.090e6, 1.100e6);
        var back = p.Unproject(p.Project(new Coordinate(106.83, 27.54)));
        Assert.Equal(106.83, back.X, 9);
        Assert.Equal(27.54, back.Y, 9);
    }

    [Fact]
    public void A_bowtie_is_repaired_and_reported_and_rings_come_out_counter_clockwise()
    {
        var bowtie = new WKTReader().Read("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))");
        var check = GeometryRules.Check(bowtie);
        Assert.Equal(GeometryOutcome.Repaired, check.Outcome);
        Assert.Contains("Self-intersection", check.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2.0, check.Geometry!.Area, 6);
        Assert.All(((MultiPolygon)check.Geometry).Geometries.Cast<Polygon>(), p => Assert.True(p.Shell.IsCCW));

        var clockwise = new WKTReader().Read("POLYGON((0 0, 0 1, 1 1, 1 0, 0 0))");
        Assert.True(((Polygon)GeometryRules.Check(clockwise).Geometry!).Shell.IsCCW);
    }

    [Fact]
    public void Coordinates_outside_lon_lat_are_rejected_and_others_rounded_to_seven_decimals()
    {
        Assert.Equal(GeometryOutcome.Rejected, GeometryRules.Check(new Point(181, 0)).Outcome);
        Assert.Equal(GeometryOutcome.Rejected, GeometryRules.Check(new Point(0, -90.5)).Outcome);
        var p = (Point)GeometryRules.Check(new Point(106.123456789, 27.987654321)).Geometry!;
        Assert.Equal(106.1234568, p.X);
        Assert.Equal(27.9876543, p.Y);
    }

    [Theory]
    [InlineData(true, "highway=footway")]
    [InlineData(true, "highway=residential")]
    [InlineData(false, "highway=residential", "foot=no")]
    [InlineData(false, "highway=service", "access=private")]
    [InlineData(false, "highway=track", "access=no")]
    [InlineData(true, "highway=service", "access=private", "foot=yes")]
    [InlineData(false, "highway=trunk")]
    [InlineData(false, "highway=motorway_link")]
    [InlineData(true, "highway=trunk", "sidewalk=both")]
    [InlineData(false, "highway=trunk", "sidewalk=no")]
    [InlineData(true, "highway=motorway", "foot=yes")]
    [InlineData(false, "highway=construction")]
    [InlineData(false, "waterway=river")]
    public void One_walkability_rule(bool walkable, params string[] tags)
    {
        var dict = tags.Select(t => t.Split('=')).ToDictionary(t => t[0], t => t[1]);
        Assert.Equal(walkable, Walkability.IsWalkable(dict));
    }
}
