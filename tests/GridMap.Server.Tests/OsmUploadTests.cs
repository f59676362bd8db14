using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GridMap.Core.Model;
using GridMap.IO.Osm;
using GridMap.IO.Tests;
using GridMap.Server.Hosting;
using GridMap.Testing;

namespace GridMap.Server.Tests;

/// <summary>
/// Hostile OSM uploads (issue 12) with mode=replace: each is refused with a problem that names what it found, and the
/// store is exactly as before — every feature and every layer version. An extract bringing nothing for a layer leaves
/// it as stored. Run on both stores.
/// </summary>
public abstract class OsmUploadTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    string _before = "";
    string _layersBefore = "";

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { OsmLimits = new OsmLimits { MaxBytes = 1 << 20 } });
        await TinyCity.LoadAsync(_host.Http);
        _before = await TinyCity.FingerprintAsync(_host.Store);
        _layersBefore = await _host.Http.GetStringAsync("/api/layers");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public sealed record Case(string Name, string Format, byte[] Body, int Status, string Code)
    {
        public override string ToString() => Name;
    }

    static Case Xml(string name, string xml, int status = 422, string code = "nothing_importable") => new(name, "osm", Encoding.UTF8.GetBytes(xml), status, code);

    // A 30 m square building near TinyCity's compound, its nodes 1–3.
    const string Corners = "<node id='1' lat='27.521' lon='106.821'/><node id='2' lat='27.521' lon='106.8213'/><node id='3' lat='27.5213' lon='106.8213'/>";
    const string Building = "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='apartments'/><tag k='name' v='NAME'/></way>";

    static string Osm(params string[] parts) => $"<osm version='0.6'>{string.Concat(parts)}</osm>";

    static byte[] Lzma() => PbfBuilder.Framed("OSMData", PbfBuilder.Message(b => PbfBuilder.BytesField(b, 4, [1, 2, 3])));

    public static readonly TheoryData<Case> Cases =
    [
        Xml("a bare <osm/>", "<osm version='0.6'/>"),
        Xml("bounds alone", Osm("<bounds minlat='27.5' minlon='106.8' maxlat='27.6' maxlon='106.9'/>")),
        Xml("an empty body", ""),
        Xml("untagged nodes alone", Osm(Corners)),
        Xml("NaN coordinates", Osm("<node id='1' lat='NaN' lon='106.82'><tag k='amenity' v='clinic'/></node>",
            "<node id='2' lat='NaN' lon='106.8213'/><node id='3' lat='27.5213' lon='NaN'/><node id='4' lat='27.521' lon='106.821'/>",
            "<way id='10'><nd ref='4'/><nd ref='2'/><nd ref='3'/><nd ref='4'/><tag k='building' v='yes'/></way>")),
        Xml("infinite coordinates", Osm("<node id='1' lat='INF' lon='106.82'><tag k='amenity' v='clinic'/></node><node id='2' lat='27.52' lon='-INF'><tag k='amenity' v='school'/></node>")),
        Xml("coordinates out of range", Osm("<node id='1' lat='95' lon='106.82'/><node id='2' lat='27.52' lon='181'/><node id='3' lat='-91' lon='-200'/>",
            "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/></way>",
            "<node id='4' lat='27.52' lon='406.82'><tag k='amenity' v='clinic'/></node>")),
        Xml("ways whose nodes are missing", Osm("<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/></way>",
            "<way id='11'><nd ref='7'/><nd ref='8'/><tag k='highway' v='residential'/></way><way id='12'><nd ref='7'/><nd ref='8'/><nd ref='9'/><nd ref='7'/><tag k='landuse' v='residential'/></way>")),
        Xml("ways of one node", Osm(Corners, "<way id='10'><nd ref='1'/><tag k='building' v='yes'/></way><way id='11'><nd ref='2'/><tag k='highway' v='footway'/></way>",
            "<way id='12'><nd ref='3'/><nd ref='3'/><tag k='highway' v='residential'/></way>")),
        Xml("relations pointing nowhere", Osm("<relation id='5'><member type='way' ref='99' role='outer'/><tag k='type' v='multipolygon'/><tag k='building' v='yes'/></relation>",
            "<relation id='6'><member type='way' ref='98' role='outer'/><member type='node' ref='97' role='admin_centre'/><tag k='type' v='boundary'/><tag k='boundary' v='administrative'/><tag k='admin_level' v='8'/><tag k='name' v='x'/></relation>",
            "<relation id='7'><member type='relation' ref='5' role=''/><tag k='type' v='multipolygon'/><tag k='landuse' v='residential'/></relation>")),
        Xml("duplicate ids, the last unusable", Osm(Corners, "<node id='2' lat='NaN' lon='NaN'/>", Building.Replace("NAME", "a"),
            "<node id='5' lat='27.52' lon='106.82'><tag k='amenity' v='clinic'/></node><node id='5' lat='27.52' lon='106.82'/>")),
        Xml("huge ids", Osm("<node id='9223372036854775807' lat='27.52' lon='106.82'/><way id='9223372036854775807'><nd ref='9223372036854775807'/><tag k='building' v='yes'/></way>")),
        Xml("ids beyond 64 bits", Osm("<node id='99999999999999999999' lat='27.52' lon='106.82'><tag k='amenity' v='clinic'/></node>",
            "<way id='1e30'><nd ref='1'/><tag k='highway' v='residential'/></way>")),
        Xml("negative ids", Osm("<node id='-1' lat='27.521' lon='106.821'/><node id='-2' lat='27.521' lon='106.8213'/>",
            "<way id='-10'><nd ref='-1'/><nd ref='-2'/><nd ref='-3'/><nd ref='-1'/><tag k='building' v='yes'/></way>")),
        Xml("unclosed polygons", Osm(Corners, "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='building' v='yes'/></way>",
            "<way id='11'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='2'/><tag k='landuse' v='residential'/></way>")),
        Xml("a degenerate polygon", Osm("<node id='1' lat='27.521' lon='106.821'/><node id='2' lat='27.521' lon='106.821'/><node id='3' lat='27.521' lon='106.821'/>",
            "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='yes'/></way>")),
        Xml("a lone surrogate in a name", Osm(Corners, Building.Replace("NAME", "&#xD800;")), 422, "invalid_text"),
        Xml("a NUL character in a name", Osm(Corners, Building.Replace("NAME", "a&#x0;b")), 422, "invalid_text"),
        Xml("a NUL character in a tag key", Osm(Corners, "<way id='11'><nd ref='1'/><nd ref='2'/><tag k='highway' v='residential'/><tag k='a&#x0;' v='b'/></way>"), 422, "invalid_text"),
        Xml("a DTD (entity expansion)", "<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
            + Osm(Corners, Building.Replace("NAME", "&b;")), 422, "dtd_not_allowed"),
        Xml("malformed XML", "<osm version='0.6'><node id='1' lat='27.5'", 400, "bad_osm"),
        Xml("over the byte limit", Osm(new string(' ', (1 << 20) + 10)), 413, "too_large"),
        new("a PBF string table of 10 million entries in 30 KB", "pbf", PbfBuilder.StringTableBomb(10_000_000), 413, "too_large"),
        new("a PBF blob inflating to 40 MiB, declared 100 bytes", "pbf", PbfBuilder.InflationBomb(40 << 20), 413, "too_large"),
        new("a PBF blob compressed with lzma", "pbf", Lzma(), 422, "unsupported_compression"),
        new("a truncated PBF", "pbf", PbfBuilder.DenseNodes(10)[..20], 400, "bad_osm"),
        new("a PBF of nodes without tags", "pbf", PbfBuilder.DenseNodes(10), 422, "nothing_importable"),
    ];

    Task<HttpResponseMessage> UploadAsync(string format, byte[] body, string mode = "replace")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(format == "osm" ? "application/xml" : "application/octet-stream");
        return _host.Http.PostAsync($"/api/import/osm?format={format}&mode={mode}", content);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Is_refused_with_a_problem_naming_it_and_the_store_is_unchanged(Case c)
    {
        var response = await UploadAsync(c.Format, c.Body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(c.Status == (int)response.StatusCode, $"{c.Name}: expected {c.Status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("errors")[0];
        Assert.Equal(c.Code, error.GetProperty("code").GetString());
        Assert.Equal("body", error.GetProperty("pointer").GetString());
        if (c.Code == "too_large") Assert.Contains($"{error.GetProperty("limit").GetInt64():N0}", error.GetProperty("message").GetString());
        if (c.Code == "nothing_importable") Assert.Contains("nothing was written", error.GetProperty("message").GetString());
        Assert.DoesNotContain("/tmp", text);
        Assert.Equal(_before, await TinyCity.FingerprintAsync(_host.Store));
        Assert.Equal(_layersBefore, await _host.Http.GetStringAsync("/api/layers"));
    }

    [Fact]
    public async Task A_replace_with_an_extract_of_buildings_alone_replaces_the_buildings_and_keeps_every_other_layer()
    {
        // Compounds are kept but recounted (one total: the building that leaves gives its households back to a remainder).
        var others = Layers.All.Where(l => l is not (Layer.Buildings or Layer.Grids or Layer.Compounds)).ToList();
        var othersBefore = await TinyCity.FingerprintAsync(_host.Store, others);

        var response = await UploadAsync("osm", Encoding.UTF8.GetBytes(Osm(Corners, Building.Replace("NAME", "new"))));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.True(answer.GetProperty("written").GetProperty("buildings").GetInt32() >= 1, text);
        Assert.False(answer.GetProperty("written").TryGetProperty("stations", out _), text);
        var kept = answer.GetProperty("kept").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("stations", kept);
        Assert.Contains("compounds", kept);
        Assert.Contains("network", kept);
        var buildings = (await _host.Store.ListAsync(Layer.Buildings, new(null, 100))).Features.Select(f => f.Id).ToList();
        Assert.Contains("w10", buildings);
        Assert.DoesNotContain("b1", buildings);
        Assert.NotNull(await _host.Store.GetAsync(Layer.Compounds, "c1"));
        Assert.Equal(othersBefore, await TinyCity.FingerprintAsync(_host.Store, others));
    }

    [Fact]
    public async Task One_import_at_a_time_another_gets_429_with_Retry_After()
    {
        // The first upload stalls in its body, holding its turn; the second is refused at once, whatever it holds.
        var release = new TaskCompletionSource();
        var abandoned = new List<CancellationTokenSource>();
        Task<HttpResponseMessage> Stalled()
        {
            var stalled = new StallingContent(Encoding.UTF8.GetBytes("<osm version='0.6'>"), Encoding.UTF8.GetBytes("</osm>"), release.Task);
            stalled.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
            abandoned.Add(new CancellationTokenSource());
            return _host.Http.PostAsync("/api/import/osm?format=osm", stalled, abandoned[^1].Token);
        }
        var first = Stalled();

        HttpResponseMessage? refused = null;
        for (var attempt = 1; attempt <= 600 && refused is null; attempt++)
        {
            // The stalled upload may itself arrive while a probe holds the turn, and be refused: then it starts again.
            // On a busy machine it has been seen not to reach its turn for many seconds: then it is given up for a new one.
            if (first.IsCompleted || attempt % 60 == 0)
            {
                if (first.IsCompleted) Assert.Equal(HttpStatusCode.TooManyRequests, (await first).StatusCode);
                else await abandoned[^1].CancelAsync();
                first = Stalled();
                await Task.Delay(100);
                continue;
            }
            var r = await UploadAsync("osm", Encoding.UTF8.GetBytes("<osm version='0.6'/>"), "upsert");
            // Refused while the stalled upload is still open: it holds the turn.
            if (r.StatusCode == HttpStatusCode.TooManyRequests && !first.IsCompleted) refused = r;
            else await Task.Delay(50);
        }
        Assert.NotNull(refused);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, refused.Headers.ToString());
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("rate_limited", await refused.Content.ReadAsStringAsync());

        release.SetResult();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await first).StatusCode);
        // The turn is given back.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await UploadAsync("osm", Encoding.UTF8.GetBytes("<osm version='0.6'/>"))).StatusCode);
        Assert.Equal(_before, await TinyCity.FingerprintAsync(_host.Store));
    }

    /// <summary>A body sent in two parts, the second only once <c>release</c> completes (chunked: no length).</summary>
    sealed class StallingContent(byte[] head, byte[] tail, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(head);
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(tail);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

public sealed class SqliteOsmUploadTests() : OsmUploadTests("sqlite");

public sealed class PostGisOsmUploadTests() : OsmUploadTests("postgis");

/// <summary>
/// `gridmap import osm --replace` follows the same rule as the upload: nothing importable exits 1 with the reason and
/// writes nothing; a layer the extract brings nothing for is kept. Run on both stores (--data and --postgres).
/// </summary>
public abstract class OsmCliImportTests(string storeKind) : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-osm-cli-").FullName;
    string[] _store = [];
    string? _postgres;

    const string Corners = "<node id='1' lat='27.521' lon='106.821'/><node id='2' lat='27.521' lon='106.8213'/><node id='3' lat='27.5213' lon='106.8213'/>";
    const string Building = "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/><tag k='building' v='apartments'/></way>";
    const string Station = "<node id='5' lat='27.525' lon='106.825'><tag k='amenity' v='clinic'/><tag k='name' v='社区卫生服务站'/></node>";
    const string Road = "<node id='6' lat='27.52' lon='106.80'/><node id='7' lat='27.52' lon='106.86'/><way id='20'><nd ref='6'/><nd ref='7'/><tag k='highway' v='residential'/></way>";

    public async Task InitializeAsync()
    {
        if (storeKind == "postgis")
        {
            _postgres = await PostGisDatabase.CreateDatabaseAsync("gridmap_osmcli");
            _store = ["--postgres", _postgres];
        }
        else _store = ["--data", Path.Combine(_dir, "data")];
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null) await PostGisDatabase.DropDatabaseAsync(_postgres);
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    string File(string name, string xml)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, $"<osm version='0.6'>{xml}</osm>");
        return path;
    }

    Task<(int Code, string Out, string Err)> Import(string file, bool replace = true) =>
        CliTests.Run(["import", "osm", file, .. _store, .. (replace ? new[] { "--replace" } : [])]);

    async Task<string> FingerprintAsync()
    {
        var options = _postgres is null ? new GridMapOptions { DataDirectory = _store[1], SeedSample = false } : new GridMapOptions { Postgres = _postgres, SeedSample = false };
        await using var store = await StoreFactory.OpenAsync(options, TextWriter.Null);
        return await TinyCity.FingerprintAsync(store) + string.Join(",", (await store.LayerVersionsAsync()).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
    }

    [Fact]
    public async Task Nothing_importable_exits_1_and_writes_nothing_and_an_extract_without_stations_keeps_them()
    {
        var (code, output, err) = await Import(File("city.osm", Corners + Building + Station + Road));
        Assert.True(code == 0, err + output);
        var before = await FingerprintAsync();

        foreach (var (name, xml) in new[]
        {
            ("bare.osm", ""),
            ("nan.osm", "<node id='1' lat='NaN' lon='106.8'/><node id='2' lat='27.5' lon='NaN'><tag k='amenity' v='clinic'/></node>"),
            ("missing.osm", Building),
        })
        {
            (code, output, err) = await Import(File(name, xml));
            Assert.True(code == 1, $"{name}: exit {code}: {err}{output}");
            Assert.Contains("nothing GridMap imports", err);
            Assert.Equal(before, await FingerprintAsync());
        }
        (code, _, err) = await Import(WriteRaw(Path.Combine(_dir, "dtd.osm"), "<!DOCTYPE osm><osm version='0.6'/>"));
        Assert.Equal(1, code);
        Assert.Contains("DTD", err);
        Assert.Equal(before, await FingerprintAsync());

        (code, output, err) = await Import(File("buildings.osm", Corners + Building.Replace("'10'", "'11'")));
        Assert.True(code == 0, err + output);
        Assert.Matches("kept as stored .*stations", output);
        Assert.Matches("kept as stored .*network", output);
        var options = _postgres is null ? new GridMapOptions { DataDirectory = _store[1], SeedSample = false } : new GridMapOptions { Postgres = _postgres, SeedSample = false };
        await using var store = await StoreFactory.OpenAsync(options, TextWriter.Null);
        Assert.NotNull(await store.GetAsync(Layer.Stations, "n5"));
        Assert.NotNull(await store.GetAsync(Layer.Network, "w20"));
        Assert.NotNull(await store.GetAsync(Layer.Buildings, "w11"));
        Assert.Null(await store.GetAsync(Layer.Buildings, "w10"));
    }

    static string WriteRaw(string path, string text)
    {
        System.IO.File.WriteAllText(path, text);
        return path;
    }
}

public sealed class SqliteOsmCliImportTests() : OsmCliImportTests("sqlite");

public sealed class PostGisOsmCliImportTests() : OsmCliImportTests("postgis");
