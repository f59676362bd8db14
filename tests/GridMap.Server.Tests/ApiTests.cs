using System.Net;
using System.Text.Json;
using GridMap.Core.Model;

namespace GridMap.Server.Tests;

/// <summary>What planners and field teams do through the API, on both stores.</summary>
public abstract class ApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await TinyCity.LoadAsync(Http);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Layers_list_every_layer_with_its_count()
    {
        var layers = await JsonOf(await Http.GetAsync("/api/layers"));
        Assert.Equal(Layers.All.Select(l => l.Key()), layers.EnumerateArray().Select(l => l.GetProperty("layer").GetString()));
        Assert.All(layers.EnumerateArray(), l => Assert.Equal(1, l.GetProperty("count").GetInt64()));
        Assert.Equal("网格", layers.EnumerateArray().First(l => l.GetProperty("layer").GetString() == "grids").GetProperty("label").GetString());
    }

    [Fact]
    public async Task A_feature_reads_back_as_rfc7946_with_its_version_in_the_etag()
    {
        // Clockwise shell in, counter-clockwise out.
        var cw = """{"type":"Feature","id":"cw","geometry":{"type":"Polygon","coordinates":[[[106.821,27.521],[106.821,27.522],[106.822,27.522],[106.822,27.521],[106.821,27.521]]]},"properties":{"households":12}}""";
        var created = await Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(cw));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        Assert.Equal("/api/layers/buildings/features/cw", created.Headers.Location?.OriginalString);

        var response = await Http.GetAsync("/api/layers/buildings/features/cw");
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var f = await JsonOf(response);
        Assert.False(f.TryGetProperty("crs", out _));
        var ring = f.GetProperty("geometry").GetProperty("coordinates")[0].EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
        var signedArea = ring.Zip(ring.Skip(1)).Sum(s => s.First.Item1 * s.Second.Item2 - s.Second.Item1 * s.First.Item2);
        Assert.True(signedArea > 0, "outer ring must be counter-clockwise");
        Assert.Equal(12, f.GetProperty("properties").GetProperty("households").GetInt32());
        Assert.False(f.GetProperty("properties").GetProperty("households_estimated").GetBoolean());
    }

    [Fact]
    public async Task Replace_with_the_current_version_succeeds_and_a_second_planner_with_the_old_one_gets_412()
    {
        var first = await Http.GetAsync("/api/layers/compounds/features/c1");
        var etag = first.Headers.ETag!.Tag;
        var edit = TinyCity.Compound.Replace("阳光花园", "阳光花园一期");

        var mine = new HttpRequestMessage(HttpMethod.Put, "/api/layers/compounds/features/c1") { Content = ServerHost.Json(edit) };
        mine.Headers.TryAddWithoutValidation("If-Match", etag);
        var ok = await Http.SendAsync(mine);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("\"2\"", ok.Headers.ETag?.Tag);

        var theirs = new HttpRequestMessage(HttpMethod.Put, "/api/layers/compounds/features/c1") { Content = ServerHost.Json(TinyCity.Compound.Replace("阳光花园", "别的名字")) };
        theirs.Headers.TryAddWithoutValidation("If-Match", etag);
        var refused = await Http.SendAsync(theirs);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);

        var now = await JsonOf(await Http.GetAsync("/api/layers/compounds/features/c1"));
        Assert.Equal("阳光花园一期", now.GetProperty("properties").GetProperty("name").GetString());
        Assert.Equal(2, now.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_self_intersecting_polygon_is_repaired_and_the_response_says_so()
    {
        var bowtie = """{"type":"Feature","id":"bow","geometry":{"type":"Polygon","coordinates":[[[106.821,27.521],[106.823,27.523],[106.823,27.521],[106.821,27.523],[106.821,27.521]]]},"properties":{"households":8}}""";
        var response = await Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(bowtie));
        var f = await JsonOf(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var repair = f.GetProperty("repairs")[0];
        Assert.Equal("geometry", repair.GetProperty("field").GetString());
        Assert.Contains("repaired", repair.GetProperty("message").GetString());
        Assert.Equal("MultiPolygon", f.GetProperty("geometry").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_building_without_a_count_gets_an_estimate_that_is_flagged()
    {
        // About 55 m × 44 m ≈ 2,450 m², 6 levels, residential: 2,450 × 6 × 0.75 / 90 ≈ 122 households.
        var building = """{"type":"Feature","id":"est","geometry":{"type":"Polygon","coordinates":[[[106.8400,27.5400],[106.8405,27.5400],[106.8405,27.5404],[106.8400,27.5404],[106.8400,27.5400]]]},"properties":{"building":"residential","levels":6}}""";
        var f = await JsonOf(await Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(building)));
        var props = f.GetProperty("properties");
        Assert.True(props.GetProperty("households_estimated").GetBoolean());
        Assert.InRange(props.GetProperty("households").GetInt32(), 100, 140);
    }

    [Fact]
    public async Task Lookup_inside_a_compound_names_the_whole_chain_and_the_grid_worker()
    {
        var r = await JsonOf(await Http.GetAsync("/api/lookup?lon=106.8215&lat=27.5215"));
        Assert.Equal("520304", r.GetProperty("district").GetProperty("code").GetString());
        Assert.Equal("桂花桥街道", r.GetProperty("street").GetProperty("name").GetString());
        Assert.Equal("南坛社区", r.GetProperty("community").GetProperty("name").GetString());
        Assert.Equal("阳光花园", r.GetProperty("compound").GetProperty("name").GetString());
        Assert.Equal("520304001001001", r.GetProperty("grid").GetProperty("code").GetString());
        Assert.Equal("李红梅", r.GetProperty("grid").GetProperty("workers")[0].GetProperty("name").GetString());
        Assert.Equal("b1", r.GetProperty("building").GetProperty("id").GetString());
        var station = r.GetProperty("nearest_stations")[0];
        Assert.Equal("party_service_centre", station.GetProperty("kind").GetString());
        // (106.8215, 27.5215) to (106.825, 27.525): about 345 m east and 388 m north → ≈ 520 m.
        Assert.InRange(station.GetProperty("distance_m").GetDouble(), 480, 560);
        // On foot: 388 m north to 南坛路, then 345 m east along it to the station on the road.
        Assert.Equal("network", r.GetProperty("distance_mode").GetString());
        Assert.InRange(station.GetProperty("walk_m").GetDouble(), 700, 770);
        Assert.InRange(station.GetProperty("walk_min").GetDouble(), 9.3, 10.3);
    }

    [Fact]
    public async Task Lookup_outside_every_area_answers_with_nulls()
    {
        var r = await JsonOf(await Http.GetAsync("/api/lookup?lon=100&lat=30"));
        Assert.Equal(JsonValueKind.Null, r.GetProperty("grid").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("community").ValueKind);
    }

    [Theory]
    [InlineData("520304001001001", "grids", "520304001001001")]
    [InlineData("李红梅", "grids", "520304001001001")]
    [InlineData("阳光", "compounds", "c1")]
    [InlineData("党群", "stations", "s1")]
    public async Task Search_finds_grids_compounds_workers_and_stations(string q, string layer, string id)
    {
        var r = await JsonOf(await Http.GetAsync($"/api/search?q={Uri.EscapeDataString(q)}"));
        var hit = r.GetProperty("results")[0];
        Assert.Equal(layer, hit.GetProperty("layer").GetString());
        Assert.Equal(id, hit.GetProperty("id").GetString());
        Assert.Equal(4, hit.GetProperty("bbox").GetArrayLength());
    }

    [Fact]
    public async Task Listing_pages_through_a_layer_with_next_links()
    {
        var features = Enumerable.Range(0, 25).Select(i =>
            $$$"""{"type":"Feature","id":"k{{{i:00}}}","geometry":{"type":"Point","coordinates":[{{{106.81 + i * 0.001}}},27.51]},"properties":{"kind":"kindergarten"}}""");
        var upload = await ServerHost.ImportAsync(Http, "stations", $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""");
        Assert.Equal(25, (await JsonOf(upload)).GetProperty("written").GetInt32());

        var ids = new List<string>();
        string? next = "/api/layers/stations/features?bbox=106.80,27.50,106.86,27.56&limit=10";
        while (next is not null)
        {
            var page = await JsonOf(await Http.GetAsync(next));
            Assert.Equal(26, page.GetProperty("numberMatched").GetInt64());
            ids.AddRange(page.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()!));
            next = page.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("href").GetString()).FirstOrDefault();
        }
        Assert.Equal(26, ids.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task Delete_with_the_right_version_removes_the_feature()
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, "/api/layers/stations/features/s1");
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(HttpStatusCode.NoContent, (await Http.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/layers/stations/features/s1")).StatusCode);
    }

    [Fact]
    public async Task Health_and_openapi_answer()
    {
        var health = await JsonOf(await Http.GetAsync("/api/health"));
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(storeKind, health.GetProperty("store").GetString());
        var openapi = await JsonOf(await Http.GetAsync("/openapi/v1.json"));
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/lookup", paths);
        Assert.Contains("/api/layers/{layer}/features/{id}", paths);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/docs/index.html")).StatusCode);
    }
}

public sealed class SqliteApiTests() : ApiTests("sqlite");

public sealed class PostGisApiTests() : ApiTests("postgis");
