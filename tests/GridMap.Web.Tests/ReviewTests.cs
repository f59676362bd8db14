using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// The 网格划分 proposal review (web/src/partition.js, web/src/review.js) against the real server: the table of grids
/// before → after, the buildings that move, 现状/方案/对比, accept, discard, 409 changed_since_read and 重新运行.
/// Its own fixture (a fresh sample-city store); every test partitions a different community, so their order does not
/// matter. What the panel shows is checked against the store and the proposal read here, not against the panel's own sums.
/// </summary>
public sealed class ReviewTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    Task<(IPage Page, List<string> Errors)> OpenAsync(BrowserNewContextOptions? options = null) => web.OpenPageAsync("/", options);

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"{name}.png")}");

    static Task IdleAsync(IPage page) => WebFixture.IdleAsync(page);

    async Task<JsonElement> GetAsync(string path)
    {
        using var res = await Http.GetAsync(web.BaseUrl + path);
        res.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    sealed record StoredGrid(string Code, string Status, int Households, string[] UnitIds, long Version);

    /// <summary>Every grid of a community in the store (retired ones too).</summary>
    async Task<Dictionary<string, StoredGrid>> CommunityGridsAsync(string community)
    {
        var fc = await GetAsync("/api/layers/grids/features?limit=10000");
        return fc.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").TryGetProperty("community_code", out var c) && c.GetString() == community)
            .Select(f =>
            {
                var p = f.GetProperty("properties");
                return new StoredGrid(f.GetProperty("id").GetString()!, p.TryGetProperty("status", out var s) ? s.GetString() ?? "active" : "active",
                    p.TryGetProperty("households", out var h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : 0,
                    p.TryGetProperty("unit_ids", out var u) && u.ValueKind == JsonValueKind.Array ? u.EnumerateArray().Select(x => x.GetString()!).ToArray() : [],
                    f.GetProperty("version").GetInt64());
            })
            .ToDictionary(g => g.Code);
    }

    /// <summary>Opens 网格划分 (from the top bar, or the phone's 工具 menu), types the scope and bounds and starts the job; waits for 已完成.</summary>
    static async Task<ILocator> RunJobAsync(IPage page, string community, int min, int max, int target, bool phone = false)
    {
        if (phone) await page.Locator(".tools-toggle").TapAsync();
        await page.Locator("#partition-open").ClickAsync();
        var panel = page.Locator("#partition");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await panel.Locator("input[name=scope]").FillAsync(community);
        // The community's band arrives and fills the bounds (200–300 in the sample city) …
        await Assertions.Expect(panel.Locator("input[name=max]")).ToHaveValueAsync("300");
        await panel.Locator("input[name=min]").FillAsync(min.ToString());
        await panel.Locator("input[name=max]").FillAsync(max.ToString());
        await panel.Locator("input[name=target]").FillAsync(target.ToString());
        // … and bounds other than the band tick the fresh run.
        await Assertions.Expect(panel.Locator("input[name=fresh]")).ToBeCheckedAsync();
        await panel.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已完成", new() { Timeout = 90_000 });
        await Assertions.Expect(panel.Locator(".review-table tbody tr").First).ToBeVisibleAsync();
        return panel;
    }

    static Task<string> JobIdAsync(IPage page) => page.EvaluateAsync<string>("() => window.gridmap.partition.job.id");

    /// <summary>The buildings the proposal moves, from the store's grids and the proposal's unit_ids: (count, households).</summary>
    async Task<(HashSet<string> Buildings, int Households)> ExpectedMovesAsync(JsonElement proposal, Dictionary<string, StoredGrid> before)
    {
        var buildings = (await GetAsync("/api/layers/buildings/features?limit=10000")).GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("properties").Clone());
        var oldGrid = new Dictionary<string, string>();
        foreach (var g in before.Values.Where(g => g.Status != "retired"))
            foreach (var u in g.UnitIds) oldGrid.TryAdd(u.Split('/')[0], g.Code);
        var moved = new HashSet<string>();
        var households = 0;
        foreach (var f in proposal.GetProperty("features").EnumerateArray())
        {
            var code = f.GetProperty("properties").GetProperty("code").GetString()!;
            var units = f.GetProperty("properties").GetProperty("unit_ids").EnumerateArray().Select(u => u.GetString()!).ToList();
            foreach (var group in units.GroupBy(u => u.Split('/')[0]))
            {
                if (!buildings.TryGetValue(group.Key, out var b)) continue; // a compound piece, not a building
                if (oldGrid.GetValueOrDefault(group.Key) == code) continue;
                moved.Add(group.Key);
                var stairs = group.Where(u => u.Contains('/')).Select(u => u[(u.IndexOf('/') + 1)..]).ToHashSet();
                households += stairs.Count == 0 ? b.GetProperty("households").GetInt32()
                    : b.GetProperty("units").EnumerateArray().Where(x => stairs.Contains(x.GetProperty("id").GetString()!)).Sum(x => x.GetProperty("households").GetInt32());
            }
        }
        return (moved, households);
    }

    static IEnumerable<string> Unexpected(IEnumerable<string> errors, int allowedStatus) =>
        errors.Where(e => !(e.Contains("Failed to load resource") && e.Contains(allowedStatus.ToString())));

    [Fact]
    public async Task Review_shows_every_grid_before_and_after_the_buildings_that_move_and_accepting_writes_the_proposal()
    {
        const string community = "520304001002";
        var before = await CommunityGridsAsync(community);
        var (page, errors) = await OpenAsync();
        await page.Locator("#partition-open").ClickAsync();
        var panel = page.Locator("#partition");
        await panel.Locator("input[name=scope]").FillAsync(community);
        await Assertions.Expect(panel.Locator("input[name=max]")).ToHaveValueAsync("300");
        // Bounds other than the community's band: the fresh run is ticked, and the panel says why.
        await panel.Locator("input[name=min]").FillAsync("150");
        await panel.Locator("input[name=max]").FillAsync("220");
        await Assertions.Expect(panel.Locator("input[name=fresh]")).ToBeCheckedAsync();
        await Assertions.Expect(panel.Locator(".fresh-hint")).ToContainTextAsync("200–300");
        await ShotAsync(page, "review-form-fresh");
        // Back to the band: the suggestion goes away.
        await panel.Locator("input[name=min]").FillAsync("200");
        await panel.Locator("input[name=max]").FillAsync("300");
        await Assertions.Expect(panel.Locator("input[name=fresh]")).Not.ToBeCheckedAsync();
        await Assertions.Expect(panel.Locator(".fresh-hint")).ToBeHiddenAsync();
        await panel.Locator("input[name=min]").FillAsync("150");
        await panel.Locator("input[name=max]").FillAsync("220");
        await panel.Locator("input[name=target]").FillAsync("185");
        await panel.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已完成", new() { Timeout = 90_000 });
        await Assertions.Expect(panel.Locator(".review-table tbody tr").First).ToBeVisibleAsync();

        var job = await GetAsync($"/api/partition/jobs/{await JobIdAsync(page)}");
        Assert.True(job.GetProperty("parameters").GetProperty("fresh").GetBoolean(), "the job ran fresh");
        var proposal = await GetAsync($"/api/partition/jobs/{job.GetProperty("id").GetString()}/proposal");
        var proposedCodes = proposal.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("code").GetString()!).ToHashSet();

        // The table: one row per proposed grid with the store's households before and the proposal's after, and the band
        // after in words; every current grid the proposal drops is there as 撤销.
        var rows = (await page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll('#partition .review-table tbody tr')].map((tr) => ({
              code: tr.dataset.code, status: tr.dataset.status, band: tr.dataset.band,
              before: tr.querySelector('.hh-before').textContent, after: tr.querySelector('.hh-after').textContent,
              chip: tr.querySelector('.band-chip')?.textContent ?? '', badge: tr.querySelector('.status-badge')?.textContent ?? '' }))
            """)).EnumerateArray().ToDictionary(r => r.GetProperty("code").GetString()!);
        var active = before.Values.Where(g => g.Status != "retired").ToDictionary(g => g.Code);
        foreach (var f in proposal.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            var code = p.GetProperty("code").GetString()!;
            var households = p.GetProperty("households").GetInt32();
            Assert.True(rows.TryGetValue(code, out var row), $"a row for {code}");
            Assert.Equal(households.ToString(), row.GetProperty("after").GetString()!.Replace(",", ""));
            if (active.TryGetValue(code, out var old))
            {
                Assert.Equal(old.Households.ToString(), row.GetProperty("before").GetString()!.Replace(",", ""));
                Assert.Equal("kept", row.GetProperty("status").GetString());
            }
            else
            {
                Assert.Equal("—", row.GetProperty("before").GetString());
                Assert.Equal("新", row.GetProperty("badge").GetString());
            }
            var (band, word) = households < 150 ? ("below", "不足") : households > 220 ? ("above", "超出") : ("in", "达标");
            Assert.Equal(band, row.GetProperty("band").GetString());
            Assert.Equal(word, row.GetProperty("chip").GetString());
        }
        foreach (var code in active.Keys.Where(c => !proposedCodes.Contains(c)))
        {
            Assert.Equal("retired", rows[code].GetProperty("status").GetString());
            Assert.Equal("撤销", rows[code].GetProperty("badge").GetString());
        }
        Assert.Equal(proposedCodes.Count + active.Keys.Count(c => !proposedCodes.Contains(c)), rows.Count);

        // The buildings that move: counted as the store and the proposal differ, outlined on the map, listed per grid.
        var (moved, movedHouseholds) = await ExpectedMovesAsync(proposal, before);
        Assert.NotEmpty(moved);
        var count = panel.Locator(".review-moved-count");
        Assert.Equal(moved.Count.ToString(), await count.GetAttributeAsync("data-buildings"));
        Assert.Equal(movedHouseholds.ToString(), await count.GetAttributeAsync("data-households"));
        await Assertions.Expect(count).ToHaveTextAsync($"移动 {moved.Count:N0} 栋 / {movedHouseholds:N0} 户");
        Assert.Equal(moved.Count, await page.EvaluateAsync<int>("() => window.gridmap.partition.shown.moved"));
        await IdleAsync(page);
        var drawn = (await page.EvaluateAsync<string[]>("""
            () => [...new Set(window.gridmap.map.queryRenderedFeatures({ layers: ['proposal-moved-fill', 'proposal-moved-line', 'proposal-moved-point'] })
              .map((f) => f.properties.building))]
            """)).ToHashSet();
        Assert.NotEmpty(drawn);
        Assert.Subset(moved, drawn);
        var listed = await page.EvaluateAsync<int>("() => document.querySelectorAll('#partition .review-moves .move-in li').length");
        Assert.True(listed >= moved.Count, $"{listed} buildings listed under the grids they move to, {moved.Count} move");
        // The report's split compounds and non-contiguous grids are there, in words.
        await Assertions.Expect(panel.Locator(".partition-report [data-fact=split_compounds] dd")).ToHaveTextAsync(
            job.GetProperty("report").GetProperty("split_compounds").GetInt32() is var sc and > 0 ? $"{sc} 个小区被分到多个网格" : "无");
        await Assertions.Expect(panel.Locator(".partition-report [data-fact=noncontiguous]")).ToBeVisibleAsync();
        // The band share is of the basic grids (dedicated ones have no household target); necks and road crossings are named.
        var facts = job.GetProperty("report");
        var basic = facts.GetProperty("grids").GetInt32() - (facts.TryGetProperty("dedicated", out var d) ? d.GetInt32() : 0);
        var inBand = facts.GetProperty("in_band").GetInt32();
        await Assertions.Expect(panel.Locator(".partition-report [data-fact=in_band] dd")).ToContainTextAsync(
            $"{inBand} 个 ({(Math.Round(1000.0 * inBand / basic, MidpointRounding.AwayFromZero) / 10).ToString(System.Globalization.CultureInfo.InvariantCulture)}%)");
        await Assertions.Expect(panel.Locator(".partition-report [data-fact=narrow_necks] dd")).ToHaveTextAsync(
            facts.GetProperty("narrow_necks").EnumerateArray().Count(n => !n.GetProperty("excused").GetBoolean()) is var necks and > 0 ? $"{necks} 个网格仅靠不足 10 米的窄条相连" : "无");
        await Assertions.Expect(panel.Locator(".partition-report [data-fact=crossed_roads]")).ToBeVisibleAsync();
        await ShotAsync(page, "review-desktop-compare");
        // The proposed grids' labels do not overlap one another (the ones that would are hidden).
        var overlaps = await page.EvaluateAsync<string[]>("""
            () => {
              const boxes = [...document.querySelectorAll('#map .lbl-proposal')].filter((n) => getComputedStyle(n).visibility !== 'hidden' && getComputedStyle(n).display !== 'none')
                .map((n) => ({ t: n.textContent, r: n.getBoundingClientRect() }));
              const out = [];
              for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i].r, b = boxes[j].r;
                if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) out.push(`${boxes[i].t} / ${boxes[j].t}`);
              }
              return out;
            }
            """);
        Assert.True(overlaps.Length == 0, $"overlapping labels: {string.Join("; ", overlaps)}");
        Assert.True(await page.Locator("#map .lbl-proposal").CountAsync() > 0);

        // Worst first: the first row is out of band when any is.
        var report = job.GetProperty("report");
        if (report.GetProperty("below").GetInt32() + report.GetProperty("above").GetInt32() > 0)
            Assert.NotEqual("in", await panel.Locator(".review-table tbody tr").First.GetAttributeAsync("data-band"));
        foreach (var o in report.GetProperty("out_of_band").EnumerateArray())
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", await panel.Locator($".out-of-band li[data-code='{o.GetProperty("code").GetString()}'] .reason").InnerTextAsync());

        // A click on a row flies there.
        var target = proposal.GetProperty("features").EnumerateArray().Last();
        var targetCode = target.GetProperty("properties").GetProperty("code").GetString()!;
        await panel.Locator($".review-table tbody tr[data-code='{targetCode}']").ClickAsync();
        var inside = await page.EvaluateAsync<bool>("""
            async (code) => {
              const { bboxOf } = await import('/src/geo.js');
              const f = window.gridmap.partition.review.proposal.features.find((x) => x.properties.code === code);
              const b = bboxOf(f.geometry);
              const map = window.gridmap.map;
              for (let i = 0; i < 50; i++) {
                await new Promise((r) => setTimeout(r, 100));
                if (map.isMoving()) continue;
                const c = map.getCenter();
                const v = map.getBounds();
                if (v.contains([b[0], b[1]]) && v.contains([b[2], b[3]])) return true;
              }
              return false;
            }
            """, targetCode);
        Assert.True(inside, $"the map shows grid {targetCode} after its row was clicked");
        await Assertions.Expect(panel.Locator($".review-table tbody tr[data-code='{targetCode}']")).ToHaveClassAsync("selected");
        // And back: a click on the proposed grid in the map picks its row.
        var at = await page.EvaluateAsync<JsonElement>("""
            async (code) => {
              const { labelPoint } = await import('/src/geo.js');
              const p = window.gridmap.partition;
              p.selected = null;
              for (const tr of document.querySelectorAll('#partition .review-table tbody tr')) tr.classList.remove('selected');
              const f = p.review.proposal.features.find((x) => x.properties.code === code);
              const pt = window.gridmap.map.project(labelPoint(f.geometry));
              const box = window.gridmap.map.getContainer().getBoundingClientRect();
              return { x: box.left + pt.x, y: box.top + pt.y };
            }
            """, targetCode);
        await page.Mouse.ClickAsync((float)at.GetProperty("x").GetDouble(), (float)at.GetProperty("y").GetDouble());
        await Assertions.Expect(panel.Locator($".review-table tbody tr[data-code='{targetCode}']")).ToHaveClassAsync("selected");

        // 现状 / 方案 / 对比.
        await panel.Locator(".review-modes button[data-mode=proposal]").ClickAsync();
        Assert.Equal("visible", await page.EvaluateAsync<string>("() => window.gridmap.map.getLayoutProperty('proposal-fill', 'visibility')"));
        Assert.Equal(0, await page.EvaluateAsync<double>("() => window.gridmap.map.getPaintProperty('grids-line', 'line-opacity')"));
        await ShotAsync(page, "review-desktop-proposal");
        await panel.Locator(".review-modes button[data-mode=current]").ClickAsync();
        Assert.Equal("none", await page.EvaluateAsync<string>("() => window.gridmap.map.getLayoutProperty('proposal-line', 'visibility')"));
        Assert.Equal(0.55, await page.EvaluateAsync<double>("() => window.gridmap.map.getPaintProperty('grids-fill', 'fill-opacity')"));
        await ShotAsync(page, "review-desktop-current");
        await panel.Locator(".review-modes button[data-mode=compare]").ClickAsync();
        Assert.Equal("visible", await page.EvaluateAsync<string>("() => window.gridmap.map.getLayoutProperty('proposal-line', 'visibility')"));
        Assert.True(await page.EvaluateAsync<double>("() => window.gridmap.map.getPaintProperty('grids-line', 'line-opacity')") > 0);

        // Accept: the store's grids of the community are the proposal's, the dropped ones retired; the panel says so.
        await panel.Locator("button.review-accept", new() { HasText = "接受方案" }).ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-accepted")).ToContainTextAsync($"{proposedCodes.Count} 个网格写入");
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已接受");
        var after = await CommunityGridsAsync(community);
        var stored = after.Values.Where(g => g.Status != "retired").ToDictionary(g => g.Code);
        Assert.Equal(proposedCodes.OrderBy(c => c), stored.Keys.OrderBy(c => c));
        foreach (var f in proposal.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            var g = stored[p.GetProperty("code").GetString()!];
            Assert.Equal(p.GetProperty("households").GetInt32(), g.Households);
            Assert.Equal(p.GetProperty("unit_ids").EnumerateArray().Select(u => u.GetString()!).OrderBy(u => u), g.UnitIds.OrderBy(u => u));
        }
        foreach (var code in active.Keys.Where(c => !proposedCodes.Contains(c))) Assert.Equal("retired", after[code].Status);
        await WebFixture.SourceEmptiedAsync(page, "proposal");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.gridmap.partition.shown.moved"));
        Assert.Equal(0.55, await page.EvaluateAsync<double>("() => window.gridmap.map.getPaintProperty('grids-fill', 'fill-opacity')"));
        // The map's grids were reloaded: a proposed grid shows its new households.
        var someCode = proposedCodes.First();
        var reloaded = await page.EvaluateAsync<int>($$"""
            async () => {
              for (let i = 0; i < 50; i++) {
                const f = window.gridmap.layers.findLoaded('grids', 'code', '{{someCode}}');
                if (f && f.properties.households === {{stored[someCode].Households}}) return f.properties.households;
                await new Promise((r) => setTimeout(r, 100));
              }
              return -1;
            }
            """);
        Assert.Equal(stored[someCode].Households, reloaded);
        await ShotAsync(page, "review-desktop-accepted");

        // The grids were drawn for 150–220 but the community's band is still 200–300: the panel offers to make it so.
        await Assertions.Expect(panel.Locator(".band-offer")).ToContainTextAsync("200–300");
        await panel.Locator("button.band-offer-set").ClickAsync();
        await Assertions.Expect(panel.Locator(".band-set")).ToContainTextAsync("150–220");
        var setting = await GetAsync($"/api/settings/band?community={community}");
        Assert.Equal((150, 220, 185, community), (setting.GetProperty("min").GetInt32(), setting.GetProperty("max").GetInt32(),
            setting.GetProperty("target").GetInt32(), setting.GetProperty("community").GetString()));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Discarding_a_proposal_leaves_the_store_unchanged()
    {
        const string community = "520304002001";
        var before = await CommunityGridsAsync(community);
        var (page, errors) = await OpenAsync();
        var panel = await RunJobAsync(page, community, 150, 220, 185);
        Assert.True(await page.EvaluateAsync<int>("() => window.gridmap.partition.shown.grids") > 0);
        var id = await JobIdAsync(page);
        await panel.Locator("button.review-discard", new() { HasText = "放弃" }).ClickAsync();
        await Assertions.Expect(panel.Locator(".review-discarded")).ToHaveTextAsync("已放弃方案，现有网格没有改变。");
        await Assertions.Expect(panel.Locator("button.review-accept")).ToHaveCountAsync(0);
        await WebFixture.SourceEmptiedAsync(page, "proposal");
        await WebFixture.SourceEmptiedAsync(page, "proposal-moved");
        Assert.Equal(0.55, await page.EvaluateAsync<double>("() => window.gridmap.map.getPaintProperty('grids-fill', 'fill-opacity')"));
        var after = await CommunityGridsAsync(community);
        Assert.Equal(before.Keys.OrderBy(c => c), after.Keys.OrderBy(c => c));
        foreach (var (code, g) in before)
        {
            Assert.Equal(g.Version, after[code].Version);
            Assert.Equal(g.Status, after[code].Status);
        }
        Assert.Equal("done", (await GetAsync($"/api/partition/jobs/{id}")).GetProperty("status").GetString());
        await ShotAsync(page, "review-desktop-discarded");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Accepting_after_a_building_changed_says_so_in_Chinese_writes_nothing_and_runs_the_job_again()
    {
        const string community = "520304003002";
        var (page, errors) = await OpenAsync();
        var panel = await RunJobAsync(page, community, 150, 220, 185);
        var id = await JobIdAsync(page);
        var before = await CommunityGridsAsync(community);

        // A grid worker corrects a building's households meanwhile (its grid is recounted in the same transaction).
        var proposal = await GetAsync($"/api/partition/jobs/{id}/proposal");
        var building = proposal.GetProperty("features")[0].GetProperty("properties").GetProperty("unit_ids").EnumerateArray()
            .Select(u => u.GetString()!.Split('/')[0]).First(u => !u.Contains('#'));
        using (var res = await Http.GetAsync($"{web.BaseUrl}/api/layers/buildings/features/{building}"))
        {
            res.EnsureSuccessStatusCode();
            var feature = JsonNode.Parse(await res.Content.ReadAsStringAsync())!.AsObject();
            var version = feature["version"]!.GetValue<long>();
            feature.Remove("version");
            feature["properties"]!["households"] = feature["properties"]!["households"]!.GetValue<int>() + 3;
            using var put = new HttpRequestMessage(HttpMethod.Put, $"{web.BaseUrl}/api/layers/buildings/features/{building}")
            {
                Content = new StringContent(feature.ToJsonString(), Encoding.UTF8, "application/geo+json"),
            };
            put.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
            using var written = await web.Admin.SendAsync(put);
            Assert.True(written.IsSuccessStatusCode, $"PUT {building}: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
        }
        var changed = await CommunityGridsAsync(community);

        await panel.Locator("button.review-accept").ClickAsync();
        var conflict = panel.Locator(".review-conflict");
        await Assertions.Expect(conflict).ToBeVisibleAsync();
        await Assertions.Expect(conflict.Locator("p.error")).ToContainTextAsync("1 栋楼");
        await Assertions.Expect(conflict.Locator("p.error")).ToContainTextAsync("方案未写入");
        await Assertions.Expect(conflict.Locator("p.error")).ToContainTextAsync("请重新运行划分");
        var recounted = before.Keys.Count(c => before[c].Version != changed[c].Version);
        if (recounted > 0) await Assertions.Expect(conflict.Locator("p.error")).ToContainTextAsync($"{recounted} 个网格");
        await Assertions.Expect(panel.Locator("button.review-accept")).ToHaveCountAsync(0);
        await ShotAsync(page, "review-desktop-conflict");

        // Nothing was written: the community's grids are as the building's correction left them.
        var after = await CommunityGridsAsync(community);
        Assert.Equal(changed.Keys.OrderBy(c => c), after.Keys.OrderBy(c => c));
        foreach (var (code, g) in changed)
        {
            Assert.Equal(g.Version, after[code].Version);
            Assert.Equal(g.Status, after[code].Status);
            Assert.Equal(g.UnitIds, after[code].UnitIds);
        }
        Assert.Equal("done", (await GetAsync($"/api/partition/jobs/{id}")).GetProperty("status").GetString());

        // 重新运行: the same job on the store as it is now, with the same bounds and fresh; this one can be accepted.
        await panel.Locator("button.review-rerun", new() { HasText = "重新运行" }).ClickAsync();
        await page.WaitForFunctionAsync("(old) => { const p = window.gridmap.partition; return p.job?.id !== old && p.job?.status === 'done' && p.review; }", id,
            new() { Timeout = 90_000 });
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 已完成");
        await Assertions.Expect(panel.Locator("button.review-accept")).ToBeVisibleAsync();
        var rerun = await GetAsync($"/api/partition/jobs/{await JobIdAsync(page)}");
        Assert.NotEqual(id, rerun.GetProperty("id").GetString());
        Assert.Equal(150, rerun.GetProperty("parameters").GetProperty("min").GetInt32());
        Assert.Equal(220, rerun.GetProperty("parameters").GetProperty("max").GetInt32());
        Assert.True(rerun.GetProperty("parameters").GetProperty("fresh").GetBoolean());
        await panel.Locator("button.review-accept").ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-accepted")).ToBeVisibleAsync();
        Assert.Empty(Unexpected(errors, 409)); // the browser logs the refused accept itself
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_failed_job_says_so_in_Chinese_with_the_English_detail_as_tooltip()
    {
        var (page, errors) = await OpenAsync();
        const string failed = """
            {"id":"f00000000000dead","kind":"partition","scope":"520304001003","status":"failed","progress":0.4,
             "parameters":{"min":150,"max":220,"target":185,"fresh":true},"report":null,"error":"Unit b00012 has no whole households",
             "created":"2026-12-04T00:00:00Z","updated":"2026-12-04T00:00:01Z"}
            """;
        await page.RouteAsync("**/api/partition/jobs", route => route.FulfillAsync(new() { Status = 202, ContentType = "application/json", Body = failed }));
        await page.RouteAsync("**/api/partition/jobs/f00000000000dead", route => route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = failed }));
        await page.Locator("#partition-open").ClickAsync();
        var panel = page.Locator("#partition");
        await panel.Locator("input[name=scope]").FillAsync("520304001003");
        await panel.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator(".partition-status")).ToHaveTextAsync("状态: 失败");
        var failure = panel.Locator(".partition-failure");
        await Assertions.Expect(failure).ToContainTextAsync("划分失败");
        Assert.Equal("Unit b00012 has no whole households", await failure.GetAttributeAsync("title"));
        Assert.DoesNotContain("Unit", await failure.InnerTextAsync());
        await Assertions.Expect(panel.Locator("button.review-rerun")).ToBeVisibleAsync();
        await ShotAsync(page, "review-desktop-failed");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_review_fits_the_screen()
    {
        var (page, errors) = await OpenAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        var panel = await RunJobAsync(page, "520304002002", 150, 220, 185, phone: true);
        var box = (await panel.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= 390.5, $"panel from {box.X} to {box.X + box.Width}");
        Assert.True(box.Y + box.Height <= 844.5, $"panel bottom {box.Y + box.Height}");
        // Nothing wider than the panel: no sideways scrolling of the whole panel.
        var overflow = await page.EvaluateAsync<double>("() => { const p = document.getElementById('partition'); return p.scrollWidth - p.clientWidth; }");
        Assert.True(overflow <= 1, $"the panel scrolls sideways by {overflow}px");
        var table = (await panel.Locator(".review-table-wrap").BoundingBoxAsync())!;
        Assert.True(table.X >= box.X - 0.5 && table.X + table.Width <= box.X + box.Width + 0.5, "the table stays inside the panel");
        await Assertions.Expect(panel.Locator(".review-modes")).ToBeVisibleAsync();
        await ShotAsync(page, "review-phone");
        await panel.Locator(".review-table-wrap").ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "review-phone-table");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
