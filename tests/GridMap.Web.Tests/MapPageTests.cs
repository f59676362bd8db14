using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>Drives web/index.html in Debian's headless Chromium against the gridmap server (see <see cref="WebFixture"/>).</summary>
public sealed partial class MapPageTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    static readonly string[] AllLayers = ["districts", "streets", "communities", "compounds", "special_areas", "grids", "buildings", "stations", "network"];

    [GeneratedRegex(@"^\d{15}$")]
    private static partial Regex GridCode();

    /// <summary>A page with its console errors collected, loaded and ready (first data drawn).</summary>
    Task<(IPage Page, List<string> Errors)> OpenAsync(BrowserNewContextOptions? options = null) => web.OpenPageAsync("/", options);

    /// <summary>Centres the map on a grid's inside point and returns where that is on the page, with the grid's code.</summary>
    static async Task<(float X, float Y, string Code)> CentreOnFirstGridAsync(IPage page)
    {
        var r = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { labelPoint } = await import('/src/geo.js');
              const fc = await (await fetch('/api/layers/grids/features?limit=1')).json();
              const f = fc.features[0];
              const at = labelPoint(f.geometry);
              const map = window.gridmap.map;
              const idle = new Promise((resolve) => map.once('idle', () => resolve()));
              map.jumpTo({ center: at, zoom: 16 });
              await idle;
              const p = map.project(at);
              const box = map.getContainer().getBoundingClientRect();
              return { x: box.left + p.x, y: box.top + p.y, code: String(f.properties.code ?? f.id) };
            }
            """);
        return ((float)r.GetProperty("x").GetDouble(), (float)r.GetProperty("y").GetDouble(), r.GetProperty("code").GetString()!);
    }

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"{name}-{web.ServerKind}.png")}");

    [Fact]
    public async Task Page_loads_without_console_errors_and_shows_the_store_kind()
    {
        var (page, errors) = await OpenAsync();
        Assert.Equal("GridMap 网格地图", await page.TitleAsync());
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("存储:");
        await Assertions.Expect(page.Locator(".maplibregl-ctrl-attrib")).ToContainTextAsync("© OpenStreetMap contributors (where OSM data is loaded)");
        await ShotAsync(page, "desktop");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Tiles_that_take_a_while_show_loading_in_the_status_line_until_the_map_is_idle()
    {
        var (page, errors) = await OpenAsync();
        // A slow connection: every buildings tile answers after 1.5 s (MapLibre's workers fetch them; the context sees them).
        await page.Context.RouteAsync("**/tiles/buildings/**", async route =>
        {
            await Task.Delay(1500);
            await route.ContinueAsync();
        });
        await page.EvaluateAsync("() => { const m = window.gridmap.map; m.jumpTo({ center: m.getCenter(), zoom: 16.5 }); }");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("地图加载中", new() { Timeout = 5_000 });
        await Assertions.Expect(page.Locator("#status")).Not.ToContainTextAsync("地图加载中", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("存储:");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Layer_panel_lists_every_layer_with_counts()
    {
        var (page, errors) = await OpenAsync();
        var items = page.Locator("#layers .layer-item");
        Assert.Equal(AllLayers.Length, await items.CountAsync());
        foreach (var layer in AllLayers)
        {
            var item = page.Locator($"#layers .layer-item[data-layer='{layer}']");
            Assert.True(await item.Locator("input[type=checkbox]").IsCheckedAsync(), layer);
            var count = (await item.Locator(".layer-count").InnerTextAsync()).Replace(",", "");
            // The synthetic district is all housing: it has no special areas (campuses come with real data).
            if (layer == "special_areas") Assert.Equal("0", count);
            else Assert.True(int.Parse(count) > 0, $"{layer} count {count}");
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", await item.Locator(".layer-label").InnerTextAsync());
        }
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Clicking_the_centre_of_a_grid_shows_its_code_and_worker()
    {
        var (page, errors) = await OpenAsync();
        var (x, y, code) = await CentreOnFirstGridAsync(page);
        await page.Mouse.ClickAsync(x, y);
        var info = page.Locator("#info");
        await Assertions.Expect(info).ToBeVisibleAsync();
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(GridCode());
        Assert.Equal(code, await info.Locator(".grid-code").InnerTextAsync());
        // The sample city has a walking network: the nearest stations are by walk, in minutes.
        await Assertions.Expect(info.Locator(".stations li .st-dist").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^步行 \d+ 分钟$"));
        await ShotAsync(page, "desktop-lookup");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Searching_a_grid_code_finds_it_and_flies_there()
    {
        var (page, errors) = await OpenAsync();
        var code = await page.EvaluateAsync<string>(
            "async () => { const f = (await (await fetch('/api/layers/grids/features?limit=1')).json()).features[0]; return String(f.properties.code ?? f.id); }");
        await page.Locator("#search input").FillAsync(code);
        var result = page.Locator("#results button.result", new() { HasText = code }).First;
        await Assertions.Expect(result).ToBeVisibleAsync();
        await ShotAsync(page, "desktop-search");
        await result.ClickAsync();
        await Assertions.Expect(page.Locator("#info .grid-code")).ToHaveTextAsync(code);
        Assert.True(await page.EvaluateAsync<double>("() => window.gridmap.map.getZoom()") >= 14);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_panel_is_a_visible_bottom_sheet()
    {
        var (page, errors) = await OpenAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        // The layer panel starts folded so the map is free; its toggle is still there.
        await Assertions.Expect(page.Locator("#layers")).ToHaveClassAsync(new Regex("collapsed"));
        await Assertions.Expect(page.Locator("#layers .panel-toggle")).ToBeVisibleAsync();

        var (x, y, code) = await CentreOnFirstGridAsync(page);
        await page.Touchscreen.TapAsync(x, y);
        var info = page.Locator("#info");
        await Assertions.Expect(info).ToBeVisibleAsync();
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(code);
        var box = (await info.BoundingBoxAsync())!;
        Assert.True(box.Y + box.Height <= 844.5, $"sheet bottom {box.Y + box.Height}");
        Assert.True(box.Y > 844 / 3.0, $"sheet top {box.Y}: should sit in the lower part");
        Assert.True(box.Width >= 389, $"sheet width {box.Width}");
        await Assertions.Expect(info.Locator(".grid-code")).ToBeInViewportAsync();
        await ShotAsync(page, "phone-lookup");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_planner_partitions_the_clicked_community_reviews_the_proposal_and_accepts_it()
    {
        var (page, errors) = await OpenAsync();
        var (x, y, _) = await CentreOnFirstGridAsync(page);
        await page.Mouse.ClickAsync(x, y);
        var info = page.Locator("#info");
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(GridCode());
        // The map is centred on the clicked point: the community there is the one the panel names.
        var community = await page.EvaluateAsync<string>(
            "async () => { const c = window.gridmap.map.getCenter(); return (await (await fetch(`/api/lookup?lon=${c.lng}&lat=${c.lat}`)).json()).community.code; }");

        // From the lookup panel: the form opens with the community filled in.
        await info.Locator("button.partition-here").ClickAsync();
        var panel = page.Locator("#partition");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator("input[name=scope]")).ToHaveValueAsync(community);
        await panel.Locator("button[type=submit]").ClickAsync();

        // The job runs on the server; the panel follows it to its report and draws the proposal.
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已完成", new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".partition-report")).ToContainTextAsync("达标");
        // Drawn once MapLibre's worker has tiled it; a timeout here means the proposal never reached the map.
        await page.WaitForFunctionAsync("() => window.gridmap.map.querySourceFeatures('proposal').length > 0", null, new() { Timeout = 5000 });
        var jobGrids = await page.EvaluateAsync<int>(
            "async () => (await (await fetch('/api/partition/jobs')).json()).filter(j => j.status === 'done').map(j => j.report.grids)[0]");
        await ShotAsync(page, "desktop-partition-proposal");

        await panel.Locator("button.primary", new() { HasText = "接受方案" }).ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-accepted")).ToContainTextAsync($"{jobGrids} 个网格写入");
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已接受");
        await WebFixture.SourceEmptiedAsync(page, "proposal");
        // The store now holds the accepted grids of that community.
        var stored = await page.EvaluateAsync<int>($"async () => (await (await fetch('/api/layers/grids/features?limit=10000')).json()).features.filter(f => f.properties.community_code === '{community}').length");
        Assert.Equal(jobGrids, stored);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Partitioning_an_unknown_community_says_so_in_the_panel()
    {
        var (page, errors) = await OpenAsync();
        await page.Locator("#partition-open").ClickAsync();
        var panel = page.Locator("#partition");
        await panel.Locator("input[name=scope]").FillAsync("999999999999");
        await panel.Locator("button[type=submit]").ClickAsync();
        // In Chinese, from the problem's code (web/src/i18n.js), not the raw "/api/…: 404 scope: …".
        await Assertions.Expect(panel.Locator(".partition-job .error")).ToHaveTextAsync("没有编码为 999999999999 的社区、街道或区县");
        Assert.All(errors, e => Assert.Contains("404", e)); // the browser logs the failed request itself
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_service_circle_panel_shows_coverage_gaps_isochrones_and_suggested_sites()
    {
        var (page, errors) = await OpenAsync();
        await page.Locator("#coverage-open").ClickAsync();
        var panel = page.Locator("#coverage");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await panel.Locator("button[type=submit]").ClickAsync();

        // The panel's 5-minute share is the API's, from each building's walk over the network.
        var share = await page.EvaluateAsync<double>("async () => (await (await fetch('/api/coverage?minutes=5,10,15')).json()).coverage['5']");
        await Assertions.Expect(panel.Locator(".coverage-share[data-threshold='5']")).ToContainTextAsync($"{100 * share:0.0}%");
        await Assertions.Expect(panel.Locator(".coverage-mode")).ToContainTextAsync("按步行路网计算");
        Assert.True(await page.EvaluateAsync<int>("() => window.gridmap.coverage.shown.buildings") > 1000,
            "every building is coloured by its walk");

        await panel.Locator("button", new() { HasText = "显示缺口" }).ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-gaps")).ToContainTextAsync("处缺口");

        await panel.Locator(".coverage-loads button").First.ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-isochrone")).ToContainTextAsync("户");
        Assert.Equal(3, await page.EvaluateAsync<int>("() => window.gridmap.coverage.shown.isochrones"));

        await panel.Locator("button", new() { HasText = "建议新站点" }).ClickAsync();
        // The widest circle that still leaves households out gets up to three new stations, drawn on the map.
        await Assertions.Expect(panel.Locator(".coverage-sites")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"分钟圈新增 [1-3] 个站点"), new() { Timeout = 30_000 });
        Assert.InRange(await page.EvaluateAsync<int>("() => window.gridmap.coverage.shown.sites"), 1, 3);
        await ShotAsync(page, "desktop-coverage");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
