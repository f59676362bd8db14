using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GridMap.Core.Model;

namespace GridMap.Server.Tests;

/// <summary>
/// Service circles over HTTP on both stores. One street 2 km long: a canteen near its west end, a clinic near its east
/// end, and three buildings — b1 (100 households) by the canteen, b2 (50) 700 m along, b3 (30) by the clinic.
/// </summary>
public abstract class CoverageApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    static readonly (Layer Layer, string Json)[] City =
    [
        (Layer.Network, """{"type":"Feature","id":"r1","geometry":{"type":"LineString","coordinates":[[106.820,27.540],[106.830,27.540],[106.840,27.540]]},"properties":{"highway":"residential","name":"长街"}}"""),
        (Layer.Stations, """{"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[106.822,27.5401]},"properties":{"kind":"canteen","name":"长街老年食堂"}}"""),
        (Layer.Stations, """{"type":"Feature","id":"s2","geometry":{"type":"Point","coordinates":[106.838,27.5401]},"properties":{"kind":"clinic","name":"长街卫生室"}}"""),
        (Layer.Buildings, """{"type":"Feature","id":"b1","geometry":{"type":"Point","coordinates":[106.823,27.5405]},"properties":{"households":100}}"""),
        (Layer.Buildings, """{"type":"Feature","id":"b2","geometry":{"type":"Point","coordinates":[106.829,27.5405]},"properties":{"households":50}}"""),
        (Layer.Buildings, """{"type":"Feature","id":"b3","geometry":{"type":"Point","coordinates":[106.837,27.5405]},"properties":{"households":30}}"""),
    ];

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        foreach (var (layer, json) in City)
        {
            var response = await Http.PostAsync($"/api/layers/{layer.Key()}/features", ServerHost.Json(json));
            Assert.True(response.IsSuccessStatusCode, $"{layer}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    async Task<JsonElement> Get(string path)
    {
        var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    async Task<JsonElement> Post(string path, object body)
    {
        var response = await Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    static Dictionary<string, JsonElement> ById(JsonElement collection) =>
        collection.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("properties"));

    [Fact]
    public async Task The_report_counts_households_by_walk_and_follows_the_store_when_a_station_goes()
    {
        var r = await Get("/api/coverage?meters=300,1000");
        Assert.Equal("network", r.GetProperty("mode").GetString());
        Assert.Equal(130.0 / 180, r.GetProperty("coverage").GetProperty("300").GetDouble(), 6);
        Assert.Equal(1.0, r.GetProperty("coverage").GetProperty("1000").GetDouble(), 6);
        Assert.Equal(150, r.GetProperty("station_load").GetProperty("s1").GetInt64());
        Assert.Equal(30, r.GetProperty("station_load").GetProperty("s2").GetInt64());

        // One kind: only the clinic counts, with the kind's GB 50180 radius when no threshold is given.
        var clinic = await Get("/api/coverage?kind=clinic&meters=300");
        Assert.Equal(30.0 / 180, clinic.GetProperty("coverage").GetProperty("300").GetDouble(), 6);
        Assert.Equal(["s2"], clinic.GetProperty("station_load").EnumerateObject().Select(p => p.Name));

        // The canteen closes: the walking model is rebuilt from the store, and the clinic takes everyone.
        Assert.Equal(HttpStatusCode.NoContent, (await ServerHost.DeleteAsync(Http, "/api/layers/stations/features/s1")).StatusCode);
        var after = await Get("/api/coverage?meters=300,1000");
        Assert.Equal(30.0 / 180, after.GetProperty("coverage").GetProperty("300").GetDouble(), 6);
        Assert.Equal(180, after.GetProperty("station_load").GetProperty("s2").GetInt64());
    }

    [Fact]
    public async Task Buildings_carry_their_walk_and_the_smallest_threshold_they_are_within()
    {
        var buildings = ById(await Get("/api/coverage/buildings?meters=300,1000"));

        Assert.Equal("s1", buildings["b2"].GetProperty("station").GetString());
        Assert.InRange(buildings["b2"].GetProperty("walk_m").GetDouble(), 690, 780); // 44 m up to the street, 690 m along, 11 m to the canteen
        Assert.Equal("1000", buildings["b2"].GetProperty("within").GetString());
        Assert.Equal("300", buildings["b1"].GetProperty("within").GetString());
    }

    [Theory]
    [InlineData("meters=300,1000")]
    [InlineData("kind=canteen&meters=300")]
    [InlineData("minutes=5,10&profile=elderly")]
    public async Task Values_give_every_building_the_walk_buildings_gives_it_as_columns(string query)
    {
        var buildings = ById(await Get($"/api/coverage/buildings?{query}"));
        var values = await Get($"/api/coverage/values?{query}");

        var ids = values.GetProperty("ids").EnumerateArray().Select(i => i.GetString()!).ToList();
        Assert.Equal(buildings.Keys.Order(), ids.Order());
        Assert.Equal(["b1", "b2", "b3"], ids.Order());
        foreach (var column in new[] { "station", "walk_m", "walk_min", "within" })
        {
            var cells = values.GetProperty(column).EnumerateArray().ToList();
            Assert.Equal(ids.Count, cells.Count);
            for (var i = 0; i < ids.Count; i++)
            {
                var expected = buildings[ids[i]].GetProperty(column);
                Assert.True(expected.ValueKind == cells[i].ValueKind && expected.ToString() == cells[i].ToString(),
                    $"{query}: {ids[i]}.{column} is {cells[i]} in values, {expected} in buildings");
            }
        }
        Assert.Equal("network", values.GetProperty("mode").GetString());
        var thresholds = values.GetProperty("thresholds").EnumerateArray().Select(t => t.GetString()).ToList();
        List<string?> labels = query.StartsWith("minutes") ? ["5", "10"] : query.Contains("1000") ? ["300", "1000"] : ["300"];
        Assert.Equal(labels, thresholds);
        if (query.StartsWith("kind=canteen"))
            Assert.Equal(JsonValueKind.Null, values.GetProperty("within")[ids.IndexOf("b3")].ValueKind); // 1.5 km from the canteen: beyond 300 m
    }

    [Fact]
    public async Task The_layer_list_gives_a_small_layers_extent_for_the_maps_first_view_and_follows_writes()
    {
        double[] Box(JsonElement list, string layer) =>
            list.EnumerateArray().First(l => l.GetProperty("layer").GetString() == layer).GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var before = await Get("/api/layers");
        var box = Box(before, "buildings");
        Assert.Equal([106.823, 27.5405, 106.837, 27.5405], box);
        Assert.Equal(JsonValueKind.Null, before.EnumerateArray().First(l => l.GetProperty("layer").GetString() == "grids").GetProperty("bbox").ValueKind);

        var added = await Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(
            """{"type":"Feature","id":"b4","geometry":{"type":"Point","coordinates":[106.845,27.5395]},"properties":{"households":5}}"""));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var after = Box(await Get("/api/layers"), "buildings");
        Assert.Equal([106.823, 27.5395, 106.845, 27.5405], after);
    }

    [Fact]
    public async Task An_isochrone_of_one_station_holds_who_walks_there_in_time_and_an_unknown_station_is_404()
    {
        var iso = await Get("/api/coverage/isochrones?station=s1&meters=300");
        var feature = Assert.Single(iso.GetProperty("features").EnumerateArray());
        Assert.Equal("Polygon", feature.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(100, feature.GetProperty("properties").GetProperty("households").GetInt64());

        var missing = await Http.GetAsync("/api/coverage/isochrones?station=s9");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Gaps_show_where_uncovered_households_live()
    {
        var gaps = await Get("/api/coverage/gaps?meters=300");
        var gap = Assert.Single(gaps.GetProperty("features").EnumerateArray());
        Assert.Equal(50, gap.GetProperty("properties").GetProperty("households").GetInt64());
        Assert.Equal("300", gap.GetProperty("properties").GetProperty("threshold").GetString());
    }

    [Fact]
    public async Task Siting_puts_a_new_station_where_the_uncovered_households_are()
    {
        var sites = await Post("/api/coverage/sites", new { meters = "300", add = 1, candidates = "auto" });

        var site = Assert.Single(sites.GetProperty("features").EnumerateArray());
        Assert.Equal(50, site.GetProperty("properties").GetProperty("households_gained").GetInt64());
        var report = sites.GetProperty("report");
        Assert.Equal(130.0 / 180, report.GetProperty("coverage_before").GetDouble(), 6);
        Assert.Equal(1.0, report.GetProperty("coverage_after").GetDouble(), 6);
        Assert.Equal(50, report.GetProperty("bound").GetInt64());
    }

    [Fact]
    public async Task A_what_if_moves_a_station_and_reports_coverage_and_the_loads_that_change()
    {
        // The clinic moves to the middle of the street: b2 comes within 300 m, b3 falls out.
        var r = await Post("/api/coverage/whatif", new { meters = "300", changes = new[] { new { op = "move", station = "s2", lon = 106.8295, lat = 27.5401 } } });

        Assert.Equal(130.0 / 180, r.GetProperty("coverage_before").GetProperty("300").GetDouble(), 6);
        Assert.Equal(150.0 / 180, r.GetProperty("coverage_after").GetProperty("300").GetDouble(), 6);
        var loads = r.GetProperty("load_changes");
        Assert.Equal(150, loads.GetProperty("s1").GetProperty("before").GetInt64());
        Assert.Equal(100, loads.GetProperty("s1").GetProperty("after").GetInt64());
        Assert.Equal(80, loads.GetProperty("s2").GetProperty("after").GetInt64());

        // A station added in one change can be moved by the next; it is called new-1 when it has no id.
        var added = await Post("/api/coverage/whatif", new { meters = "300", changes = new object[]
        {
            new { op = "add", lon = 106.8295, lat = 27.5401 },
            new { op = "move", station = "new-1", lon = 106.830, lat = 27.5401 },
        } });
        Assert.Equal(["new-1"], added.GetProperty("added").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(50, added.GetProperty("load_changes").GetProperty("new-1").GetProperty("after").GetInt64());

        // Nothing was written: the store still has the clinic where it was.
        var clinic = await Get("/api/layers/stations/features/s2");
        Assert.Equal(106.838, clinic.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble(), 6);
    }

    [Fact]
    public async Task A_compound_with_gates_makes_its_buildings_walk_out_through_them()
    {
        var before = ById(await Get("/api/coverage/buildings?meters=300,1000"))["b2"].GetProperty("walk_m").GetDouble();

        // b2 stands in a walled compound whose only gate is on its north wall, away from the street.
        var compound = """{"type":"Feature","id":"c2","geometry":{"type":"Polygon","coordinates":[[[106.8285,27.5403],[106.8295,27.5403],[106.8295,27.5408],[106.8285,27.5408],[106.8285,27.5403]]]},"properties":{"name":"长街北院","gates":[[106.829,27.5408]]}}""";
        var created = await Http.PostAsync("/api/layers/compounds/features", ServerHost.Json(compound));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // 33 m up to the gate, then 89 m back down to the street instead of 55 m straight to it.
        var after = ById(await Get("/api/coverage/buildings?meters=300,1000"))["b2"].GetProperty("walk_m").GetDouble();
        Assert.InRange(after - before, 55, 80);

        // Gates must be [lon, lat] pairs: anything else is refused and nothing is written.
        var bad = await Http.PostAsync("/api/layers/compounds/features", ServerHost.Json(compound.Replace("\"c2\"", "\"c3\"").Replace("[[106.829,27.5408]]", "[[106.829]]")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("gates", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/layers/compounds/features/c3")).StatusCode);
    }

    [Fact]
    public async Task A_network_island_beside_a_building_is_left_out_and_listed_unless_min_component_nodes_is_1()
    {
        // A two-node footway 11 m north of b2, joined to nothing; the street has three nodes, so islands are what is
        // smaller than min(50, 3).
        var island = """{"type":"Feature","id":"f1","geometry":{"type":"LineString","coordinates":[[106.8288,27.5406],[106.8292,27.5406]]},"properties":{"highway":"footway"}}""";
        Assert.True((await Http.PostAsync("/api/layers/network/features", ServerHost.Json(island))).IsSuccessStatusCode);

        var r = await Get("/api/coverage?meters=1000");
        Assert.Empty(r.GetProperty("unreachable").EnumerateArray());
        Assert.Equal(50, r.GetProperty("min_component_nodes").GetInt32());
        var islands = r.GetProperty("network_islands");
        Assert.Equal(1, islands.GetProperty("count").GetInt32());
        Assert.Equal(3, islands.GetProperty("attach_min_nodes").GetInt32());
        var only = islands.GetProperty("islands").EnumerateArray().Single();
        Assert.Equal(2, only.GetProperty("nodes").GetInt32());
        Assert.InRange(only.GetProperty("length_m").GetDouble(), 35, 45);
        Assert.Equal(27.5406, only.GetProperty("at")[1].GetDouble(), 6);

        // Every piece takes points: b2 steps onto the island and reaches no station.
        var old = await Get("/api/coverage?meters=1000&min_component_nodes=1");
        Assert.Equal(["b2"], old.GetProperty("unreachable").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(1, old.GetProperty("min_component_nodes").GetInt32());
        Assert.Equal(0, old.GetProperty("network_islands").GetProperty("count").GetInt32());
        var buildings = ById(await Get("/api/coverage/buildings?meters=1000&min_component_nodes=1"));
        Assert.Equal(JsonValueKind.Null, buildings["b2"].GetProperty("walk_m").ValueKind);
        Assert.Equal(JsonValueKind.Number, ById(await Get("/api/coverage/buildings?meters=1000"))["b2"].GetProperty("walk_m").ValueKind);
    }

    [Theory]
    [InlineData("GET", "/api/coverage?minutes=abc", null, "minutes")]
    [InlineData("GET", "/api/coverage?kind=spaceport", null, "kind")]
    [InlineData("GET", "/api/coverage?minutes=5&meters=300", null, "minutes")]
    [InlineData("GET", "/api/coverage/buildings?profile=runner", null, "profile")]
    [InlineData("GET", "/api/coverage/values?minutes=5&meters=300", null, "minutes")]
    [InlineData("GET", "/api/coverage?min_component_nodes=0", null, "min_component_nodes")]
    [InlineData("POST", "/api/coverage/sites", """{"meters":"300","candidates":"auto"}""", "add")]
    [InlineData("POST", "/api/coverage/sites", """{"meters":"300,500","add":1}""", "meters")]
    [InlineData("POST", "/api/coverage/sites", """{"meters":"300","add":1,"candidates":{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.82,27.54],[106.83,27.54]]},"properties":{}}]}}""", "candidates")]
    [InlineData("POST", "/api/coverage/whatif", """{"changes":[{"op":"fly"}]}""", "changes/0/op")]
    [InlineData("POST", "/api/coverage/whatif", """{"changes":[{"op":"remove","station":"s9"}]}""", "changes/0/station")]
    [InlineData("POST", "/api/coverage/whatif", """{"changes":[{"op":"add"}]}""", "changes/0/lon")]
    [InlineData("POST", "/api/coverage/whatif", """{"changes":[{"op":"add","station":"s1","lon":106.83,"lat":27.54}]}""", "changes/0/station")]
    [InlineData("POST", "/api/coverage/whatif", """{"changes":[{"op":"remove","station":"s1"},{"op":"move","station":"s1","lon":106.83,"lat":27.54}]}""", "changes/1/station")]
    public async Task Bad_requests_get_400_with_a_problem_that_says_where(string method, string path, string? body, string pointer)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = ServerHost.Json(body, "application/json");

        var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var pointers = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("pointer").GetString()!).ToList();
        Assert.Contains(pointers, p => p.Contains(pointer));
    }
}

public sealed class SqliteCoverageApiTests() : CoverageApiTests("sqlite");

public sealed class PostGisCoverageApiTests() : CoverageApiTests("postgis");
