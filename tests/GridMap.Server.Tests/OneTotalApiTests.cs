using System.Net;
using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Store;

namespace GridMap.Server.Tests;

/// <summary>
/// Single-feature writes keep one household total as imports do (domain.md: a compound holds its mapped buildings plus
/// its remainder unit), and the grid holding the remainder follows, on both stores.
/// </summary>
public abstract class OneTotalApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    const string Compound = "c1", Grid = "520304001001001", Remainder = "remainder-c1";

    static string Square(double lon, double lat, double side) => FormattableString.Invariant(
        $"[[[{lon},{lat}],[{lon + side},{lat}],[{lon + side},{lat + side}],[{lon},{lat + side}],[{lon},{lat}]]]");

    static string Feature(string id, string coordinates, JsonObject props) =>
        $$"""{"type":"Feature","id":"{{id}}","geometry":{"type":"Polygon","coordinates":{{coordinates}}},"properties":{{props.ToJsonString()}}}""";

    /// <summary>An old compound of about 4 ha with no count (estimated by area × density), its remainder in one grid.</summary>
    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        var created = await Http.PostAsync("/api/layers/compounds/features",
            ServerHost.Json(Feature(Compound, Square(106.82, 27.52, 0.002), new JsonObject { ["name"] = "南坛老小区", ["class"] = CompoundClasses.Old })));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var remainder = (await _host.Store.GetAsync(Layer.Buildings, Remainder))!;
        var props = (JsonObject)remainder.Properties.DeepClone();
        props["grid_code"] = Grid;
        await _host.Store.ApplyAsync([], [
            new LayerBatch(Layer.Buildings, [new(Remainder, remainder.Geometry, props)]),
            new LayerBatch(Layer.Grids, [new(Grid, remainder.Geometry.Envelope, new JsonObject
            {
                ["code"] = Grid, ["name"] = "南坛社区第1网格", ["community_code"] = "520304001001",
                ["households"] = remainder.Integer("households"), ["unit_ids"] = new JsonArray(Remainder),
            })]),
        ]);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    async Task<long> HouseholdsAsync(Layer layer, string id) => (await _host.Store.GetAsync(layer, id))?.Integer("households") ?? -1;

    /// <summary>Every compound holds what its buildings (remainder included) hold.</summary>
    async Task AssertOneTotalAsync()
    {
        var buildings = (await _host.Store.ListAsync(Layer.Buildings, new(null, 1000))).Features;
        foreach (var c in (await _host.Store.ListAsync(Layer.Compounds, new(null, 1000))).Features)
            Assert.Equal(c.Integer("households"), buildings.Where(b => b.Text("compound") == c.Id).Sum(b => b.Integer("households") ?? 0));
    }

    async Task<HttpResponseMessage> PutAsync(string layer, string id, string body)
    {
        Assert.True(Layers.TryParse(layer, out var l));
        var version = (await _host.Store.GetAsync(l, id))!.Version;
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/{layer}/features/{id}") { Content = ServerHost.Json(body) };
        request.Headers.IfMatch.Add(new($"\"{version}\""));
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task A_compound_written_on_its_own_gets_a_remainder_holding_its_estimate()
    {
        var compound = (await _host.Store.GetAsync(Layer.Compounds, Compound))!;
        Assert.Equal(HouseholdRules.AreaDensity, compound.Text("households_rule"));
        Assert.True(compound.Integer("households") > 100, $"{compound.Integer("households")} households on 4 ha of old housing");
        Assert.Equal(compound.Integer("households"), await HouseholdsAsync(Layer.Buildings, Remainder));
        await AssertOneTotalAsync();
    }

    [Fact]
    public async Task A_building_added_moved_out_moved_in_and_deleted_takes_its_households_from_the_remainder_and_gives_them_back()
    {
        var total = await HouseholdsAsync(Layer.Compounds, Compound);
        var inside = Square(106.8205, 27.5205, 0.0002);

        var post = await Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(Feature("b1", inside, new JsonObject { ["households"] = 40 })));
        var body = JsonNode.Parse(await post.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal(Compound, body["properties"]!["compound"]!.GetValue<string>());
        Assert.Equal(total, await HouseholdsAsync(Layer.Compounds, Compound));
        Assert.Equal(total - 40, await HouseholdsAsync(Layer.Buildings, Remainder));
        // The new building is in no grid yet; the grid holding the remainder holds 40 fewer.
        Assert.Equal(total - 40, await HouseholdsAsync(Layer.Grids, Grid));
        Assert.NotNull(body["touched"]!["grids"]![Grid]);
        Assert.NotNull(body["touched"]!["buildings"]![Remainder]);
        await AssertOneTotalAsync();

        var more = await PutAsync("buildings", "b1", Feature("b1", inside, new JsonObject { ["households"] = 60 }));
        Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        Assert.Equal(total - 60, await HouseholdsAsync(Layer.Buildings, Remainder));
        Assert.Equal(total - 60, await HouseholdsAsync(Layer.Grids, Grid));
        await AssertOneTotalAsync();

        var outside = await PutAsync("buildings", "b1", Feature("b1", Square(106.83, 27.53, 0.0002), new JsonObject { ["households"] = 60 }));
        Assert.Equal(HttpStatusCode.OK, outside.StatusCode);
        Assert.Null((await _host.Store.GetAsync(Layer.Buildings, "b1"))!.Text("compound"));
        Assert.Equal(total, await HouseholdsAsync(Layer.Buildings, Remainder));
        Assert.Equal(total, await HouseholdsAsync(Layer.Grids, Grid));
        await AssertOneTotalAsync();

        Assert.Equal(HttpStatusCode.OK, (await PutAsync("buildings", "b1", Feature("b1", inside, new JsonObject { ["households"] = 60 }))).StatusCode);
        Assert.Equal(total - 60, await HouseholdsAsync(Layer.Buildings, Remainder));
        var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/layers/buildings/features/b1");
        delete.Headers.IfMatch.Add(new($"\"{(await _host.Store.GetAsync(Layer.Buildings, "b1"))!.Version}\""));
        Assert.Equal(HttpStatusCode.NoContent, (await Http.SendAsync(delete)).StatusCode);
        Assert.Equal(total, await HouseholdsAsync(Layer.Buildings, Remainder));
        Assert.Equal(total, await HouseholdsAsync(Layer.Grids, Grid));
        await AssertOneTotalAsync();
    }

    [Fact]
    public async Task Buildings_that_account_for_a_counted_compound_leave_no_remainder_and_deleting_the_compound_takes_it()
    {
        var counted = await PutAsync("compounds", Compound, Feature(Compound, Square(106.82, 27.52, 0.002),
            new JsonObject { ["name"] = "南坛老小区", ["class"] = CompoundClasses.Old, ["households"] = 150 }));
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Equal(150, await HouseholdsAsync(Layer.Buildings, Remainder));
        Assert.Equal(150, await HouseholdsAsync(Layer.Grids, Grid));

        var post = await Http.PostAsync("/api/layers/buildings/features",
            ServerHost.Json(Feature("b2", Square(106.8205, 27.5205, 0.0003), new JsonObject { ["households"] = 150 })));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Null(await _host.Store.GetAsync(Layer.Buildings, Remainder));
        var grid = (await _host.Store.GetAsync(Layer.Grids, Grid))!;
        Assert.Equal(0, grid.Integer("households"));
        Assert.Empty(grid.Properties["unit_ids"]!.AsArray());
        await AssertOneTotalAsync();

        // Back to a remainder when the building goes; then the compound goes and its remainder with it.
        Assert.Equal(HttpStatusCode.NoContent, (await ServerHost.DeleteAsync(Http, "/api/layers/buildings/features/b2")).StatusCode);
        Assert.Equal(150, await HouseholdsAsync(Layer.Buildings, Remainder));
        Assert.Equal(HttpStatusCode.NoContent, (await ServerHost.DeleteAsync(Http, $"/api/layers/compounds/features/{Compound}")).StatusCode);
        Assert.Null(await _host.Store.GetAsync(Layer.Buildings, Remainder));
    }

    [Fact]
    public async Task A_stale_building_write_is_refused_and_changes_nothing()
    {
        var before = await TinyCity.FingerprintAsync(_host.Store);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/layers/buildings/features")
        {
            Content = ServerHost.Json(Feature(Remainder, Square(106.8205, 27.5205, 0.0002), new JsonObject { ["households"] = 5 })),
        };
        var duplicate = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var stale = new HttpRequestMessage(HttpMethod.Delete, $"/api/layers/compounds/features/{Compound}");
        stale.Headers.IfMatch.Add(new("\"99\""));
        var refused = await Http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store));
    }
}

public sealed class SqliteOneTotalApiTests() : OneTotalApiTests("sqlite");

public sealed class PostGisOneTotalApiTests() : OneTotalApiTests("postgis");
