using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GridMap.Web.Tests;

/// <summary>
/// Central Chengdu imported from OpenStreetMap (like <see cref="OsmStoreFixture"/>: no districts, streets or
/// communities), then partitioned with scope <c>all</c> and accepted through the API, once for the class: one
/// the provisional communities the import formed (codes 9900xx9xx9xx, grids 9900xx9xx9xx001…) over 800 buildings and 178
/// compound remainder units.
/// </summary>
public sealed class ChengduPlannerFixture(IMessageSink sink) : WebFixture(sink)
{
    readonly SemaphoreSlim _once = new(1, 1);
    bool _partitioned;

    protected override IEnumerable<string> ServeOptions => ["--no-sample"];

    protected override Task PrepareStoreAsync(string dataDir, Func<string[], Task> gridmap) =>
        gridmap(["import", "osm", OsmStoreFixture.SharedGeodata("chengdu-2018/chengdu.osm.pbf"), "--data", dataDir]);

    /// <summary>POST /api/partition/jobs {"scope": "all"}, wait for it, accept it (the first caller does; the rest wait).</summary>
    public async Task PartitionedAsync()
    {
        await _once.WaitAsync();
        try
        {
            if (_partitioned) return;
            var http = Admin;
            using var start = await http.PostAsJsonAsync("/api/partition/jobs", new { scope = "all" });
            start.EnsureSuccessStatusCode();
            var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10); // two shared cores
            for (;;)
            {
                var job = await http.GetFromJsonAsync<JsonElement>($"/api/partition/jobs/{id}");
                var status = job.GetProperty("status").GetString();
                if (status == "done") break;
                if (status is "failed" or "cancelled") throw new InvalidOperationException($"partition job {id}: {job}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"partition job {id} still {status}");
                await Task.Delay(500);
            }
            using var accept = await http.PostAsync($"/api/partition/jobs/{id}/accept", null);
            var body = await accept.Content.ReadAsStringAsync();
            if (!accept.IsSuccessStatusCode) throw new InvalidOperationException($"accept {id}: {(int)accept.StatusCode} {body}");
            Say($"partitioned scope all and accepted: {body}");
            _partitioned = true;
        }
        finally
        {
            _once.Release();
        }
    }
}

/// <summary>The 网格编辑 panel on an imported OSM store: a provisional area instead of communities, hundreds of grids.</summary>
[CollectionDefinition(Name)]
public sealed class ChengduCollection : ICollectionFixture<ChengduPlannerFixture>
{
    /// <summary>The classes that share one imported, partitioned Chengdu (imported and partitioned once).</summary>
    public const string Name = "chengdu";
}

[Collection(ChengduCollection.Name)]
public sealed class PlannerChengduTests(ChengduPlannerFixture web, ITestOutputHelper output)
{
    /// <summary>
    /// Like PlannerTests.FindMoveJs, for hundreds of grids: vertex sets and boxes computed once, pairs compared only when
    /// their boxes meet. A: a grid with at least two buildings; B: the grid sharing most boundary with it; the building of
    /// A (with households) nearest to that boundary.
    /// </summary>
    const string FindMoveJs = """
        () => {
          const p = window.gridmap.planner;
          const key = (c) => c[0].toFixed(6) + ',' + c[1].toFixed(6);
          const count = new Map();
          for (const [id, g] of p.view.gridOf) if (g && (p.snapshot.buildings.get(id).properties.households ?? 0) > 0) count.set(g, (count.get(g) ?? 0) + 1);
          const grids = [...p.view.grids.values()].filter((g) => g.properties.type !== 'dedicated').map((g) => {
            const verts = new Map(); let box = [Infinity, Infinity, -Infinity, -Infinity];
            const walk = (c) => { if (typeof c[0] === 'number') { verts.set(key(c), c); box = [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])]; } else c.forEach(walk); };
            walk(g.geometry.coordinates);
            return { g, code: g.properties.code, verts, box };
          });
          let best = null;
          for (const a of grids) {
            if ((count.get(a.code) ?? 0) < 2) continue;
            for (const b of grids) {
              if (a === b || b.box[0] > a.box[2] || b.box[2] < a.box[0] || b.box[1] > a.box[3] || b.box[3] < a.box[1]) continue;
              const shared = [...b.verts].filter(([k]) => a.verts.has(k)).map(([, c]) => c);
              if (shared.length >= 2 && (!best || shared.length > best.shared.length)) best = { a: a.g, b: b.g, shared };
            }
          }
          const cx = best.shared.reduce((s, c) => s + c[0], 0) / best.shared.length;
          const cy = best.shared.reduce((s, c) => s + c[1], 0) / best.shared.length;
          const centre = (g) => { let x = 0, y = 0, n = 0; const walk = (c) => { if (typeof c[0] === 'number') { x += c[0]; y += c[1]; n++; } else c.forEach(walk); }; walk(g.coordinates); return [x / n, y / n]; };
          let building = null, dist = Infinity;
          for (const [id, g] of p.view.gridOf) {
            if (g !== best.a.properties.code) continue;
            const b = p.snapshot.buildings.get(id);
            // A building whole in A: not a tower or remainder whose stairwells A shares with other grids.
            if (!b.geometry || b.geometry.type === 'Point' || !(b.properties.households > 0) || (b.properties.grid_codes ?? []).length > 1) continue;
            const [x, y] = centre(b.geometry);
            const d = (x - cx) ** 2 + (y - cy) ** 2;
            if (d < dist) { dist = d; building = b; }
          }
          return { a: best.a.properties.code, b: best.b.properties.code, aHouseholds: best.a.properties.households, bHouseholds: best.b.properties.households,
                   building: String(building.id), households: building.properties.households };
        }
        """;

