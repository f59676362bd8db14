using System.Net;
using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;

namespace GridMap.Server.Tests;

/// <summary>
/// Restoring a grid's version brings back its building membership through the assign engine (docs/history.md): on the
/// sample city and both stores, a building moved to the neighbouring grid comes back whether the grid that lost it or the
/// grid that gained it is restored; dry runs write nothing; the versions map is required and checked.
/// </summary>
public abstract class GridRestoreTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;
    StoredFeature _from = null!, _to = null!;
    string _building = "";

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 1000))).Features
            .Where(g => g.Text("type") is null or "basic" && g.Text("status") != "retired").OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
        // Two neighbouring grids of one community, and a whole building of the first.
        (_from, _to) = grids.SelectMany(a => grids.Where(b => b.Id != a.Id && b.Text("community_code") == a.Text("community_code")
                && a.Geometry.Distance(b.Geometry) < 1e-9).Select(b => (a, b))).First();
        var buildings = (await _host.Store.ListAsync(Layer.Buildings, new(null, 10_000))).Features;
        _building = buildings.First(b => b.Text("grid_code") == _from.Id && !HouseholdEstimator.IsRemainder(b.Properties) && Units(_from).Contains(b.Id)).Id;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    static HashSet<string> Units(StoredFeature grid) => grid.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()).ToHashSet();

    async Task<StoredFeature> GridAsync(string code) => (await _host.Store.GetAsync(Layer.Grids, code))!;

    async Task<HttpResponseMessage> PostAsync(string path, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = ServerHost.Json(System.Text.Json.JsonSerializer.Serialize(body), "application/json") };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await Http.SendAsync(request);
    }

    static async Task<JsonNode> JsonOf(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    async Task MoveAsync(string building, string to)
    {
        var (a, b) = (await GridAsync(_from.Id), await GridAsync(_to.Id));
        await JsonOf(await PostAsync("/api/grids/assign", new
        {
            assignments = new[] { new { building, grid = to } },
            versions = new Dictionary<string, long> { [a.Id] = a.Version, [b.Id] = b.Version },
        }));
    }

    Task<HttpResponseMessage> RestoreAsync(string code, long version, long ifMatch, object? versions = null, bool? dryRun = null) =>
        PostAsync($"/api/layers/grids/features/{code}/restore",
            dryRun is null ? new { version, versions } : new { version, versions, dry_run = dryRun }, $"\"{ifMatch}\"");

    async Task AsAtFirstAsync()
    {
        var (a, b) = (await GridAsync(_from.Id), await GridAsync(_to.Id));
        Assert.Equal(Units(_from), Units(a));
        Assert.Equal(Units(_to), Units(b));
        Assert.Equal(_from.Integer("households"), a.Integer("households"));
        Assert.Equal(_to.Integer("households"), b.Integer("households"));
        Assert.Equal(_from.Id, (await _host.Store.GetAsync(Layer.Buildings, _building))!.Text("grid_code"));
    }

    [Fact]
    public async Task Restoring_the_grid_that_gained_a_building_sends_it_back_to_the_grid_that_held_it()
    {
        await MoveAsync(_building, _to.Id);
        var gained = await GridAsync(_to.Id);
        Assert.Contains(_building, Units(gained));

        // A dry run answers as an assign would and writes nothing.
        var before = await TinyCity.FingerprintAsync(_host.Store, [Layer.Grids, Layer.Buildings]);
        var dry = await JsonOf(await RestoreAsync(_to.Id, _to.Version, gained.Version, dryRun: true));
        Assert.True(dry["dry_run"]!.GetValue<bool>());
        var touched = dry["touched"]!["grids"]!.AsObject();
        Assert.Equal(new[] { _from.Id, _to.Id }.Order(), touched.Select(kv => kv.Key).Order());
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store, [Layer.Grids, Layer.Buildings]));

        // The write names every grid it touches, at the version read.
        var missing = await RestoreAsync(_to.Id, _to.Version, gained.Version);
        Assert.Equal(HttpStatusCode.PreconditionRequired, missing.StatusCode);
        var current = new Dictionary<string, long> { [_from.Id] = (await GridAsync(_from.Id)).Version, [_to.Id] = gained.Version };
        var stale = await RestoreAsync(_to.Id, _to.Version, gained.Version, new Dictionary<string, long>(current) { [_from.Id] = current[_from.Id] - 1 });
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store, [Layer.Grids, Layer.Buildings]));

        var restored = await JsonOf(await RestoreAsync(_to.Id, _to.Version, gained.Version, current));
        Assert.False(restored["dry_run"]!.GetValue<bool>());
        await AsAtFirstAsync();
        var change = (await _host.Store.ListChangesAsync(1, 0)).Changes[0];
        Assert.Equal((ChangeKinds.Restore, ServerHost.AdminName), (change.Kind, change.Author));

        // Its membership is that of the version now: nothing more to bring back.
        var again = await RestoreAsync(_to.Id, _to.Version, (await GridAsync(_to.Id)).Version, dryRun: true);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Equal("already_current", (await JsonOf(again, HttpStatusCode.UnprocessableEntity))["errors"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Restoring_the_grid_that_lost_a_building_brings_it_back_and_a_stale_if_match_is_refused()
    {
        await MoveAsync(_building, _to.Id);
        var lost = await GridAsync(_from.Id);
        Assert.DoesNotContain(_building, Units(lost));
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await RestoreAsync(_from.Id, _from.Version, lost.Version - 1, dryRun: true)).StatusCode);

        var versions = new Dictionary<string, long> { [_from.Id] = lost.Version, [_to.Id] = (await GridAsync(_to.Id)).Version };
        await JsonOf(await RestoreAsync(_from.Id, _from.Version, lost.Version, versions));
        await AsAtFirstAsync();
        // The restore is a change set of its own: reverting it moves the building out again.
        var restore = (await _host.Store.ListChangesAsync(1, 0)).Changes[0];
        await JsonOf(await PostAsync($"/api/changes/{restore.Id}/revert", new { }));
        Assert.Equal(_to.Id, (await _host.Store.GetAsync(Layer.Buildings, _building))!.Text("grid_code"));
    }

    [Fact]
    public async Task Malformed_versions_and_a_planner_out_of_scope_are_refused_and_write_nothing()
    {
        await MoveAsync(_building, _to.Id);
        var gained = await GridAsync(_to.Id);
        var before = await TinyCity.FingerprintAsync(_host.Store, [Layer.Grids, Layer.Buildings]);
        var good = new Dictionary<string, long> { [_from.Id] = (await GridAsync(_from.Id)).Version, [_to.Id] = gained.Version };

        // Each malformed versions map is a 400 naming where it is wrong.
        foreach (var (versions, pointer) in new (object, string)[]
        {
            ("abc", "/versions"),
            (new[] { 1, 2 }, "/versions"),
            (new Dictionary<string, object> { [_from.Id] = "7", [_to.Id] = gained.Version }, $"/versions/{_from.Id}"),
            (new Dictionary<string, object> { [_from.Id] = -1, [_to.Id] = gained.Version }, $"/versions/{_from.Id}"),
            (new Dictionary<string, object> { [_from.Id] = 1.5, [_to.Id] = gained.Version }, $"/versions/{_from.Id}"),
        })
        {
            var response = await RestoreAsync(_to.Id, _to.Version, gained.Version, versions);
            var problem = await JsonOf(response, HttpStatusCode.BadRequest);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(pointer, problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }

        // A planner of another community may not restore this grid; one of its own may.
        var community = _to.Text("community_code")!;
        var other = (await _host.Store.ListAsync(Layer.Communities, new(null, 100))).Features.Select(c => c.Id).First(c => c != community);
        var outside = await _host.ClientAsync("planner", scope: other, name: "planner-outside");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/layers/grids/features/{_to.Id}/restore")
        {
            Content = ServerHost.Json(System.Text.Json.JsonSerializer.Serialize(new { version = _to.Version, versions = good }), "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{gained.Version}\"");
        var refused = await outside.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store, [Layer.Grids, Layer.Buildings]));

        var inside = await _host.ClientAsync("planner", scope: community, name: "planner-inside");
        request = new HttpRequestMessage(HttpMethod.Post, $"/api/layers/grids/features/{_to.Id}/restore")
        {
            Content = ServerHost.Json(System.Text.Json.JsonSerializer.Serialize(new { version = _to.Version, versions = good }), "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{gained.Version}\"");
        await JsonOf(await inside.SendAsync(request));
        await AsAtFirstAsync();
    }
}

public sealed class SqliteGridRestoreTests() : GridRestoreTests("sqlite");

public sealed class PostGisGridRestoreTests() : GridRestoreTests("postgis");
