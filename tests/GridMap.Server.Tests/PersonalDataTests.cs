using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.Server.Hosting;

namespace GridMap.Server.Tests;

/// <summary>
/// Until accounts exist, grid workers' names and phones reach loopback clients only (contract, personal data). The
/// server below treats every client as remote, as a visitor from another machine would be treated.
/// </summary>
public sealed class PersonalDataTests : IAsyncLifetime
{
    ServerHost _remote = null!;
    ServerHost _local = null!;

    public async Task InitializeAsync()
    {
        _remote = await ServerHost.StartAsync("sqlite", new GridMapOptions { PersonalDataOnLoopback = false });
        _local = await ServerHost.StartAsync("sqlite");
        foreach (var host in new[] { _remote, _local })
            await host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync()
    {
        await _remote.DisposeAsync();
        await _local.DisposeAsync();
    }

    [Fact]
    public async Task Workers_names_and_phones_reach_only_those_who_may_see_them()
    {
        var grid = (await _local.Store.ListAsync(Layer.Grids, new(null, 1))).Features[0];
        var worker = grid.Properties["workers"]![0]!;
        var (name, phone) = (worker["name"]!.GetValue<string>(), worker["phone"]!.GetValue<string>());
        var at = grid.Geometry.InteriorPoint;
        var lookup = FormattableString.Invariant($"/api/lookup?lon={at.X}&lat={at.Y}");

        foreach (var path in new[] { "/api/layers/grids/features?limit=300", $"/api/layers/grids/features/{grid.Id}", lookup, $"/api/search?q={Uri.EscapeDataString(grid.Id)}" })
        {
            var remote = await _remote.Http.GetStringAsync(path);
            Assert.DoesNotContain(phone, remote);
            Assert.DoesNotContain(name, remote);
            Assert.Contains(name, await _local.Http.GetStringAsync(path));
        }
        // The remote visitor still learns the grid has a worker, and cannot find grids by a worker's name.
        var one = JsonNode.Parse(await _remote.Http.GetStringAsync($"/api/layers/grids/features/{grid.Id}"))!;
        Assert.Equal(grid.Properties["workers"]!.AsArray().Count, one["properties"]!["workers_count"]!.GetValue<int>());
        var byName = JsonNode.Parse(await _remote.Http.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.Empty(byName["results"]!.AsArray());
        var byNameLocally = JsonNode.Parse(await _local.Http.GetStringAsync($"/api/search?q={Uri.EscapeDataString(name)}"))!;
        Assert.NotEmpty(byNameLocally["results"]!.AsArray());
    }
}
