using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Store;
using GridMap.IO.Osm;
using NetTopologySuite.Geometries;
using Xunit.Abstractions;

namespace GridMap.IO.Tests;

/// <summary>The Chengdu extract is read once for all its tests.</summary>
public sealed class ChengduOsmFixture
{
    public string Path { get; } = Geodata.Find("chengdu-2018/chengdu.osm.pbf");
    public OsmImport Import { get; }
    public TimeSpan Elapsed { get; }

    public ChengduOsmFixture()
    {
        var watch = Stopwatch.StartNew();
        Import = OsmImporter.Read(Path, new EstimationOptions());
        Elapsed = watch.Elapsed;
    }
}

/// <summary>Finds ../shared/geodata: walking up from the test binaries, else from this source file.</summary>
public static class Geodata
{
    public static string Find(string relative, [CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null && dir.Exists; dir = dir.Parent)
            {
                foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "geodata"), Path.Combine(dir.FullName, "..", "shared", "geodata") })
                {
                    var file = Path.Combine(candidate, relative);
                    if (File.Exists(file)) return Path.GetFullPath(file);
                }
            }
        }
        throw new FileNotFoundException($"../shared/geodata/{relative} not found above {AppContext.BaseDirectory} or {sourceFile}");
    }
}

public class OsmImporterChengduTests(ChengduOsmFixture chengdu, ITestOutputHelper output) : IClassFixture<ChengduOsmFixture>
{
    OsmImport Import => chengdu.Import;

    static string? Text(FeatureDraft f, string name) => f.Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>
    /// What the extract gives, written to the test output. The time is a hang guard only (minutes, not a speed target):
    /// how fast the import is belongs to `gridmap bench`, not to a unit test on a shared machine.
    /// </summary>
    [Fact]
    public void Reads_the_extract_and_reports_what_it_found()
    {
        var counts = Import.Counts;
        output.WriteLine($"import of {chengdu.Path}: {chengdu.Elapsed.TotalMilliseconds:0} ms");
        foreach (var (layer, n) in counts) output.WriteLine($"{layer.Key()}: {n}");
        output.WriteLine($"walkable lines: {Import.WalkableLines}");
        foreach (var w in Import.Warnings) output.WriteLine($"warning: {w}");
        foreach (var g in Import.Features(Layer.Stations).GroupBy(f => Text(f, "kind")).OrderBy(g => g.Key))
            output.WriteLine($"station {g.Key}: {g.Count()}");
        Assert.True(counts.GetValueOrDefault(Layer.Buildings) > 500 && counts.GetValueOrDefault(Layer.Network) > 1_000 && counts.GetValueOrDefault(Layer.Stations) > 0, string.Join(", ", counts));
        Assert.True(chengdu.Elapsed < TimeSpan.FromMinutes(5), $"hang guard: took {chengdu.Elapsed}");
    }

    [Fact]
    public void The_pbf_guard_counts_the_elements_OsmSharp_reads_and_passes_the_extract()
    {
        using var stream = File.OpenRead(chengdu.Path);
        var scan = OsmPbfGuard.Scan(stream, new OsmLimits());
        var e = Import.Elements;
        output.WriteLine($"{scan.Blobs} blobs, {scan.Elements:N0} elements, {scan.BytesInflated:N0} bytes inflated; read {e}");
        Assert.True(e.Nodes > 10_000 && e.Ways > 1_000, e.ToString());
        Assert.Equal(e.Nodes + e.Ways + e.Relations, scan.Elements);
    }

    [Fact]
    public void Has_the_186_residential_compounds()
    {
        var compounds = Import.Features(Layer.Compounds);
        Assert.Equal(186, compounds.Count);
        Assert.Contains(compounds, c => Text(c, "name") == "财富又一城");
        Assert.All(compounds, c => Assert.True(CompoundClasses.IsKnown(Text(c, "class"))));
        Assert.All(compounds, c => Assert.StartsWith("w", c.Id));
    }