    async Task<JsonElement> StoredAsync(string layer, string id)
    {
        var http = web.Admin;
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{web.BaseUrl}/api/layers/{layer}/features/{Uri.EscapeDataString(id)}"));
        return doc.RootElement.Clone();
    }

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"{name}-{web.ServerKind}.png")}");

    [Fact]
    public async Task On_the_partitioned_OSM_store_a_planner_moves_a_building_to_a_neighbouring_grid_of_a_provisional_community_and_saves()
    {
        await web.PartitionedAsync();
        var context = await web.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await web.SignInAsync(context);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add($"console: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");
        await page.GotoAsync(web.BaseUrl + "/");
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });

        // The extract has no boundaries: the import formed provisional communities, and every grid names one.
        var stored = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const fc = await (await fetch('/api/layers/grids/features?limit=10000')).json();
              const active = fc.features.filter((f) => f.properties.status !== 'retired');
              const bad = (c) => active.filter((f) => f.properties.community_code === c && f.properties.type !== 'dedicated' && (f.properties.band_status !== 'in' || (f.geometry.type === 'MultiPolygon' && f.geometry.coordinates.length > 1))).length;
              const areas = [...new Set(active.map((f) => f.properties.community_code))];
              const units = (c) => new Set(active.filter((f) => f.properties.community_code === c).flatMap((f) => (f.properties.unit_ids ?? []).map((u) => u.split('/')[0]))).size;
              // A community with a basic grid holding two whole buildings (one to move): not every one has (some hold only compound remainders).
              const whole = (f) => (f.properties.unit_ids ?? []).filter((u) => !u.includes('/') && !u.startsWith('remainder-')).length;
              const movable = areas.filter((a) => active.some((f) => f.properties.community_code === a && f.properties.type !== 'dedicated' && whole(f) >= 2)).sort();
              return { movable: movable[0], grids: active.length, basic: active.filter((f) => f.properties.type !== 'dedicated').length, areas, perArea: Object.fromEntries(areas.map((a) => [a, [active.filter((f) => f.properties.community_code === a).length, bad(a), units(a)]])) };
            }
            """);
        var areas = stored.GetProperty("areas").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.All(areas, a => Assert.Matches("^9900[0-9]{2}9[0-9]{2}9[0-9]{2}$", a));
        Assert.InRange(areas.Count, 30, 50);
        // Basic grids where the households are; campuses, hospitals, business land, parks and empty land between major
        // roads are dedicated grids.
        Assert.InRange(stored.GetProperty("basic").GetInt32(), 300, 400);
        Assert.InRange(stored.GetProperty("grids").GetInt32() - stored.GetProperty("basic").GetInt32(), 100, 250);
        var t0 = DateTime.UtcNow;
        var code = await PlannerTests.OpenPlannerAsync(page, 0);
        if (stored.GetProperty("movable").GetString() is { } movable && movable != code)
        {
            await page.Locator("#planner select[name=community]").SelectOptionAsync(movable);
            await page.WaitForFunctionAsync("code => { const p = window.gridmap.planner; return p.snapshot?.community === code && !p.loading && p.view; }", movable);
            await Assertions.Expect(page.Locator("#planner .planner-health h3")).ToContainTextAsync("网格体检");
            code = movable;
        }
        output.WriteLine($"planner opened on {code} in {(DateTime.UtcNow - t0).TotalMilliseconds:F0} ms (incl. the pick)");
        Assert.Contains(code, areas);
        var panel = page.Locator("#planner");
        await Assertions.Expect(panel.Locator($"select[name=community] option[value='{code}']")).ToContainTextAsync("暂定");
        var grids = stored.GetProperty("perArea").GetProperty(code)[0].GetInt32();
        Assert.Equal(grids, await PlannerTests.EvalAsync<int>(page, "() => window.gridmap.planner.view.grids.size"));
        // The community's buildings and remainder units: every unit its grids hold (the first community of the
        // reading order holds only compound remainders, split between its grids by stairwell: fewer units than grids).
        Assert.True(await PlannerTests.EvalAsync<int>(page, "() => window.gridmap.planner.shown.buildings") >= stored.GetProperty("perArea").GetProperty(code)[2].GetInt32());
        Assert.Equal(grids, await page.Locator(".planner-label").CountAsync());
        await Assertions.Expect(panel.Locator(".planner-health h3")).ToHaveTextAsync($"网格体检 ({stored.GetProperty("perArea").GetProperty(code)[1].GetInt32()})");
        await ShotAsync(page, "planner-chengdu-open");

        var r = await page.EvaluateAsync<JsonElement>(FindMoveJs);
        var m = new PlannerTests.Move(r.GetProperty("a").GetString()!, r.GetProperty("b").GetString()!, r.GetProperty("aHouseholds").GetInt32(),
            r.GetProperty("bHouseholds").GetInt32(), r.GetProperty("building").GetString()!, r.GetProperty("households").GetInt32());
        output.WriteLine($"move {m.Building} ({m.Households} 户) from {m.A} ({m.AHouseholds}) to {m.B} ({m.BHouseholds})");
        Assert.StartsWith(code, m.A);
        // Labels show a 15-digit code's last three digits.
        await Assertions.Expect(page.Locator($".planner-label[data-code='{m.A}'] .code")).ToHaveTextAsync(m.A[^3..]);

        await PlannerTests.PreviewMoveAsync(page, m);
        var timings = await page.EvaluateAsync<JsonElement>("() => window.gridmap.planner.previewTimings");
        output.WriteLine($"preview: dry run {timings.GetProperty("request").GetInt32()} ms, drawing {timings.GetProperty("draw").GetInt32()} ms");
        await ShotAsync(page, "planner-chengdu-preview");
        await panel.Locator(".planner-apply").ClickAsync();
        await panel.Locator(".planner-save").ClickAsync();
        await Assertions.Expect(panel.Locator(".planner-message.ok")).ToContainTextAsync("已保存", new() { Timeout = 30_000 });

        // The store: both grids' households changed by the building's, and the building names its new grid.
        Assert.Equal(m.AHouseholds - m.Households, (await StoredAsync("grids", m.A)).GetProperty("properties").GetProperty("households").GetInt32());
        Assert.Equal(m.BHouseholds + m.Households, (await StoredAsync("grids", m.B)).GetProperty("properties").GetProperty("households").GetInt32());
        Assert.Equal(m.B, (await StoredAsync("buildings", m.Building)).GetProperty("properties").GetProperty("grid_code").GetString());
        await Assertions.Expect(page.Locator($".planner-label[data-code='{m.A}'] .hh")).ToHaveTextAsync($"{m.AHouseholds - m.Households} 户");

        // A new grid in the community takes the next sequence after its highest.
        var next = await page.EvaluateAsync<string>("""
            async (community) => {
              const fc = await (await fetch('/api/layers/grids/features?limit=10000')).json();
              const seq = fc.features.map((f) => String(f.properties.code)).filter((c) => c.length === 15 && c.startsWith(community)).map((c) => parseInt(c.slice(12), 10));
              return community + String(Math.max(...seq) + 1).padStart(3, '0');
            }
            """, code);
        // Another building of A, away from A's label (a DOM marker that would take the click).
        var other = await page.EvaluateAsync<string>("""
            async (a) => {
              const { labelPoint } = await import('/src/geo.js');
              const p = window.gridmap.planner;
              const [lx, ly] = labelPoint(p.view.grids.get(a).geometry);
              let best = null, far = -1;
              for (const [id, g] of p.view.gridOf) {
                const b = p.snapshot.buildings.get(id);
                if (g !== a || !b.geometry || b.geometry.type === 'Point' || b.properties.households_rule === 'compound_remainder') continue;
                const [x, y] = labelPoint(b.geometry);
                const d = (x - lx) ** 2 + (y - ly) ** 2;
                if (d > far) { far = d; best = id; }
              }
              return String(best);
            }
            """, m.A);
        var (points, _) = await PlannerTests.FrameAsync(page, [other], null);
        await page.Mouse.ClickAsync(points[0].X, points[0].Y);
        await Assertions.Expect(panel.Locator(".planner-selection")).ToContainTextAsync("已选 1 栋");
        await panel.Locator(".planner-action[data-action=create]").ClickAsync();
        await Assertions.Expect(panel.Locator($".planner-touched tr[data-code='{next}'] .tag.new")).ToHaveTextAsync("新");
        await ShotAsync(page, "planner-chengdu-new-grid");
        await panel.Locator(".planner-cancel").ClickAsync();
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_a_field_worker_taps_a_compounds_unmapped_land_and_sees_its_households_and_grids()
    {
        await web.PartitionedAsync();
        var context = await web.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        await web.SignInAsync(context);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add($"console: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");

        // A remainder split between grids, at a point of its land no mapped building covers.
        var http = web.Admin;
        var all = JsonNode.Parse(await http.GetStringAsync($"{web.BaseUrl}/api/layers/buildings/features?limit=10000"))!["features"]!.AsArray();
        static NetTopologySuite.Geometries.Geometry Read(JsonNode g) =>
            JsonSerializer.Deserialize<NetTopologySuite.Geometries.Geometry>(g.ToJsonString(), GridMap.Server.Partitioning.GeometryJson.Options)!;
        var mapped = all.Where(f => f!["properties"]!["households_rule"]?.GetValue<string>() != "compound_remainder")
            .Select(f => Read(f!["geometry"]!)).ToList();
        var (remainder, at) = all.Where(f => f!["properties"]!["households_rule"]?.GetValue<string>() == "compound_remainder"
                && f["properties"]!["grid_codes"] is JsonArray { Count: > 1 })
            .Select(f => (Feature: f!, At: Read(f!["geometry"]!).InteriorPoint))
            .First(x => !mapped.Any(m => m.Covers(x.At)));
        var grids = remainder["properties"]!["grid_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();

        await page.GotoAsync(FormattableString.Invariant($"{web.BaseUrl}/?lon={at.X:0.0000000}&lat={at.Y:0.0000000}&z=17"));
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });
        var box = (await page.Locator("#map").BoundingBoxAsync())!;
        var centre = await page.EvaluateAsync<JsonElement>("([lon, lat]) => { const p = window.gridmap.map.project([lon, lat]); return { x: p.x, y: p.y }; }", new[] { at.X, at.Y });
        await page.Touchscreen.TapAsync(box.X + centre.GetProperty("x").GetSingle(), box.Y + centre.GetProperty("y").GetSingle());
        var info = page.Locator("#info");
        await Assertions.Expect(info).ToContainTextAsync("小区未测绘住户", new() { Timeout = 20_000 });
        await Assertions.Expect(info).ToContainTextAsync("分属网格");
        foreach (var code in grids) await Assertions.Expect(info).ToContainTextAsync(code);
        await Assertions.Expect(info.Locator(".grid-code")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^9900[0-9]{11}$"));
        // The district from the extract's admin boundaries (provisional code: the relation carries none).
        await Assertions.Expect(info.Locator("dl.facts .row").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^区/县\\s*[金成武青锦][牛华侯羊江]区 \\(9900[0-9]{2}\\)$"));
        await ShotAsync(page, "phone-chengdu-remainder");
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}
