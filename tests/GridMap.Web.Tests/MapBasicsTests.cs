using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>Shared steps of the map-basics tests: open a page (with routes set before it loads), wait, shoot.</summary>
public abstract class MapBasicsBase(WebFixture web, ITestOutputHelper output)
{
    protected readonly WebFixture Web = web;
    protected static readonly BrowserNewContextOptions Desktop = new() { ViewportSize = new() { Width = 1280, Height = 800 } };
    protected static readonly BrowserNewContextOptions Phone = new()
    {
        ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
    };

    /// <summary>
    /// A page at <paramref name="path"/>, ready (first data drawn), with console errors, page errors and failed requests
    /// collected. <paramref name="prepare"/> runs before navigation (to route requests).
    /// </summary>
    protected Task<(IPage Page, List<string> Errors)> OpenAsync(string path = "/", BrowserNewContextOptions? options = null, Func<IPage, Task>? prepare = null) =>
        Web.OpenPageAsync(path, options ?? Desktop, prepare: prepare);

    /// <summary>Console errors other than the browser's own line for an answer with the given status (which a test asked for).</summary>
    protected static IEnumerable<string> Unexpected(IEnumerable<string> errors, int expectedStatus) =>
        errors.Where(e => !e.Contains($"status of {expectedStatus}"));

    protected static Task IdleAsync(IPage page) => WebFixture.IdleAsync(page);

    protected async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await Web.ScreenshotAsync(page, $"basics-{name}.png")}");

    protected static async Task<double[]> CentreAsync(IPage page)
    {
        var c = await page.EvaluateAsync<JsonElement>("() => { const m = window.gridmap.map; const c = m.getCenter(); return [c.lng, c.lat, m.getZoom()]; }");
        return c.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }

    protected static async Task<Dictionary<string, string>> QueryAsync(IPage page)
    {
        var search = await page.EvaluateAsync<string>("() => location.search");
        return search.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => Uri.UnescapeDataString(kv.Length > 1 ? kv[1] : ""));
    }
}

/// <summary>
/// The map's basics on the sample city: shareable links, band colours, Chinese refusals, a lookup panel that never
/// prints null, counts that follow the store, the phone's tools menu.
/// </summary>
public sealed class MapBasicsTests(WebFixture web, ITestOutputHelper output) : MapBasicsBase(web, output), IClassFixture<WebFixture>
{
    internal static readonly Dictionary<string, string> BandColours = new() { ["below"] = "#4a90d9", ["in"] = "#5ab45a", ["above"] = "#e8590c" };

    /// <summary>The band a grid's fill must show: the server's band_status, else households against 200–300.</summary>
    internal static string ExpectedBand(JsonObject p)
    {
        if (p["band_status"]?.GetValue<string>() is { } s) return s;
        var h = p["households"]!.GetValue<int>();
        return h < 200 ? "below" : h > 300 ? "above" : "in";
    }