    [Fact]
    public void Every_compound_has_estimated_households()
    {
        Assert.All(Import.Features(Layer.Compounds), c =>
        {
            Assert.True(c.Properties["households"]!.GetValue<int>() > 0, c.Id);
            Assert.True(c.Properties["households_estimated"]!.GetValue<bool>(), c.Id);
        });
    }

    [Fact]
    public void Has_about_800_buildings_with_estimates()
    {
        var all = Import.Features(Layer.Buildings);
        var buildings = all.Where(b => !HouseholdEstimator.IsRemainder(b.Properties)).ToList();
        Assert.InRange(buildings.Count, 795, 805);
        Assert.InRange(all.Count - buildings.Count, 150, 186); // compounds' remainder units: at most one per compound
        Assert.All(buildings, b =>
        {
            Assert.NotNull(b.Properties["households"]);
            Assert.True(b.Properties["households_estimated"]!.GetValue<bool>());
            Assert.NotNull(Text(b, "building"));
            Assert.Matches("^(way|relation)/[0-9]+$", Text(b, "osm_id"));
        });
        Assert.Contains(buildings, b => b.Geometry is MultiPolygon || b.Geometry is Polygon { NumInteriorRings: > 0 });
        Assert.Contains(buildings, b => b.Properties["levels"] is not null);
        // Commercial buildings hold no households; apartments do.
        Assert.All(buildings.Where(b => Text(b, "building") == "commercial"), b => Assert.Equal(0, b.Properties["households"]!.GetValue<int>()));
        Assert.All(buildings.Where(b => Text(b, "building") == "apartments"), b => Assert.True(b.Properties["households"]!.GetValue<int>() > 0));
    }

    [Fact]
    public void Keeps_all_highway_lines_and_counts_walkable_ones()
    {
        var network = Import.Features(Layer.Network);
        Assert.True(network.Count >= 2000, $"{network.Count} lines");
        Assert.True(Import.WalkableLines >= 2000, $"{Import.WalkableLines} walkable");
        Assert.All(network, f => Assert.NotNull(Text(f, "highway")));
        Assert.All(network, f => Assert.IsAssignableFrom<LineString>(f.Geometry is MultiLineString m ? m.GetGeometryN(0) : f.Geometry));
        var walkable = network.Count(f => WalkLine.From(new StoredFeature(Layer.Network, f.Id, 1, f.Geometry, f.Properties)).All(l => l.Walkable));
        Assert.Equal(Import.WalkableLines, walkable);
    }

    [Fact]
    public void Stations_are_mapped_to_their_kinds()
    {
        var stations = Import.Features(Layer.Stations);
        int Count(params string[] kinds) => stations.Count(s => kinds.Contains(Text(s, "kind")));
        Assert.True(Count(StationKinds.School, StationKinds.PrimarySchool, StationKinds.MiddleSchool) >= 40);
        Assert.True(Count(StationKinds.Hospital) >= 20);
        Assert.True(Count(StationKinds.Kindergarten) >= 5);
        Assert.True(Count(StationKinds.Clinic) >= 3);
        Assert.True(Count(StationKinds.Market) >= 25);
        Assert.True(Count(StationKinds.PrimarySchool) >= 1);
        Assert.True(Count(StationKinds.MiddleSchool) >= 1);
        Assert.All(stations, s => Assert.IsType<Point>(s.Geometry));
        Assert.All(stations.Where(s => Text(s, "name")?.EndsWith("小学") == true), s => Assert.Equal(StationKinds.PrimarySchool, Text(s, "kind")));
        Assert.All(stations.Where(s => Text(s, "name")?.EndsWith("中学") == true), s => Assert.Equal(StationKinds.MiddleSchool, Text(s, "kind")));
        // Three kindergartens tagged amenity=school (千里马大地幼儿园, 加州阳光幼儿园, 锦绣东方幼儿园) are kindergartens by
        // their name since the name decides (domain.md): kindergarten 6 → 9.
        Assert.All(stations.Where(s => Text(s, "name")?.EndsWith("幼儿园") == true), s => Assert.Equal(StationKinds.Kindergarten, Text(s, "kind")));
        // Training and teacher-training schools are no life-circle schools (domain.md: 党校, 培训, 进修, 成人 → other). In
        // this extract that is 成都树才培训学校 and 成华区教师进修学校, which were `school` before; no other station is other.
        var other = stations.Where(s => Text(s, "kind") == StationKinds.Other).Select(s => Text(s, "name")).Order(StringComparer.Ordinal);
        Assert.Equal(["成华区教师进修学校", "成都树才培训学校"], other);
    }

