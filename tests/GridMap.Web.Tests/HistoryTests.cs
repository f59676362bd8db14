using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// A grid's history in the side panel and restoring an older version (docs/history.md), and a grid worker correcting a
/// building's households on a phone (docs/security.md): through the real server and Chromium on the sample city.
/// </summary>
public sealed class HistoryTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    const string Password = "correct-horse-42";

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"history-{name}.png")}");

    async Task<JsonObject> GetAsync(string path) => JsonNode.Parse(await web.Admin.GetStringAsync(path))!.AsObject();

    /// <summary>Two grids of one community and a whole building of the first (sorted by code: the same every run).</summary>
    async Task<(JsonObject From, JsonObject To, string Building)> PickAsync(int skip)
    {
        var grids = (await GetAsync("/api/layers/grids/features?limit=1000"))["features"]!.AsArray().Select(g => g!.AsObject())
            .Where(g => g["properties"]!["type"]?.GetValue<string>() is null or "basic" && g["properties"]!["unit_ids"] is JsonArray { Count: > 2 })
            .OrderBy(g => g["id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        var from = grids[skip];
        var community = from["properties"]!["community_code"]!.GetValue<string>();
        var to = grids.First(g => g != from && g["properties"]!["community_code"]!.GetValue<string>() == community);
        var building = from["properties"]!["unit_ids"]!.AsArray().Select(n => n!.GetValue<string>()).First(id => !id.Contains('/') && !id.StartsWith("remainder-"));
        return (from, to, building);
    }

    static string Id(JsonObject f) => f["id"]!.GetValue<string>();

    async Task<string?> GridOfAsync(string building) =>
        (await GetAsync($"/api/layers/buildings/features/{building}"))["properties"]!["grid_code"]?.GetValue<string>();

    [Fact]
    public async Task A_planner_sees_a_grids_history_and_restores_the_version_before_a_move()
    {
        var (from, to, building) = await PickAsync(3);
        var assign = new JsonObject
        {
            ["assignments"] = new JsonArray(new JsonObject { ["building"] = building, ["grid"] = Id(to) }),
            ["versions"] = new JsonObject { [Id(from)] = from["version"]!.GetValue<long>(), [Id(to)] = to["version"]!.GetValue<long>() },
        };
        using (var moved = await web.Admin.PostAsync("/api/grids/assign", new StringContent(assign.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(Id(to), await GridOfAsync(building));

        var (page, errors) = await web.OpenPageAsync($"/?grid={Id(to)}");
        await Assertions.Expect(page.Locator("#info .grid-code").First).ToHaveTextAsync(Id(to));
        await page.Locator("#info .grid-history-button").ClickAsync();
        var newest = page.Locator("#info .history-entry").First;
        await Assertions.Expect(newest.Locator(".history-kind")).ToHaveTextAsync("调整楼栋");
        await Assertions.Expect(newest.Locator(".history-restore")).ToHaveTextAsync($"恢复到 v{to["version"]}");

        await newest.Locator(".history-restore").ClickAsync();
        var preview = page.Locator("#info .history-preview");
        await Assertions.Expect(preview).ToContainTextAsync("将移动 1 栋楼，涉及 2 个网格");
        await ShotAsync(page, "preview");
        Assert.Equal(Id(to), await GridOfAsync(building)); // a preview writes nothing

        await preview.GetByRole(AriaRole.Button, new() { Name = "确认恢复" }).ClickAsync();
        await Assertions.Expect(page.Locator("#info .history-done")).ToContainTextAsync($"已恢复到 v{to["version"]}");
        Assert.Equal(Id(from), await GridOfAsync(building));
        await Assertions.Expect(page.Locator("#info .history-entry").First.Locator(".history-kind")).ToHaveTextAsync("恢复版本");
        await ShotAsync(page, "restored");
        Assert.Empty(errors);
        await page.Context.CloseAsync();

        // A viewer reads the history but is offered no restore.
        await web.CliAsync(["user", "add", "zhao.viewer", "--role", "viewer", "--password-stdin"], Password);
        var context = await web.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await web.SignInAsync(context, "zhao.viewer", Password);
        var (viewer, _) = await web.OpenPageAsync($"/?grid={Id(to)}", context: context);
        await viewer.Locator("#info .grid-history-button").ClickAsync();
        await Assertions.Expect(viewer.Locator("#info .history-entry").First.Locator(".history-kind")).ToHaveTextAsync("恢复版本");
        await Assertions.Expect(viewer.Locator("#info .history-restore")).ToHaveCountAsync(0);
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_grid_worker_corrects_the_households_of_a_building_in_their_grid_on_a_phone()
    {
        var (grid, other, building) = await PickAsync(5);
        var elsewhere = other["properties"]!["unit_ids"]!.AsArray().Select(n => n!.GetValue<string>()).First(id => !id.Contains('/') && !id.StartsWith("remainder-"));
        await web.CliAsync(["user", "add", "wang.worker", "--role", "worker", "--grids", Id(grid), "--can-edit-households", "--password-stdin"], Password);
        var context = await web.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        await web.SignInAsync(context, "wang.worker", Password);
        // A worker's map opens on their own grid.
        var (page, errors) = await web.OpenPageAsync("/", context: context);
        await Assertions.Expect(page.Locator("#info .grid-code").First).ToHaveTextAsync(Id(grid));

        async Task LookUpAsync(string id) => await page.EvaluateAsync($$"""
            async () => {
              const { labelPoint } = await import('/src/geo.js');
              const f = await (await fetch('/api/layers/buildings/features/{{id}}')).json();
              const [lon, lat] = labelPoint(f.geometry);
              await window.gridmap.showLookup(lon, lat);
            }
            """);

        // Another grid's building: no correction offered.
        await LookUpAsync(elsewhere);
        await Assertions.Expect(page.Locator("#info .grid-code").First).ToHaveTextAsync(Id(other));
        await Assertions.Expect(page.Locator("#info .correct-households")).ToHaveCountAsync(0);

        await LookUpAsync(building);
        await Assertions.Expect(page.Locator("#info .grid-code").First).ToHaveTextAsync(Id(grid));
        var before = (await GetAsync($"/api/layers/buildings/features/{building}"))["properties"]!["households"]!.GetValue<int>();
        await page.Locator("#info .correct-households").ClickAsync();
        var input = page.Locator("#info .households-form input[name=households]");
        await Assertions.Expect(input).ToHaveValueAsync(before.ToString());
        await input.FillAsync((before + 7).ToString());
        await page.Locator("#info .households-form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#info .facts")).ToContainTextAsync($"{before + 7} 户");
        await ShotAsync(page, "worker-corrected");

        var stored = await GetAsync($"/api/layers/buildings/features/{building}");
        Assert.Equal(before + 7, stored["properties"]!["households"]!.GetValue<int>());
        var history = await GetAsync($"/api/layers/buildings/features/{building}/history");
        Assert.Equal("wang.worker", history["entries"]![0]!["author"]!.GetValue<string>());
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task The_change_list_shows_who_changed_what_and_undoes_a_move()
    {
        var (from, to, building) = await PickAsync(8);
        var assign = new JsonObject
        {
            ["assignments"] = new JsonArray(new JsonObject { ["building"] = building, ["grid"] = Id(to) }),
            ["versions"] = new JsonObject { [Id(from)] = from["version"]!.GetValue<long>(), [Id(to)] = to["version"]!.GetValue<long>() },
        };
        long change;
        using (var moved = await web.Admin.PostAsync("/api/grids/assign", new StringContent(assign.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        change = (await GetAsync("/api/changes?limit=1"))["changes"]![0]!["id"]!.GetValue<long>();

        var (page, errors) = await web.OpenPageAsync("/");
        await page.Locator("#changes-open").ClickAsync();
        var row = page.Locator($"#changes .change[data-id='{change}']");
        await Assertions.Expect(row.Locator(".history-kind")).ToHaveTextAsync($"#{change} 调整楼栋");
        await Assertions.Expect(row).ToContainTextAsync("楼栋 1、网格 2");
        page.Dialog += async (_, d) => await d.AcceptAsync();
        await row.Locator(".change-revert").ClickAsync();
        await Assertions.Expect(page.Locator("#changes .changes-note")).ToContainTextAsync($"已撤销 #{change}");
        Assert.Equal(Id(from), await GridOfAsync(building));
        await Assertions.Expect(page.Locator($"#changes .change[data-id='{change}'] .changes-state")).ToContainTextAsync("已被");
        await ShotAsync(page, "changes");
        Assert.Empty(errors);
        await page.Context.CloseAsync();

        // A viewer on a phone reads the list (in the 工具 menu) and is offered no 撤销.
        await web.CliAsync(["user", "add", "sun.viewer", "--role", "viewer", "--password-stdin"], Password);
        var context = await web.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        await web.SignInAsync(context, "sun.viewer", Password);
        var (phone, _) = await web.OpenPageAsync("/", context: context);
        await phone.Locator("#tools .tools-toggle").ClickAsync();
        await phone.Locator("#changes-open").ClickAsync();
        await Assertions.Expect(phone.Locator($"#changes .change[data-id='{change}']")).ToBeVisibleAsync();
        await Assertions.Expect(phone.Locator("#changes .change-revert")).ToHaveCountAsync(0);
        await ShotAsync(phone, "changes-phone");
        await context.CloseAsync();
    }
}
