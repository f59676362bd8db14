using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.IO.Osm;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Union;
using Xunit.Abstractions;

namespace GridMap.IO.Tests;

/// <summary>OSM admin boundaries (admin_level 6, 8, 10) become districts, streets and communities.</summary>
public class OsmAdminFixtureTests
{
    // The extract's bounds: 104.00–104.02 E, 30.00–30.02 N.
    // r1 锦江测试区 (level 6, ref 510104): whole, 104.001–104.009 × 30.001–30.019.
    // r2 东测试区 (level 6, no ref): its west edge w20 at 104.010 runs past the bounds; its other ways are not in the file;
    //    its admin_centre node lies inside the bounds.
    // r3 测试街道 (level 8, no ref) inside r1; r4 测试社区 (level 10, ref 510104001001) inside r3, holding a building.
    const string Xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <osm version="0.6" generator="hand">
          <bounds minlat="30.0000" minlon="104.0000" maxlat="30.0200" maxlon="104.0200"/>
          <node id="1" lat="30.001" lon="104.001"/>
          <node id="2" lat="30.001" lon="104.009"/>
          <node id="3" lat="30.019" lon="104.009"/>
          <node id="4" lat="30.019" lon="104.001"/>
          <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
            <tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/></way>
          <relation id="1">
            <member type="way" ref="10" role="outer"/>
            <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/>
            <tag k="name" v="Jinjiang Test"/><tag k="name:zh" v="锦江测试区"/><tag k="ref" v="510104"/>
          </relation>
          <node id="11" lat="29.990" lon="104.010"/>
          <node id="12" lat="30.005" lon="104.010"/>
          <node id="13" lat="30.015" lon="104.010"/>
          <node id="14" lat="30.030" lon="104.010"/>
          <node id="15" lat="30.010" lon="104.015"><tag k="place" v="town"/></node>
          <way id="20"><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/>
            <tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/></way>
          <relation id="2">
            <member type="way" ref="20" role="outer"/>
            <member type="way" ref="21" role="outer"/>
            <member type="node" ref="15" role="admin_centre"/>
            <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/>
            <tag k="name" v="东测试区"/>
          </relation>
          <node id="21" lat="30.002" lon="104.002"/>
          <node id="22" lat="30.002" lon="104.008"/>
          <node id="23" lat="30.018" lon="104.008"/>
          <node id="24" lat="30.018" lon="104.002"/>
          <way id="30"><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="24"/><nd ref="21"/></way>
          <relation id="3">
            <member type="way" ref="30" role="outer"/>
            <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="8"/>
            <tag k="name" v="测试街道"/><tag k="ref" v="X-8"/>
          </relation>
          <node id="31" lat="30.003" lon="104.003"/>
          <node id="32" lat="30.003" lon="104.007"/>
          <node id="33" lat="30.017" lon="104.007"/>
          <node id="34" lat="30.017" lon="104.003"/>
          <way id="40"><nd ref="31"/><nd ref="32"/><nd ref="33"/><nd ref="34"/><nd ref="31"/></way>
          <relation id="4">
            <member type="way" ref="40" role="outer"/>
            <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="10"/>
            <tag k="name" v="测试社区"/><tag k="ref:admin:CN:nbs" v="510104001001"/>
          </relation>
          <node id="41" lat="30.0040" lon="104.0040"/>
          <node id="42" lat="30.0040" lon="104.0045"/>
          <node id="43" lat="30.0045" lon="104.0045"/>
          <node id="44" lat="30.0045" lon="104.0040"/>
          <way id="50"><nd ref="41"/><nd ref="42"/><nd ref="43"/><nd ref="44"/><nd ref="41"/>
            <tag k="building" v="apartments"/><tag k="building:levels" v="18"/></way>
        </osm>
        """;

    static OsmImport Read(string xml)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml));
        return OsmImporter.Read(stream, new EstimationOptions());
    }

    static readonly Lazy<OsmImport> Fixture = new(() => Read(Xml));

    static string? Text(FeatureDraft f, string name) => f.Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static bool Provisional(FeatureDraft f) => f.Properties["provisional"] is JsonValue v && v.GetValue<bool>();

    static Polygon Box(double x0, double y0, double x1, double y1) =>
        new GeometryFactory(new PrecisionModel(), 4326).CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);

    static double AreaM2(Geometry g) => MetricProjection.For(g).AreaM2(g);

    [Fact]
    public void A_whole_relation_becomes_a_district_with_its_ref_code()
    {
        var district = Fixture.Value.Features(Layer.Districts).Single(d => d.Id == "510104");
        Assert.Equal("锦江测试区", Text(district, "name")); // name:zh first
        Assert.False(Provisional(district));
        Assert.Equal("relation/1", Text(district, "osm_id"));
        Assert.True(district.Geometry.IsValid);
        Assert.InRange(AreaM2(district.Geometry) / AreaM2(Box(104.001, 30.001, 104.009, 30.019)), 0.999, 1.001);
    }

    [Fact]
    public void A_relation_cut_by_the_extract_is_closed_along_its_bounds()
    {
        var import = Fixture.Value;
        var district = import.Features(Layer.Districts).Single(d => Text(d, "name") == "东测试区");
        Assert.Equal("990001", district.Id); // no ref: the first provisional district code
        Assert.True(Provisional(district));
        Assert.True(district.Geometry.IsValid);
        var expected = Box(104.010, 30.000, 104.020, 30.020);
        Assert.InRange(AreaM2(district.Geometry) / AreaM2(expected), 0.999, 1.001);
        Assert.True(AreaM2(district.Geometry.SymmetricDifference(expected)) < 1, "the part of the district inside the bounds");
        Assert.Contains(import.Warnings, w => w.Contains("relation/2") && w.Contains("closed along its bounds"));
    }

    [Fact]
    public void A_street_without_a_division_code_gets_a_provisional_one_under_its_district()
    {
        var street = Assert.Single(Fixture.Value.Features(Layer.Streets));
        Assert.Equal("510104901", street.Id);
        Assert.Equal("测试街道", Text(street, "name"));
        Assert.Equal("510104", Text(street, "district_code"));
        Assert.True(Provisional(street));
    }

    [Fact]
    public void A_level_10_boundary_with_a_12_digit_code_is_a_community_and_no_provisional_ones_are_made()
    {
        var community = Assert.Single(Fixture.Value.Features(Layer.Communities));
        Assert.Equal("510104001001", community.Id);
        Assert.Equal("510104001", Text(community, "street_code"));
        Assert.False(Provisional(community));
        Assert.Equal("relation/4", Text(community, "osm_id"));
        Assert.Single(Fixture.Value.Features(Layer.Streets)); // no provisional streets either
    }

    [Fact]
    public void Without_communities_provisional_streets_and_communities_are_formed_inside_the_district_under_its_code()
    {
        // The same extract without the street and the community: the building's district gets provisional areas.
        var xml = Xml[..Xml.IndexOf("<relation id=\"3\">", StringComparison.Ordinal)] + Xml[Xml.IndexOf("<node id=\"41\"", StringComparison.Ordinal)..];
        var import = Read(xml);
        Assert.Equal(["510104", "990001"], import.Features(Layer.Districts).Select(d => d.Id).Order());
        var street = Assert.Single(import.Features(Layer.Streets));
        Assert.Equal("510104901", street.Id);
        var community = Assert.Single(import.Features(Layer.Communities));
        Assert.Equal("510104901901", community.Id);
        Assert.True(Provisional(community));
    }

    [Fact]
    public void A_boundary_without_a_name_or_with_no_way_in_the_file_is_skipped_with_a_warning()
    {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <osm version="0.6" generator="hand">
              <bounds minlat="30.0" minlon="104.0" maxlat="30.02" maxlon="104.02"/>
              <node id="1" lat="30.01" lon="104.01"/>
              <relation id="7"><member type="way" ref="99" role="outer"/>
                <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="8"/><tag k="name" v="空街道"/></relation>
              <relation id="8"><member type="way" ref="98" role="outer"/>
                <tag k="type" v="boundary"/><tag k="boundary" v="administrative"/><tag k="admin_level" v="8"/></relation>
            </osm>
            """;
        var import = Read(xml);
        Assert.Empty(import.Features(Layer.Streets));
        Assert.Contains(import.Warnings, w => w.Contains("relation/7") && w.Contains("skipped"));
        Assert.Contains(import.Warnings, w => w.Contains("relation/8") && w.Contains("no name"));
    }
}

