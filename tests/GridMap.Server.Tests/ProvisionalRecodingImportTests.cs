using System.Net;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Tests;

/// <summary>
/// Real communities imported over provisional ones (contract, "Provisional areas"), on both stores: a grid wholly inside a
/// real community is re-coded (old code retired with replaced_by, workers and name kept), a straddling grid is
/// re-partitioned and listed, provisional areas give up the land, buildings' grid_code follows — all in the import's transaction.
/// </summary>
public abstract class ProvisionalRecodingImportTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    const string P1 = "990001901901", P2 = "990001901902", Street = "990001901", District = "990001";
    const string Real = "510106001001";

    static Geometry Box(double x0, double y0, double x1, double y1) =>
        GeometryRules.Factory.ToGeometry(new Envelope(104 + x0, 104 + x1, 30 + y0, 30 + y1));

    static JsonObject Props(params (string Key, JsonNode? Value)[] values) => new(values.Select(v => KeyValuePair.Create(v.Key, v.Value)));

    static JsonArray Array(params string[] items) => new(items.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());

    /// <summary>
    /// Two provisional communities side by side (0.01° each), each with two grids (west, east) of two buildings of 120
    /// households; the first grid has a worker.
    /// </summary>
    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        var grids = new List<FeatureDraft>();
        var buildings = new List<FeatureDraft>();
        var n = 0;
        foreach (var (community, x) in new[] { (P1, 0.0), (P2, 0.01) })
            for (var g = 0; g < 2; g++)
            {
                var code = $"{community}00{g + 1}";
                var west = x + g * 0.005;
                var ids = new[] { $"b{++n}", $"b{++n}" };
                buildings.Add(new(ids[0], Box(west + 0.001, 0.002, west + 0.0015, 0.0025), Props(("households", 120), ("grid_code", code))));
                buildings.Add(new(ids[1], Box(west + 0.0035, 0.007, west + 0.004, 0.0075), Props(("households", 120), ("grid_code", code))));
                var props = Props(("code", code), ("name", $"暂定第{g + 1}网格"), ("community_code", community), ("households", 240),
                    ("unit_ids", Array(ids)), ("status", "active"), ("type", "basic"));
                if (n == 2) props["workers"] = new JsonArray(new JsonObject { ["name"] = "张三", ["phone"] = "13800000001" });
                if (n == 6) props["workers"] = new JsonArray(new JsonObject { ["name"] = "李四", ["phone"] = "13800000002" });
                grids.Add(new(code, Box(west, 0, west + 0.005, 0.01), props));
            }
        var provisional = (JsonObject p) => { p["provisional"] = true; return p; };
        await _host.Store.ImportAsync([
            new LayerBatch(Layer.Districts, [new(District, Box(0, 0, 0.02, 0.01), provisional(Props(("code", District), ("name", "暂定区域"))))]),
            new LayerBatch(Layer.Streets, [new(Street, Box(0, 0, 0.02, 0.01), provisional(Props(("code", Street), ("name", "暂定街道"), ("district_code", District))))]),
            new LayerBatch(Layer.Communities, [
                new(P1, Box(0, 0, 0.01, 0.01), provisional(Props(("code", P1), ("name", "甲社区（暂定）"), ("street_code", Street)))),
                new(P2, Box(0.01, 0, 0.02, 0.01), provisional(Props(("code", P2), ("name", "乙社区（暂定）"), ("street_code", Street))))]),
            new LayerBatch(Layer.Buildings, buildings),
            new LayerBatch(Layer.Grids, grids),
        ], ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>The real community covers P1 and the west 0.002° of P2: P1's grids lie wholly inside, P2's west grid straddles.</summary>
    const string RealCommunities = """
        {"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[104.0,30.0],[104.012,30.0],[104.012,30.01],[104.0,30.01],[104.0,30.0]]]},
         "properties":{"code":"510106001001","name":"北城社区"}}]}
        """;

    async Task<StoredFeature> Get(Layer layer, string id) => (await _host.Store.GetAsync(layer, id))!;

    [Fact]
    public async Task Grids_wholly_inside_are_recoded_straddling_ones_repartitioned_and_provisional_areas_give_up_the_land()
    {
        var response = await ServerHost.ImportAsync(Http, "communities", RealCommunities);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = JsonNode.Parse(body)!;

        // Re-coded in reading order (west first) with the real community's first free sequences.
        var recoded = answer["recoded"]!.AsArray().Select(r => (r!["from"]!.GetValue<string>(), r["to"]!.GetValue<string>())).ToList();
        Assert.Equal([(P1 + "001", Real + "001"), (P1 + "002", Real + "002")], recoded);
        var old = await Get(Layer.Grids, P1 + "001");
        Assert.Equal("retired", old.Text("status"));
        Assert.Equal([Real + "001"], old.Properties["replaced_by"]!.AsArray().Select(c => c!.GetValue<string>()));
        var recodedGrid = await Get(Layer.Grids, Real + "001");
        Assert.Equal("active", recodedGrid.Text("status"));
        Assert.Equal(Real, recodedGrid.Text("community_code"));
        Assert.Equal("暂定第1网格", recodedGrid.Text("name"));
        Assert.Equal("张三", recodedGrid.Properties["workers"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(240, recodedGrid.Integer("households"));
        Assert.Equal([P1 + "001"], recodedGrid.Properties["replaces"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.True(recodedGrid.Geometry.EqualsTopologically(old.Geometry));

        // P2's west grid straddles: retired, its buildings re-partitioned into the real community (next code 003) and
        // what is left of P2 (next code 003: 001 and 002 are taken).
        var repartitioned = Assert.Single(answer["repartitioned"]!.AsArray());
        Assert.Equal(P2 + "001", repartitioned!["from"]!.GetValue<string>());
        var to = repartitioned["to"]!.AsArray().Select(c => c!.GetValue<string>()).Order().ToList();
        Assert.Equal([Real + "003", P2 + "003"], to);
        var straddling = await Get(Layer.Grids, P2 + "001");
        Assert.Equal("retired", straddling.Text("status"));
        Assert.Equal(to, straddling.Properties["replaced_by"]!.AsArray().Select(c => c!.GetValue<string>()).Order());
        var (inReal, inP2) = (await Get(Layer.Grids, Real + "003"), await Get(Layer.Grids, P2 + "003"));
        Assert.Equal(["b5"], inReal.Properties["unit_ids"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal(["b6"], inP2.Properties["unit_ids"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal((Real, P2), (inReal.Text("community_code"), inP2.Text("community_code")));
        Assert.Equal(240, inReal.Integer("households") + inP2.Integer("households"));
        // The worker goes with one of the new grids, not both.
        Assert.Equal(1, new[] { inReal, inP2 }.Count(g => g.Properties["workers"] is JsonArray));
        // P2's east grid lies wholly in what is left of P2: untouched.
        Assert.Equal(1, (await Get(Layer.Grids, P2 + "002")).Version);

        // Buildings follow their grids.
        Assert.Equal(Real + "001", (await Get(Layer.Buildings, "b1")).Text("grid_code"));
        Assert.Equal(Real + "002", (await Get(Layer.Buildings, "b4")).Text("grid_code"));
        Assert.Equal(Real + "003", (await Get(Layer.Buildings, "b5")).Text("grid_code"));
        Assert.Equal(P2 + "003", (await Get(Layer.Buildings, "b6")).Text("grid_code"));
        Assert.Equal(P2 + "002", (await Get(Layer.Buildings, "b7")).Text("grid_code"));

        // P1 is gone; P2, its street and district shrink to the land the real community leaves: nothing overlaps.
        Assert.Null(await _host.Store.GetAsync(Layer.Communities, P1));
        var p2 = await Get(Layer.Communities, P2);
        Assert.Equal(0.008 * 0.01, p2.Geometry.Area, 1e-9);
        Assert.True(p2.Geometry.Intersection((await Get(Layer.Communities, Real)).Geometry).Area < 1e-10);
        Assert.Equal(0.008 * 0.01, (await Get(Layer.Streets, Street)).Geometry.Area, 1e-9);
        Assert.Equal(0.008 * 0.01, (await Get(Layer.Districts, District)).Geometry.Area, 1e-9);
        Assert.Equal([P1], answer["provisional"]!["removed"]!["communities"]!.AsArray().Select(c => c!.GetValue<string>()));

        // The map's /?grid=OLD follows replaced_by: the old code is still found, and names the new one.
        var byOld = JsonNode.Parse(await Http.GetStringAsync($"/api/layers/grids/features/{P1}001"))!;
        Assert.Equal(Real + "001", byOld["properties"]!["replaced_by"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_replace_import_of_real_communities_keeps_what_is_left_of_the_provisional_ones()
    {
        var response = await ServerHost.ImportAsync(Http, "communities", RealCommunities, "replace");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var communities = (await _host.Store.ListAsync(Layer.Communities, new(null, 100))).Features.Select(c => c.Id).Order();
        Assert.Equal([Real, P2], communities);
        Assert.Equal(Real + "001", (await Get(Layer.Buildings, "b1")).Text("grid_code"));
    }

    [Fact]
    public async Task An_import_of_communities_that_cannot_be_read_changes_nothing()
    {
        var before = await TinyCity.FingerprintAsync(_host.Store);
        var response = await ServerHost.ImportAsync(Http, "communities", """{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"code":"510106001001"}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store));
    }
}

public sealed class SqliteProvisionalRecodingImportTests() : ProvisionalRecodingImportTests("sqlite");

public sealed class PostGisProvisionalRecodingImportTests() : ProvisionalRecodingImportTests("postgis");
