using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>
/// Grid workers' names and phones reach only the roles the contract's personal-data table names: the admin, planners
/// and organisation departments in scope, a worker for their own grids — never viewers or anonymous visitors (the
/// server runs with --open, so they may read the rest).
/// </summary>
public sealed class PersonalDataTests : IAsyncLifetime
{
    ServerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync("sqlite", new GridMapOptions { Open = true });
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Workers_names_and_phones_reach_only_the_roles_that_may_see_them()
    {
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 1000))).Features;
        var grid = grids.First(g => g.Properties["workers"] is JsonArray { Count: > 0 });
        var community = grid.Text("community_code")!;
        var otherCommunity = grids.Select(g => g.Text("community_code")!).First(c => c != community && !c.StartsWith(community[..9]));
        var worker = grid.Properties["workers"]![0]!;
        var (name, phone) = (worker["name"]!.GetValue<string>(), worker["phone"]!.GetValue<string>());
        var at = grid.Geometry.InteriorPoint;
        var lookup = FormattableString.Invariant($"/api/lookup?lon={at.X}&lat={at.Y}");

        var sees = new Dictionary<string, (HttpClient Client, bool Sees)>
        {
            ["admin"] = (_host.Http, true),
            ["planner in scope"] = (await _host.ClientAsync(Roles.Planner, community[..9]), true),
            ["organisation in scope"] = (await _host.ClientAsync(Roles.Organisation, community), true),
            ["worker of the grid"] = (await _host.ClientAsync(Roles.Worker, grids: [grid.Id]), true),
            ["planner elsewhere"] = (await _host.ClientAsync(Roles.Planner, otherCommunity), false),
            ["worker of another grid"] = (await _host.ClientAsync(Roles.Worker, grids: [grids.First(g => g.Id != grid.Id).Id]), false),
            ["viewer"] = (await _host.ClientAsync(Roles.Viewer), false),
            ["anonymous"] = (_host.Anonymous, false),
        };
        foreach (var path in new[] { "/api/layers/grids/features?limit=300", $"/api/layers/grids/features/{grid.Id}", lookup, $"/api/search?q={Uri.EscapeDataString(grid.Id)}" })
            foreach (var (who, (client, allowed)) in sees)
            {
                var body = await client.GetStringAsync(path);
                // Phones are unique in the sample city; names may repeat in grids the caller may see. Search hits show names only.
                if (!path.StartsWith("/api/search")) Assert.True(body.Contains(phone) == allowed, $"{who} {(allowed ? "must" : "must not")} see the worker's phone at {path}");
                if (!path.Contains("limit=")) Assert.True(body.Contains(name) == allowed, $"{who} {(allowed ? "must" : "must not")} see the worker's name at {path}");
            }

        // Those who may not see still learn the grid has a worker, and cannot find grids by a worker's name.
        var viewer = sees["viewer"].Client;
        var one = JsonNode.Parse(await viewer.GetStringAsync($"/api/layers/grids/features/{grid.Id}"))!;
        Assert.Equal(grid.Properties["workers"]!.AsArray().Count, one["properties"]!["workers_count"]!.GetValue<int>());
        var looked = JsonNode.Parse(await viewer.GetStringAsync(lookup))!;
        Assert.Equal(grid.Properties["workers"]!.AsArray().Count, looked["grid"]!["workers_count"]!.GetValue<int>());
        Assert.Empty(looked["grid"]!["workers"]!.AsArray());
        var byName = JsonNode.Parse(await viewer.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.Empty(byName["results"]!.AsArray());
        var byNameAsAdmin = JsonNode.Parse(await _host.Http.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.NotEmpty(byNameAsAdmin["results"]!.AsArray());
    }

    [Fact]
    public async Task A_grid_whose_workers_name_an_account_becomes_that_workers_grid_at_once()
    {
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 1000))).Features.OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
        var grid = grids.First(g => g.Properties["workers"] is JsonArray { Count: > 0 });
        var phone = grid.Properties["workers"]![0]!["phone"]!.GetValue<string>();
        var worker = await _host.ClientAsync(Roles.Worker, name: "chen.worker", canEditHouseholds: true);
        Assert.DoesNotContain(phone, await worker.GetStringAsync($"/api/layers/grids/features/{grid.Id}"));

        // The planner puts the account on the grid's worker (a grid's own field, written with the version read).
        var feature = JsonNode.Parse(await _host.Http.GetStringAsync($"/api/layers/grids/features/{grid.Id}"))!.AsObject();
        var version = feature["version"]!.GetValue<long>();
        feature.Remove("version");
        feature["properties"]!["workers"]![0]!["account"] = "chen.worker";
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/grids/features/{grid.Id}") { Content = ServerHost.Json(feature.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _host.Http.SendAsync(put)).StatusCode);

        Assert.Contains(phone, await worker.GetStringAsync($"/api/layers/grids/features/{grid.Id}"));
        var me = JsonNode.Parse(await worker.GetStringAsync("/api/auth/me"))!;
        Assert.Equal([grid.Id], me["grids"]!.AsArray().Select(n => n!.GetValue<string>()));
        // Another grid stays closed to them.
        var other = grids.First(g => g.Id != grid.Id && g.Properties["workers"] is JsonArray { Count: > 0 });
        Assert.DoesNotContain(other.Properties["workers"]![0]!["phone"]!.GetValue<string>(), await worker.GetStringAsync($"/api/layers/grids/features/{other.Id}"));
    }
}
