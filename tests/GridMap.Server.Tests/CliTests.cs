using System.Text.Json;
using GridMap.Core.Model;
using GridMap.Server.Cli;

namespace GridMap.Server.Tests;

/// <summary>The `gridmap` verbs as scripts use them: exit codes, what they print, what they leave in the store.</summary>
public sealed class CliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    internal static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        var code = await GridMapCli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static string Shared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", relative);
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "..", "shared", relative);
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new FileNotFoundException($"../shared/{relative} not found beside the repository");
    }

    [Fact]
    public async Task Export_writes_exactly_what_import_reads()
    {
        var data = Path.Combine(_dir, "a");
        var file = Path.Combine(_dir, "stations.geojson");
        await File.WriteAllTextAsync(file, """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[106.8251234,27.5251234]},"properties":{"kind":"canteen","name":"南坛老年食堂","capacity":40}},
              {"type":"Feature","id":"s2","geometry":{"type":"Point","coordinates":[106.83,27.53]},"properties":{"kind":"kindergarten","name":"南坛幼儿园","opening_hours":"Mo-Fr 07:30-17:30"}}]}
            """);
        var (code, output, err) = await Run("import", "geojson", "--layer", "stations", file, "--data", data);
        Assert.True(code == 0, err);
        Assert.Contains("stations", output);
        Assert.Contains("2", output);

        var first = Path.Combine(_dir, "out1.geojson");
        Assert.Equal(0, (await Run("export", "--layer", "stations", first, "--data", data)).Code);

        var again = Path.Combine(_dir, "b");
        Assert.Equal(0, (await Run("import", "geojson", "--layer", "stations", first, "--data", again)).Code);
        var second = Path.Combine(_dir, "out2.geojson");
        Assert.Equal(0, (await Run("export", "--layer", "stations", second, "--data", again)).Code);

        Assert.Equal(await File.ReadAllTextAsync(first), await File.ReadAllTextAsync(second));
        var exported = JsonDocument.Parse(await File.ReadAllTextAsync(first)).RootElement;
        Assert.Equal("FeatureCollection", exported.GetProperty("type").GetString());
        var s1 = exported.GetProperty("features")[0];
        Assert.Equal("s1", s1.GetProperty("id").GetString());
        Assert.Equal(40, s1.GetProperty("properties").GetProperty("capacity").GetInt32());
        Assert.Equal(106.8251234, s1.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble());
        Assert.False(s1.TryGetProperty("version", out _));
    }

    [Fact]
    public async Task A_bad_file_is_refused_with_where_and_nothing_is_written()
    {
        var data = Path.Combine(_dir, "d");
        var file = Path.Combine(_dir, "bad.geojson");
        await File.WriteAllTextAsync(file, """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"b1","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"households":10}},
              {"type":"Feature","id":"b2","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"households":-3}}]}
            """);
        var (code, _, err) = await Run("import", "geojson", "--layer", "buildings", file, "--data", data);
        Assert.Equal(1, code);
        Assert.Contains("features[1].properties.households", err);
        Assert.Contains("b2", err);

        await using var host = await ServerHost.StartOnDataAsync(data);
        Assert.Equal(0, (await host.Store.CountAsync())[Layer.Buildings]);
    }

    [Fact]
    public async Task An_estimation_file_is_read_whole_and_a_bad_one_is_refused_by_name()
    {
        var data = Path.Combine(_dir, "est");
        var buildings = Path.Combine(_dir, "yes.geojson");
        await File.WriteAllTextAsync(buildings, """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"b1","geometry":{"type":"Polygon","coordinates":[[[106.8,27.5],[106.8002,27.5],[106.8002,27.5002],[106.8,27.5002],[106.8,27.5]]]},"properties":{"building":"yes"}}]}
            """);
        var bad = Path.Combine(_dir, "bad-est.json");
        await File.WriteAllTextAsync(bad, """{"ResidentialTypes": ["yes"], "DwellingSize": 80}""");
        var (code, _, err) = await Run("import", "geojson", "--layer", "buildings", buildings, "--data", data, "--estimation", bad);
        Assert.Equal(2, code); // a bad option value, like any usage error
        Assert.StartsWith("gridmap: --estimation", err);
        Assert.Contains("unknown option 'DwellingSize'", err);

        // A set of types is taken as given: building=yes is housing, by type, with no other evidence.
        var good = Path.Combine(_dir, "good-est.json");
        await File.WriteAllTextAsync(good, """{"ResidentialTypes": ["yes"], "DefaultLevels": {"yes": 10}}""");
        Assert.Equal(0, (await Run("import", "geojson", "--layer", "buildings", buildings, "--data", data, "--estimation", good)).Code);
        await using var host = await ServerHost.StartOnDataAsync(data);
        var b = (await host.Store.GetAsync(Layer.Buildings, "b1"))!;
        Assert.Equal("residential_type", b.Text("households_rule"));
        Assert.True(b.Integer("households") > 20, $"{b.Integer("households")} households"); // about 490 m² × 10 levels × 0.75 ÷ 90
    }

    [Theory]
    [InlineData(2, "frobnicate")]
    [InlineData(2, "import", "geojson", "--layer", "parks", "x.geojson")]
    [InlineData(2, "export", "--layer", "buildings")]
    [InlineData(2, "serve", "--colour", "red")]
    [InlineData(2, "sample", "--scale", "lots")]
    public async Task Usage_errors_exit_2_with_a_message(int expected, params string[] args)
    {
        var (code, _, err) = await Run(args);
        Assert.Equal(expected, code);
        Assert.StartsWith("gridmap: ", err);
    }

    [Fact]
    public async Task Chengdu_osm_imports_with_its_186_compounds_and_lookup_names_a_compound()
    {
        var pbf = Shared("geodata/chengdu-2018/chengdu.osm.pbf");
        var data = Path.Combine(_dir, "chengdu");
        var (code, output, err) = await Run("import", "osm", pbf, "--data", data);
        Assert.True(code == 0, err + output);
        Assert.Matches(@"compounds\s+186\b", output);
        // 800 mapped buildings and about 180 compound remainder units, and one household total.
        Assert.Matches(@"buildings\s+(9[5-9]\d)\b", output);
        Assert.Matches(@"in compounds \(their buildings [\d,]+ \+ 17\d remainder units", output);
        Assert.Contains("estimated", output);
        Assert.Contains("walkable", output);

        await using var host = await ServerHost.StartOnDataAsync(data);
        var compounds = await host.Store.ListAsync(Layer.Compounds, new(null, 1000));
        var named = compounds.Features.First(f => !string.IsNullOrEmpty(f.Text("name")) && f.Geometry.Area > 1e-6);
        var inside = named.Geometry.InteriorPoint;
        var lookup = JsonDocument.Parse(await host.Http.GetStringAsync($"/api/lookup?lon={inside.X}&lat={inside.Y}")).RootElement;
        Assert.Equal(named.Text("name"), lookup.GetProperty("compound").GetProperty("name").GetString());
        Assert.True(lookup.GetProperty("nearest_stations").GetArrayLength() > 0);
    }
}

