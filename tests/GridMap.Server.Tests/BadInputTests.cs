using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>
/// Bad input never crashes and never half-writes: each case gets a 4xx application/problem+json
/// naming where the problem is, and the store's fingerprint is the same afterwards. Run on both stores.
/// </summary>
public abstract class BadInputTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    string _before = "";

    public async Task InitializeAsync()
    {
        // A small feature limit lets the oversized-payload case stay small.
        _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { MaxFeatureBytes = 64 * 1024, MaxUploadBytes = 256 * 1024 });
        await TinyCity.LoadAsync(_host.Http);
        _before = await TinyCity.FingerprintAsync(_host.Store);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public sealed record Case(string Name, string Method, string Path, string? Body, int Status, string Where, string? IfMatch = null)
    {
        public override string ToString() => Name;
    }

    const string Square = "[[[106.821,27.521],[106.822,27.521],[106.822,27.522],[106.821,27.522],[106.821,27.521]]]";

    static string Building(string props, string geometry = $$"""{"type":"Polygon","coordinates":{{Square}}}""", string id = "b9") =>
        "{\"type\":\"Feature\",\"id\":\"" + id + "\",\"geometry\":" + geometry + ",\"properties\":{" + props + "}}";

    static string Collection(params string[] features) => $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""";

    static readonly string Huge = Building($"\"address\":\"{new string('x', 70 * 1024)}\"", id: "big");

    public static readonly TheoryData<Case> Cases =
    [
        new("malformed JSON", "POST", "/api/layers/buildings/features", """{"type":"Feature",""", 400, "body"),
        new("malformed JSON in an upload", "POST", "/api/layers/buildings/import", """{"type":"FeatureCollection","features":[{]}""", 400, "body"),
        new("empty body", "POST", "/api/layers/buildings/features", "", 400, "body"),
        new("not a Feature", "POST", "/api/layers/buildings/features", """{"type":"Point","coordinates":[106.8,27.5]}""", 400, "type"),
        new("FeatureCollection without features", "POST", "/api/layers/buildings/import", """{"type":"FeatureCollection"}""", 400, "features"),
        new("wrong geometry type", "POST", "/api/layers/compounds/features",
            """{"type":"Feature","id":"c9","geometry":{"type":"LineString","coordinates":[[106.8,27.5],[106.81,27.51]]},"properties":{"class":"old"}}""", 400, "geometry"),
        new("missing geometry", "POST", "/api/layers/buildings/features", """{"type":"Feature","id":"b9","geometry":null,"properties":{"households":3}}""", 400, "geometry"),
        new("unclosed polygon ring", "POST", "/api/layers/buildings/features",
            Building("\"households\":3", """{"type":"Polygon","coordinates":[[[106.821,27.521],[106.822,27.521],[106.822,27.522]]]}"""), 400, "geometry"),
        new("longitude out of range", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s9","geometry":{"type":"Point","coordinates":[206.8,27.5]},"properties":{"kind":"clinic"}}""", 400, "geometry"),
        new("latitude out of range", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s9","geometry":{"type":"Point","coordinates":[106.8,97.5]},"properties":{"kind":"clinic"}}""", 400, "geometry"),
        new("non-integer households", "POST", "/api/layers/buildings/features", Building("\"households\":2.5"), 400, "properties.households"),
        new("negative households", "POST", "/api/layers/buildings/features", Building("\"households\":-4"), 400, "properties.households"),
        new("households as text", "POST", "/api/layers/buildings/features", Building("\"households\":\"12\""), 400, "properties.households"),
        new("unit with fractional households", "POST", "/api/layers/buildings/features",
            Building("\"households\":10,\"units\":[{\"id\":\"1\",\"households\":1.5}]"), 400, "properties.units"),
        new("unknown compound class", "POST", "/api/layers/compounds/features",
            """{"type":"Feature","id":"c9","geometry":{"type":"Polygon","coordinates":[[[106.82,27.52],[106.83,27.52],[106.83,27.53],[106.82,27.52]]]},"properties":{"class":"villa"}}""", 400, "properties.class"),
        new("unknown station kind", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s9","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"kind":"spa"}}""", 400, "properties.kind"),
        new("missing station kind", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s9","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"name":"x"}}""", 400, "properties.kind"),
        new("district code not 6 digits", "POST", "/api/layers/districts/features",
            """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.50]]]},"properties":{"code":"5203","name":"x"}}""", 400, "properties.code"),
        new("grid id that is not its code", "POST", "/api/layers/grids/features",
            """{"type":"Feature","id":"g1","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.50]]]},"properties":{"code":"520304001001002"}}""", 400, "id"),
        new("unknown layer", "POST", "/api/layers/parks/features", Building("\"households\":3"), 404, "layer"),
        new("unknown layer listed", "GET", "/api/layers/parks/features", null, 404, "layer"),
        new("unknown id", "GET", "/api/layers/buildings/features/nope", null, 404, "id"),
        new("replace of unknown id", "PUT", "/api/layers/buildings/features/nope", Building("\"households\":3", id: "nope"), 404, "id"),
        new("delete of unknown id", "DELETE", "/api/layers/buildings/features/nope", null, 404, "id"),
        new("id in body differs from URL", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "b2"), 400, "id"),
        new("existing id created again", "POST", "/api/layers/buildings/features", Building("\"households\":3", id: "b1"), 409, "id"),
        new("stale version", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "b1"), 412, "If-Match", IfMatch: "\"7\""),
        new("stale version on delete", "DELETE", "/api/layers/buildings/features/b1", null, 412, "If-Match", IfMatch: "\"7\""),
        new("malformed If-Match", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "b1"), 400, "If-Match", IfMatch: "\"v-one\""),
        new("oversized payload", "POST", "/api/layers/buildings/features", Huge, 413, "body"),
        new("duplicate ids in an upload", "POST", "/api/layers/buildings/import",
            Collection(Building("\"households\":3", id: "x1"), Building("\"households\":4", id: "x1")), 400, "features[1].id"),
        new("one bad feature in an upload of good ones", "POST", "/api/layers/buildings/import",
            Collection(Building("\"households\":3", id: "x1"), Building("\"households\":3", id: "x2"), Building("\"households\":-1", id: "x3")), 400, "features[2].properties.households"),
        new("upload to replace a layer with a bad feature", "POST", "/api/layers/buildings/import?mode=replace",
            Collection(Building("\"households\":3", id: "x1"), Building("\"levels\":\"tall\"", id: "x2")), 400, "features[1].properties.levels"),
        new("unknown import mode", "POST", "/api/layers/buildings/import?mode=merge", Collection(Building("\"households\":3")), 400, "mode"),
        new("deeply nested JSON", "POST", "/api/layers/buildings/features", new string('[', 200) + new string(']', 200), 400, "body"),
        new("bbox with three numbers", "GET", "/api/layers/buildings/features?bbox=106,27,107", null, 400, "bbox"),
        new("bbox min above max", "GET", "/api/layers/buildings/features?bbox=107,27,106,28", null, 400, "bbox"),
        new("page size too large", "GET", "/api/layers/buildings/features?limit=1000000", null, 400, "limit"),
        new("lookup without latitude", "GET", "/api/lookup?lon=106.8", null, 400, "lat"),
        new("lookup outside lon/lat range", "GET", "/api/lookup?lon=500&lat=27.5", null, 400, "lon"),
        new("search without text", "GET", "/api/search?q=", null, 400, "q"),
        new("OSM upload that is not OSM", "POST", "/api/import/osm?format=pbf", "this is not a protobuf file", 400, "body"),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Is_refused_with_a_problem_that_says_where_and_changes_nothing(Case c)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body is not null) request.Content = ServerHost.Json(c.Body);
        if (c.IfMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", c.IfMatch);

        var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(c.Status == (int)response.StatusCode, $"{c.Name}: expected {c.Status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(c.Status, problem.RootElement.GetProperty("status").GetInt32());
        var pointers = problem.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("pointer").GetString()).ToList();
        Assert.True(pointers.Any(p => p!.Contains(c.Where, StringComparison.Ordinal)), $"{c.Name}: no error at '{c.Where}' in {text}");
        Assert.Equal(_before, await TinyCity.FingerprintAsync(_host.Store));
    }
}

public sealed class SqliteBadInputTests() : BadInputTests("sqlite");

public sealed class PostGisBadInputTests() : BadInputTests("postgis");
