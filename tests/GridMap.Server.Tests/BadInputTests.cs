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

    /// <param name="IfMatch"><see cref="LayerVersion"/>: the layer's current version, as a well-behaved client sends it.</param>
    /// <param name="ContentType">The body's content type (GeoJSON unless given; "" for none).</param>
    public sealed record Case(string Name, string Method, string Path, string? Body, int Status, string Where, string? IfMatch = null,
        string ContentType = "application/geo+json")
    {
        public override string ToString() => Name;
    }

    const string LayerVersion = "(layer version)";

    const string Square = "[[[106.821,27.521],[106.822,27.521],[106.822,27.522],[106.821,27.522],[106.821,27.521]]]";

    static string Building(string props, string geometry = $$"""{"type":"Polygon","coordinates":{{Square}}}""", string id = "b9") =>
        "{\"type\":\"Feature\",\"id\":\"" + id + "\",\"geometry\":" + geometry + ",\"properties\":{" + props + "}}";

    static string Collection(params string[] features) => $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""";

    static readonly string Huge = Building($"\"address\":\"{new string('x', 70 * 1024)}\"", id: "big");

    public static readonly TheoryData<Case> Cases =
    [
        new("malformed JSON", "POST", "/api/layers/buildings/features", """{"type":"Feature",""", 400, "body"),
        new("malformed JSON in an upload", "POST", "/api/layers/buildings/import", """{"type":"FeatureCollection","features":[{]}""", 400, "body", IfMatch: LayerVersion),
        new("empty body", "POST", "/api/layers/buildings/features", "", 400, "body"),
        new("not a Feature", "POST", "/api/layers/buildings/features", """{"type":"Point","coordinates":[106.8,27.5]}""", 400, "type"),
        new("FeatureCollection without features", "POST", "/api/layers/buildings/import", """{"type":"FeatureCollection"}""", 400, "features", IfMatch: LayerVersion),
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
            Collection(Building("\"households\":3", id: "x1"), Building("\"households\":4", id: "x1")), 400, "features[1].id", IfMatch: LayerVersion),
        new("one bad feature in an upload of good ones", "POST", "/api/layers/buildings/import",
            Collection(Building("\"households\":3", id: "x1"), Building("\"households\":3", id: "x2"), Building("\"households\":-1", id: "x3")), 400, "features[2].properties.households", IfMatch: LayerVersion),
        new("upload to replace a layer with a bad feature", "POST", "/api/layers/buildings/import?mode=replace",
            Collection(Building("\"households\":3", id: "x1"), Building("\"levels\":\"tall\"", id: "x2")), 400, "features[1].properties.levels", IfMatch: LayerVersion),
        new("unknown import mode", "POST", "/api/layers/buildings/import?mode=merge", Collection(Building("\"households\":3")), 400, "mode", IfMatch: LayerVersion),
        new("deeply nested JSON", "POST", "/api/layers/buildings/features", new string('[', 200) + new string(']', 200), 400, "body"),
        new("bbox with three numbers", "GET", "/api/layers/buildings/features?bbox=106,27,107", null, 400, "bbox"),
        new("bbox min above max", "GET", "/api/layers/buildings/features?bbox=107,27,106,28", null, 400, "bbox"),
        new("page size too large", "GET", "/api/layers/buildings/features?limit=1000000", null, 400, "limit"),
        new("lookup without latitude", "GET", "/api/lookup?lon=106.8", null, 400, "lat"),
        new("lookup outside lon/lat range", "GET", "/api/lookup?lon=500&lat=27.5", null, 400, "lon"),
        new("search without text", "GET", "/api/search?q=", null, 400, "q"),
        new("OSM upload that is not OSM", "POST", "/api/import/osm?format=pbf", "this is not a protobuf file", 400, "body", ContentType: "application/octet-stream"),
        // Versions are required (contract): replace and delete name the feature's, an import the layer's.
        new("replace without If-Match", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "b1"), 428, "If-Match"),
        new("delete without If-Match", "DELETE", "/api/layers/stations/features/s1", null, 428, "If-Match"),
        new("delete with If-Match: *", "DELETE", "/api/layers/stations/features/s1", null, 428, "If-Match", IfMatch: "*"),
        new("import without If-Match", "POST", "/api/layers/buildings/import", Collection(Building("\"households\":3")), 428, "If-Match"),
        new("replace import without If-Match", "POST", "/api/layers/grids/import?mode=replace", Collection(), 428, "If-Match"),
        new("import with a stale layer version", "POST", "/api/layers/buildings/import", Collection(Building("\"households\":3")), 412, "If-Match", IfMatch: "\"0\""),
        new("restore without If-Match", "POST", "/api/layers/stations/features/s1/restore", """{"version":1}""", 428, "If-Match", ContentType: "application/json"),
        // Only JSON, GeoJSON and documented upload types may write: a cross-site form or text/plain post gets 415.
        new("text/plain write", "POST", "/api/layers/buildings/features", Building("\"households\":3"), 415, "Content-Type", ContentType: "text/plain"),
        new("form-urlencoded write", "POST", "/api/grids/assign", "assignments=x", 415, "Content-Type", ContentType: "application/x-www-form-urlencoded"),
        new("multipart write", "POST", "/api/layers/buildings/import", "--x\r\n\r\n{}\r\n--x--", 415, "Content-Type", IfMatch: LayerVersion, ContentType: "multipart/form-data; boundary=x"),
        new("write without a content type", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "b1"), 415, "Content-Type", IfMatch: "\"1\"", ContentType: ""),
        new("empty form posted cross-site", "POST", "/api/changes/1/revert", "", 415, "Content-Type", ContentType: "application/x-www-form-urlencoded"),
        new("text/plain revert", "POST", "/api/changes/1/revert", "{}", 415, "Content-Type", ContentType: "text/plain"),
        new("OSM upload as text/plain", "POST", "/api/import/osm?format=osm", "<osm/>", 415, "Content-Type", ContentType: "text/plain"),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Is_refused_with_a_problem_that_says_where_and_changes_nothing(Case c)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(c.Body));
            if (c.ContentType != "") request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        var ifMatch = c.IfMatch == LayerVersion
            ? (await _host.Http.GetAsync(c.Path.Split('?')[0].Replace("/import", ""))).Headers.ETag!.Tag
            : c.IfMatch;
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);

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
