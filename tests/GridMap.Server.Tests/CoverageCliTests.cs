using System.Text.Json;

namespace GridMap.Server.Tests;

/// <summary>`gridmap coverage`: walks over the network, the contract's fields, and the straight-line fallback labelled as such.</summary>
public sealed class CoverageCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-coverage-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliTests.Run(args);

    async Task<string> Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    // Two banks of a river about 111 m apart, joined only by a motorway without a sidewalk (not walkable).
    const string Network = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","id":"south","geometry":{"type":"LineString","coordinates":[[106.830,27.540],[106.835,27.540],[106.840,27.540]]},"properties":{"highway":"residential"}},
          {"type":"Feature","id":"north","geometry":{"type":"LineString","coordinates":[[106.830,27.541],[106.835,27.541],[106.840,27.541]]},"properties":{"highway":"footway"}},
          {"type":"Feature","id":"bridge","geometry":{"type":"LineString","coordinates":[[106.835,27.540],[106.835,27.541]]},"properties":{"highway":"motorway"}}
        ]}
        """;

    const string Buildings = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","id":"b1","geometry":{"type":"Point","coordinates":[106.8330,27.53995]},"properties":{"households":100,"community_code":"520304001001","grid_code":"520304001001001"}},
          {"type":"Feature","id":"b2","geometry":{"type":"Point","coordinates":[106.8312,27.54095]},"properties":{"households":50,"community_code":"520304001001","grid_code":"520304001001002"}}
        ]}
        """;

    const string Stations = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[106.8310,27.54005]},"properties":{"kind":"kindergarten"}}
        ]}
        """;

    [Fact]
    public async Task Walks_follow_the_network_and_a_building_across_the_river_is_unreachable()
    {
        var (network, buildings, stations) = (await Write("r.geojson", Network), await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var output = Path.Combine(_dir, "out.geojson");
        var report = Path.Combine(_dir, "report.json");

        var (code, stdout, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network,
            "--meters", "300,500", "--out", output, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("2 of 3 lines walkable", stdout);

        var features = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("properties"));
        Assert.Equal("s1", features["b1"].GetProperty("station").GetString());
        var walk = features["b1"].GetProperty("walk_m").GetDouble();
        Assert.InRange(walk, 200, 220); // 5.5 m access, 197 m along the road, 5.5 m access
        Assert.Equal(walk / (4.5 / 3.6) / 60, features["b1"].GetProperty("walk_min").GetDouble(), 1);
        Assert.Equal(JsonValueKind.Null, features["b2"].GetProperty("walk_m").ValueKind);
        Assert.Equal(JsonValueKind.Null, features["b2"].GetProperty("station").ValueKind);

        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal("network", r.GetProperty("mode").GetString());
        Assert.Equal(100.0 / 150, r.GetProperty("coverage").GetProperty("300").GetDouble(), 6);
        Assert.Equal(100.0 / 150, r.GetProperty("coverage").GetProperty("500").GetDouble(), 6);
        Assert.Equal(50, r.GetProperty("uncovered_households").GetInt64());
        Assert.Equal(100, r.GetProperty("station_load").GetProperty("s1").GetInt64());
        Assert.Equal(["b2"], r.GetProperty("unreachable").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.True(r.GetProperty("seconds").GetDouble() >= 0);
        // By community and by grid, from the buildings' community_code and grid_code.
        Assert.Equal(100.0 / 150, r.GetProperty("by_community").GetProperty("520304001001").GetProperty("300").GetDouble(), 6);
        Assert.Equal(1.0, r.GetProperty("by_grid").GetProperty("520304001001001").GetProperty("300").GetDouble(), 6);
        Assert.Equal(0.0, r.GetProperty("by_grid").GetProperty("520304001001002").GetProperty("500").GetDouble(), 6);
        // Both banks have three nodes: neither is an island.
        Assert.Equal(50, r.GetProperty("min_component_nodes").GetInt32());
        Assert.Equal(2, r.GetProperty("network_islands").GetProperty("components").GetInt32());
        Assert.Equal(0, r.GetProperty("network_islands").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_two_node_island_is_left_out_and_listed_and_min_component_nodes_1_keeps_it()
    {
        // A footway of two nodes 3 m south of b1 (5.5 m from the south bank), joined to nothing: smaller than the banks' three nodes.
        const string Footway = """{"type":"Feature","id":"f","geometry":{"type":"LineString","coordinates":[[106.8328,27.53992],[106.8332,27.53992]]},"properties":{"highway":"footway"}},""";
        var withIsland = Network.Replace("""{"type":"Feature","id":"bridge",""", Footway + """{"type":"Feature","id":"bridge",""");
        var (network, buildings, stations) = (await Write("r.geojson", withIsland), await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var (output, report) = (Path.Combine(_dir, "out.geojson"), Path.Combine(_dir, "report.json"));

        var (code, stdout, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network, "--meters", "300", "--out", output, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("1 network island(s) under 3 nodes left out", stdout);
        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal(["b2"], r.GetProperty("unreachable").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var island = r.GetProperty("network_islands").GetProperty("islands").EnumerateArray().Single();
        Assert.Equal((2, 1), (island.GetProperty("nodes").GetInt32(), island.GetProperty("edges").GetInt32()));

        (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network, "--meters", "300", "--out", output, "--report", report,
            "--min-component-nodes", "1");
        Assert.True(code == 0, err);
        r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal(["b1", "b2"], r.GetProperty("unreachable").EnumerateArray().Select(e => e.GetString()!).Order().ToArray());
        Assert.Equal(0, r.GetProperty("network_islands").GetProperty("count").GetInt32());

        (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network, "--out", output, "--min-component-nodes", "0");
        Assert.Equal(2, code);
        Assert.Contains("--min-component-nodes", err);
    }

    [Fact]
    public async Task Isochrones_and_gaps_are_written_for_display_and_stop_at_the_river()
    {
        var (network, buildings, stations) = (await Write("r.geojson", Network), await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var (output, isoPath, gapsPath) = (Path.Combine(_dir, "out.geojson"), Path.Combine(_dir, "iso.geojson"), Path.Combine(_dir, "gaps.geojson"));

        var (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network,
            "--meters", "300,500", "--out", output, "--isochrones", isoPath, "--gaps", gapsPath);
        Assert.True(code == 0, err);

        var iso = JsonDocument.Parse(await File.ReadAllTextAsync(isoPath)).RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(["s1-300", "s1-500"], iso.Select(f => f.GetProperty("id").GetString()!).ToArray());
        Assert.All(iso, f => Assert.Equal("Polygon", f.GetProperty("geometry").GetProperty("type").GetString()));
        Assert.All(iso, f => Assert.Equal(100, f.GetProperty("properties").GetProperty("households").GetInt64()));
        // The north bank (27.541) is 111 m from the south bank but has no walkable way across: isochrones stop about
        // halfway, where land is nearer to the north bank's footway, and never reach b2 (27.54095).
        var north = iso.SelectMany(f => f.GetProperty("geometry").GetProperty("coordinates")[0].EnumerateArray()).Max(c => c[1].GetDouble());
        Assert.True(north < 27.5408, $"an isochrone reaches {north}");

        var gaps = JsonDocument.Parse(await File.ReadAllTextAsync(gapsPath)).RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, gaps.Count); // b2, the building across the river, at each threshold
        Assert.All(gaps, g => Assert.Equal(50, g.GetProperty("properties").GetProperty("households").GetInt64()));
        Assert.Equal(["300", "500"], gaps.Select(g => g.GetProperty("properties").GetProperty("threshold").GetString()!).ToArray());
    }

    [Fact]
    public async Task Without_a_network_the_straight_line_is_used_and_said()
    {
        var (buildings, stations) = (await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var output = Path.Combine(_dir, "out.geojson");
        var report = Path.Combine(_dir, "report.json");

        var (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--minutes", "5", "--out", output, "--report", report);
        Assert.True(code == 0, err);

        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal("euclidean", r.GetProperty("mode").GetString());
        Assert.Equal(1.0, r.GetProperty("coverage").GetProperty("5").GetDouble(), 6); // 5 min at 4.5 km/h = 375 m: both within
        Assert.Empty(r.GetProperty("unreachable").EnumerateArray());
        var b2 = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("features").EnumerateArray()
            .Single(f => f.GetProperty("id").GetString() == "b2").GetProperty("properties");
        Assert.Equal("euclidean", b2.GetProperty("mode").GetString());
        Assert.InRange(b2.GetProperty("walk_m").GetDouble(), 95, 105);
    }

    [Fact]
    public async Task Stations_of_several_kinds_are_reported_kind_by_kind()
    {
        var (network, buildings) = (await Write("r.geojson", Network), await Write("b.geojson", Buildings));
        // A clinic on the north bank: it serves b2 only; the kindergarten on the south bank serves b1 only.
        var stations = await Write("s.geojson", """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[106.8310,27.54005]},"properties":{"kind":"kindergarten"}},
              {"type":"Feature","id":"s2","geometry":{"type":"Point","coordinates":[106.8315,27.54105]},"properties":{"kind":"clinic"}}
            ]}
            """);
        var report = Path.Combine(_dir, "report.json");

        var (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network,
            "--meters", "500", "--out", Path.Combine(_dir, "o.geojson"), "--report", report);
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal(1.0, r.GetProperty("coverage").GetProperty("500").GetDouble(), 6); // every building has some station
        Assert.Equal(100.0 / 150, r.GetProperty("by_kind").GetProperty("kindergarten").GetProperty("500").GetDouble(), 6);
        Assert.Equal(50.0 / 150, r.GetProperty("by_kind").GetProperty("clinic").GetProperty("500").GetDouble(), 6);

        // Every building also carries its walk to the nearest station of each kind; b2 cannot cross the river to the kindergarten.
        var b2 = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "o.geojson"))).RootElement.GetProperty("features")
            .EnumerateArray().Single(f => f.GetProperty("id").GetString() == "b2").GetProperty("properties").GetProperty("by_kind");
        Assert.Equal("s2", b2.GetProperty("clinic").GetProperty("station").GetString());
        Assert.True(b2.GetProperty("clinic").GetProperty("walk_m").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, b2.GetProperty("kindergarten").GetProperty("walk_m").ValueKind);
    }

    [Fact]
    public async Task The_kind_preset_and_the_elderly_profile_set_the_threshold()
    {
        var (network, buildings, stations) = (await Write("r.geojson", Network), await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var report = Path.Combine(_dir, "report.json");

        var (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--network", network,
            "--kind", "kindergarten", "--profile", "elderly", "--out", Path.Combine(_dir, "o.geojson"), "--report", report);
        Assert.True(code == 0, err);
        var coverage = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement.GetProperty("coverage");
        Assert.Equal(["300"], coverage.EnumerateObject().Select(p => p.Name).ToArray()); // GB 50180: kindergarten ≤ 300 m
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_file_feature_and_field_and_nothing_is_written()
    {
        var buildings = await Write("b.geojson", Buildings);
        var stations = await Write("s.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[106.83,27.54]},"properties":{"kind":"spaceport"}}]}""");
        var output = Path.Combine(_dir, "out.geojson");

        var (code, _, err) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("s.geojson: properties.kind", err);
        Assert.False(File.Exists(output));

        var (both, _, bothErr) = await Run("coverage", "--buildings", buildings, "--stations", stations, "--minutes", "5", "--meters", "300", "--out", output);
        Assert.Equal(2, both);
        Assert.Contains("not both", bothErr);
    }

    [Fact]
    public async Task Site_picks_the_candidate_that_covers_the_most_uncovered_households()
    {
        // b2 (50 households, on the north bank) is the only one not covered; one candidate stands on the north bank.
        var (network, buildings, stations) = (await Write("r.geojson", Network), await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var candidates = await Write("c.geojson", """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"south-east","geometry":{"type":"Point","coordinates":[106.8390,27.54005]},"properties":{}},
              {"type":"Feature","id":"north-west","geometry":{"type":"Point","coordinates":[106.8315,27.54105]},"properties":{}}
            ]}
            """);
        var (output, report) = (Path.Combine(_dir, "sites.geojson"), Path.Combine(_dir, "site-report.json"));

        var (code, stdout, err) = await Run("site", "--buildings", buildings, "--stations", stations, "--network", network,
            "--meters", "300", "--add", "1", "--candidates", candidates, "--out", output, "--report", report);
        Assert.True(code == 0, err);
        Assert.Contains("1 site(s) of 2 candidates", stdout);

        var site = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("features").EnumerateArray().Single();
        Assert.Equal("north-west", site.GetProperty("id").GetString());
        Assert.Equal(50, site.GetProperty("properties").GetProperty("households_gained").GetInt64());
        var r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal(100.0 / 150, r.GetProperty("coverage_before").GetDouble(), 6);
        Assert.Equal(1.0, r.GetProperty("coverage_after").GetDouble(), 6);
        Assert.Equal(50, r.GetProperty("bound").GetInt64());
        Assert.Equal(0.0, r.GetProperty("gap").GetDouble());

        // Automatic candidates in the gap, and the fewest sites for full coverage: one, beside b2.
        var (auto, _, autoErr) = await Run("site", "--buildings", buildings, "--stations", stations, "--network", network,
            "--meters", "300", "--share", "1", "--candidates", "auto", "--out", output, "--report", report);
        Assert.True(auto == 0, autoErr);
        r = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement;
        Assert.Equal("set_covering", r.GetProperty("strategy").GetString());
        Assert.Equal(1, r.GetProperty("added").GetInt32());
        Assert.True(r.GetProperty("reached").GetBoolean());
    }

    [Theory]
    [InlineData("--add", "1", "--share", "0.9", "one of them")]
    [InlineData("--add", "zero", null, null, "--add must be a whole number")]
    [InlineData("--share", "1.5", null, null, "--share must be")]
    public async Task Site_refuses_bad_options_with_exit_2_and_writes_nothing(string o1, string v1, string? o2, string? v2, string message)
    {
        var (buildings, stations) = (await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var output = Path.Combine(_dir, "sites.geojson");
        string[] args = ["site", "--buildings", buildings, "--stations", stations, "--meters", "300", "--candidates", "auto", "--out", output, o1, v1];
        if (o2 is not null) args = [.. args, o2, v2!];

        var (code, _, err) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Site_refuses_a_bad_candidates_file_naming_the_feature_and_field()
    {
        var (buildings, stations) = (await Write("b.geojson", Buildings), await Write("s.geojson", Stations));
        var candidates = await Write("c.geojson", """{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.83,27.54],[106.84,27.54]]},"properties":{}}]}""");
        var output = Path.Combine(_dir, "sites.geojson");

        var (code, _, err) = await Run("site", "--buildings", buildings, "--stations", stations, "--meters", "300", "--add", "1",
            "--candidates", candidates, "--out", output);

        Assert.Equal(1, code);
        Assert.Contains("c.geojson: geometry", err);
        Assert.Contains("c.geojson: id", err);
        Assert.False(File.Exists(output));
    }
}
