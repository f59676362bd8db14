using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// The map draws its dense layers from vector tiles (issue 11, docs/tiles.md): no GeoJSON paging of buildings, grids,
/// compounds or the network, labels from the tiles, a write seen through the tile URL's layer version, and 服务圈's
/// building colours as feature-state on those tiles instead of one GeoJSON of every building.
/// </summary>
public sealed class TileMapTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    static readonly Regex DenseGeoJson = new(@"/api/layers/(buildings|grids|compounds|network)/features(\?|$)");

    /// <summary>A page with every request it makes recorded (from before it loads).</summary>
    async Task<(IPage Page, List<string> Errors, List<string> Requests)> OpenAsync(string path = "/")
    {
        var requests = new List<string>();
        var (page, errors) = await web.OpenPageAsync(path, prepare: p =>
        {
            p.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
            return Task.CompletedTask;
        });
        return (page, errors, requests);
    }

    static List<string> Snapshot(List<string> requests) { lock (requests) return [.. requests]; }

    /// <summary>Moves the map and waits until it has drawn what it loads there.</summary>
    static Task JumpAsync(IPage page, string center, double zoom) => page.EvaluateAsync($$"""
        async () => {
          const map = window.gridmap.map;
          const idle = new Promise((resolve) => map.once('idle', () => resolve()));
          map.jumpTo({ center: {{center}}, zoom: {{zoom.ToString(System.Globalization.CultureInfo.InvariantCulture)}} });
          await idle;
        }
        """);

    /// <summary>The label point of a grid drawn now (of its largest loaded piece), as a JS array literal.</summary>
    static async Task<string> GridCentreAsync(IPage page, string code) =>
        await page.EvaluateAsync<string>($$"""
            async () => {
              const { labelPoint } = await import('/src/geo.js');
              return JSON.stringify(labelPoint(window.gridmap.layers.findLoaded('grids', 'code', '{{code}}').geometry));
            }
            """);

    [Fact]
    public async Task The_first_view_and_a_pan_draw_from_tiles_and_never_page_geojson_of_the_dense_layers()
    {
        var (page, errors, requests) = await OpenAsync();
        await WebFixture.IdleAsync(page);
        // The first view is fitted to the store's extent from /api/layers (bbox), not from a page of features.
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] }).length > 10", null, new() { Timeout = 20_000 });
        var first = Snapshot(requests);
        Assert.Contains(first, u => u.Contains("/tiles/grids/") && u.Contains(".mvt?v="));
        Assert.Contains(first, u => u.Contains("/tiles/compounds/"));

        // Zoomed to buildings: they come from tiles and are drawn.
        var grid = await page.EvaluateAsync<string>("() => String(window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] })[0].properties.code)");
        await JumpAsync(page, await GridCentreAsync(page, grid), 16);
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['buildings-fill'] }).length > 0", null, new() { Timeout = 20_000 });
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['network-ways', 'network-footways'] }).length > 0", null, new() { Timeout = 20_000 });
        // Grid labels are built from the tiles: "013 · 258户".
        await Assertions.Expect(page.Locator(".map-label.lbl-grid").First).ToHaveTextAsync(new Regex(@"^\d{3}( · (\d+户|专属))?$"));
        await Assertions.Expect(page.Locator($".map-label.lbl-grid[data-id='{grid}']")).ToHaveCountAsync(1);

        // A pan loads the tiles now in view, and still no GeoJSON of the dense layers.
        var before = Snapshot(requests).Count;
        await page.EvaluateAsync("""
            async () => {
              const map = window.gridmap.map;
              const idle = new Promise((resolve) => map.once('idle', () => resolve()));
              map.panBy([900, 500], { duration: 0 });
              await idle;
            }
            """);
        var all = Snapshot(requests);
        Assert.Contains(all.Skip(before), u => u.Contains("/tiles/buildings/16/"));
        Assert.Contains(all, u => u.Contains("/tiles/network/"));
        Assert.DoesNotContain(all, u => DenseGeoJson.IsMatch(u));
        output.WriteLine($"{all.Count(u => u.Contains("/tiles/"))} tile requests, {all.Count(u => u.Contains("/api/"))} API requests");
        output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, "tiles-pan.png")}");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_households_correction_moves_the_buildings_tile_version_and_the_map_shows_the_new_households()
    {
        var (page, errors, requests) = await OpenAsync();
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] }).length > 10", null, new() { Timeout = 20_000 });
        var grid = await page.EvaluateAsync<string>("() => String(window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] })[0].properties.code)");
        await JumpAsync(page, await GridCentreAsync(page, grid), 16);
        await page.WaitForFunctionAsync($"() => window.gridmap.map.queryRenderedFeatures({{ layers: ['buildings-fill'] }}).some((f) => f.properties.grid_code === '{grid}')", null, new() { Timeout = 20_000 });
        var building = await page.EvaluateAsync<string>($"() => String(window.gridmap.map.queryRenderedFeatures({{ layers: ['buildings-fill'] }}).find((f) => f.properties.grid_code === '{grid}').properties.id)");
        var oldUrl = await page.EvaluateAsync<string>("() => window.gridmap.map.getSource('buildings').tiles[0]");

        // The admin's script corrects the building's households (its grid is recounted in the same write).
        var feature = JsonNode.Parse(await web.Admin.GetStringAsync($"/api/layers/buildings/features/{building}"))!.AsObject();
        var version = feature["version"]!.GetValue<long>();
        feature.Remove("version");
        var households = feature["properties"]!["households"]!.GetValue<int>() + 7;
        feature["properties"]!["households"] = households;
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building}")
        {
            Content = new StringContent(feature.ToJsonString(), Encoding.UTF8, "application/geo+json"),
        };
        put.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{version}\""));
        using (var written = await web.Admin.SendAsync(put))
            Assert.True(written.IsSuccessStatusCode, $"PUT {building}: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
        var gridHouseholds = JsonNode.Parse(await web.Admin.GetStringAsync($"/api/layers/grids/features/{grid}"))!["properties"]!["households"]!.GetValue<int>();
        var layers = JsonNode.Parse(await web.Admin.GetStringAsync("/api/layers"))!.AsArray();
        long VersionOf(string layer) => layers.First(l => l!["layer"]!.GetValue<string>() == layer)!["version"]!.GetValue<long>();

        // What the map calls after its own writes: the tile URLs take the new layer versions, and the tiles are fetched again.
        var before = Snapshot(requests).Count;
        await page.EvaluateAsync("() => window.gridmap.reloadLayers(['buildings', 'grids', 'compounds', 'network'])");
        var newUrl = await page.EvaluateAsync<string>("() => window.gridmap.map.getSource('buildings').tiles[0]");
        Assert.NotEqual(oldUrl, newUrl);
        Assert.EndsWith($"?v={VersionOf("buildings")}", newUrl);
        await page.WaitForFunctionAsync($$"""
            () => window.gridmap.map.querySourceFeatures('buildings', { sourceLayer: 'buildings' })
              .some((f) => f.properties.id === '{{building}}' && f.properties.households === {{households}})
            """, null, new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator($".map-label.lbl-grid[data-id='{grid}']")).ToHaveTextAsync($"{grid[^3..]} · {gridHouseholds}户");
        await WebFixture.IdleAsync(page);
        var after = Snapshot(requests).Skip(before).ToList();
        Assert.Contains(after, u => u.Contains($"/tiles/buildings/") && u.EndsWith($"?v={VersionOf("buildings")}"));
        Assert.Contains(after, u => u.Contains($"/tiles/grids/") && u.EndsWith($"?v={VersionOf("grids")}"));
        // The network did not change: its tiles are not fetched again.
        Assert.DoesNotContain(after, u => u.Contains("/tiles/network/"));
        Assert.DoesNotContain(after, u => DenseGeoJson.IsMatch(u));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_service_circle_colours_the_tiled_buildings_by_feature_state_without_a_geojson_of_every_building()
    {
        var (page, errors, requests) = await OpenAsync();
        await page.WaitForFunctionAsync("() => window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] }).length > 10", null, new() { Timeout = 20_000 });
        var grid = await page.EvaluateAsync<string>("() => String(window.gridmap.map.queryRenderedFeatures({ layers: ['grids-fill'] })[0].properties.code)");
        var centre = await GridCentreAsync(page, grid);

        await page.Locator("#coverage-open").ClickAsync();
        var panel = page.Locator("#coverage");
        await panel.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-share[data-threshold='5']")).ToContainTextAsync("%");
        await page.WaitForFunctionAsync("() => window.gridmap.coverage.shown.buildings > 1000", null, new() { Timeout = 20_000 });
        await JumpAsync(page, centre, 16);

        // Every drawn residential building has the state of its walk: the band of the first threshold it is within.
        var values = JsonNode.Parse(await web.Admin.GetStringAsync("/api/coverage/values?minutes=5,10,15&profile=adult"))!.AsObject();
        var ids = values["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        var within = values["within"]!.AsArray().Select(w => w?.GetValue<string>()).ToList();
        var expected = ids.Select((id, i) => (id, band: values["walk_m"]![i] is null ? -2 : within[i] is null ? -1 : new[] { "5", "10", "15" }.ToList().IndexOf(within[i]!)))
            .ToDictionary(x => x.id, x => x.band);
        var drawn = await page.EvaluateAsync<JsonElement>("""
            () => {
              const map = window.gridmap.map;
              const ids = [...new Set(map.queryRenderedFeatures({ layers: ['buildings-fill'] }).map((f) => String(f.properties.id)))];
              return ids.map((id) => [id, map.getFeatureState({ source: 'buildings', sourceLayer: 'buildings', id }).band ?? null]);
            }
            """);
        var seen = 0;
        foreach (var pair in drawn.EnumerateArray())
        {
            var id = pair[0].GetString()!;
            if (!expected.TryGetValue(id, out var band)) continue;
            Assert.True(pair[1].ValueKind == JsonValueKind.Number && pair[1].GetInt32() == band, $"building {id}: state {pair[1]}, walk band {band}");
            seen++;
        }
        Assert.True(seen > 10, $"{seen} residential buildings drawn with their state");
        // The coverage layer draws from the buildings' own tiles.
        Assert.True(await page.EvaluateAsync<int>("() => window.gridmap.map.queryRenderedFeatures({ layers: ['coverage-buildings-fill'] }).length") > 10);
        output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, "tiles-coverage.png")}");

        var all = Snapshot(requests);
        Assert.Contains(all, u => u.Contains("/api/coverage/values?"));
        Assert.DoesNotContain(all, u => u.Contains("/api/coverage/buildings"));
        Assert.DoesNotContain(all, u => DenseGeoJson.IsMatch(u));

        // Closing the panel takes the colours away.
        await panel.Locator(".info-close").ClickAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.gridmap.coverage.shown.buildings"));
        Assert.Equal(0, await page.EvaluateAsync<int>($$"""
            () => window.gridmap.map.queryRenderedFeatures({ layers: ['buildings-fill'] })
              .filter((f) => window.gridmap.map.getFeatureState({ source: 'buildings', sourceLayer: 'buildings', id: String(f.properties.id) }).band != null).length
            """));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
