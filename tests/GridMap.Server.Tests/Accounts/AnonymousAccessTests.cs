using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests.Accounts;

/// <summary>
/// What a visitor without an account gets: without --open nothing but the map's files, sign-in, /api/auth/me, the
/// health check and the OpenAPI document; with --open every read except personal data and accounts, and no writes.
/// </summary>
public abstract class AnonymousAccessTests(string storeKind) : IAsyncLifetime
{
    ServerHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }

    async Task<ServerHost> StartAsync(bool open)
    {
        _host = await ServerHost.StartAsync(storeKind, new GridMapOptions { SeedSample = false, Open = open });
        await TinyCity.LoadAsync(_host.Http);
        return _host;
    }

    [Fact]
    public async Task Without_open_an_anonymous_visitor_gets_401_for_every_api_read_but_the_public_ones()
    {
        var host = await StartAsync(open: false);
        var anonymous = host.Anonymous;

        foreach (var path in new[] { "/api/layers", "/api/layers/grids/features", "/api/layers/stations/features/s1", "/api/search?q=南坛",
            "/api/changes", "/api/settings/band", "/api/coverage?meters=500", "/api/accounts", "/api/tokens" })
        {
            var response = await anonymous.GetAsync(path);
            await AccountKit.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "not_signed_in");
            Assert.True(response.Headers.WwwAuthenticate.Count > 0, $"{path}: no WWW-Authenticate");
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
        }
        await AccountKit.AssertProblemAsync(await anonymous.PostAsync("/api/layers/stations/features", AccountKit.GeoJson(TinyCity.Station.Replace("\"s1\"", "\"s2\""))),
            HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.Null(await host.Store.GetAsync(Layer.Stations, "s2"));

        var health = await anonymous.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", JsonNode.Parse(await health.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());

        var me = JsonNode.Parse(await anonymous.GetStringAsync("/api/auth/me"))!;
        Assert.False(me["signed_in"]!.GetValue<bool>());
        Assert.False(me["open"]!.GetValue<bool>());
        Assert.Null(me["name"]);
        Assert.Null(me["antiforgery"]);

        // Sign-in is reachable (its own refusal, not not_signed_in).
        await AccountKit.AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/auth/sign-in", new { name = "x", password = "wrong password" }),
            HttpStatusCode.Unauthorized, "bad_credentials");

        // The map's own files, so the page can show its sign-in dialog, and the API description.
        foreach (var path in new[] { "/", "/index.html" })
        {
            var page = await anonymous.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {(int)page.StatusCode}");
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        // The API browser (/docs) is not among them: the fallback policy covers middleware after authorization too.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/docs/index.html")).StatusCode);
    }

    [Fact]
    public async Task With_open_an_anonymous_visitor_reads_but_never_writes_nor_sees_accounts()
    {
        var host = await StartAsync(open: true);
        var anonymous = host.Anonymous;
        foreach (var path in new[] { "/api/layers", "/api/layers/grids/features", "/api/layers/stations/features/s1", "/api/changes", "/api/settings/band" })
            Assert.True((await anonymous.GetAsync(path)).StatusCode == HttpStatusCode.OK, path);
        var me = JsonNode.Parse(await anonymous.GetStringAsync("/api/auth/me"))!;
        Assert.False(me["signed_in"]!.GetValue<bool>());
        Assert.True(me["open"]!.GetValue<bool>());

        var before = await TinyCity.FingerprintAsync(host.Store);
        var station = TinyCity.Station.Replace("\"s1\"", "\"s2\"");
        await AccountKit.AssertProblemAsync(await anonymous.PostAsync("/api/layers/stations/features", AccountKit.GeoJson(station)),
            HttpStatusCode.Unauthorized, "not_signed_in");
        var put = new HttpRequestMessage(HttpMethod.Put, "/api/layers/stations/features/s1") { Content = AccountKit.GeoJson(TinyCity.Station.Replace("党群服务中心", "中心")) };
        put.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await AccountKit.AssertProblemAsync(await anonymous.SendAsync(put), HttpStatusCode.Unauthorized, "not_signed_in");
        var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/layers/stations/features/s1");
        delete.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await AccountKit.AssertProblemAsync(await anonymous.SendAsync(delete), HttpStatusCode.Unauthorized, "not_signed_in");
        var band = new HttpRequestMessage(HttpMethod.Put, "/api/settings/band") { Content = JsonContent.Create(new { min = 100, max = 200 }) };
        band.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        await AccountKit.AssertProblemAsync(await anonymous.SendAsync(band), HttpStatusCode.Unauthorized, "not_signed_in");
        Assert.Equal(before, await TinyCity.FingerprintAsync(host.Store));
        Assert.Null(await host.Store.GetSettingAsync("band"));

        // Accounts and tokens are the admin's even on an open server.
        await AccountKit.AssertProblemAsync(await anonymous.GetAsync("/api/accounts"), HttpStatusCode.Unauthorized, "not_signed_in");
        await AccountKit.AssertProblemAsync(await anonymous.GetAsync("/api/tokens"), HttpStatusCode.Unauthorized, "not_signed_in");
        // And the grid's worker stays hidden: the grid comes with a count instead.
        var grid = await anonymous.GetStringAsync("/api/layers/grids/features/520304001001001");
        Assert.DoesNotContain("13800000001", grid);
        Assert.Equal(1, JsonNode.Parse(grid)!["properties"]!["workers_count"]!.GetValue<int>());
    }
}

public sealed class SqliteAnonymousAccessTests() : AnonymousAccessTests("sqlite");

public sealed class PostGisAnonymousAccessTests() : AnonymousAccessTests("postgis");