/// <summary>Central Chengdu's extract holds five district relations (admin_level 6), all cut by the extract, and nothing below.</summary>
public class OsmAdminChengduTests(ChengduOsmFixture chengdu, ITestOutputHelper output) : IClassFixture<ChengduOsmFixture>
{
    static double AreaM2(Geometry g) => MetricProjection.For(g).AreaM2(g);

    // The extract's header bbox (osmium).
    static readonly Envelope Bounds = new(104.0421, 104.1296, 30.6528, 30.7279);

    [Fact]
    public void Chengdu_gets_its_five_districts_closed_along_the_bounds()
    {
        var districts = chengdu.Import.Features(Layer.Districts);
        foreach (var d in districts)
            output.WriteLine($"{d.Id} {d.Properties["name"]} {d.Properties["osm_id"]} {AreaM2(d.Geometry) / 1e6:0.00} km²");
        Assert.Equal(["成华区", "武侯区", "金牛区", "锦江区", "青羊区"], districts.Select(d => d.Properties["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(districts, d => Assert.True(d.Geometry.IsValid, d.Id));
        Assert.All(districts, d => Assert.Matches("^9900[0-9]{2}$", d.Id)); // no ref in the extract: provisional codes
        Assert.All(districts, d => Assert.True(d.Properties["provisional"]!.GetValue<bool>()));
        var box = new GeometryFactory(new PrecisionModel(), 4326).ToGeometry(Bounds);
        Assert.All(districts, d => Assert.True(AreaM2(d.Geometry.Difference(box)) < 1, $"{d.Id} leaves the bounds"));
        var union = UnaryUnionOp.Union(districts.Select(d => d.Geometry).ToList());
        Assert.True(districts.Sum(d => AreaM2(d.Geometry)) - AreaM2(union) < 10, "districts overlap");
        // Together they cover the extract: central Chengdu lies within these five districts.
        Assert.InRange(AreaM2(union) / AreaM2(box), 0.99, 1.0001);
        // 成华区 is the north-east, 金牛区 the north-west of the extract.
        Geometry Named(string name) => districts.Single(d => d.Properties["name"]!.GetValue<string>() == name).Geometry;
        Assert.True(Named("成华区").Covers(box.Factory.CreatePoint(new Coordinate(104.12, 30.72))));
        Assert.True(Named("金牛区").Covers(box.Factory.CreatePoint(new Coordinate(104.05, 30.72))));
        Assert.Equal(5, chengdu.Import.Warnings.Count(w => w.Contains("closed along its bounds")));
    }
}