    [Fact]
    public void Every_feature_is_valid_for_its_layer()
    {
        foreach (var batch in Import.Batches)
        {
            Assert.All(batch.Features, f =>
            {
                var check = FeatureValidator.Validate(batch.Layer, null, f.Id, f.Geometry, f.Properties);
                Assert.True(check.IsValid, $"{batch.Layer.Key()}/{f.Id}: {string.Join("; ", check.Problems.Select(p => p.Field + " " + p.Message))}");
                Assert.Empty(check.Repairs);
            });
            Assert.Equal(batch.Features.Count, batch.Features.Select(f => f.Id).Distinct().Count());
        }
    }

    [Fact]
    public void Coordinates_are_wgs84_in_the_extract()
    {
        var all = Import.Batches.SelectMany(b => b.Features).Select(f => f.Geometry.EnvelopeInternal).ToList();
        Assert.All(all, e => Assert.True(e.MinX > 103.9 && e.MaxX < 104.3 && e.MinY > 30.5 && e.MaxY < 30.9, e.ToString()));
    }
}

public class OsmImporterFixtureTests
{
    // Around (104.08 E, 30.69 N): 0.0001° ≈ 9.6 m east, 11.1 m north.
    const string Xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <osm version="0.6" generator="hand">
          <node id="1" lat="30.6900" lon="104.0800"/>
          <node id="2" lat="30.6900" lon="104.0820"/>
          <node id="3" lat="30.6920" lon="104.0820"/>
          <node id="4" lat="30.6920" lon="104.0800"/>
          <way id="100">
            <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
            <tag k="landuse" v="residential"/>
            <tag k="name" v="幸福花园"/>
          </way>
          <node id="11" lat="30.6905" lon="104.0805"/>
          <node id="12" lat="30.6905" lon="104.0807"/>
          <node id="13" lat="30.6907" lon="104.0807"/>
          <node id="14" lat="30.6907" lon="104.0805"/>
          <way id="101">
            <nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
            <tag k="building" v="apartments"/>
            <tag k="building:levels" v="6"/>
            <tag k="addr:street" v="幸福路"/>
            <tag k="addr:housenumber" v="8号"/>
          </way>
          <node id="21" lat="30.6950" lon="104.0850"/>
          <node id="22" lat="30.6950" lon="104.0853"/>
          <node id="23" lat="30.6953" lon="104.0853"/>
          <node id="24" lat="30.6953" lon="104.0850"/>
          <way id="102">
            <nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="24"/><nd ref="21"/>
            <tag k="building" v="commercial"/>
            <tag k="height" v="30"/>
            <tag k="name" v="某商厦"/>
          </way>
          <node id="30" lat="30.6910" lon="104.0810">
            <tag k="amenity" v="community_centre"/>
            <tag k="name" v="某某党群服务中心"/>
            <tag k="opening_hours" v="Mo-Fr 08:30-17:30"/>
          </node>
          <node id="31" lat="30.6911" lon="104.0811">
            <tag k="amenity" v="community_centre"/>
            <tag k="name" v="某某社区服务站"/>
          </node>
          <node id="32" lat="30.6912" lon="104.0812">
            <tag k="amenity" v="restaurant"/>
            <tag k="name" v="小饭馆"/>
          </node>
          <node id="33" lat="30.6913" lon="104.0813">
            <tag k="amenity" v="school"/>
            <tag k="isced:level" v="1"/>
            <tag k="name" v="实验学校"/>
          </node>
          <node id="40" lat="30.6800" lon="104.0700"/>
          <node id="41" lat="30.6800" lon="104.0900"/>
          <way id="200">
            <nd ref="40"/><nd ref="41"/>
            <tag k="highway" v="motorway"/>
            <tag k="ref" v="G5"/>
            <tag k="oneway" v="yes"/>
          </way>
          <node id="42" lat="30.6890" lon="104.0800"/>
          <way id="201">
            <nd ref="41"/><nd ref="42"/><nd ref="1"/>
            <tag k="highway" v="footway"/>
            <tag k="surface" v="paved"/>
          </way>
          <way id="202">
            <nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="24"/><nd ref="21"/>
            <tag k="highway" v="pedestrian"/>
            <tag k="area" v="yes"/>
          </way>
          <node id="50" lat="30.7000" lon="104.1000"/>
          <node id="51" lat="30.7000" lon="104.1010"/>
          <node id="52" lat="30.7010" lon="104.1010"/>
          <node id="53" lat="30.7010" lon="104.1000"/>
          <node id="54" lat="30.7004" lon="104.1004"/>
          <node id="55" lat="30.7004" lon="104.1006"/>
          <node id="56" lat="30.7006" lon="104.1006"/>
          <node id="57" lat="30.7006" lon="104.1004"/>
          <way id="300"><nd ref="50"/><nd ref="51"/><nd ref="52"/></way>
          <way id="301"><nd ref="52"/><nd ref="53"/><nd ref="50"/></way>
          <way id="302"><nd ref="54"/><nd ref="55"/><nd ref="56"/><nd ref="57"/><nd ref="54"/></way>
          <relation id="400">
            <member type="way" ref="300" role="outer"/>
            <member type="way" ref="301" role="outer"/>
            <member type="way" ref="302" role="inner"/>
            <tag k="type" v="multipolygon"/>
            <tag k="amenity" v="hospital"/>
            <tag k="name" v="某某医院"/>
          </relation>
          <node id="58" lat="30.7002" lon="104.1002">
            <tag k="amenity" v="hospital"/>
            <tag k="name" v="某某医院"/>
          </node>
        </osm>
        """;

    static OsmImport ReadFixture()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gridmap-osm-{Guid.NewGuid():N}.osm");
        File.WriteAllText(path, Xml);
        try { return OsmImporter.Read(path, new EstimationOptions()); }
        finally { File.Delete(path); }
    }

    static FeatureDraft Get(OsmImport import, Layer layer, string id) => import.Features(layer).Single(f => f.Id == id);

    static string? Text(FeatureDraft f, string name) => f.Properties[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static int Int(FeatureDraft f, string name) => f.Properties[name]!.GetValue<int>();

    [Fact]
    public void A_building_with_levels_inside_a_compound_is_residential()
    {
        var import = ReadFixture();
        var building = Get(import, Layer.Buildings, "w101");
        Assert.Equal("apartments", Text(building, "building"));
        Assert.Equal(6, Int(building, "levels"));
        Assert.Equal("幸福路8号", Text(building, "address"));
        Assert.Equal("way/101", Text(building, "osm_id"));
        Assert.Equal("w100", Text(building, "compound"));
        // ≈ 19.1 m × 22.2 m = 424 m² × 6 levels × 0.75 ÷ 90 ≈ 21
        Assert.InRange(Int(building, "households"), 20, 22);
        Assert.True(building.Properties["households_estimated"]!.GetValue<bool>());

        var compound = Get(import, Layer.Compounds, "w100");
        Assert.Equal("幸福花园", Text(compound, "name"));
        Assert.Equal(CompoundClasses.CommercialHousing, Text(compound, "class"));
        Assert.Null(compound.Properties["property_management"]);
        // One mapped building covers under 10 % of the compound: its sum is only a floor under area × density.
        var byDensity = new GridMap.Core.Estimation.HouseholdEstimator().EstimateCompound(
            GridMap.Core.Spatial.MetricProjection.For(compound.Geometry).AreaM2(compound.Geometry), CompoundClasses.CommercialHousing);
        Assert.Equal(Math.Max(Int(building, "households"), byDensity), Int(compound, "households"));
        Assert.True(compound.Properties["households_estimated"]!.GetValue<bool>());
    }

    [Fact]
    public void A_commercial_building_holds_no_households()
    {
        var building = Get(ReadFixture(), Layer.Buildings, "w102");
        Assert.Equal(0, Int(building, "households"));
        Assert.Equal(10, Int(building, "levels")); // height 30 m ÷ 3
        Assert.Equal("某商厦", Text(building, "name"));
        Assert.Null(building.Properties["compound"]);
    }

    [Fact]
    public void Community_centres_are_party_service_centres_by_name()
    {
        var import = ReadFixture();
        var party = Get(import, Layer.Stations, "n30");
        Assert.Equal(StationKinds.PartyServiceCentre, Text(party, "kind"));
        Assert.Equal("某某党群服务中心", Text(party, "name"));
        Assert.Equal("Mo-Fr 08:30-17:30", Text(party, "opening_hours"));
        Assert.Equal("node/30", Text(party, "osm_id"));
        Assert.Equal(StationKinds.CommunityServiceStation, Text(Get(import, Layer.Stations, "n31"), "kind"));
        Assert.Equal(StationKinds.PrimarySchool, Text(Get(import, Layer.Stations, "n33"), "kind"));
        Assert.DoesNotContain(import.Features(Layer.Stations), s => s.Id == "n32"); // a restaurant is no station
    }

    [Fact]
    public void An_area_station_is_a_point_inside_it_and_its_duplicate_node_goes()
    {
        var import = ReadFixture();
        var hospital = Get(import, Layer.Stations, "r400");
        Assert.Equal(StationKinds.Hospital, Text(hospital, "kind"));
        var point = Assert.IsType<Point>(hospital.Geometry);
        Assert.InRange(point.X, 104.1000, 104.1010);
        Assert.InRange(point.Y, 30.7000, 30.7010);
        Assert.False(point.X is > 104.1004 and < 104.1006 && point.Y is > 30.7004 and < 30.7006, "inside the hole");
        Assert.DoesNotContain(import.Features(Layer.Stations), s => s.Id == "n58");
        Assert.Contains(import.Warnings, w => w.Contains("same place mapped twice"));
    }

    [Fact]
    public void A_motorway_without_sidewalk_is_kept_but_not_walkable_and_a_footway_is()
    {
        var import = ReadFixture();
        var network = import.Features(Layer.Network);
        Assert.Equal(["w200", "w201"], network.Select(f => f.Id).Order());   // not the pedestrian area
        var motorway = Get(import, Layer.Network, "w200");
        Assert.Equal("motorway", Text(motorway, "highway"));
        Assert.Equal("G5", Text(motorway, "ref"));
        Assert.Equal("yes", Text(motorway, "oneway"));
        var footway = Get(import, Layer.Network, "w201");
        Assert.Equal("paved", Text(footway, "surface"));
        Assert.Equal(3, footway.Geometry.NumPoints);
        Assert.False(Walkable(motorway));
        Assert.True(Walkable(footway));
        Assert.Equal(1, import.WalkableLines);
        // They share node 41: the end of one is the start of the other.
        Assert.True(((LineString)motorway.Geometry).EndPoint.EqualsExact(((LineString)footway.Geometry).StartPoint));
    }

    static bool Walkable(FeatureDraft f) =>
        WalkLine.From(new StoredFeature(Layer.Network, f.Id, 1, f.Geometry, f.Properties)).Single().Walkable;

    [Fact]
    public void Every_fixture_feature_is_valid()
    {
        var import = ReadFixture();
        Assert.Equal(1, import.Counts[Layer.Compounds]);
        Assert.Equal(3, import.Counts[Layer.Buildings]); // 2 mapped and the compound's remainder unit
        foreach (var batch in import.Batches)
            Assert.All(batch.Features, f => Assert.True(FeatureValidator.Validate(batch.Layer, null, f.Id, f.Geometry, f.Properties).IsValid, f.Id));
    }

    [Fact]
    public void Reads_the_same_from_a_stream()
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Xml));
        var import = OsmImporter.Read(stream, new EstimationOptions());
        Assert.Equal(ReadFixture().Counts, import.Counts);
    }

    [Theory]
    [InlineData("安置小区", CompoundClasses.Resettlement)]
    [InlineData("机械厂家属院", CompoundClasses.WorkUnit)]
    [InlineData("电力宿舍", CompoundClasses.WorkUnit)]
    [InlineData("王家村", CompoundClasses.SelfBuilt)]
    [InlineData("公租房小区", CompoundClasses.Affordable)]
    [InlineData("康养中心", CompoundClasses.ElderlyCare)]
    [InlineData("财富又一城", CompoundClasses.CommercialHousing)]
    [InlineData("锦绣苑", CompoundClasses.CommercialHousing)]
    [InlineData("白莲小区二号院", CompoundClasses.Other)]
    [InlineData(null, CompoundClasses.Other)]
    public void Compound_classes_are_guessed_from_names(string? name, string expected) =>
        Assert.Equal(expected, OsmCompoundClassifier.ClassOf(name));

    [Theory]
    [InlineData("amenity=community_centre;name=某某党群服务中心", StationKinds.PartyServiceCentre)]
    [InlineData("amenity=community_centre;name=某某社区", StationKinds.CommunityServiceStation)]
    [InlineData("amenity=social_facility;social_facility:for=senior", StationKinds.DayCare)]
    [InlineData("amenity=social_facility;social_facility:for=child", null)]
    [InlineData("amenity=clinic", StationKinds.Clinic)]
    [InlineData("amenity=doctors", StationKinds.Clinic)]
    [InlineData("amenity=hospital", StationKinds.Hospital)]
    [InlineData("amenity=kindergarten", StationKinds.Kindergarten)]
    [InlineData("amenity=childcare", StationKinds.Kindergarten)]
    [InlineData("amenity=school;name=某某小学", StationKinds.PrimarySchool)]
    [InlineData("amenity=school;name=某某中学", StationKinds.MiddleSchool)]
    [InlineData("amenity=school;isced:level=2;name=某某学校", StationKinds.MiddleSchool)]
    [InlineData("amenity=school;name=某某学校", StationKinds.School)]
    [InlineData("amenity=school;name=成都十八中", StationKinds.MiddleSchool)]
    [InlineData("amenity=school;name=成都49中", StationKinds.MiddleSchool)]
    [InlineData("amenity=school;name=成都市实验外国语学校（高中部）", StationKinds.MiddleSchool)]
    [InlineData("amenity=school;name=电子科技大学附实小蓝水湾校区", StationKinds.PrimarySchool)]
    [InlineData("amenity=school;isced:level=1-2;name=九年一贯制学校", StationKinds.School)]
    [InlineData("amenity=marketplace", StationKinds.Market)]
    [InlineData("shop=supermarket", StationKinds.Market)]
    [InlineData("shop=greengrocer", StationKinds.Market)]
    [InlineData("shop=clothes", null)]
    [InlineData("amenity=toilets", null)]
    public void Station_kinds_follow_the_domain(string tags, string? expected)
    {
        var dict = tags.Split(';').Select(t => t.Split('=')).ToDictionary(t => t[0], t => t[1]);
        Assert.Equal(expected, OsmStationKinds.KindOf(dict));
    }
}