    /// <summary>Fits the map to every grid and returns what is drawn: code → (style layer, fill colour as #rrggbb).</summary>
    internal static async Task<Dictionary<string, (string Layer, string Fill)>> RenderedGridsAsync(IPage page)
    {
        var drawn = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { extentOf } = await import('/src/geo.js');
              const map = window.gridmap.map;
              const e = extentOf(window.gridmap.layers.state.grids.features);
              const idle = new Promise((resolve) => map.once('idle', () => resolve()));
              map.fitBounds([[e[0], e[1]], [e[2], e[3]]], { padding: 10, duration: 0 });
              await idle;
              const hex = (c) => c && typeof c.r === 'number'
                ? '#' + [c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('') : String(c);
              return map.queryRenderedFeatures({ layers: ['grids-fill', 'grids-dedicated'] }).map((f) => ({
                code: String(f.properties.code), layer: f.layer.id, fill: f.layer.id === 'grids-fill' ? hex(f.layer.paint['fill-color']) : '' }));
            }
            """);
        var result = new Dictionary<string, (string, string)>();
        foreach (var f in drawn.EnumerateArray())
            result[f.GetProperty("code").GetString()!] = (f.GetProperty("layer").GetString()!, f.GetProperty("fill").GetString()!);
        return result;
    }

    async Task<JsonArray> GridsAsync(IPage page) =>
        JsonNode.Parse(await page.EvaluateAsync<string>("async () => await (await fetch('/api/layers/grids/features?limit=10000')).text()"))!["features"]!.AsArray();

    [Fact]
    public async Task A_grid_link_opens_that_grid_outlined_with_its_panel_and_closing_the_panel_drops_it_from_the_address()
    {
        var (probe, _) = await OpenAsync();
        var grids = await GridsAsync(probe);
        await probe.Context.CloseAsync();
        // Not the first grid: the one a default view would least likely show.
        var grid = grids[grids.Count * 2 / 3]!;
        var code = grid["properties"]!["code"]!.GetValue<string>();

        var (page, errors) = await OpenAsync($"/?grid={code}");
        var info = page.Locator("#info");
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(code);
        // The map is fitted to the grid: all of it in view, and it fills a good part of the view.
        await page.WaitForFunctionAsync("() => window.gridmap.map.querySourceFeatures('highlight').length > 0", null, new() { Timeout = 5000 });
        var fit = await page.EvaluateAsync<JsonElement>($$"""
            async () => {
              const { bboxOf } = await import('/src/geo.js');
              const f = await (await fetch('/api/layers/grids/features/{{code}}')).json();
              const g = bboxOf(f.geometry);
              const b = window.gridmap.map.getBounds();
              const inView = b.getWest() <= g[0] && b.getSouth() <= g[1] && b.getEast() >= g[2] && b.getNorth() >= g[3];
              const share = ((g[2] - g[0]) * (g[3] - g[1])) / ((b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth()));
              const outline = window.gridmap.map.querySourceFeatures('highlight').length;
              return { inView, share, outline };
            }
            """);
        Assert.True(fit.GetProperty("inView").GetBoolean(), "the whole grid is in view");
        Assert.True(fit.GetProperty("share").GetDouble() > 0.03, $"the grid fills the view (share {fit.GetProperty("share").GetDouble():0.000})");
        Assert.True(fit.GetProperty("outline").GetInt32() > 0, "the grid is outlined");
        Assert.Equal(code, (await QueryAsync(page))["grid"]);
        await ShotAsync(page, "desktop-grid-link");

        await info.Locator(".info-close").ClickAsync();
        await Assertions.Expect(info).ToBeHiddenAsync();
        var query = await QueryAsync(page);
        Assert.False(query.ContainsKey("grid"), $"grid= is dropped when the panel closes: {string.Join("&", query)}");
        Assert.True(query.ContainsKey("lon") && query.ContainsKey("lat") && query.ContainsKey("z"), "the view stays in the address");
        await WebFixture.SourceEmptiedAsync(page, "highlight");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_unknown_grid_link_says_so_in_Chinese_and_still_shows_the_data()
    {
        var (page, errors) = await OpenAsync("/?grid=520304999999999");
        var message = page.Locator("#info .error");
        await Assertions.Expect(message).ToHaveTextAsync("没有编码为 520304999999999 的网格");
        // Not left on an empty view: the district is fitted and drawn.
        // Drawn once the fit has settled and the tiles are rendered: wait for it rather than sample once.
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] }).length > 10", null, new() { Timeout = 15_000 });
        Assert.False((await QueryAsync(page)).ContainsKey("grid"));
        await ShotAsync(page, "desktop-unknown-grid");
        Assert.Empty(Unexpected(errors, 404));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_view_link_opens_that_view_and_the_address_follows_a_pan_and_the_selected_grid()
    {
        var (page, errors) = await OpenAsync("/?lon=106.826&lat=27.54&z=15.5");
        var c = await CentreAsync(page);
        Assert.Equal(106.826, c[0], 5);
        Assert.Equal(27.54, c[1], 5);
        Assert.Equal(15.5, c[2], 3);

        // Drag the map: the address follows (replaceState, so no new history entries).
        var history = await page.EvaluateAsync<int>("() => history.length");
        await page.Mouse.MoveAsync(640, 420);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(440, 320, new() { Steps = 10 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("() => new URLSearchParams(location.search).get('lon') !== '106.826000'");
        await IdleAsync(page);
        c = await CentreAsync(page);
        var q = await QueryAsync(page);
        Assert.True(c[0] > 106.826, $"dragged west, the centre moves east: {c[0]}");
        Assert.InRange(Math.Abs(c[0] - double.Parse(q["lon"], CultureInfo.InvariantCulture)), 0, 1e-6);
        Assert.InRange(Math.Abs(c[1] - double.Parse(q["lat"], CultureInfo.InvariantCulture)), 0, 1e-6);
        Assert.InRange(Math.Abs(c[2] - double.Parse(q["z"], CultureInfo.InvariantCulture)), 0, 0.006);
        Assert.Equal(history, await page.EvaluateAsync<int>("() => history.length"));

        // Click a grid: its code joins the address, and that address opens the same view and grid.
        await page.Mouse.ClickAsync(640, 420);
        var code = page.Locator("#info .grid-code");
        await Assertions.Expect(code).ToHaveTextAsync(new Regex(@"^\d{15}$"));
        var selected = await code.InnerTextAsync();
        await page.WaitForFunctionAsync($"() => new URLSearchParams(location.search).get('grid') === '{selected}'");
        var shared = await page.EvaluateAsync<string>("() => location.pathname + location.search");
        var before = await CentreAsync(page);

        var (again, errors2) = await OpenAsync(shared);
        await Assertions.Expect(again.Locator("#info .grid-code")).ToHaveTextAsync(selected);
        var after = await CentreAsync(again);
        Assert.InRange(Math.Abs(before[0] - after[0]), 0, 1e-6);
        Assert.InRange(Math.Abs(before[1] - after[1]), 0, 1e-6);
        Assert.InRange(Math.Abs(before[2] - after[2]), 0, 0.006);
        Assert.Empty(errors);
        Assert.Empty(errors2);
        await page.Context.CloseAsync();
        await again.Context.CloseAsync();
    }

    [Fact]
    public async Task Grid_fills_follow_the_band_of_every_grid_the_server_sends()
    {
        var (page, errors) = await OpenAsync();
        var grids = await GridsAsync(page);
        var drawn = await RenderedGridsAsync(page);
        Assert.True(drawn.Count >= grids.Count * 0.9, $"{drawn.Count} of {grids.Count} grids drawn");
        var bands = new HashSet<string>();
        foreach (var g in grids)
        {
            var p = g!["properties"]!.AsObject();
            var code = p["code"]!.GetValue<string>();
            if (!drawn.TryGetValue(code, out var d)) continue;
            var band = ExpectedBand(p);
            bands.Add(band);
            Assert.True(BandColours[band] == d.Fill, $"grid {code} ({p["households"]} 户, {band}) is filled {d.Fill}, not {BandColours[band]}");
        }
        Assert.Contains("below", bands); // the sample city has grids under 200 households: they are blue
        Assert.Contains("in", bands);

        // The legend shows the same three colours.
        var legend = page.Locator("#layers .layer-item[data-layer='grids'] .grid-legend li");
        await Assertions.Expect(legend).ToHaveCountAsync(4);
        await Assertions.Expect(legend.Nth(0)).ToContainTextAsync("不足 200 户");
        await Assertions.Expect(legend.Nth(2)).ToContainTextAsync("超过 300 户");
        foreach (var (band, i) in new[] { ("below", 0), ("in", 1), ("above", 2) })
        {
            var colour = await legend.Nth(i).Locator(".swatch").EvaluateAsync<string>("(e) => getComputedStyle(e).backgroundColor");
            var rgb = Convert.FromHexString(BandColours[band][1..]);
            Assert.Equal($"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})", colour);
        }

        // Labels: the last three digits of the code and the households, e.g. "013 · 258户".
        var first = grids.First(g => drawn.ContainsKey(g!["properties"]!["code"]!.GetValue<string>()))!;
        var firstCode = first["properties"]!["code"]!.GetValue<string>();
        await page.EvaluateAsync($$"""
            async () => {
              const { labelPoint } = await import('/src/geo.js');
              const map = window.gridmap.map;
              const f = window.gridmap.layers.findLoaded('grids', 'code', '{{firstCode}}');
              const idle = new Promise((resolve) => map.once('idle', () => resolve()));
              map.jumpTo({ center: labelPoint(f.geometry), zoom: 16 });
              await idle;
            }
            """);
        var label = page.Locator($".map-label.lbl-grid[data-id='{firstCode}']");
        await Assertions.Expect(label).ToHaveTextAsync($"{firstCode[^3..]} · {first["properties"]!["households"]}户");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_refusal_renders_in_Chinese_never_as_the_raw_request_and_status()
    {
        var (page, errors) = await OpenAsync();
        await page.Locator("#partition-open").ClickAsync();
        var panel = page.Locator("#partition");
        await panel.Locator("input[name=scope]").FillAsync("520304999");
        await panel.Locator("button[type=submit]").ClickAsync();
        var error = panel.Locator(".partition-job .error");
        await Assertions.Expect(error).ToHaveTextAsync("没有编码为 520304999 的社区、街道或区县");
        Assert.Equal("unknown_scope", await error.GetAttributeAsync("data-code"));
        Assert.Empty(Unexpected(errors, 404));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_problem_with_a_code_the_map_does_not_know_falls_back_to_its_message_and_known_codes_read_in_Chinese()
    {
        var answers = new Queue<string>([
            """{"type":"https://gridmap.dev/problems/brand-new","title":"New","status":422,"errors":[{"code":"brand_new_rule","pointer":"lon","message":"A rule this map does not know yet"}]}""",
            """{"type":"about:blank","title":"Precondition failed","status":412,"current":{"grids":{"520304001001004":7}},"errors":[{"code":"stale_version","pointer":"versions/520304001001004","message":"version 6 is stale"}]}""",
        ]);
        async Task Prepare(IPage p) => await p.RouteAsync(new Regex(@"/api/lookup\?"), async route =>
        {
            var body = answers.Dequeue();
            var status = JsonNode.Parse(body)!["status"]!.GetValue<int>();
            await route.FulfillAsync(new() { Status = status, ContentType = "application/problem+json", Body = body });
        });
        var (page, errors) = await OpenAsync(prepare: Prepare);
        var message = page.Locator("#info .error");
        await page.EvaluateAsync("() => window.gridmap.showLookup(106.82, 27.55)");
        await Assertions.Expect(message).ToHaveTextAsync("查询失败: A rule this map does not know yet");
        await page.EvaluateAsync("() => window.gridmap.showLookup(106.82, 27.55)");
        await Assertions.Expect(message).ToHaveTextAsync("查询失败: 网格 520304001001004 已被他人修改，请刷新后重新编辑");
        Assert.Empty(Unexpected(Unexpected(errors, 422), 412));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_lookup_panel_never_prints_null_or_undefined_whatever_is_missing()
    {
        var answers = new Queue<string>([
            // Everything there but empty: names, classes, counts, phones and distances are null.
            """
            {"lon":106.82,"lat":27.55,"district":null,"street":{"code":"520304001","name":null},"community":{"code":null,"name":"南坛社区"},
             "compound":{"id":"c1","name":null,"class":null},
             "grid":{"code":"520304001001004","name":null,"households":null,"workers":[{"name":null,"phone":null},{"name":"张三","phone":null},null]},
             "building":{"id":"b1","households":null,"address":null,"grid_code":null},
             "nearest_stations":[{"kind":"canteen","label":null,"id":"s1","name":null,"distance_m":null,"lon":null,"lat":null,"walk_m":null,"walk_min":null},
                                 {"kind":null,"name":"无类型"},{"kind":"brand_new_kind","label":null,"name":null,"distance_m":120.4}],
             "distance_mode":null}
            """,
            // Nothing at all: a point outside every area, not even coordinates echoed.
            """{}""",
        ]);
        async Task Prepare(IPage p) => await p.RouteAsync(new Regex(@"/api/lookup\?"), route =>
            route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = answers.Dequeue() }));
        var (page, errors) = await OpenAsync(prepare: Prepare);
        var info = page.Locator("#info");

        await page.EvaluateAsync("() => window.gridmap.showLookup(106.82, 27.55)");
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync("520304001001004");
        var text = await info.InnerTextAsync();
        foreach (var bad in new[] { "null", "undefined", "NaN", "[object" }) Assert.DoesNotContain(bad, text);
        Assert.Contains("张三", text);
        Assert.Contains("520304001", text);
        Assert.Contains("南坛社区", text);
        Assert.Contains("未命名", text); // a compound without a name
        Assert.Contains("直线 120 m", text);
        await ShotAsync(page, "desktop-sparse-lookup");

        await page.EvaluateAsync("() => window.gridmap.showLookup(106.82, 27.55)");
        await Assertions.Expect(info.Locator("h3")).ToHaveTextAsync("最近的服务站点");
        text = await info.InnerTextAsync();
        foreach (var bad in new[] { "null", "undefined", "NaN", "[object" }) Assert.DoesNotContain(bad, text);
        Assert.Contains("附近没有服务站点", text);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Layer_counts_follow_the_store_when_the_map_reloads_layers()
    {
        var (page, errors) = await OpenAsync();
        var count = page.Locator("#layers .layer-item[data-layer='stations'] .layer-count");
        var before = int.Parse((await count.InnerTextAsync()).Replace(",", ""));
        // Someone else (the admin's script) adds a station while the map is open.
        using var added = await Web.Admin.PostAsync("/api/layers/stations/features", new StringContent(
            """{"type":"Feature","geometry":{"type":"Point","coordinates":[106.83,27.55]},"properties":{"kind":"canteen","name":"测试老年食堂"}}""",
            System.Text.Encoding.UTF8, "application/geo+json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(before.ToString("N0", CultureInfo.InvariantCulture), await count.InnerTextAsync()); // not before the reload

        // What the partition panel calls after an accept, and a planner's panel after a save.
        await page.EvaluateAsync("() => window.gridmap.reloadLayers(['stations'])");
        await Assertions.Expect(count).ToHaveTextAsync((before + 1).ToString("N0", CultureInfo.InvariantCulture));
        Assert.Equal(before + 1, await page.EvaluateAsync<int>("() => window.gridmap.layers.state.stations.features.length"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_tools_are_in_a_menu_and_a_grid_link_opens_in_the_bottom_sheet()
    {
        var (probe, _) = await OpenAsync();
        var code = (await GridsAsync(probe))[40]!["properties"]!["code"]!.GetValue<string>();
        await probe.Context.CloseAsync();

        var (page, errors) = await OpenAsync($"/?grid={code}", Phone);
        var info = page.Locator("#info");
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(code);
        await Assertions.Expect(info.Locator(".grid-code")).ToBeInViewportAsync();
        var sheet = (await info.BoundingBoxAsync())!;
        Assert.True(sheet.Y > 844 / 3.0 && sheet.Width >= 389, $"a bottom sheet: top {sheet.Y}, width {sheet.Width}");
        // The grid sits above the sheet, not under it.
        var gridBottom = await page.EvaluateAsync<double>($$"""
            async () => {
              const { bboxOf } = await import('/src/geo.js');
              const f = await (await fetch('/api/layers/grids/features/{{code}}')).json();
              const g = bboxOf(f.geometry);
              const map = window.gridmap.map;
              return map.getContainer().getBoundingClientRect().top + map.project([g[0], g[1]]).y;
            }
            """);
        Assert.True(gridBottom <= sheet.Y + 5, $"grid bottom {gridBottom} above the sheet top {sheet.Y}");

        var partitionButton = page.Locator("#partition-open");
        await Assertions.Expect(partitionButton).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#coverage-open")).ToBeHiddenAsync();
        await ShotAsync(page, "phone-grid-link");
        var toggle = page.Locator("#tools .tools-toggle");
        await Assertions.Expect(toggle).ToBeVisibleAsync();
        await toggle.TapAsync();
        await Assertions.Expect(partitionButton).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#coverage-open")).ToBeVisibleAsync();
        await ShotAsync(page, "phone-tools-menu");
        await partitionButton.TapAsync();
        await Assertions.Expect(page.Locator("#partition")).ToBeVisibleAsync();
        await Assertions.Expect(partitionButton).ToBeHiddenAsync(); // choosing a tool folds the menu
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_desktop_the_tools_are_in_the_bar()
    {
        var (page, errors) = await OpenAsync();
        await Assertions.Expect(page.Locator("#partition-open")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#coverage-open")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#tools .tools-toggle")).ToBeHiddenAsync();
        await ShotAsync(page, "desktop");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}

/// <summary>A store that holds only what `gridmap import osm` makes of central Chengdu: no districts, communities or grids.</summary>
public sealed class OsmStoreFixture(IMessageSink sink) : WebFixture(sink)
{
    protected override IEnumerable<string> ServeOptions => ["--no-sample"];

    protected override Task PrepareStoreAsync(string dataDir, Func<string[], Task> gridmap) =>
        gridmap(["import", "osm", SharedGeodata("chengdu-2018/chengdu.osm.pbf"), "--data", dataDir]);

    /// <summary>../shared/geodata beside the repository (never copied into it).</summary>
    public static string SharedGeodata(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "geodata", relative), Path.Combine(dir.FullName, "..", "shared", "geodata", relative) })
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new FileNotFoundException($"../shared/geodata/{relative} not found beside the repository");
    }
}

public sealed class MapBasicsOsmTests(OsmStoreFixture web, ITestOutputHelper output) : MapBasicsBase(web, output), IClassFixture<OsmStoreFixture>
{
    /// <summary>Central Chengdu, generously: the extract lies within it.</summary>
    const double West = 103.9, East = 104.25, South = 30.55, North = 30.8;

    [Fact]
    public async Task An_OSM_only_store_opens_on_its_data_in_Chengdu_without_an_error()
    {
        var (page, errors) = await OpenAsync();
        var c = await CentreAsync(page);
        Assert.InRange(c[0], West, East);
        Assert.InRange(c[1], South, North);
        Assert.True(c[2] >= 11, $"zoomed to the city, not the country: z {c[2]}");
        // The compounds (the coarsest layer the extract has) are in view and drawn.
        var view = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const { extentOf } = await import('/src/geo.js');
              const fc = await (await fetch('/api/layers/compounds/features?limit=10000')).json();
              const e = extentOf(fc.features);
              const b = window.gridmap.map.getBounds();
              return { contains: b.getWest() <= e[0] && b.getSouth() <= e[1] && b.getEast() >= e[2] && b.getNorth() >= e[3],
                       drawn: window.gridmap.map.queryRenderedFeatures({ layers: ['compounds-fill'] }).length, count: fc.features.length };
            }
            """);
        Assert.True(view.GetProperty("count").GetInt32() > 100, "the import made compounds");
        Assert.True(view.GetProperty("contains").GetBoolean(), "every compound is in view");
        Assert.True(view.GetProperty("drawn").GetInt32() > 50, $"compounds drawn: {view.GetProperty("drawn").GetInt32()}");
        await Assertions.Expect(page.Locator("#status")).Not.ToHaveClassAsync(new Regex("has-error"));
        await Assertions.Expect(page.Locator("#status")).Not.ToContainTextAsync("没有");
        Assert.Equal(0, await page.Locator(".map-note").CountAsync());
        Assert.Equal("0", await page.Locator("#layers .layer-item[data-layer='grids'] .layer-count").InnerTextAsync());
        await ShotAsync(page, "desktop-chengdu");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_OSM_only_store_opens_on_Chengdu_too()
    {
        var (page, errors) = await OpenAsync("/", Phone);
        var c = await CentreAsync(page);
        Assert.InRange(c[0], West, East);
        Assert.InRange(c[1], South, North);
        await ShotAsync(page, "phone-chengdu");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}

/// <summary>
/// Grid fills for what the sample city lacks — grids above the band, a dedicated grid, a retired one — made by real
/// writes (the map draws grids from vector tiles, whose `band_status`, `type` and `status` the server computes): on a
/// store of its own, as the writes change what the other map tests see.
/// </summary>
public sealed class MapBandWritesTests(WebFixture web, ITestOutputHelper output) : MapBasicsBase(web, output), IClassFixture<WebFixture>
{
    async Task PutGridAsync(JsonObject grid, Action<JsonObject> change)
    {
        var code = grid["properties"]!["code"]!.GetValue<string>();
        var feature = JsonNode.Parse(await Web.Admin.GetStringAsync($"/api/layers/grids/features/{code}"))!.AsObject();
        var version = feature["version"]!.GetValue<long>();
        feature.Remove("version");
        change(feature["properties"]!.AsObject());
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/grids/features/{code}")
        {
            Content = new StringContent(feature.ToJsonString(), System.Text.Encoding.UTF8, "application/geo+json"),
        };
        put.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{version}\""));
        using var written = await Web.Admin.SendAsync(put);
        Assert.True(written.IsSuccessStatusCode, $"PUT grid {code}: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Grids_above_the_band_are_orange_dedicated_ones_hatched_grey_and_retired_ones_not_drawn()
    {
        // A narrower band (the store's: admin): grids over 240 households are above it, under 210 below.
        using (var band = new HttpRequestMessage(HttpMethod.Put, "/api/settings/band")
        {
            Content = new StringContent("""{"min":210,"max":240}""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            var read = await Web.Admin.GetAsync("/api/settings/band");
            band.Headers.IfMatch.Add(read.Headers.ETag!);
            using var written = await Web.Admin.SendAsync(band);
            Assert.True(written.IsSuccessStatusCode, $"PUT band: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
        }
        var grids = JsonNode.Parse(await Web.Admin.GetStringAsync("/api/layers/grids/features?limit=10000"))!["features"]!.AsArray()
            .Select(g => g!.AsObject()).ToList();
        var dedicated = grids[4]["properties"]!["code"]!.GetValue<string>();
        var retired = grids[5]["properties"]!["code"]!.GetValue<string>();
        await PutGridAsync(grids[4], p => p["type"] = "dedicated");
        await PutGridAsync(grids[5], p => p["status"] = "retired");
        grids = JsonNode.Parse(await Web.Admin.GetStringAsync("/api/layers/grids/features?limit=10000"))!["features"]!.AsArray()
            .Select(g => g!.AsObject()).ToList();

        var (page, errors) = await OpenAsync();
        var drawn = await MapBasicsTests.RenderedGridsAsync(page);
        var bands = new HashSet<string>();
        var checkedCount = 0;
        foreach (var g in grids)
        {
            var p = g["properties"]!.AsObject();
            var code = p["code"]!.GetValue<string>();
            if (code == dedicated || code == retired || !drawn.TryGetValue(code, out var d)) continue;
            var band = MapBasicsTests.ExpectedBand(p);
            bands.Add(band);
            Assert.True(MapBasicsTests.BandColours[band] == d.Fill, $"grid {code} ({p["households"]} 户, {band}) is filled {d.Fill}, not {MapBasicsTests.BandColours[band]}");
            checkedCount++;
        }
        Assert.True(checkedCount >= (grids.Count - 2) * 0.9, $"{checkedCount} of {grids.Count - 2} grids drawn");
        Assert.Equal(["above", "below", "in"], bands.Order());
        Assert.Equal("grids-dedicated", drawn[dedicated].Layer);
        Assert.False(drawn.ContainsKey(retired), "a retired grid is not drawn");
        Assert.Equal(0, await page.Locator($".map-label[data-id='{retired}']").CountAsync());
        Assert.Equal(JsonValueKind.Null, (await page.EvaluateAsync<JsonElement>($"() => window.gridmap.layers.findLoaded('grids', 'code', '{retired}')")).ValueKind);
        // The legend follows the store's band.
        var legend = page.Locator("#layers .layer-item[data-layer='grids'] .grid-legend li");
        await Assertions.Expect(legend.Nth(0)).ToContainTextAsync("不足 210 户");
        await Assertions.Expect(legend.Nth(2)).ToContainTextAsync("超过 240 户");
        await ShotAsync(page, "desktop-bands");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
