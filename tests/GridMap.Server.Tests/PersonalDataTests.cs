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
        var byName = JsonNode.Parse(await viewer.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.Empty(byName["results"]!.AsArray());
        var byNameAsAdmin = JsonNode.Parse(await _host.Http.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.NotEmpty(byNameAsAdmin["results"]!.AsArray());
    }
}
