using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>
/// Every write endpoint × every role, in and out of scope, on the sample city: the status each gets is the documented
/// one. The table in docs/security.md is generated from this test (GRIDMAP_UPDATE_DOCS=1 rewrites it; otherwise the
/// test fails when the doc and the server disagree).
/// </summary>
public sealed class RoleTableTests : IAsyncLifetime
{
    ServerHost _host = null!;
    readonly Dictionary<string, HttpClient> _clients = [];
    string _communityA = "", _communityB = "", _gridG = "", _buildingInG = "", _buildingInA = "", _station = "";

    static readonly string[] Columns = ["admin", "planner", "organisation", "worker", "viewer", "anonymous"];

    public async Task InitializeAsync()
    {
        // Jobs are queued, not run: the table is about who may start them.
        _host = await ServerHost.StartAsync("sqlite", new GridMapOptions { Open = true, RunJobs = false });
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 1000))).Features;
        var buildings = (await _host.Store.ListAsync(Layer.Buildings, new(null, 10_000))).Features;
        var g = grids.OrderBy(x => x.Id, StringComparer.Ordinal).First();
        _gridG = g.Id;
        _communityA = g.Text("community_code")!;
        _communityB = grids.Select(x => x.Text("community_code")!).First(c => c[..9] != _communityA[..9]);
        _buildingInG = buildings.First(b => b.Text("grid_code") == _gridG && !GridMap.Core.Estimation.HouseholdEstimator.IsRemainder(b.Properties)).Id;
        var otherGridInA = grids.First(x => x.Id != _gridG && x.Text("community_code") == _communityA).Id;
        _buildingInA = buildings.First(b => b.Text("grid_code") == otherGridInA && !GridMap.Core.Estimation.HouseholdEstimator.IsRemainder(b.Properties)).Id;
        _station = (await _host.Store.ListAsync(Layer.Stations, new(null, 1))).Features[0].Id;

        _clients["admin"] = _host.Http;
        _clients["planner"] = await _host.ClientAsync(Roles.Planner, _communityA[..9]);
        _clients["organisation"] = await _host.ClientAsync(Roles.Organisation, _communityA[..9]);
        _clients["worker"] = await _host.ClientAsync(Roles.Worker, grids: [_gridG], canEditHouseholds: true);
        _clients["viewer"] = await _host.ClientAsync(Roles.Viewer);
        _clients["anonymous"] = _host.Anonymous;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A point well inside a community (its interior point).</summary>
    async Task<(double Lon, double Lat)> InsideAsync(string community)
    {
        var c = (await _host.Store.GetAsync(Layer.Communities, community))!;
        var p = c.Geometry.InteriorPoint;
        return (p.X, p.Y);
    }

    static string Square(double lon, double lat) => FormattableString.Invariant(
        $"[[[{lon},{lat}],[{lon + 0.0001},{lat}],[{lon + 0.0001},{lat + 0.0001}],[{lon},{lat + 0.0001}],[{lon},{lat}]]]");

    static StringContent GeoJson(string json) => new(json, Encoding.UTF8, "application/geo+json");

    static string Polygon(string rings) => $$"""{"type":"Polygon","coordinates":{{rings}}}""";

    static string Feature(string id, string geometry, string properties) =>
        $$"""{"type":"Feature","id":"{{id}}","geometry":{{geometry}},"properties":{{properties}}}""";

    /// <summary>A layer import naming the layer version read.</summary>
    async Task<HttpRequestMessage> ImportAsync(Layer layer, string mode, string collection)
    {
        var version = (await _host.Store.LayerVersionsAsync())[layer];
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/layers/{layer.Key()}/import?mode={mode}") { Content = GeoJson(collection) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
        return request;
    }

    /// <summary>A PUT of a feature as stored, changed by <paramref name="change"/>, naming the version read.</summary>
    async Task<HttpRequestMessage> PutAsync(Layer layer, string id, Action<JsonObject> change)
    {
        var stored = (await _host.Store.GetAsync(layer, id))!;
        var feature = JsonNode.Parse(await _host.Http.GetStringAsync($"/api/layers/{layer.Key()}/features/{id}"))!.AsObject();
        feature.Remove("version");
        change(feature);
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/{layer.Key()}/features/{id}") { Content = GeoJson(feature.ToJsonString()) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{stored.Version}\""));
        return request;
    }

    async Task<HttpRequestMessage> BandAsync(string? community)
    {
        var path = "/api/settings/band" + (community is null ? "" : $"?community={community}");
        var version = (await _host.Http.GetAsync(path)).Headers.ETag?.Tag ?? "\"0\"";
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(new { min = 200, max = 300, target = 250 }) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue(version));
        return request;
    }

    /// <summary>The operations of the table: a row label and a request for one role (fresh each time: versions are read first).</summary>
    IEnumerable<(string Row, Func<string, Task<HttpRequestMessage>> Request)> Operations()
    {
        HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        yield return ("read grids (GET /api/layers/grids/features)", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, "/api/layers/grids/features?limit=1")));
        yield return ("add a building in scope (POST …/buildings/features)", async role =>
        {
            var (lon, lat) = await InsideAsync(_communityA);
            return new HttpRequestMessage(HttpMethod.Post, "/api/layers/buildings/features")
            {
                Content = GeoJson(Feature($"t-a-{role}", Polygon(Square(lon, lat)), """{"households":10}""")),
            };
        });
        yield return ("add a building out of scope", async role =>
        {
            var (lon, lat) = await InsideAsync(_communityB);
            return new HttpRequestMessage(HttpMethod.Post, "/api/layers/buildings/features")
            {
                Content = GeoJson(Feature($"t-b-{role}", Polygon(Square(lon, lat)), """{"households":10}""")),
            };
        });
        yield return ("correct households of a building in the worker's grid (PUT)", _ => PutAsync(Layer.Buildings, _buildingInG,
            f => f["properties"]!["households"] = f["properties"]!["households"]!.GetValue<int>() + 1));
        yield return ("correct households of a building in another grid of scope", _ => PutAsync(Layer.Buildings, _buildingInA,
            f => f["properties"]!["households"] = f["properties"]!["households"]!.GetValue<int>() + 1));
        yield return ("rename a building in the worker's grid (not households)", role => PutAsync(Layer.Buildings, _buildingInG,
            f => f["properties"]!["address"] = $"改名 {role}"));
        yield return ("add a station in scope (POST …/stations/features)", async role =>
        {
            var (lon, lat) = await InsideAsync(_communityA);
            return new HttpRequestMessage(HttpMethod.Post, "/api/layers/stations/features")
            {
                Content = GeoJson(Feature($"t-s-{role}", FormattableString.Invariant($$"""{"type":"Point","coordinates":[{{lon}},{{lat}}]}"""), """{"kind":"clinic","name":"测试站"}""")),
            };
        });
        yield return ("rename a station in scope (PUT)", role => PutAsync(Layer.Stations, _station, f => f["properties"]!["name"] = $"站 {role}"));
        yield return ("add a walking-network edge (layer-wide)", async role =>
        {
            var (lon, lat) = await InsideAsync(_communityA);
            return new HttpRequestMessage(HttpMethod.Post, "/api/layers/network/features")
            {
                Content = GeoJson(Feature($"t-n-{role}", FormattableString.Invariant($$"""{"type":"LineString","coordinates":[[{{lon}},{{lat}}],[{{lon + 0.0005}},{{lat}}]]}"""), """{"highway":"footway"}""")),
            };
        });
        yield return ("upsert import of compounds in scope", async role =>
        {
            var (lon, lat) = await InsideAsync(_communityA);
            return await ImportAsync(Layer.Compounds, "upsert",
                $"{{\"type\":\"FeatureCollection\",\"features\":[{Feature($"t-c-{role}", Polygon(Square(lon + 0.0003, lat + 0.0003)), """{"name":"测试小区","class":"old","households":5}""")}]}}");
        });
        // One special area: an import that holds nothing is refused whoever sends it (422 nothing_to_import).
        yield return ("replace import (layer-wide)", role => ImportAsync(Layer.SpecialAreas, "replace",
            $"{{\"type\":\"FeatureCollection\",\"features\":[{Feature($"t-sa-{role}", Polygon(Square(106.9, 27.6)), """{"kind":"school","name":"x"}""")}]}}"));
        yield return ("OSM upload (layer-wide)", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, "/api/import/osm")
        {
            Content = new ByteArrayContent([]) { Headers = { ContentType = new("application/octet-stream") } },
        }));
        yield return ("assign, dry run, in scope (POST /api/grids/assign)", _ => Task.FromResult(Post("/api/grids/assign",
            new { assignments = new[] { new { building = _buildingInA, grid = _gridG } }, dry_run = true })));
        yield return ("partition job in scope", _ => Task.FromResult(Post("/api/partition/jobs", new { scope = _communityA })));
        yield return ("partition job out of scope", _ => Task.FromResult(Post("/api/partition/jobs", new { scope = _communityB })));
        yield return ("partition job of scope all", _ => Task.FromResult(Post("/api/partition/jobs", new { scope = "all" })));
        yield return ("what-if (POST /api/coverage/whatif)", _ => Task.FromResult(Post("/api/coverage/whatif",
            new { meters = "300", changes = new[] { new { op = "remove", station = _station } } })));
        yield return ("a community's band in scope (PUT)", _ => BandAsync(_communityA));
        yield return ("the store's band (PUT)", _ => BandAsync(null));
        yield return ("read the change sets (GET /api/changes)", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, "/api/changes?limit=1")));
        yield return ("restore an older version of a station in scope (POST …/restore)", async _ =>
        {
            var version = (await _host.Store.GetAsync(Layer.Stations, _station))!.Version;
            var request = Post($"/api/layers/stations/features/{_station}/restore", new { version = 1 });
            request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
            return request;
        });
        yield return ("revert a change set in scope (POST /api/changes/{id}/revert)", async role =>
        {
            // A fresh change set for each role: a building added in the planner's scope.
            var (lon, lat) = await InsideAsync(_communityA);
            await _host.Store.CreateAsync(Layer.Buildings, new FeatureDraft($"t-r-{role}",
                new NetTopologySuite.Geometries.GeometryFactory(new(), 4326).ToGeometry(new NetTopologySuite.Geometries.Envelope(lon + 0.0006, lon + 0.0007, lat, lat + 0.0001)), new JsonObject { ["households"] = 3 }),
                new ChangeInfo("test", ChangeKinds.Create));
            var id = (await _host.Store.ListChangesAsync(1, 0)).Changes[0].Id;
            return new HttpRequestMessage(HttpMethod.Post, $"/api/changes/{id}/revert");
        });
        yield return ("list accounts (GET /api/accounts)", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, "/api/accounts")));
        yield return ("create a token (POST /api/tokens)", _ => Task.FromResult(Post("/api/tokens", new { account = "test-admin" })));
    }

    /// <summary>The documented answers, by row and role ("2xx" where the body decides between 200, 201, 202 and 204).</summary>
    static readonly Dictionary<string, string[]> Expected = new()
    {
        ["read grids (GET /api/layers/grids/features)"] = ["200", "200", "200", "200", "200", "200"],
        ["add a building in scope (POST …/buildings/features)"] = ["201", "201", "403", "403", "403", "401"],
        ["add a building out of scope"] = ["201", "403", "403", "403", "403", "401"],
        ["correct households of a building in the worker's grid (PUT)"] = ["200", "200", "403", "200", "403", "401"],
        ["correct households of a building in another grid of scope"] = ["200", "200", "403", "403", "403", "401"],
        ["rename a building in the worker's grid (not households)"] = ["200", "200", "403", "403", "403", "401"],
        ["add a station in scope (POST …/stations/features)"] = ["201", "403", "201", "403", "403", "401"],
        ["rename a station in scope (PUT)"] = ["200", "403", "200", "403", "403", "401"],
        ["add a walking-network edge (layer-wide)"] = ["201", "403", "403", "403", "403", "401"],
        ["upsert import of compounds in scope"] = ["200", "200", "403", "403", "403", "401"],
        ["replace import (layer-wide)"] = ["200", "403", "403", "403", "403", "401"],
        ["OSM upload (layer-wide)"] = ["422", "403", "403", "403", "403", "401"],
        ["assign, dry run, in scope (POST /api/grids/assign)"] = ["200", "200", "403", "403", "403", "401"],
        ["partition job in scope"] = ["202", "202", "403", "403", "403", "401"],
        ["partition job out of scope"] = ["202", "403", "403", "403", "403", "401"],
        ["partition job of scope all"] = ["202", "403", "403", "403", "403", "401"],
        ["what-if (POST /api/coverage/whatif)"] = ["200", "403", "200", "403", "403", "401"],
        ["a community's band in scope (PUT)"] = ["200", "200", "403", "403", "403", "401"],
        ["the store's band (PUT)"] = ["200", "403", "403", "403", "403", "401"],
        ["read the change sets (GET /api/changes)"] = ["200", "200", "200", "200", "200", "200"],
        ["restore an older version of a station in scope (POST …/restore)"] = ["200", "403", "200", "403", "403", "401"],
        ["revert a change set in scope (POST /api/changes/{id}/revert)"] = ["200", "200", "403", "403", "403", "401"],
        ["list accounts (GET /api/accounts)"] = ["200", "403", "403", "403", "403", "401"],
        ["create a token (POST /api/tokens)"] = ["201", "403", "403", "403", "403", "401"],
    };

    [Fact]
    public async Task Every_write_endpoint_answers_each_role_as_documented_and_docs_security_md_holds_the_table()
    {
        var actual = new Dictionary<string, string[]>();
        var wrong = new List<string>();
        foreach (var (row, request) in Operations())
        {
            var cells = new string[Columns.Length];
            for (var i = 0; i < Columns.Length; i++)
            {
                using var message = await request(Columns[i]);
                using var response = await _clients[Columns[i]].SendAsync(message);
                cells[i] = ((int)response.StatusCode).ToString();
                if ((int)response.StatusCode is 401 or 403)
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                if (Expected.TryGetValue(row, out var want) && want[i] != cells[i])
                    wrong.Add($"{row} as {Columns[i]}: {cells[i]}, documented {want[i]}: {await response.Content.ReadAsStringAsync()}");
            }
            actual[row] = cells;
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Equal(Expected.Keys.Order(), actual.Keys.Order());
        SecurityDoc.Check(Table(actual));
    }

    /// <summary>The markdown table of docs/security.md.</summary>
    static string Table(Dictionary<string, string[]> rows)
    {
        var b = new StringBuilder();
        b.AppendLine($"| operation | {string.Join(" | ", Columns)} |");
        b.AppendLine($"|---|{string.Concat(Columns.Select(_ => "---|"))}");
        foreach (var (row, cells) in rows) b.AppendLine($"| {row} | {string.Join(" | ", cells)} |");
        return b.ToString();
    }
}

/// <summary>docs/security.md's generated role table, between its markers.</summary>
static class SecurityDoc
{
    const string Begin = "<!-- role-table:begin (generated by RoleTableTests; GRIDMAP_UPDATE_DOCS=1 rewrites it) -->";
    const string End = "<!-- role-table:end -->";

    public static void Check(string table)
    {
        var path = GridMap.Server.Hosting.RepoPaths.Find(Path.Combine("docs", "security.md")) ?? throw new InvalidOperationException("docs/security.md not found");
        var text = File.ReadAllText(path);
        var (a, b) = (text.IndexOf(Begin, StringComparison.Ordinal), text.IndexOf(End, StringComparison.Ordinal));
        Assert.True(a >= 0 && b > a, $"{path} has no role-table markers");
        var current = text[(a + Begin.Length)..b].Trim('\n');
        if (Environment.GetEnvironmentVariable("GRIDMAP_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..(a + Begin.Length)] + "\n" + table + text[b..]);
            return;
        }
        Assert.True(current == table.Trim('\n'), $"docs/security.md's role table is not what the server answers; run the test with GRIDMAP_UPDATE_DOCS=1.\nServer:\n{table}");
    }
}
