using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Server.Tiles;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Tests;

/// <summary>
/// Vector tiles (docs/tiles.md) on the sample city and both stores: every layer's tile decodes with GDAL's MVT driver (a
/// real client, not our own reader) to exactly the stored features that intersect the tile, each with its version and
/// never personal data; ETags follow layer versions, so a write re-validates the tiles of exactly the layers it raised and
/// the rest answer 304; bad addresses and unknown layers are problem+json; tiles are reads under the same rule as the rest.
/// </summary>
public abstract partial class TileTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;
    string _work = "";

    /// <summary>A z15 tile at the middle of the sample district: about a quarter of it, cut by every kind of edge.</summary>
    static readonly TileAddress Middle = At(106.8300, 27.5400, 15);

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
        _work = Directory.CreateTempSubdirectory("gridmap-tiles-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(_work, true); } catch (IOException) { }
    }

    /// <summary>The tile holding a lon/lat point at zoom z (the slippy-map formula, independent of the server's code).</summary>
    internal static TileAddress At(double lon, double lat, int z)
    {
        var n = 1 << z;
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var rad = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(rad) + 1 / Math.Cos(rad)) / Math.PI) / 2 * n);
        return new TileAddress(z, x, y);
    }

    internal static string Path(Layer layer, TileAddress t) => $"/tiles/{layer.Key()}/{t.Z}/{t.X}/{t.Y}.mvt";

    /// <summary>The stored features of a layer whose geometry intersects the tile, by id: computed here with NTS, not by the store's bbox query.</summary>
    async Task<Dictionary<string, StoredFeature>> ExpectedAsync(Layer layer, TileAddress tile)
    {
        var box = GeometryFactory.Default.ToGeometry(tile.Bounds);
        var all = (await _host.Store.ListAsync(layer, new FeatureQuery(null, 1_000_000))).Features;
        return all.Where(f => f.Geometry.Intersects(box)).ToDictionary(f => f.Id);
    }

    /// <summary>Phone numbers stored anywhere in the city (grid workers', building heads'): none may reach a tile.</summary>
    async Task<HashSet<string>> PhonesAsync()
    {
        var phones = new HashSet<string>();
        foreach (var layer in Layers.All)
            foreach (var f in (await _host.Store.ListAsync(layer, new FeatureQuery(null, 1_000_000))).Features)
                foreach (var m in PhoneLike().Matches(f.Properties.ToJsonString()).Cast<Match>()) phones.Add(m.Value);
        return phones;
    }

    [GeneratedRegex(@"(?<!\d)1[3-9]\d{9}(?!\d)")]
    private static partial Regex PhoneLike();

    /// <summary>Runs a GDAL program; its standard output.</summary>
    static async Task<string> GdalAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is missing: install Debian's gdal-bin (scripts/test.sh does, as root)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
            return await stdout;
        }
    }

    [Fact]
    public async Task Every_layers_tile_decodes_with_GDAL_to_the_features_of_its_bbox_with_their_versions_and_no_personal_data()
    {
        var phones = await PhonesAsync();
        Assert.NotEmpty(phones); // the sample city's workers have phones: the check below means something
        var viewer = await _host.ClientAsync(Roles.Viewer);
        var nonEmpty = 0;
        foreach (var layer in Layers.All)
        {
            var expected = await ExpectedAsync(layer, Middle);
            var response = await Http.GetAsync(Path(layer, Middle));
            Assert.NotNull(response.Headers.ETag);
            if (expected.Count == 0)
            {
                // Empty tiles answer 204, which MapLibre draws as nothing.
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                continue;
            }
            nonEmpty++;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(TilesApi.ContentType, response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            // The admin's tile is the viewer's: tiles are cacheable and shared, so nobody's carries personal data.
            Assert.Equal(bytes, await viewer.GetByteArrayAsync(Path(layer, Middle)));

            var file = System.IO.Path.Combine(_work, $"{layer.Key()}.mvt");
            await File.WriteAllBytesAsync(file, bytes);
            string[] at = ["-oo", $"X={Middle.X}", "-oo", $"Y={Middle.Y}", "-oo", $"Z={Middle.Z}", "-oo", "CLIP=NO"];
            var info = await GdalAsync("ogrinfo", ["-ro", "-al", "-so", .. at, file]);
            Assert.Contains("using driver `MVT' successful", info);
            Assert.Contains($"Layer name: {layer.Key()}\n", info);
            Assert.Contains($"Feature Count: {expected.Count}\n", info);
            Assert.Contains("version: Integer", info);
            if (layer == Layer.Buildings) Assert.Contains("households: Integer", info); // whole numbers stay integers

            var json = System.IO.Path.Combine(_work, $"{layer.Key()}.geojson");
            await GdalAsync("ogr2ogr", ["-f", "GeoJSON", "-t_srs", "EPSG:4326", .. at, json, file]);
            var text = await File.ReadAllTextAsync(json);
            var decoded = JsonNode.Parse(text)!["features"]!.AsArray().Select(n => n!).ToList();
            var ids = decoded.Select(f => f["properties"]!["id"]!.GetValue<string>()).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));

            // Geometry near the tile (its buffer and a pixel of rounding), of the stored feature's dimension.
            var near = Middle.Buffered(TileEncoder.Buffer + 1, TileEncoder.Extent);
            var geoJson = new System.Text.Json.JsonSerializerOptions { Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory() } };
            foreach (var f in decoded)
            {
                var stored = expected[f["properties"]!["id"]!.GetValue<string>()];
                Assert.Equal(stored.Version, f["properties"]!["version"]!.GetValue<long>());
                var geometry = f["geometry"].Deserialize<Geometry>(geoJson)!;
                Assert.Equal(stored.Geometry.Dimension, geometry.Dimension);
                Assert.True(near.Intersects(geometry.EnvelopeInternal), $"{layer.Key()}/{stored.Id} decodes outside its tile");
            }

            foreach (var output in new[] { info, text })
            {
                Assert.DoesNotContain("workers\"", output);
                Assert.DoesNotContain("workers:", output);
                Assert.DoesNotContain("building_heads", output);
                Assert.DoesNotContain("phone", output, StringComparison.OrdinalIgnoreCase);
                Assert.Empty(PhoneLike().Matches(output));
                Assert.DoesNotContain(phones, output.Contains);
            }
            if (layer == Layer.Grids)
            {
                // What the map colours and labels grids by, band status included; the worker only as a count.
                var grid = decoded.Select(f => f["properties"]!).First(p => p["workers_count"] is not null);
                foreach (var key in new[] { "code", "name", "households", "community_code", "type", "status", "band_status" })
                    Assert.True(grid[key] is not null, $"grid tiles carry {key}");
            }
        }
        Assert.True(nonEmpty >= 7, $"only {nonEmpty} layers had features in the test tile");
    }

    /// <summary>Every layer's tile ETag at the test tile, and the layer versions.</summary>
    async Task<Dictionary<Layer, string>> ETagsAsync()
    {
        var etags = new Dictionary<Layer, string>();
        foreach (var layer in Layers.All)
        {
            var response = await Http.GetAsync(Path(layer, Middle));
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{layer}: {response.StatusCode}");
            Assert.Contains("no-cache", response.Headers.CacheControl!.ToString());
            etags[layer] = response.Headers.ETag!.ToString();
        }
        return etags;
    }

    /// <summary>
    /// After a write: exactly the layers whose layer version rose have new tile ETags; <paramref name="raised"/>, when
    /// given, are those layers, else <paramref name="atLeast"/> are among them.
    /// </summary>
    async Task<Dictionary<Layer, string>> ChangedExactlyAsync(Dictionary<Layer, string> before, IReadOnlyDictionary<Layer, long> versionsBefore,
        Layer[]? raised = null, Layer[]? atLeast = null)
    {
        var versions = await _host.Store.LayerVersionsAsync();
        var rose = Layers.All.Where(l => versions[l] != versionsBefore[l]).ToArray();
        if (raised is not null) Assert.Equal(raised.Order(), rose.Order());
        foreach (var layer in atLeast ?? []) Assert.Contains(layer, rose);
        raised = rose;
        var after = await ETagsAsync();
        foreach (var layer in Layers.All)
            Assert.True(before[layer] != after[layer] == raised.Contains(layer),
                $"{layer.Key()}: tile ETag {(raised.Contains(layer) ? "must" : "must not")} change ({before[layer]} → {after[layer]})");
        return after;
    }

    async Task<HttpResponseMessage> ConditionalAsync(Layer layer, string etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Path(layer, Middle));
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task A_write_changes_the_tile_ETags_of_exactly_the_layers_whose_version_it_raised_and_the_rest_answer_304()
    {
        var etags = await ETagsAsync();
        var versions = await _host.Store.LayerVersionsAsync();

        // Unchanged: 304 with no body, for the ETag itself and for a list naming it.
        foreach (var layer in new[] { Layer.Buildings, Layer.Stations })
        {
            var same = await ConditionalAsync(layer, etags[layer]);
            Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
            Assert.Empty(await same.Content.ReadAsByteArrayAsync());
            Assert.Equal(etags[layer], same.Headers.ETag!.ToString());
            Assert.Equal(HttpStatusCode.NotModified, (await ConditionalAsync(layer, $"W/\"other\", {etags[layer]}")).StatusCode);
        }

        // A station renamed: its layer alone.
        var station = (await _host.Store.ListAsync(Layer.Stations, new FeatureQuery(Middle.Bounds, 1000))).Features.First();
        var body = JsonNode.Parse(await Http.GetStringAsync($"/api/layers/stations/features/{station.Id}"))!;
        body["properties"]!["name"] = "改名后的站点";
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/stations/features/{station.Id}") { Content = ServerHost.Json(body.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"{station.Version}\"");
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(put)).StatusCode);
        var after = await ChangedExactlyAsync(etags, versions, raised: [Layer.Stations]);

        // Unchanged layers still answer 304 to the ETag read before the write; the station's tile comes again, renamed.
        foreach (var layer in Layers.All.Where(l => l != Layer.Stations))
            Assert.Equal(HttpStatusCode.NotModified, (await ConditionalAsync(layer, etags[layer])).StatusCode);
        var renamed = await ConditionalAsync(Layer.Stations, etags[Layer.Stations]);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.True((await renamed.Content.ReadAsByteArrayAsync()).AsSpan().IndexOf("改名后的站点"u8) >= 0, "the station's tile carries its new name");

        // A building's households: its grid and compound recount in the same transaction (contract), so several layers rise.
        versions = await _host.Store.LayerVersionsAsync();
        var building = (await _host.Store.ListAsync(Layer.Buildings, new FeatureQuery(Middle.Bounds, 1000))).Features
            .First(b => b.Text("compound") is not null && b.Integer("households") > 10 && b.Properties["synthetic"] is null);
        var feature = JsonNode.Parse(await Http.GetStringAsync($"/api/layers/buildings/features/{building.Id}"))!;
        feature["properties"]!["households"] = building.Integer("households")! + 3;
        put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building.Id}") { Content = ServerHost.Json(feature.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"{building.Version}\"");
        var written = await Http.SendAsync(put);
        Assert.True(written.StatusCode == HttpStatusCode.OK, await written.Content.ReadAsStringAsync());
        after = await ChangedExactlyAsync(after, versions, atLeast: [Layer.Buildings, Layer.Grids]);

        // A band change re-validates grid tiles (their band_status) and nothing else.
        versions = await _host.Store.LayerVersionsAsync();
        var band = new HttpRequestMessage(HttpMethod.Put, "/api/settings/band") { Content = JsonContent.Create(new { min = 100, max = 150 }) };
        band.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(band)).StatusCode);
        await ChangedExactlyAsync(after, versions, raised: [Layer.Grids]);
    }

    [Fact]
    public async Task Bad_addresses_and_unknown_layers_are_problems_with_a_pointer_and_tiles_follow_the_read_rule()
    {
        foreach (var (path, status, code, pointer) in new[]
        {
            ("/tiles/parcels/15/1/1.mvt", HttpStatusCode.NotFound, "unknown_layer", "/layer"),
            ("/tiles/grids/23/0/0.mvt", HttpStatusCode.BadRequest, "out_of_range", "/z"),
            ("/tiles/grids/2/4/0.mvt", HttpStatusCode.BadRequest, "out_of_range", "/x"),
            ("/tiles/grids/2/0/4.mvt", HttpStatusCode.BadRequest, "out_of_range", "/y"),
            ("/tiles/grids/z/0/0.mvt", HttpStatusCode.BadRequest, "invalid", "/z"),
            ("/tiles/grids/3/-1/0.mvt", HttpStatusCode.BadRequest, "invalid", "/x"),
            ("/tiles/grids/3/0/1.5.mvt", HttpStatusCode.BadRequest, "invalid", "/y"),
        })
        {
            var response = await Http.GetAsync(path);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(code, problem["errors"]![0]!["code"]!.GetValue<string>());
            Assert.Equal(pointer, problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        // The corners of the world are tiles too: z0 and the last tile of z22.
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/tiles/districts/0/0/0.mvt")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Http.GetAsync($"/tiles/districts/22/{(1 << 22) - 1}/{(1 << 22) - 1}.mvt")).StatusCode);

        // Without --open, anonymous reads are refused like any other.
        var anonymous = await _host.Anonymous.GetAsync(Path(Layer.Grids, Middle));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class SqliteTileTests() : TileTests("sqlite");

public sealed class PostGisTileTests() : TileTests("postgis");

/// <summary>With --open, anonymous visitors read tiles — without personal data, like everyone — and shared caches may keep them.</summary>
public sealed class OpenTileTests : IAsyncLifetime
{
    ServerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync("sqlite", new GridMapOptions { Open = true });
        await TinyCity.LoadAsync(_host.Http);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Anonymous_visitors_read_tiles_with_open_and_nobody_gets_the_workers_phone()
    {
        // The tiny city's one grid covers 106.80–106.86, 27.50–27.56; its worker is 李红梅, 13800000001.
        var path = TileTests.Path(Layer.Grids, TileTests.At(106.83, 27.53, 12));
        var anonymous = await _host.Anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Contains("public", anonymous.Headers.CacheControl!.ToString());
        var bytes = await anonymous.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes, await _host.Http.GetByteArrayAsync(path));
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("南坛社区第1网格", text);
        Assert.DoesNotContain("13800000001", text);
        Assert.DoesNotContain("李红梅", text);
    }
}
