using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// A grid worker in the field on a 390×844 phone (docs/field.md): over the HTTPS listener the phone locates itself and
/// sees its grid, its buildings and a link to share; over plain HTTP to a named host the map says why there is no 定位;
/// a brief loss of connection keeps the page.
/// </summary>
public sealed class FieldTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    static BrowserNewContextOptions Phone() => new()
    {
        ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
    };

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"field-{name}.png")}");

    /// <summary>A grid of the sample city and a point well inside it (the building nearest its label point).</summary>
    async Task<(string Code, double Lon, double Lat, int Buildings)> GridAsync(int index)
    {
        var grids = JsonNode.Parse(await web.Admin.GetStringAsync("/api/layers/grids/features?limit=1000"))!["features"]!.AsArray()
            .Select(g => g!.AsObject()).Where(g => g["properties"]!["type"]?.GetValue<string>() is null or "basic")
            .OrderBy(g => g["id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var grid = grids[index];
        var code = grid["id"]!.GetValue<string>();
        var building = grid["properties"]!["unit_ids"]!.AsArray().Select(n => n!.GetValue<string>()).First(id => !id.Contains('/') && !id.StartsWith("remainder-"));
        var ring = JsonNode.Parse(await web.Admin.GetStringAsync($"/api/layers/buildings/features/{building}"))!["geometry"]!["coordinates"]![0]!.AsArray();
        var (lon, lat) = (ring.Take(ring.Count - 1).Average(p => p![0]!.GetValue<double>()), ring.Take(ring.Count - 1).Average(p => p![1]!.GetValue<double>()));
        var units = grid["properties"]!["unit_ids"]!.AsArray().Select(n => n!.GetValue<string>().Split('/')[0]).Distinct().Count();
        return (code, lon, lat, units);
    }

    /// <summary>A self-signed certificate for 127.0.0.1, as PEM files an operator would pass to --https-cert/--https-key.</summary>
    static (string Cert, string Key) TestCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=gridmap-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var dir = Directory.CreateTempSubdirectory("gridmap-tls-").FullName;
        var (cert, key) = (Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"));
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    [Fact]
    public async Task Over_https_a_phone_locates_itself_and_sees_its_grid_its_buildings_and_a_link_to_share()
    {
        var (code, lon, lat, buildings) = await GridAsync(10);
        var (cert, key) = TestCertificate();
        var url = $"https://127.0.0.1:{WebFixture.FreePort()}";
        await web.StartExtraServerAsync(url, "--https-cert", cert, "--https-key", key);

        var options = Phone();
        options.IgnoreHTTPSErrors = true;
        options.Geolocation = new() { Longitude = (float)lon, Latitude = (float)lat, Accuracy = 10 };
        options.Permissions = ["geolocation", "clipboard-read", "clipboard-write"];
        options.ServiceWorkers = ServiceWorkerPolicy.Block;
        var context = await web.Browser.NewContextAsync(options);
        var (page, errors) = await web.OpenPageAsync(url + "/", context: context);
        Assert.True(await page.EvaluateAsync<bool>("() => window.isSecureContext"));
        await Assertions.Expect(page.Locator(".locate-off-button")).ToHaveCountAsync(0);

        await page.Locator(".maplibregl-ctrl-geolocate").ClickAsync();
        var info = page.Locator("#info");
        await Assertions.Expect(info.Locator(".grid-code").First).ToHaveTextAsync(code);
        await Assertions.Expect(info.Locator(".grid-code").First).ToBeInViewportAsync();
        await ShotAsync(page, "https-located");

        await info.Locator(".grid-buildings-button").ClickAsync();
        await Assertions.Expect(info.Locator("ol.grid-buildings li")).ToHaveCountAsync(buildings);
        await Assertions.Expect(info.Locator(".info-extra h3")).ToContainTextAsync($"{buildings} 栋");

        await info.Locator(".share-grid").ClickAsync();
        var shared = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal($"{url}/?grid={code}", shared);
        await Assertions.Expect(page.Locator(".map-note")).ToHaveTextAsync("链接已复制");
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Over_plain_http_to_a_named_host_the_map_says_why_there_is_no_locate_and_still_opens_the_grid()
    {
        var (code, _, _, _) = await GridAsync(12);
        var options = Phone();
        options.Permissions = ["geolocation"];
        var (page, errors) = await web.OpenPageAsync($"http://{WebFixture.InsecureHost}:{web.Port}/?grid={code}", options, signedIn: false);
        Assert.False(await page.EvaluateAsync<bool>("() => window.isSecureContext"));
        await Assertions.Expect(page.Locator("#info .grid-code").First).ToHaveTextAsync(code);
        await Assertions.Expect(page.Locator(".maplibregl-ctrl-geolocate")).ToHaveCountAsync(0);
        await page.Locator(".locate-off-button").ClickAsync();
        await Assertions.Expect(page.Locator(".map-note")).ToContainTextAsync("https://");
        await Assertions.Expect(page.Locator(".map-note")).ToBeInViewportAsync(new() { Ratio = 1 });
        // An anonymous visitor is offered no planning tools in the panel either.
        await Assertions.Expect(page.Locator("#info .partition-here")).ToHaveCountAsync(0);
        await ShotAsync(page, "http-no-locate");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_brief_loss_of_connection_keeps_the_page_and_says_the_server_is_unreachable()
    {
        var (code, _, _, _) = await GridAsync(5);
        var options = Phone();
        options.ServiceWorkers = ServiceWorkerPolicy.Allow;
        var (page, _) = await web.OpenPageAsync($"/?grid={code}", options);
        // The service worker takes the page on its next load.
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.ready.then(() => true)", null, new() { Timeout = 20_000 });
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null", null, new() { Timeout = 20_000 });
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });

        await page.Context.SetOfflineAsync(true);
        await page.ReloadAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("GridMap 网格地图");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("无法连接服务器");
        await ShotAsync(page, "offline");
        // No API answer was kept: personal data never sits in the cache.
        var cached = await page.EvaluateAsync<string[]>("""
            async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat()
            """);
        Assert.NotEmpty(cached);
        Assert.DoesNotContain(cached, u => new Uri(u).AbsolutePath.StartsWith("/api/"));
        await page.Context.SetOfflineAsync(false);
        await page.Context.CloseAsync();
    }
}
