using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GridMap.Core.Model;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>
/// Response compression (docs/tiles.md): brotli or gzip as the client asks, for GeoJSON, problem+json, vector tiles and
/// the web map's static files, each decoding to exactly the uncompressed answer.
/// </summary>
public sealed class CompressionTests : IAsyncLifetime
{
    ServerHost _host = null!;
    string _web = "";

    public async Task InitializeAsync()
    {
        // A web root of our own, so static files are there whether or not the web map was built.
        _web = Directory.CreateTempSubdirectory("gridmap-web-").FullName;
        var filler = string.Concat(Enumerable.Range(0, 400).Select(i => $"<p>网格 {i}</p>\n"));
        await File.WriteAllTextAsync(System.IO.Path.Combine(_web, "index.html"), $"<!doctype html><html><body>{filler}</body></html>");
        await File.WriteAllTextAsync(System.IO.Path.Combine(Directory.CreateDirectory(System.IO.Path.Combine(_web, "src")).FullName, "app.js"), string.Concat(Enumerable.Range(0, 400).Select(i => $"console.log('grid', {i});\n")));
        await File.WriteAllTextAsync(System.IO.Path.Combine(_web, "style.css"), string.Concat(Enumerable.Range(0, 400).Select(i => $".g{i} {{ color: #{i:x3}; }}\n")));
        _host = await ServerHost.StartAsync("sqlite", new GridMapOptions { WebRoot = _web });
        await TinyCity.LoadAsync(_host.Http);
        // Enough buildings, all in the tiny city's compound and grid, that the list is worth compressing.
        var buildings = string.Join(",", Enumerable.Range(2, 200).Select(i => FormattableString.Invariant(
            $$$"""{"type":"Feature","id":"b{{{i}}}","geometry":{"type":"Point","coordinates":[{{{106.8202 + i % 20 * 0.0004:0.0000}}},{{{27.5202 + i / 20 * 0.0008:0.0000}}}]},"properties":{"households":{{{i}}},"compound":"c1","grid_code":"520304001001001"}}""")));
        var import = await ServerHost.ImportAsync(_host.Http, "buildings", $$"""{"type":"FeatureCollection","features":[{{TinyCity.Building}},{{buildings}}]}""");
        Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(_web, true); } catch (IOException) { }
    }

    async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(string path, string? encoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (encoding is not null) request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        var response = await _host.Http.SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    static byte[] Decode(byte[] body, string encoding)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = encoding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The answer with Accept-Encoding <paramref name="encoding"/> comes back in it, smaller, and decodes to the plain answer.</summary>
    async Task<byte[]> CompressedAsync(string path, string encoding, string mediaType)
    {
        var (plain, plainBody) = await GetAsync(path, null);
        Assert.True(plain.IsSuccessStatusCode || (int)plain.StatusCode >= 400, $"{path}: {plain.StatusCode}");
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        var (packed, packedBody) = await GetAsync(path, encoding);
        Assert.Equal(plain.StatusCode, packed.StatusCode);
        Assert.Equal(mediaType, packed.Content.Headers.ContentType?.MediaType);
        Assert.Equal([encoding], packed.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", packed.Headers.Vary);
        Assert.True(packedBody.Length < plainBody.Length, $"{path}: {packedBody.Length} bytes {encoding} is not smaller than {plainBody.Length}");
        if (mediaType == "application/problem+json") Assert.Equal(WithoutTrace(plainBody), WithoutTrace(Decode(packedBody, encoding)));
        else Assert.Equal(plainBody, Decode(packedBody, encoding));
        return plainBody;
    }

    /// <summary>A problem without its trace id, which differs from request to request.</summary>
    static string WithoutTrace(byte[] problem)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(problem)!.AsObject();
        Assert.NotNull(node.Remove("trace_id") ? node : null);
        return node.ToJsonString();
    }

    [Fact]
    public async Task A_GeoJSON_list_asked_for_brotli_comes_back_brotli_encoded_and_decodes_to_the_same_JSON()
    {
        var json = await CompressedAsync("/api/layers/buildings/features?limit=1000", "br", "application/geo+json");
        Assert.Contains("\"numberMatched\":201", Encoding.UTF8.GetString(json));
        await CompressedAsync("/api/layers/buildings/features?limit=1000", "gzip", "application/geo+json");
    }

    [Fact]
    public async Task Problems_tiles_and_the_web_maps_static_files_are_compressed_too()
    {
        await CompressedAsync("/api/layers/buildings/features?bbox=1,2", "br", "application/problem+json");
        await CompressedAsync(TileTests.Path(Layer.Buildings, TileTests.At(106.83, 27.521, 12)), "br", Tiles.TilesApi.ContentType);
        await CompressedAsync("/", "br", "text/html");
        await CompressedAsync("/src/app.js", "gzip", "text/javascript");
        await CompressedAsync("/style.css", "br", "text/css");
    }
}
