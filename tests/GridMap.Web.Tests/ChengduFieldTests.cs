using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// The other two users on imported, partitioned Chengdu (provisional areas, no workers from OSM): an organisation
/// department reads coverage by community and grid, tries a new station and exports the CSV; a grid worker, named on
/// their grid by an admin, opens the map on a phone and lands on that grid with its worker to call, its buildings and
/// the nearest stations by walking minutes.
/// </summary>
[Collection(ChengduCollection.Name)]
public sealed class ChengduFieldTests(ChengduPlannerFixture web, ITestOutputHelper output)
{
    const string Password = "chengdu-field-42";

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"chengdu-{name}.png")}");

    async Task<List<JsonObject>> ActiveGridsAsync() =>
        JsonNode.Parse(await web.Admin.GetStringAsync("/api/layers/grids/features?limit=10000"))!["features"]!.AsArray()
            .Select(g => g!.AsObject()).Where(g => g["properties"]!["status"]?.GetValue<string>() != "retired").ToList();

    async Task<IBrowserContext> SignedInAsync(string name, string[] account, BrowserNewContextOptions options)
    {
        await web.CliAsync(["user", "add", name, .. account, "--password-stdin"], Password);
        options.ServiceWorkers = ServiceWorkerPolicy.Block;
        var context = await web.Browser.NewContextAsync(options);
        await web.SignInAsync(context, name, Password);
        return context;
    }

    [Fact]
    public async Task An_organisation_department_reads_coverage_of_the_provisional_communities_tries_a_station_and_exports_CSV()
    {
        await web.PartitionedAsync();
        var grids = await ActiveGridsAsync();
        // The provisional district with most grids (an extract may form more than one).
        var district = grids.GroupBy(g => g["properties"]!["community_code"]!.GetValue<string>()[..6]).MaxBy(g => g.Count())!.Key;
        var context = await SignedInAsync("zhao.org", ["--role", "organisation", "--scope", district],
            new() { ViewportSize = new() { Width = 1280, Height = 800 }, AcceptDownloads = true });
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var panel = await OrganisationTests.ComputeAsync(page);
        // The scope reads as the district's name (成华区…), its provisional code beside it.
        var districtName = JsonNode.Parse(await web.Admin.GetStringAsync($"/api/layers/districts/features/{district}"))!["properties"]!["name"]!.GetValue<string>();
        await Assertions.Expect(panel.Locator(".coverage-scope")).ToContainTextAsync($"我的范围: {districtName} ({district})");

        // By community: every provisional community, named (after its largest compound), worst first.
        var evaluated = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
            async () => {
              const s = window.gridmap.coverage.state;
              const q = Object.entries(s.query()).filter(([, v]) => v != null && v !== '');
              return { report: await (await fetch('/api/coverage?' + new URLSearchParams(q))).json(), focus: s.focus };
            }
            """);
        var report = JsonNode.Parse(evaluated.GetRawText())!;
        var focus = report["focus"]!.GetValue<string>();
        var byCommunity = report["report"]!["by_community"]!.AsObject().Where(p => p.Key.StartsWith(district)).ToList();
        var byGrid = report["report"]!["by_grid"]!.AsObject().Count(p => p.Key.StartsWith(district));
        var rows = panel.Locator(".coverage-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(byCommunity.Count);
        Assert.InRange(byCommunity.Count, 10, 50);
        var shares = (await rows.EvaluateAllAsync<double[]>("rows => rows.map((r) => Number(r.dataset.share))")).ToList();
        Assert.Equal(shares.Order(), shares);
        var firstName = await rows.First.InnerTextAsync();
        Assert.DoesNotMatch("^9900", firstName.Trim());
        await ShotAsync(page, "organisation-communities");

        // By grid: every basic grid the report counts.
        await panel.Locator("[data-tab=grids]").ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(byGrid);

        // What-if: a station at the largest gap's first uncovered building raises the covered share.
        var at = await page.EvaluateAsync<double[]>("""
            async (focus) => {
              const s = window.gridmap.coverage.state;
              const q = Object.entries(s.query()).filter(([, v]) => v != null && v !== '');
              const gaps = (await (await fetch('/api/coverage/gaps?' + new URLSearchParams(q))).json()).features
                .filter((f) => f.properties.threshold === focus && f.properties.uncovered_buildings?.length)
                .sort((a, b) => b.properties.households - a.properties.households);
              const b = gaps[0].properties.uncovered_buildings[0];
              return [b.lon, b.lat];
            }
            """, focus);
        await panel.Locator("[data-tool=add]").ClickAsync();
        var (x, y) = await OrganisationTests.CentreOnAsync(page, at);
        await page.Mouse.ClickAsync(x, y);
        await page.WaitForFunctionAsync("""
            (focus) => {
              const e = document.querySelector(`#coverage .coverage-share[data-threshold="${focus}"]`);
              return e && e.dataset.after && Number(e.dataset.after) > Number(e.dataset.share);
            }
            """, focus, new() { Timeout = 60_000 });
        await Assertions.Expect(panel.Locator(".coverage-edits li")).ToHaveCountAsync(1);
        await ShotAsync(page, "organisation-whatif");

        // The CSV: a line per community and per grid, with the communities' names.
        var download = page.WaitForDownloadAsync();
        await panel.Locator(".coverage-csv").ClickAsync();
        var bytes = await File.ReadAllBytesAsync((await (await download).PathAsync())!);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        Assert.Equal(byCommunity.Count, lines.Count(l => l[0] == "社区"));
        Assert.Equal(byGrid, lines.Count(l => l[0] == "网格"));
        Assert.All(lines.Where(l => l[0] == "社区"), l => Assert.False(string.IsNullOrWhiteSpace(l[2]), $"community {l[1]} has a name"));
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_grid_worker_named_on_a_grid_opens_the_map_on_a_phone_and_sees_the_grid_the_worker_buildings_and_walks()
    {
        await web.PartitionedAsync();
        // A basic grid with whole buildings, the one with most.
        var grid = (await ActiveGridsAsync())
            .Where(g => g["properties"]!["type"]?.GetValue<string>() is null or "basic")
            .OrderByDescending(g => g["properties"]!["unit_ids"]!.AsArray().Count(u => !u!.GetValue<string>().StartsWith("remainder-")))
            .ThenBy(g => g["id"]!.GetValue<string>(), StringComparer.Ordinal).First();
        var code = grid["id"]!.GetValue<string>();
        var buildings = grid["properties"]!["unit_ids"]!.AsArray().Select(u => u!.GetValue<string>().Split('/')[0]).Distinct().Count();

        // The admin names the worker on the grid (with the account that is theirs), as the street office would.
        using var read = await web.Admin.GetAsync($"/api/layers/grids/features/{code}");
        var stored = JsonNode.Parse(await read.Content.ReadAsStringAsync())!.AsObject();
        stored["properties"]!["workers"] = new JsonArray(new JsonObject { ["name"] = "刘芳", ["phone"] = "138 0000 1234", ["account"] = "liu.worker" });
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/grids/features/{code}")
        {
            Content = new StringContent(stored.ToJsonString(), Encoding.UTF8, "application/geo+json"),
        };
        put.Headers.IfMatch.Add(read.Headers.ETag!);
        var written = await web.Admin.SendAsync(put);
        Assert.True(written.IsSuccessStatusCode, $"{(int)written.StatusCode}: {await written.Content.ReadAsStringAsync()}");

        var context = await SignedInAsync("liu.worker", ["--role", "worker", "--grids", code], new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        var info = page.Locator("#info");
        await Assertions.Expect(info.Locator(".grid-code").First).ToHaveTextAsync(code, new() { Timeout = 30_000 });
        await Assertions.Expect(info.Locator(".grid-code").First).ToBeInViewportAsync();
        // Their own grid: the worker's name and phone, tap to call.
        await Assertions.Expect(info).ToContainTextAsync("刘芳");
        Assert.Equal("tel:13800001234", await info.Locator("a.worker-phone").First.GetAttributeAsync("href"));
        // The nearest stations with walking minutes over the imported walking network.
        await Assertions.Expect(info.Locator("ul.stations .st-dist").First).ToContainTextAsync("步行");
        // No planning tools for a worker.
        await Assertions.Expect(info.Locator(".partition-here")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#planner-open")).ToBeHiddenAsync();
        await ShotAsync(page, "worker-grid");

        await info.Locator(".grid-buildings-button").ClickAsync();
        await Assertions.Expect(info.Locator("ol.grid-buildings li")).ToHaveCountAsync(buildings);
        await ShotAsync(page, "worker-buildings");
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}
