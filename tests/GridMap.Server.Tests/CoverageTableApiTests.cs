using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;

namespace GridMap.Server.Tests;

/// <summary>
/// What the map's 服务圈 table reads, on the sample city in both stores: coverage by community and by grid with names and
/// households (GET /api/coverage/table), the compounds and buildings each gap holds, and each community's and grid's
/// share after a what-if — the same numbers as the report's by_community and by_grid.
/// </summary>
public abstract class CoverageTableApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    async Task<JsonElement> Get(string path)
    {
        var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    static Dictionary<string, double> Shares(JsonElement byThreshold) =>
        byThreshold.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

    [Fact]
    public async Task Buildings_that_name_no_community_count_in_the_community_they_lie_in()
    {
        // As an OSM import leaves them: the import forms communities, its buildings name none.
        var before = await Get("/api/coverage/table?minutes=10");
        var city = SampleCityGenerator.Generate().Batches
            .Select(b => b.Layer != Layer.Buildings ? b : b with
            {
                Features = b.Features.Select(f =>
                {
                    var p = f.Properties.DeepClone().AsObject();
                    p.Remove("community_code");
                    return f with { Properties = p };
                }).ToList(),
            }).ToList();
        await _host.Store.ImportAsync(city, ImportMode.ReplaceLayers);
        var after = await Get("/api/coverage/table?minutes=10");

        static Dictionary<string, (long, int)> Rows(JsonElement t) => t.GetProperty("communities").EnumerateArray()
            .ToDictionary(r => r.GetProperty("code").GetString()!, r => (r.GetProperty("households").GetInt64(), r.GetProperty("buildings").GetInt32()));
        Assert.Equal(12, Rows(after).Count);
        Assert.Equal(Rows(before), Rows(after));
        Assert.Equal(0, after.GetProperty("unassigned").GetProperty("community_households").GetInt64());
    }

    [Fact]
    public async Task The_table_names_every_community_and_grid_with_the_reports_shares()
    {
        const string query = "minutes=5,10,15&profile=elderly";
        var report = await Get($"/api/coverage?{query}");
        var table = await Get($"/api/coverage/table?{query}");

        Assert.Equal("minutes", table.GetProperty("unit").GetString());
        Assert.Equal(["5", "10", "15"], table.GetProperty("thresholds").EnumerateArray().Select(t => t.GetProperty("label").GetString()!));
        Assert.Equal(5 * 60 * 3.3 / 3.6, table.GetProperty("thresholds")[0].GetProperty("meters").GetDouble(), 1);
        Assert.Equal(report.GetProperty("households").GetInt64(), table.GetProperty("households").GetInt64());

        var communities = (await _host.Store.ListAsync(Layer.Communities, new(null, 1000))).Features.ToDictionary(f => f.Text("code")!, f => f.Text("name"));
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features.ToDictionary(f => f.Text("code")!, f => f.Text("name"));
        foreach (var (member, names) in new[] { ("communities", communities), ("grids", grids) })
        {
            var expected = report.GetProperty(member == "communities" ? "by_community" : "by_grid").EnumerateObject().ToDictionary(p => p.Name, p => Shares(p.Value));
            var rows = table.GetProperty(member).EnumerateArray().ToList();
            Assert.Equal(expected.Keys.Order(), rows.Select(r => r.GetProperty("code").GetString()!).Order());
            foreach (var row in rows)
            {
                var code = row.GetProperty("code").GetString()!;
                Assert.Equal(names[code], row.GetProperty("name").GetString());
                var households = row.GetProperty("households").GetInt64();
                foreach (var (label, share) in expected[code])
                {
                    // The very share of the report, and the covered households it comes from.
                    Assert.Equal(share, row.GetProperty("share").GetProperty(label).GetDouble());
                    Assert.Equal(share, households == 0 ? 1 : (double)row.GetProperty("covered").GetProperty(label).GetInt64() / households, 12);
                }
                Assert.Equal(4, row.GetProperty("bbox").GetArrayLength());
            }
            Assert.Equal(table.GetProperty("households").GetInt64(), rows.Sum(r => r.GetProperty("households").GetInt64()));
        }
        var grid = table.GetProperty("grids")[0];
        Assert.Equal(communities[grid.GetProperty("community_code").GetString()!], grid.GetProperty("community_name").GetString());

        // Stations by name, with the report's loads.
        var loads = report.GetProperty("station_load").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var stations = table.GetProperty("stations").EnumerateArray().ToList();
        Assert.Equal(loads.Count, stations.Count);
        Assert.All(stations, s =>
        {
            Assert.False(string.IsNullOrEmpty(s.GetProperty("name").GetString()));
            Assert.Equal(loads[s.GetProperty("id").GetString()!], s.GetProperty("load").GetInt64());
        });
    }

    [Fact]
    public async Task One_kind_without_thresholds_is_its_GB_50180_radius_in_metres_and_lists_only_its_stations()
    {
        var table = await Get("/api/coverage/table?kind=canteen");
        Assert.Equal("meters", table.GetProperty("unit").GetString());
        var threshold = Assert.Single(table.GetProperty("thresholds").EnumerateArray());
        Assert.Equal("300", threshold.GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Null, threshold.GetProperty("minutes").ValueKind);
        Assert.All(table.GetProperty("stations").EnumerateArray(), s => Assert.Equal("canteen", s.GetProperty("kind").GetString()));

        var bad = await Http.GetAsync("/api/coverage/table?kind=spaceport");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Each_gap_lists_its_uncovered_compounds_and_buildings_and_they_add_up_to_the_uncovered_households()
    {
        const string query = "kind=canteen&minutes=5,10";
        var report = await Get($"/api/coverage?{query}");
        var gaps = (await Get($"/api/coverage/gaps?{query}")).GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties")).ToList();
        Assert.NotEmpty(gaps);
        var compoundNames = (await _host.Store.ListAsync(Layer.Compounds, new(null, 1000))).Features.ToDictionary(f => f.Id, f => f.Text("name"));
        foreach (var gap in gaps)
        {
            var compounds = gap.GetProperty("compounds").EnumerateArray().ToList();
            Assert.Equal(gap.GetProperty("households").GetInt64(), compounds.Sum(c => c.GetProperty("households").GetInt64()));
            Assert.Equal(gap.GetProperty("buildings").GetInt32(), compounds.Sum(c => c.GetProperty("buildings").GetInt32()));
            foreach (var c in compounds.Where(c => c.GetProperty("id").ValueKind == JsonValueKind.String))
                Assert.Equal(compoundNames[c.GetProperty("id").GetString()!], c.GetProperty("name").GetString());
            var buildings = gap.GetProperty("uncovered_buildings").EnumerateArray().ToList();
            Assert.Equal(Math.Min(gap.GetProperty("buildings").GetInt32(), 30), buildings.Count);
            Assert.All(buildings, b => Assert.False(string.IsNullOrEmpty(b.GetProperty("address").GetString())));
            var households = buildings.Select(b => b.GetProperty("households").GetInt64()).ToList();
            Assert.Equal(households.OrderByDescending(h => h), households);
        }
        foreach (var label in new[] { "5", "10" })
            Assert.Equal(report.GetProperty("uncovered_by_threshold").GetProperty(label).GetInt64(),
                gaps.Where(g => g.GetProperty("threshold").GetString() == label).Sum(g => g.GetProperty("households").GetInt64()));
    }

    [Fact]
    public async Task A_what_if_gives_each_community_and_grid_the_share_a_full_recompute_gives_once_the_station_is_built()
    {
        // A canteen where the largest 10-minute gap is, as a planner would try it first.
        var gap = (await Get("/api/coverage/gaps?kind=canteen&minutes=10")).GetProperty("features").EnumerateArray()
            .MaxBy(f => f.GetProperty("properties").GetProperty("households").GetInt64())!;
        var target = gap.GetProperty("properties").GetProperty("uncovered_buildings")[0];
        var (lon, lat) = (target.GetProperty("lon").GetDouble(), target.GetProperty("lat").GetDouble());

        var response = await Http.PostAsJsonAsync("/api/coverage/whatif", new { kind = "canteen", minutes = "5,10", changes = new[] { new { op = "add", lon, lat } } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var whatIf = JsonDocument.Parse(text).RootElement;
        Assert.True(whatIf.GetProperty("coverage_after").GetProperty("10").GetDouble() > whatIf.GetProperty("coverage_before").GetProperty("10").GetDouble());

        // Build it for real: the report's by_community and by_grid are the what-if's, to the last digit.
        var created = await Http.PostAsync("/api/layers/stations/features", ServerHost.Json(
            """{"type":"Feature","id":"s-new","geometry":{"type":"Point","coordinates":[LON,LAT]},"properties":{"kind":"canteen","name":"新老年食堂"}}"""
                .Replace("LON", lon.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                .Replace("LAT", lat.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var report = await Get("/api/coverage?kind=canteen&minutes=5,10");
        foreach (var (member, reportMember) in new[] { ("by_community", "by_community"), ("by_grid", "by_grid") })
        {
            var expected = report.GetProperty(reportMember).EnumerateObject().ToDictionary(p => p.Name, p => Shares(p.Value));
            var got = whatIf.GetProperty(member).EnumerateObject().ToDictionary(p => p.Name, p => Shares(p.Value));
            Assert.Equal(expected.Keys.Order(), got.Keys.Order());
            foreach (var (code, shares) in expected)
                foreach (var (label, share) in shares) Assert.Equal(share, got[code][label], 12);
        }
        Assert.Equal(report.GetProperty("coverage").GetProperty("10").GetDouble(), whatIf.GetProperty("coverage_after").GetProperty("10").GetDouble(), 12);
        var covered = whatIf.GetProperty("covered_after").GetProperty("10").GetInt64();
        Assert.Equal(report.GetProperty("households").GetInt64() - report.GetProperty("uncovered_by_threshold").GetProperty("10").GetInt64(), covered);
    }
}

public sealed class SqliteCoverageTableApiTests() : CoverageTableApiTests("sqlite");

public sealed class PostGisCoverageTableApiTests() : CoverageTableApiTests("postgis");
