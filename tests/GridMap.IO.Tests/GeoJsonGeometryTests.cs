using System.Text;
using System.Text.Json;
using GridMap.Core.Spatial;
using GridMap.IO.GeoJson;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;

namespace GridMap.IO.Tests;

/// <summary>
/// What GeoJsonGeometry writes, read back by NetTopologySuite's reader (as a partition job's proposal is read on accept):
/// empty geometries and empty holes included — they were written as [[]] and [NaN, NaN], which no reader takes.
/// </summary>
public class GeoJsonGeometryTests
{
    static readonly JsonSerializerOptions Reader = new() { Converters = { new GeoJsonConverterFactory(GeometryRules.Factory) } };

    static string Write(Geometry g)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) GeoJsonGeometry.Write(w, g);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [InlineData("POLYGON EMPTY", """{"type":"Polygon","coordinates":[]}""")]
    [InlineData("POINT EMPTY", """{"type":"Point","coordinates":[]}""")]
    [InlineData("MULTIPOLYGON EMPTY", """{"type":"MultiPolygon","coordinates":[]}""")]
    [InlineData("POLYGON((0 0, 1 0, 1 1, 0 0))", """{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}""")]
    public void Empty_geometries_have_no_positions_and_read_back(string wkt, string json)
    {
        var g = new WKTReader().Read(wkt);
        Assert.Equal(json, Write(g));
        var back = JsonSerializer.Deserialize<Geometry>(json, Reader)!;
        Assert.Equal(g.IsEmpty, back.IsEmpty);
        Assert.Equal(g.GeometryType, back.GeometryType);
    }

    [Fact]
    public void An_empty_hole_is_left_out()
    {
        var f = GeometryRules.Factory;
        var shell = f.CreateLinearRing([new(0, 0), new(4, 0), new(4, 4), new(0, 4), new(0, 0)]);
        var polygon = f.CreatePolygon(shell, [f.CreateLinearRing([])]);
        var json = Write(polygon);
        Assert.Equal("""{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]]]}""", json);
        Assert.Equal(16, JsonSerializer.Deserialize<Geometry>(json, Reader)!.Area);
    }
}
