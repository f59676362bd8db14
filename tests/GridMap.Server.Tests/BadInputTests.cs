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
        _host = await ServerHost.StartAsync(storeKind, Options);
        await TinyCity.LoadAsync(_host.Http);
        _before = await TinyCity.FingerprintAsync(_host.Store);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Small limits, so the oversized cases stay small.</summary>
    public static readonly GridMapOptions Options = new()
    {
        MaxFeatureBytes = 64 * 1024, MaxUploadBytes = 256 * 1024, MaxJsonBytes = 96 * 1024, MaxImportFeatures = 5,
    };

    /// <param name="IfMatch"><see cref="LayerVersion"/>: the layer's current version, as a well-behaved client sends it.</param>
    /// <param name="ContentType">The body's content type (GeoJSON unless given; "" for none).</param>
    /// <param name="Code">The code the error at <paramref name="Where"/> must carry (unchecked when null).</param>
    public sealed record Case(string Name, string Method, string Path, string? Body, int Status, string Where, string? IfMatch = null,
        string ContentType = "application/geo+json", string? Code = null, string? Accept = null)
    {
        public override string ToString() => Name;
    }

    const string LayerVersion = "(layer version)";

    const string Square = "[[[106.821,27.521],[106.822,27.521],[106.822,27.522],[106.821,27.522],[106.821,27.521]]]";

    static string Building(string props, string geometry = $$"""{"type":"Polygon","coordinates":{{Square}}}""", string id = "b9") =>
        "{\"type\":\"Feature\",\"id\":\"" + id + "\",\"geometry\":" + geometry + ",\"properties\":{" + props + "}}";

    static string Collection(params string[] features) => $$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}""";

    static readonly string Huge = Building($"\"address\":\"{new string('x', 70 * 1024)}\"", id: "big");

    /// <summary>A self-intersecting zig-zag ring of about <paramref name="n"/> vertices: GeometryFixer's worst case.</summary>
    public static string ZigZag(int n)
    {
        var points = new List<string>();
        for (var i = 0; i < n - 1; i++)
            points.Add(FormattableString.Invariant($"[{106.821 + i * 0.00001:0.#######},{27.521 + (i % 2 == 0 ? 0 : 0.001):0.#######}]"));
        // Back across every tooth: each closing edge crosses the teeth.
        points.Add(FormattableString.Invariant($"[{106.821 + (n - 2) * 0.00001:0.#######},{27.5205:0.#######}]"));
        points.Add(FormattableString.Invariant($"[{106.821:0.#######},{27.5215:0.#######}]"));
        points.Add(points[0]);
        return $$"""{"type":"Polygon","coordinates":[[{{string.Join(",", points)}}]]}""";
    }

    const string WhatIf = "/api/coverage/whatif";

    /// <summary>Hostile input both stores must refuse alike (issue 12): text, numbers, shapes and sizes.</summary>
    public static TheoryData<Case> Hostile => new(HostileCases);

    public static readonly Case[] HostileCases =
    [
        new("lone surrogate in a feature id", "POST", "/api/layers/buildings/features", Building("\"households\":3", id: "\\ud800"), 422, "id", Code: "invalid_text"),
        new("lone surrogate in a property", "POST", "/api/layers/buildings/features", Building("\"households\":3,\"name\":\"a\\udc00b\""), 422, "properties.name", Code: "invalid_text"),
        new("lone surrogate in a schema property", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s9","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"kind":"clinic","name":"\ud800"}}""", 422, "properties.name", Code: "invalid_text"),
        new("lone surrogate in a property name", "POST", "/api/layers/buildings/features", Building("\"households\":3,\"\\ud800\":1"), 422, "properties", Code: "invalid_text"),
        // A replace reads the body's id against the URL's: a lone surrogate there was a 500 (fuzzer, seed 1).
        new("lone surrogate in a replaced feature's id", "PUT", "/api/layers/buildings/features/b1", Building("\"households\":3", id: "\\ud800"), 422, "id", Code: "invalid_text"),
        new("NUL in a community's band", "PUT", "/api/settings/band?community=%00", "{\"min\":200,\"max\":300}", 400, "community", IfMatch: "\"0\"", ContentType: "application/json", Code: "bad_parameter"),
        new("NUL in a token's account", "POST", "/api/tokens", "{\"account\":\"a\\u0000b\"}", 404, "account", ContentType: "application/json"),
        new("NUL in a property value", "POST", "/api/layers/buildings/features", Building("\"households\":3,\"address\":\"a\\u0000b\""), 422, "properties.address", Code: "invalid_text"),
        new("NUL in a property name", "POST", "/api/layers/buildings/features", Building("\"households\":3,\"a\\u0000\":1"), 422, "properties", Code: "invalid_text"),
        new("NUL in a nested value", "POST", "/api/layers/buildings/features", Building("\"households\":3,\"tags\":{\"x\":[\"\\u0000\"]}"), 422, "properties.tags.x[0]", Code: "invalid_text"),
        new("NUL in a feature id", "POST", "/api/layers/stations/features",
            """{"type":"Feature","id":"s\u0000","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"kind":"clinic"}}""", 422, "id", Code: "invalid_text"),
        new("lone surrogate in an import", "POST", "/api/layers/buildings/import",
            Collection(Building("\"households\":3", id: "x1"), Building("\"households\":3,\"note\":\"\\udfff\"", id: "x2")), 422, "features[1].properties.note", IfMatch: LayerVersion, Code: "invalid_text"),
        new("NUL in search", "GET", "/api/search?q=a%00b", null, 422, "q", Code: "invalid_text"),
        new("a property value over 4,000 characters", "POST", "/api/layers/buildings/features", Building($"\"households\":3,\"note\":\"{new string('y', 4001)}\""), 422, "properties.note", Code: "too_long"),
        new("households at int.MaxValue", "POST", "/api/layers/buildings/features", Building("\"households\":2147483647"), 422, "properties.households", Code: "out_of_range"),
        new("households above the cap", "POST", "/api/layers/buildings/features", Building("\"households\":100001"), 422, "properties.households", Code: "out_of_range"),
        new("households above the cap in an import", "POST", "/api/layers/buildings/import",
            Collection(Building("\"households\":2147483647", id: "x1")), 422, "features[0].properties.households", IfMatch: LayerVersion, Code: "out_of_range"),
        new("unit households above the cap", "POST", "/api/layers/buildings/features",
            Building("\"households\":10,\"units\":[{\"id\":\"1\",\"households\":2147483647}]"), 422, "properties.units", Code: "out_of_range"),
        new("minutes beyond an hour", "GET", "/api/coverage?minutes=99999", null, 422, "minutes", Code: "out_of_range"),
        new("meters beyond 5 km", "GET", "/api/coverage/buildings?meters=5001", null, 422, "meters", Code: "out_of_range"),
        new("minutes beyond an hour in what-if", "POST", WhatIf, """{"minutes":"61","changes":[{"op":"add","lon":106.82,"lat":27.52}]}""", 422, "minutes", ContentType: "application/json", Code: "out_of_range"),
        new("minutes beyond an hour in siting", "POST", "/api/coverage/sites", """{"minutes":"600","add":1}""", 422, "minutes", ContentType: "application/json", Code: "out_of_range"),
        new("a null change in what-if", "POST", WhatIf, """{"changes":[null]}""", 400, "changes/0", ContentType: "application/json"),
        new("changes that are not a list", "POST", WhatIf, """{"changes":"x"}""", 400, "body.changes", ContentType: "application/json", Code: "malformed_json"),
        new("a number where text goes in what-if", "POST", WhatIf, """{"minutes":15,"changes":[]}""", 400, "body.minutes", ContentType: "application/json", Code: "malformed_json"),
        new("malformed JSON in what-if", "POST", WhatIf, """{"changes":[""", 400, "body", ContentType: "application/json", Code: "malformed_json"),
        new("deeply nested JSON in what-if", "POST", WhatIf, "{\"changes\":" + new string('[', 100) + new string(']', 100) + "}", 400, "body", ContentType: "application/json", Code: "malformed_json"),
        new("non-object candidate features", "POST", "/api/coverage/sites", """{"minutes":"15","add":1,"candidates":{"type":"FeatureCollection","features":[1,"x",null]}}""", 400, "candidates", ContentType: "application/json"),
        new("a lone surrogate in a candidate", "POST", "/api/coverage/sites",
            """{"minutes":"15","add":1,"candidates":{"type":"FeatureCollection","features":[{"type":"Feature","id":"\ud800","geometry":{"type":"Point","coordinates":[106.82,27.52]},"properties":{}}]}}""", 422, "candidates", ContentType: "application/json", Code: "invalid_text"),
        new("longitude that is not a number", "GET", "/api/lookup?lon=abc&lat=27.5", null, 400, "lon", Code: "bad_parameter"),
        new("limit that is not a number", "GET", "/api/layers/buildings/features?limit=many", null, 400, "limit", Code: "bad_parameter"),
        new("offset beyond int", "GET", "/api/layers/buildings/features?offset=99999999999", null, 400, "offset", Code: "bad_parameter"),
        new("no such API route", "GET", "/api/nope", null, 404, "/", Code: "not_found"),
        new("wrong method", "DELETE", "/api/lookup?lon=106.8&lat=27.5", null, 405, "/", Code: "method_not_allowed"),
        // A problem is problem+json whatever Accept asks for (the default writer declined, and status pages said text/plain).
        new("wrong method, Accept naming no JSON", "DELETE", "/api/lookup?lon=106.8&lat=27.5", null, 405, "/", Code: "method_not_allowed", Accept: "application/x-nonsense"),
        new("no route, Accept naming no JSON", "GET", "/api/nothing-here", null, 404, "/", Accept: "text/html"),
        new("oversized JSON body", "POST", WhatIf, $$"""{"changes":[],"kind":"{{new string('k', 100 * 1024)}}"}""", 413, "body", ContentType: "application/json", Code: "too_large"),
        new("more features than an import takes", "POST", "/api/layers/buildings/import",
            Collection(Enumerable.Range(1, 6).Select(i => Building("\"households\":3", id: $"x{i}")).ToArray()), 422, "features", IfMatch: LayerVersion, Code: "too_many_features"),
        new("invalid polygon too large to repair", "POST", "/api/layers/compounds/features",
            "{\"type\":\"Feature\",\"id\":\"c9\",\"geometry\":" + ZigZag(600) + ",\"properties\":{\"class\":\"old\"}}", 422, "geometry", Code: "too_complex_to_repair"),
        new("empty upsert import", "POST", "/api/layers/buildings/import", Collection(), 422, "features", IfMatch: LayerVersion, Code: "nothing_to_import"),
        new("empty replace import", "POST", "/api/layers/buildings/import?mode=replace", Collection(), 422, "features", IfMatch: LayerVersion, Code: "nothing_to_import"),
        new("replace import whose every feature is refused", "POST", "/api/layers/stations/import?mode=replace",
            """{"type":"FeatureCollection","features":[{"type":"Feature","id":"s8","geometry":{"type":"Point","coordinates":[106.8,27.5]},"properties":{"kind":"spa"}},{"type":"Feature","id":"s9","geometry":null,"properties":{"kind":"clinic"}}]}""",
            400, "features[0].properties.kind", IfMatch: LayerVersion),
    ];

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
    public Task Is_refused_with_a_problem_that_says_where_and_changes_nothing(Case c) => RefusedAsync(c);

    [Theory]
    [MemberData(nameof(Hostile))]
    public Task Hostile_input_is_refused_alike_with_a_problem_and_changes_nothing(Case c) => RefusedAsync(c);

    async Task RefusedAsync(Case c)
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
        if (c.Accept is not null) request.Headers.TryAddWithoutValidation("Accept", c.Accept);

        var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(c.Status == (int)response.StatusCode, $"{c.Name}: expected {c.Status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(c.Status, problem.RootElement.GetProperty("status").GetInt32());
        var pointers = problem.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("pointer").GetString()).ToList();
        Assert.True(pointers.Any(p => p!.Contains(c.Where, StringComparison.Ordinal)), $"{c.Name}: no error at '{c.Where}' in {text}");
        foreach (var e in problem.RootElement.GetProperty("errors").EnumerateArray())
            Assert.True(e.TryGetProperty("code", out var code) && code.GetString() is { Length: > 0 }, $"{c.Name}: an error without code in {text}");
        if (c.Code is not null)
            Assert.True(problem.RootElement.GetProperty("errors").EnumerateArray().Any(e => e.GetProperty("code").GetString() == c.Code
                && e.GetProperty("pointer").GetString()!.Contains(c.Where, StringComparison.Ordinal)), $"{c.Name}: no {c.Code} at '{c.Where}' in {text}");
        Assert.DoesNotContain("   at ", text); // no stack trace
        Assert.Equal(_before, await TinyCity.FingerprintAsync(_host.Store));
    }

    [Fact]
    public async Task Properties_nested_as_deep_as_a_body_may_be_read_back_in_lists_and_history()
    {
        // 60 levels inside properties: within the 64 a feature body may nest. Answers wrap them in a few levels of their
        // own (a collection, a history entry's before and after): a 500 once, when the answer hit the same depth limit.
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 60)) + "1" + new string('}', 60);
        var created = await _host.Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(Building($"\"households\":3,\"deep\":{deep}", id: "deep")));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        foreach (var path in new[] { "/api/layers/buildings/features/deep", "/api/layers/buildings/features?limit=1000", "/api/layers/buildings/features/deep/history" })
        {
            var response = await _host.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Altitude_is_dropped_and_said_so_and_the_feature_stored_as_lon_lat()
    {
        var response = await _host.Http.PostAsync("/api/layers/stations/features", ServerHost.Json(
            """{"type":"Feature","id":"s3d","geometry":{"type":"Point","coordinates":[106.825,27.526,1021.5]},"properties":{"kind":"clinic","name":"高处"}}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.Contains("altitude dropped", text);
        var stored = await _host.Store.GetAsync(GridMap.Core.Model.Layer.Stations, "s3d");
        Assert.Equal("POINT (106.825 27.526)", stored!.Geometry.AsText());
        Assert.True(double.IsNaN(stored.Geometry.Coordinate.Z));

        var polygon = await _host.Http.PostAsync("/api/layers/special_areas/features", ServerHost.Json(
            """{"type":"Feature","id":"sa3d","geometry":{"type":"Polygon","coordinates":[[[106.841,27.541,5],[106.842,27.541,5],[106.842,27.542,6],[106.841,27.541,5]]]},"properties":{"kind":"school","name":"x"}}"""));
        Assert.True(polygon.StatusCode == HttpStatusCode.Created, await polygon.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_repaired_polygon_is_stored_valid_at_stored_precision()
    {
        // A small zig-zag (below the repair cap) is repaired; what is stored, and read back, is valid.
        var response = await _host.Http.PostAsync("/api/layers/compounds/features", ServerHost.Json(
            "{\"type\":\"Feature\",\"id\":\"zz\",\"geometry\":" + ZigZag(300) + ",\"properties\":{\"class\":\"old\"}}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.Contains("repaired invalid polygon", text);
        var stored = await _host.Store.GetAsync(GridMap.Core.Model.Layer.Compounds, "zz");
        Assert.True(stored!.Geometry.IsValid);
        var readBack = GridMap.IO.GeoJson.GeoJsonFeatures.Read(GridMap.Core.Model.Layer.Compounds, text);
        Assert.True(readBack.IsValid, string.Join("; ", readBack.Problems.Select(p => p.Message)));
        Assert.Empty(readBack.Repairs);
    }

    [Fact]
    public async Task A_numeric_code_on_a_layer_without_codes_is_kept_as_a_property()
    {
        var response = await _host.Http.PostAsync("/api/layers/buildings/features", ServerHost.Json(Building("\"households\":3,\"code\":42", id: "bcode")));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }
}

public sealed class SqliteBadInputTests() : BadInputTests("sqlite");

public sealed class PostGisBadInputTests() : BadInputTests("postgis");