public sealed class DatumImportTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-datum-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Gcj02_input_is_stored_as_wgs84()
    {
        var gcj = GridMap.Core.Spatial.ChinaDatum.Wgs84ToGcj02(new NetTopologySuite.Geometries.Coordinate(106.83, 27.54));
        var file = Path.Combine(_dir, "s.geojson");
        await File.WriteAllTextAsync(file, $$$"""{"type":"FeatureCollection","features":[{"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[{{{gcj.X}}},{{{gcj.Y}}}]},"properties":{"kind":"clinic"}}]}""");
        var data = Path.Combine(_dir, "d");
        Assert.Equal(0, await GridMapCli.RunAsync(["import", "geojson", "--layer", "stations", file, "--from", "gcj02", "--data", data], TextWriter.Null, TextWriter.Null));
        await using var host = await ServerHost.StartOnDataAsync(data);
        var s1 = await host.Store.GetAsync(Layer.Stations, "s1");
        Assert.Equal(106.83, s1!.Geometry.Coordinate.X, 6);
        Assert.Equal(27.54, s1.Geometry.Coordinate.Y, 6);
    }
}

public sealed class PartitionCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-partition-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliTests.Run(args);

    /// <summary>12 point units of 60–115 households on a 4 × 3 lattice 100 m apart, in one community.</summary>
    async Task<(string Units, string Areas)> TwelveUnitsInOneCommunityAsync()
    {
        var units = Path.Combine(_dir, "units.geojson");
        var features = Enumerable.Range(0, 12).Select(i =>
            $$$"""{"type":"Feature","id":"u{{{i}}}","geometry":{"type":"Point","coordinates":[{{{106.830 + (i % 4) * 0.001}}},{{{27.540 + (i / 4) * 0.001}}}]},"properties":{"households":{{{60 + i * 5}}}}}""");
        await File.WriteAllTextAsync(units, $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""");
        var areas = Path.Combine(_dir, "areas.geojson");
        await File.WriteAllTextAsync(areas, """{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.8295,27.5395],[106.8345,27.5395],[106.8345,27.5435],[106.8295,27.5435],[106.8295,27.5395]]]},"properties":{"code":"520304001001"}}]}""");
        return (units, areas);
    }

    [Fact]
    public async Task Partition_writes_grids_and_a_report_with_the_contract_fields()
    {
        var (units, areas) = await TwelveUnitsInOneCommunityAsync();
        var output = Path.Combine(_dir, "grids.geojson");
        var report = Path.Combine(_dir, "report.json");

        var (code, stdout, err) = await Run("partition", "--units", units, "--areas", areas, "--out", output, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("grids", stdout);

        var grids = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.NotEmpty(grids);
        foreach (var g in grids)
        {
            var p = g.GetProperty("properties");
            Assert.Matches(@"^520304001001\d{3}$", p.GetProperty("code").GetString());
            Assert.Equal("520304001001", p.GetProperty("area").GetString());
            Assert.True(p.GetProperty("households").GetInt32() > 0);
            Assert.True(p.GetProperty("unit_ids").GetArrayLength() > 0);
            Assert.Contains(g.GetProperty("geometry").GetProperty("type").GetString(), new[] { "Polygon", "MultiPolygon" });
        }
        Assert.Equal(12, grids.Sum(g => g.GetProperty("properties").GetProperty("unit_ids").GetArrayLength()));

        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        foreach (var field in new[] { "areas", "units", "households", "grids", "in_band", "below", "above", "out_of_band", "infeasible_units", "split_compounds", "noncontiguous", "overlap_m2", "gap_m2", "polsby_popper_mean", "seconds" })
            Assert.True(r.TryGetProperty(field, out _), $"report lacks {field}");
        Assert.Equal(12, r.GetProperty("units").GetInt32());
        Assert.Equal(Enumerable.Range(0, 12).Sum(i => 60 + i * 5), r.GetProperty("households").GetInt64());
        Assert.Equal(grids.Count, r.GetProperty("grids").GetInt32());
    }

    [Fact]
    public async Task Partition_follows_a_major_road_from_the_barriers_and_gives_a_special_area_its_dedicated_grid()
    {
        var (units, areas) = await TwelveUnitsInOneCommunityAsync();
        // A primary road between the second and third columns: 495 households west of it, 555 east.
        var barriers = Path.Combine(_dir, "roads.geojson");
        await File.WriteAllTextAsync(barriers, """{"type":"FeatureCollection","features":[{"type":"Feature","id":"w1","geometry":{"type":"LineString","coordinates":[[106.8315,27.539],[106.8315,27.544]]},"properties":{"highway":"primary","name":"中山路"}}]}""");
        var special = Path.Combine(_dir, "special.geojson");
        await File.WriteAllTextAsync(special, """{"type":"FeatureCollection","features":[{"type":"Feature","id":"school1","geometry":{"type":"Polygon","coordinates":[[[106.8335,27.5425],[106.8345,27.5425],[106.8345,27.5435],[106.8335,27.5435],[106.8335,27.5425]]]},"properties":{"kind":"school","name":"中山路小学"}}]}""");
        var output = Path.Combine(_dir, "grids.geojson");
        var report = Path.Combine(_dir, "report.json");

        var (code, stdout, err) = await Run("partition", "--units", units, "--areas", areas, "--barriers", barriers, "--special-areas", special,
            "--out", output, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("1 dedicated grids", stdout);

        var grids = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("features").EnumerateArray()
            .Select(g => g.GetProperty("properties")).ToList();
        var school = Assert.Single(grids, p => p.GetProperty("type").GetString() == "dedicated");
        Assert.Equal("school", school.GetProperty("special_area").GetProperty("kind").GetString());
        // Every basic grid lies on one side of the road.
        foreach (var g in grids.Where(p => p.GetProperty("type").GetString() == "basic"))
        {
            var columns = g.GetProperty("unit_ids").EnumerateArray().Select(id => int.Parse(id.GetString()![1..]) % 4 < 2).Distinct().Count();
            Assert.Equal(1, columns);
        }
        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal(0, r.GetProperty("crossed_roads").GetArrayLength());
        Assert.Equal(0, r.GetProperty("large_grids").GetArrayLength());
        Assert.Equal(4, r.GetProperty("in_band").GetInt32());
    }

    [Fact]
    public async Task Units_without_households_are_refused_with_where()
    {
        var units = Path.Combine(_dir, "units.geojson");
        await File.WriteAllTextAsync(units, """{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[106.83,27.54]},"properties":{"households":10}},{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[106.831,27.54]},"properties":{"households":2.5}}]}""");
        var (code, _, err) = await Run("partition", "--units", units, "--out", Path.Combine(_dir, "g.geojson"));
        Assert.Equal(1, code);
        Assert.Contains("features[1]", err);
        Assert.Contains("households", err);
        Assert.False(File.Exists(Path.Combine(_dir, "g.geojson")));
    }
}
