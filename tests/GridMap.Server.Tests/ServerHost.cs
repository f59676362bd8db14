using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;
using GridMap.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace GridMap.Server.Tests;

/// <summary>
/// A real GridMap server on 127.0.0.1 and a free port, over a real store. <see cref="Http"/> signs in as an admin with a
/// bearer token; <see cref="ClientAsync"/> makes clients for other roles, <see cref="Anonymous"/> one that signs in as nobody.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    /// <summary>The account <see cref="Http"/> writes as (the author of its changes).</summary>
    public const string AdminName = "test-admin";

    public IFeatureStore Store { get; }

    /// <summary>The server's services (its in-memory caches, for tests that count their builds).</summary>
    public IServiceProvider Services => _app.Services;
    public HttpClient Http { get; }
    readonly WebApplication _app;
    readonly Func<Task> _cleanup;

    readonly Uri _address;
    readonly List<HttpClient> _clients = [];

    ServerHost(IFeatureStore store, WebApplication app, Func<Task> cleanup)
    {
        Store = store;
        _app = app;
        _cleanup = cleanup;
        _address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Http = new HttpClient { BaseAddress = _address };
        Anonymous = new HttpClient { BaseAddress = _address };
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>A client signed in (bearer token) as a new account with this role, scope and grids.</summary>
    public async Task<HttpClient> ClientAsync(string role, string? scope = null, IReadOnlyList<string>? grids = null, bool canEditHouseholds = false, string? name = null)
    {
        name ??= $"{role}-{scope ?? "all"}-{_clients.Count}";
        if (await Store.GetAccountAsync(name) is null)
            await Store.PutAccountAsync(new Account(name, role, scope, grids ?? [], canEditHouseholds, null, false, DateTimeOffset.UtcNow), 0);
        var (secret, token) = GridMap.Server.Accounts.Credentials.NewToken(name);
        await Store.AddTokenAsync(token);
        var client = new HttpClient { BaseAddress = _address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        _clients.Add(client);
        return client;
    }

    async Task<ServerHost> SignedInAsync()
    {
        var admin = await ClientAsync(Roles.Admin, name: AdminName);
        Http.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;
        return this;
    }

    public static async Task<ServerHost> StartAsync(string storeKind, GridMapOptions? options = null)
    {
        options ??= new GridMapOptions();
        IFeatureStore store;
        Func<Task> cleanup;
        if (storeKind == "postgis")
        {
            var cs = await PostGisDatabase.CreateDatabaseAsync("gridmap_server");
            store = await PostGisStore.OpenAsync(cs);
            cleanup = () => PostGisDatabase.DropDatabaseAsync(cs);
        }
        else
        {
            var dir = Directory.CreateTempSubdirectory("gridmap-server-").FullName;
            store = (await SqliteStore.OpenAsync(dir)).Store;
            cleanup = () => { try { Directory.Delete(dir, true); } catch (IOException) { } return Task.CompletedTask; };
        }
        var app = GridMapServer.Build(options, store, urls: ["http://127.0.0.1:0"]);
        await app.StartAsync();
        return await new ServerHost(store, app, cleanup).SignedInAsync();
    }

    /// <summary>A server over an existing embedded data directory, as `gridmap serve --data DIR` opens it.</summary>
    public static Task<ServerHost> StartOnDataAsync(string dataDirectory) =>
        StartOnAsync(new GridMapOptions { DataDirectory = dataDirectory, SeedSample = false });

    /// <summary>A server over the store the options name (a data directory or a PostGIS database), opened as `gridmap serve` opens it.</summary>
    public static async Task<ServerHost> StartOnAsync(GridMapOptions options)
    {
        var store = await StoreFactory.OpenAsync(options, TextWriter.Null);
        var app = GridMapServer.Build(options, store, urls: ["http://127.0.0.1:0"]);
        await app.StartAsync();
        return await new ServerHost(store, app, () => Task.CompletedTask).SignedInAsync();
    }

    public static StringContent Json(string json, string mediaType = "application/geo+json") =>
        new(json, Encoding.UTF8, mediaType);

    /// <summary>Uploads a layer (POST /api/layers/{layer}/import) naming the layer version just read, as a client must.</summary>
    public static async Task<HttpResponseMessage> ImportAsync(HttpClient http, string layer, string collection, string? mode = null)
    {
        var read = await http.GetAsync($"/api/layers/{layer}");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/layers/{layer}/import{(mode is null ? "" : $"?mode={mode}")}") { Content = Json(collection) };
        request.Headers.IfMatch.Add(read.Headers.ETag!);
        return await http.SendAsync(request);
    }

    /// <summary>DELETE naming the version just read (If-Match), as a client must.</summary>
    public static async Task<HttpResponseMessage> DeleteAsync(HttpClient http, string path)
    {
        var read = await http.GetAsync(path);
        var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (read.Headers.ETag is { } etag) request.Headers.IfMatch.Add(etag);
        return await http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        foreach (var c in _clients) c.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Store.DisposeAsync();
        await _cleanup();
    }
}

/// <summary>A tiny city with one feature in every layer, and a fingerprint of the whole store to prove nothing changed.</summary>
public static class TinyCity
{
    public const string District = """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.56],[106.80,27.50]]]},"properties":{"code":"520304","name":"播州区"}}""";
    public const string Street = """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.56],[106.80,27.50]]]},"properties":{"code":"520304001","name":"桂花桥街道"}}""";
    public const string Community = """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.56],[106.80,27.50]]]},"properties":{"code":"520304001001","name":"南坛社区"}}""";
    public const string Compound = """{"type":"Feature","id":"c1","geometry":{"type":"Polygon","coordinates":[[[106.82,27.52],[106.83,27.52],[106.83,27.53],[106.82,27.53],[106.82,27.52]]]},"properties":{"name":"阳光花园","class":"commercial_residential","households":240,"community_code":"520304001001"}}""";
    public const string Building = """{"type":"Feature","id":"b1","geometry":{"type":"Polygon","coordinates":[[[106.821,27.521],[106.822,27.521],[106.822,27.522],[106.821,27.522],[106.821,27.521]]]},"properties":{"households":240,"levels":18,"compound":"c1","grid_code":"520304001001001"}}""";
    public const string Grid = """{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.80,27.50],[106.86,27.50],[106.86,27.56],[106.80,27.56],[106.80,27.50]]]},"properties":{"code":"520304001001001","name":"南坛社区第1网格","community_code":"520304001001","households":240,"workers":[{"name":"李红梅","phone":"13800000001"}]}}""";
    public const string Station = """{"type":"Feature","id":"s1","geometry":{"type":"Point","coordinates":[106.825,27.525]},"properties":{"kind":"party_service_centre","name":"南坛社区党群服务中心"}}""";
    public const string Road = """{"type":"Feature","id":"r1","geometry":{"type":"LineString","coordinates":[[106.80,27.525],[106.86,27.525]]},"properties":{"highway":"residential","name":"南坛路"}}""";

    public const string SpecialArea = """{"type":"Feature","id":"sa1","geometry":{"type":"Polygon","coordinates":[[[106.84,27.54],[106.85,27.54],[106.85,27.55],[106.84,27.55],[106.84,27.54]]]},"properties":{"kind":"school","name":"南坛小学"}}""";

    public static readonly (Layer Layer, string Json)[] Features =
    [
        (Layer.Districts, District), (Layer.Streets, Street), (Layer.Communities, Community), (Layer.Compounds, Compound),
        (Layer.Buildings, Building), (Layer.Grids, Grid), (Layer.Stations, Station), (Layer.Network, Road),
        (Layer.SpecialAreas, SpecialArea),
    ];

    public static async Task LoadAsync(HttpClient http)
    {
        foreach (var (layer, json) in Features)
        {
            // Grid membership is derived: only a layer import may give it (contract), so buildings and grids come in that way.
            var response = layer is Layer.Buildings or Layer.Grids
                ? await ServerHost.ImportAsync(http, layer.Key(), $$"""{"type":"FeatureCollection","features":[{{json}}]}""")
                : await http.PostAsync($"/api/layers/{layer.Key()}/features", ServerHost.Json(json));
            Assert.True(response.IsSuccessStatusCode, $"{layer}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Every feature of every layer (or of those given): id, version (unless left out), geometry and properties.</summary>
    public static async Task<string> FingerprintAsync(IFeatureStore store, IReadOnlyList<Layer>? layers = null, bool versions = true)
    {
        var sb = new StringBuilder();
        foreach (var layer in layers ?? Layers.All)
        {
            var page = await store.ListAsync(layer, new FeatureQuery(null, 100_000));
            foreach (var f in page.Features)
                sb.Append(layer.Key()).Append('/').Append(f.Id).Append('@').Append(versions ? f.Version : 0).Append(' ')
                  .Append(f.Geometry.AsText()).Append(' ').Append(f.Properties.ToJsonString()).Append('\n');
        }
        return sb.ToString();
    }
}
