using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// An organisation department (组织部门) at work in 服务圈 on the sample city: an account scoped to one street reads the
/// coverage table by community and by grid (worst first, the API's own numbers), flies to a row, tries a new station
/// and sees the covered share rise, and takes the table away as CSV and the map as PNG. A viewer reads the table but gets
/// neither siting nor what-if (and the server refuses both); on a phone the table is in reach.
/// </summary>
public sealed class OrganisationTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    const string Password = "service-circle-42";
    const string Street = "520304001";

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"organisation-{name}.png")}");

    /// <summary>A context signed in as a new account of this role (scoped to <see cref="Street"/> unless a viewer).</summary>
    async Task<IBrowserContext> SignedInAsync(string name, string role, BrowserNewContextOptions? options = null)
    {
        string[] scope = role == "viewer" ? [] : ["--scope", Street];
        await web.CliAsync(["user", "add", name, "--role", role, .. scope, "--password-stdin"], Password);
        options ??= new() { ViewportSize = new() { Width = 1280, Height = 800 }, AcceptDownloads = true };
        options.ServiceWorkers ??= ServiceWorkerPolicy.Block; // as WebFixture's own contexts: no service worker between page and server
        var context = await web.Browser.NewContextAsync(options);
        await web.SignInAsync(context, name, Password);
        return context;
    }

    /// <summary>Opens 服务圈 and computes with the given profile; returns the panel once the table is there.</summary>
    internal static async Task<ILocator> ComputeAsync(IPage page, string profile = "adult", bool tap = false)
    {
        var panel = page.Locator("#coverage");
        if (tap)
        {
            await page.Locator("#tools .tools-toggle").TapAsync();
            await page.Locator("#coverage-open").TapAsync();
        }
        else await page.Locator("#coverage-open").ClickAsync();
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await panel.Locator("select[name=profile]").SelectOptionAsync(profile);
        var submit = panel.Locator("button[type=submit]");
        if (tap) await submit.TapAsync();
        else await submit.ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-table tbody tr").First).ToBeAttachedAsync(new() { Timeout = 90_000 });
        return panel;
    }

    /// <summary>The API's report for the panel's own parameters, and the panel's focus threshold.</summary>
    static async Task<(JsonElement Report, string Focus)> ReportAsync(IPage page)
    {
        // As text: the report's JSON exactly as the server sent it.
        var r = await page.EvaluateAsync<string[]>("""
            async () => {
              const s = window.gridmap.coverage.state;
              const q = Object.entries(s.query()).filter(([, v]) => v != null && v !== '');
              const report = await (await fetch('/api/coverage?' + new URLSearchParams(q))).text();
              return [report, s.focus];
            }
            """);
        return (JsonDocument.Parse(r[0]).RootElement.Clone(), r[1]);
    }

    /// <summary>The table's rows as shown: code, share (data), the share's text, households.</summary>
    static async Task<List<(string Code, double Share, string Text)>> RowsAsync(ILocator panel)
    {
        var rows = await panel.Locator(".coverage-table tbody tr").EvaluateAllAsync<JsonElement>(
            "rows => rows.map((r) => ({ code: r.dataset.code, share: Number(r.dataset.share), text: r.querySelector('td.share').textContent }))");
        return rows.EnumerateArray().Select(r => (r.GetProperty("code").GetString()!, r.GetProperty("share").GetDouble(), r.GetProperty("text").GetString()!)).ToList();
    }

    /// <summary>The rows are the API's groups in scope, with the API's shares at the focus, lowest first.</summary>
    static void AssertMatches(List<(string Code, double Share, string Text)> rows, JsonElement byGroup, string focus)
    {
        var expected = byGroup.EnumerateObject().Where(p => p.Name.StartsWith(Street)).ToDictionary(p => p.Name, p => p.Value.GetProperty(focus).GetDouble());
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys.Order(), rows.Select(r => r.Code).Order());
        foreach (var (code, share, text) in rows)
        {
            Assert.Equal(expected[code], share, 12);
            var shown = double.Parse(text.TrimEnd('%').Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(shown, 100 * expected[code] - 0.051, 100 * expected[code] + 0.051);
        }
        for (var i = 1; i < rows.Count; i++) Assert.True(rows[i - 1].Share <= rows[i].Share, $"worst first: {rows[i - 1].Code} {rows[i - 1].Share} before {rows[i].Code} {rows[i].Share}");
    }

    /// <summary>Waits until the map has settled with the whole bbox of a table row in view, outlined, and returns the zoom.</summary>
    static async Task<double> FlownToAsync(IPage page, string tab, string code)
    {
        await page.WaitForFunctionAsync("""
            ([tab, code]) => {
              const map = window.gridmap.map;
              const c = window.gridmap.coverage;
              if (map.isMoving() || c.shown.outline !== 1 || map.querySourceFeatures('coverage-outline').length === 0) return false;
              const row = c.state.table[tab].find((r) => r.code === code);
              const b = map.getBounds();
              return b.contains([row.bbox[0], row.bbox[1]]) && b.contains([row.bbox[2], row.bbox[3]]);
            }
            """, new[] { tab, code }, new() { Timeout = 20_000 });
        return await page.EvaluateAsync<double>("() => window.gridmap.map.getZoom()");
    }

    [Fact]
    public async Task An_organisation_department_reads_coverage_by_community_and_grid_runs_a_what_if_and_exports_CSV_and_PNG()
    {
        var context = await SignedInAsync("wang.org", "organisation");
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var panel = await ComputeAsync(page, "elderly");
        var (report, focus) = await ReportAsync(page);
        await Assertions.Expect(panel.Locator(".coverage-scope")).ToContainTextAsync("我的范围: 南白街道");
        await Assertions.Expect(panel.Locator(".coverage-title")).ToContainTextAsync("全部站点 · 5/10/15 分钟 · 老人");

        // By community: the street's communities, the API's shares at the focus threshold, worst first.
        AssertMatches(await RowsAsync(panel), report.GetProperty("by_community"), focus);
        await Assertions.Expect(panel.Locator(".coverage-table th[aria-sort=ascending]")).ToContainTextAsync("覆盖率");
        await ShotAsync(page, "table-by-community");

        // By grid, likewise; the worst grid's row flies the map to it and outlines it.
        await panel.Locator("[data-tab=grids]").ClickAsync();
        var grids = await RowsAsync(panel);
        AssertMatches(grids, report.GetProperty("by_grid"), focus);
        var zoomBefore = await page.EvaluateAsync<double>("() => window.gridmap.map.getZoom()");
        await panel.Locator($".coverage-table tbody tr[data-code='{grids[0].Code}']").ClickAsync();
        var zoomAfter = await FlownToAsync(page, "grids", grids[0].Code);
        Assert.True(zoomAfter > zoomBefore + 0.5, $"flown in from the street (z{zoomBefore:0.0}) to the grid (z{zoomAfter:0.0})");
        // The grid is beside the panel, not under it.
        var clear = await page.EvaluateAsync<bool>("""
            (code) => {
              const map = window.gridmap.map;
              const row = window.gridmap.coverage.state.table.grids.find((r) => r.code === code);
              const p = map.project([(row.bbox[0] + row.bbox[2]) / 2, (row.bbox[1] + row.bbox[3]) / 2]);
              const box = map.getContainer().getBoundingClientRect();
              return box.left + p.x < document.getElementById('coverage').getBoundingClientRect().left;
            }
            """, grids[0].Code);
        Assert.True(clear, "the grid is fitted beside the panel");
        await Assertions.Expect(panel.Locator($".coverage-table tr.selected[data-code='{grids[0].Code}']")).ToBeVisibleAsync();
        await ShotAsync(page, "table-by-grid");

        // What-if: a new station where the street's largest gap is. The street's covered share at the focus rises.
        var before = await panel.Locator($".coverage-share[data-threshold='{focus}']").GetAttributeAsync("data-share");
        var at = await page.EvaluateAsync<double[]>("""
            async ([street, focus]) => {
              const s = window.gridmap.coverage.state;
              const q = Object.entries(s.query()).filter(([, v]) => v != null && v !== '');
              const gaps = (await (await fetch('/api/coverage/gaps?' + new URLSearchParams(q))).json()).features
                .filter((f) => f.properties.threshold === focus && f.properties.communities.length
                  && f.properties.communities.every((c) => c.startsWith(street)))
                .sort((a, b) => b.properties.households - a.properties.households);
              const b = gaps[0].properties.uncovered_buildings[0];
              return [b.lon, b.lat];
            }
            """, new object[] { Street, focus });
        await panel.Locator("[data-tool=add]").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-tool-hint")).ToContainTextAsync("点击要新增站点的位置");
        var (x, y) = await CentreOnAsync(page, at);
        await page.Mouse.ClickAsync(x, y);
        await page.WaitForFunctionAsync("""
            (focus) => {
              const e = document.querySelector(`#coverage .coverage-share[data-threshold="${focus}"]`);
              return e && e.dataset.after && Number(e.dataset.after) > Number(e.dataset.share);
            }
            """, focus, new() { Timeout = 30_000 });
        Assert.Equal(before, await panel.Locator($".coverage-share[data-threshold='{focus}']").GetAttributeAsync("data-share"));
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(1);
        await Assertions.Expect(panel.Locator(".coverage-edits li").First).ToContainTextAsync("新增 新站点 1");
        await Assertions.Expect(panel.Locator(".coverage-table th[data-key=after]")).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator(".coverage-loads li[data-station='new-1']")).ToContainTextAsync("户");
        // The buildings the new station reaches are recoloured on the map (feature-state), the rest keep the result's.
        var recoloured = await page.EvaluateAsync<JsonElement>("""
            () => {
              const c = window.gridmap.coverage;
              const changed = c.state.answer.changed;
              const band = (id) => c.drawing.map.getFeatureState({ source: 'buildings', sourceLayer: 'buildings', id }).band;
              return { n: changed.ids.length, patched: c.drawing.patched.size,
                       wrong: changed.ids.filter((id, i) => changed.within[i] != null && !(band(id) >= 0)).length };
            }
            """);
        Assert.True(recoloured.GetProperty("n").GetInt32() > 0, recoloured.ToString());
        Assert.Equal(recoloured.GetProperty("n").GetInt32(), recoloured.GetProperty("patched").GetInt32());
        Assert.Equal(0, recoloured.GetProperty("wrong").GetInt32());
        // The lookup did not open: the click was the tool's.
        await Assertions.Expect(page.Locator("#info")).ToBeHiddenAsync();
        // The new station is drawn where it was clicked.
        var drawnAt = await page.EvaluateAsync<double[]>("""
            () => new Promise((resolve) => {
              const map = window.gridmap.map;
              let tries = 0;
              const look = () => {
                const box = map.getContainer().getBoundingClientRect();
                const s = window.gridmap.coverage.state.stations().get('new-1');
                const p = map.project([s.lon, s.lat]);
                const hit = map.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]], { layers: ['coverage-whatif-edited'] })
                  .some((f) => f.properties.status === 'added');
                if (hit) resolve([box.left + p.x, box.top + p.y]);
                else if (++tries > 200) resolve([-1, -1, p.x, p.y, map.querySourceFeatures('coverage-whatif').length,
                  map.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]]).length]);
                else setTimeout(look, 100);
              };
              look();
            })
            """);
        Assert.True(drawnAt[0] >= 0, $"the new station is drawn: {string.Join(", ", drawnAt)} (clicked at {x}, {y})");
        Assert.InRange(drawnAt[0], x - 2, x + 2);
        Assert.InRange(drawnAt[1], y - 2, y + 2);

        // Drag the new station 60 px east: still one edit, asked again.
        var answered = await page.EvaluateAsync<double>("() => window.gridmap.coverage.state.answer.seconds");
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x + 30, y, new() { Steps = 4 });
        await page.Mouse.MoveAsync(x + 60, y, new() { Steps = 4 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("""
            (lon) => { const s = window.gridmap.coverage.state; return s.edits.length === 1 && s.edits[0].lon > lon && s.answer != null; }
            """, at[0], new() { Timeout = 30_000 });
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(1);
        Assert.NotEqual(answered, await page.EvaluateAsync<double>("() => window.gridmap.coverage.state.answer.seconds"));
        await ShotAsync(page, "what-if");

        // The table as CSV: UTF-8 with a BOM, a header, the street's communities and grids, the API's figures.
        var csvDownload = page.WaitForDownloadAsync();
        await panel.Locator(".coverage-csv").ClickAsync();
        var csv = await csvDownload;
        Assert.EndsWith(".csv", csv.SuggestedFilename);
        Assert.StartsWith("服务圈覆盖_全部站点", csv.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await csv.PathAsync())!);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        var header = lines[0];
        Assert.Equal(["层级", "编码", "名称", "所属", "户数", "楼栋数"], header[..6]);
        var labels = report.GetProperty("coverage").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var label in labels)
        {
            Assert.Contains($"{label}分钟覆盖率(%)", header);
            Assert.Contains($"{label}分钟调整后覆盖率(%)", header);
        }
        Assert.All(lines, l => Assert.Equal(header.Length, l.Length));
        var communities = lines.Where(l => l[0] == "社区").ToList();
        var gridLines = lines.Where(l => l[0] == "网格").ToList();
        var byCommunity = report.GetProperty("by_community");
        Assert.Equal(byCommunity.EnumerateObject().Count(p => p.Name.StartsWith(Street)), communities.Count);
        Assert.Equal(grids.Count, gridLines.Count);
        Assert.Equal(lines.Count - 1, communities.Count + gridLines.Count);
        var first = communities[0];
        Assert.Equal("南坛社区", first[2]);
        foreach (var label in labels)
        {
            var share = byCommunity.GetProperty(first[1]).GetProperty(label).GetDouble();
            Assert.Equal(100 * share, double.Parse(first[Array.IndexOf(header, $"{label}分钟覆盖率(%)")], System.Globalization.CultureInfo.InvariantCulture), 2);
            var households = long.Parse(first[4]);
            Assert.Equal(Math.Round(share * households), long.Parse(first[Array.IndexOf(header, $"{label}分钟覆盖户数")]));
        }

        // The map as PNG: a real PNG of the map's size (title, legend and date drawn on it).
        var pngDownload = page.WaitForDownloadAsync();
        await panel.Locator(".coverage-png").ClickAsync();
        var png = await pngDownload;
        Assert.EndsWith(".png", png.SuggestedFilename);
        var image = await File.ReadAllBytesAsync((await png.PathAsync())!);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, image[..8]);
        var size = await page.EvaluateAsync<int[]>("() => [window.gridmap.map.getCanvas().width, window.gridmap.map.getCanvas().height]");
        Assert.Equal(size[0], BigEndian(image, 16));
        Assert.Equal(size[1], BigEndian(image, 20));
        Assert.True(image.Length > 20_000, $"a drawn map, not a blank image ({image.Length} bytes)");
        var kept = Path.Combine(web.ScreenshotDir, "organisation-export-map.png");
        File.Copy((await png.PathAsync())!, kept, overwrite: true);
        output.WriteLine($"screenshot: {kept}");

        // 重置 takes every edit back: the shares are the computed ones again.
        await panel.Locator(".coverage-reset").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(0);
        await Assertions.Expect(panel.Locator(".coverage-table th[data-key=after]")).ToHaveCountAsync(0);
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Changing_a_parameter_removes_what_was_drawn_for_the_old_one_and_sites_take_k_or_a_target_share()
    {
        var context = await SignedInAsync("li.org", "organisation");
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var panel = await ComputeAsync(page);
        await panel.Locator("select[name=kind]").SelectOptionAsync("canteen");
        await Assertions.Expect(panel.Locator(".coverage-title")).ToContainTextAsync("社区食堂 / 老年食堂", new() { Timeout = 60_000 });
        // The kind's GB 50180 radius: 300 m.
        await panel.Locator("select[name=threshold]").SelectOptionAsync("gb");
        await Assertions.Expect(panel.Locator(".coverage-share[data-threshold='300']")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".coverage-title")).ToContainTextAsync("300 米");

        // k new sites.
        await panel.Locator(".coverage-site-form input[name=k]").FillAsync("2");
        await panel.Locator(".coverage-suggest").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-sites")).ToContainTextAsync("300 米圈新增 2 个站点", new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".coverage-site-list li")).ToHaveCountAsync(2);
        await Assertions.Expect(panel.Locator(".coverage-site-list li").First).ToContainTextAsync("新增覆盖");
        await page.WaitForFunctionAsync("() => window.gridmap.map.querySourceFeatures('coverage-sites').length > 0");
        // A target share instead: as many sites as it takes.
        await panel.Locator(".coverage-site-form input[name=share]").FillAsync("60");
        await panel.Locator(".coverage-suggest").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-sites")).ToContainTextAsync("覆盖率达到 60%", new() { Timeout = 60_000 });
        var report = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.gridmap.coverage.state.sites.fc.report)")).RootElement;
        Assert.True(report.GetProperty("coverage_after").GetDouble() >= 0.6 || !report.GetProperty("reached").GetBoolean());
        // A suggested site goes into the what-if with one click.
        await panel.Locator(".coverage-site-try").First.ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(1);
        await Assertions.Expect(panel.Locator(".coverage-whatif-result .whatif-share")).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        // Move a canteen: pick it on the map, then click its new place; then remove it.
        var canteen = await page.EvaluateAsync<string[]>("""
            () => { const s = window.gridmap.coverage.state.table.stations[0]; return [s.id, s.name, String(s.lon), String(s.lat)]; }
            """);
        var (sx, sy) = await CentreOnAsync(page, [double.Parse(canteen[2], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(canteen[3], System.Globalization.CultureInfo.InvariantCulture)]);
        await panel.Locator("[data-tool=move]").ClickAsync();
        await page.WaitForFunctionAsync("() => window.gridmap.map.getLayoutProperty('coverage-whatif-halo', 'visibility') === 'visible'");
        await IdleAsync(page);
        await page.Mouse.ClickAsync(sx, sy);
        await Assertions.Expect(panel.Locator(".coverage-tool-hint")).ToContainTextAsync($"已选 {canteen[1]}");
        await page.Mouse.ClickAsync(sx - 120, sy);
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(2);
        await Assertions.Expect(panel.Locator(".coverage-edits li").Nth(1)).ToContainTextAsync($"移动 {canteen[1]}");
        await Assertions.Expect(panel.Locator(".coverage-tool-hint")).ToHaveCountAsync(0);
        await panel.Locator("[data-tool=remove]").ClickAsync();
        await IdleAsync(page);
        await page.Mouse.ClickAsync(sx - 120, sy);
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(3);
        await Assertions.Expect(panel.Locator(".coverage-edits li").Nth(2)).ToContainTextAsync($"删除 {canteen[1]}");
        // Its households go to other canteens: the answer names them, and it is no longer in the loads.
        await page.WaitForFunctionAsync("""
            (id) => { const a = window.gridmap.coverage.state.answer; return a && a.load_changes[id] && a.load_changes[id].after === 0; }
            """, canteen[0], new() { Timeout = 30_000 });
        await Assertions.Expect(panel.Locator($".coverage-loads li[data-station='{canteen[0]}']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#info")).ToBeHiddenAsync();
        // 撤销 the removal: two edits left.
        await panel.Locator(".coverage-edits li").Nth(2).Locator("button").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(2);

        // A station's isochrones, from the list.
        await panel.Locator(".coverage-loads li[data-status=kept] button").First.ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-isochrone")).ToContainTextAsync("户", new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => window.gridmap.map.querySourceFeatures('coverage-isochrones').length > 0");

        // Gaps with their compounds and buildings, by name.
        await panel.Locator(".coverage-show-gaps").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-gaps")).ToContainTextAsync("处缺口", new() { Timeout = 60_000 });
        await panel.Locator(".coverage-gap-list > li summary").First.ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-gap-compounds li").First).ToContainTextAsync("户");
        await Assertions.Expect(panel.Locator(".coverage-gap-buildings li").First).ToContainTextAsync("户");
        await ShotAsync(page, "sites-and-gaps");

        // Another profile: the sites and gaps drawn for the old parameters go at once; the what-if edit stays.
        await panel.Locator("select[name=profile]").SelectOptionAsync("elderly");
        await WebFixture.SourceEmptiedAsync(page, "coverage-sites");
        await WebFixture.SourceEmptiedAsync(page, "coverage-gaps");
        await WebFixture.SourceEmptiedAsync(page, "coverage-isochrones");
        await Assertions.Expect(panel.Locator(".coverage-title")).ToContainTextAsync("老人", new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".coverage-sites")).ToHaveCountAsync(0);
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(2);
        // Another kind: the edits named that kind's stations, so they go too.
        await panel.Locator("select[name=kind]").SelectOptionAsync("clinic");
        await Assertions.Expect(panel.Locator(".coverage-title")).ToContainTextAsync("诊所", new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(0);
        await Assertions.Expect(panel.Locator(".coverage-loads li").First).Not.ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"^s\d+"));
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_viewer_reads_the_table_but_gets_no_sites_or_what_if_and_the_server_refuses_them()
    {
        var context = await SignedInAsync("zhao.viewer", "viewer");
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var panel = await ComputeAsync(page);
        await Assertions.Expect(panel.Locator(".coverage-table tbody tr").First).ToBeVisibleAsync();
        // Station loads by name, never by id.
        var names = await panel.Locator(".coverage-loads li button").AllTextContentsAsync();
        Assert.NotEmpty(names);
        Assert.DoesNotContain(names, n => System.Text.RegularExpressions.Regex.IsMatch(n, @"^s\d+$"));
        await Assertions.Expect(panel.Locator(".coverage-whatif")).ToHaveCountAsync(0);
        await Assertions.Expect(panel.Locator(".coverage-sites-section")).ToHaveCountAsync(0);
        await Assertions.Expect(panel.Locator("[data-tool]")).ToHaveCountAsync(0);
        var statuses = await page.EvaluateAsync<int[]>("""
            async () => {
              const me = await (await fetch('/api/auth/me')).json();
              const post = (path, body) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-XSRF-TOKEN': me.antiforgery },
                body: JSON.stringify(body) }).then((r) => r.status);
              return [await post('/api/coverage/whatif', { minutes: '10', changes: [{ op: 'add', lon: 106.83, lat: 27.54 }] }),
                      await post('/api/coverage/sites', { minutes: '10', add: 1, candidates: 'auto' })];
            }
            """);
        Assert.Equal([403, 403], statuses);
        await ShotAsync(page, "viewer");
        Assert.Empty(errors.Where(e => !e.Contains("403")));
        await context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_table_is_in_reach_and_a_row_flies_the_map_above_the_sheet()
    {
        var context = await SignedInAsync("chen.org", "organisation", new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var panel = await ComputeAsync(page, tap: true);
        var sheet = (await panel.BoundingBoxAsync())!;
        Assert.True(sheet.Y > 844 / 3.0 && sheet.Width >= 389, $"a bottom sheet: top {sheet.Y}, width {sheet.Width}");
        await ShotAsync(page, "phone-summary");

        var row = panel.Locator(".coverage-table tbody tr").First;
        await row.ScrollIntoViewIfNeededAsync();
        await Assertions.Expect(row).ToBeInViewportAsync();
        var code = (await row.GetAttributeAsync("data-code"))!;
        await ShotAsync(page, "phone-table");
        await row.TapAsync();
        await FlownToAsync(page, "communities", code);
        // What was flown to sits above the sheet.
        var bottom = await page.EvaluateAsync<double>("""
            (code) => {
              const map = window.gridmap.map;
              const row = window.gridmap.coverage.state.table.communities.find((r) => r.code === code);
              return map.getContainer().getBoundingClientRect().top + map.project([row.bbox[0], row.bbox[1]]).y;
            }
            """, code);
        var top = (await panel.BoundingBoxAsync())!.Y;
        Assert.True(bottom <= top + 5, $"the community's bottom {bottom} is above the sheet's top {top}");
        await ShotAsync(page, "phone-flown");
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    /// <summary>Centres the map on a point at z16 and returns where it is on the page.</summary>
    internal static async Task<(float X, float Y)> CentreOnAsync(IPage page, double[] at)
    {
        var p = await page.EvaluateAsync<double[]>("""
            async (at) => {
              const map = window.gridmap.map;
              const idle = new Promise((resolve) => map.once('idle', () => resolve()));
              map.jumpTo({ center: at, zoom: 16 });
              await idle;
              const p = map.project(at);
              const box = map.getContainer().getBoundingClientRect();
              return [box.left + p.x, box.top + p.y];
            }
            """, at);
        return ((float)p[0], (float)p[1]);
    }

    static Task IdleAsync(IPage page) => WebFixture.IdleAsync(page);

    static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
