using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;

namespace GridMap.Server.Tests;

/// <summary>
/// An accepted partition can be undone: its revert brings back every grid and building exactly as they were (the grid
/// layer's fingerprint, geometry and properties), but not over later edits of the same grids. On the sample city, both stores.
/// </summary>
public abstract class PartitionRevertTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;
    static readonly Layer[] Membership = [Layer.Grids, Layer.Buildings];

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    static async Task<JsonNode> JsonOf(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    async Task<long> AcceptPartitionAsync(string community)
    {
        var id = (await JsonOf(await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = community, fresh = true }), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((await JsonOf(await Http.GetAsync($"/api/partition/jobs/{id}")))["status"]!.GetValue<string>() is not ("done" or "failed"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish");
            await Task.Delay(200);
        }
        return (await JsonOf(await Http.PostAsync($"/api/partition/jobs/{id}/accept", null)))["change"]!.GetValue<long>();
    }

    /// <summary>Moves one building of grid <paramref name="from"/> to <paramref name="to"/>, naming the versions the dry run says.</summary>
    async Task<long> MoveAsync(string building, string to)
    {
        var body = new JsonObject { ["assignments"] = new JsonArray(new JsonObject { ["building"] = building, ["grid"] = to }), ["dry_run"] = true };
        var dry = await JsonOf(await Http.PostAsJsonAsync("/api/grids/assign", body));
        body["dry_run"] = false;
        body["versions"] = dry["touched"]!["grids"]!.DeepClone();
        await JsonOf(await Http.PostAsJsonAsync("/api/grids/assign", body));
        var change = (await JsonOf(await Http.GetAsync("/api/changes?limit=1")))["changes"]![0]!;
        Assert.Equal("assign", change["kind"]!.GetValue<string>());
        return change["id"]!.GetValue<long>();
    }

    [Fact]
    public async Task Reverting_an_accepted_partition_restores_grids_and_buildings_exactly_but_not_over_later_edits()
    {
        var community = (await _host.Store.ListAsync(Layer.Communities, new(null, 1))).Features[0].Id;
        var before = await TinyCity.FingerprintAsync(_host.Store, Membership, versions: false);
        var accept = await AcceptPartitionAsync(community);
        Assert.NotEqual(before, await TinyCity.FingerprintAsync(_host.Store, Membership, versions: false));
        var accepted = (await JsonOf(await Http.GetAsync($"/api/changes/{accept}")))["change"]!;
        Assert.Equal("partition_accept", accepted["kind"]!.GetValue<string>());
        Assert.True(accepted["counts"]!["grids"]!.GetValue<long>() > 0);

        // A planner moves a building between two of the new grids: the accept can no longer be reverted over it.
        var grids = (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features
            .Where(g => g.Text("community_code") == community && g.Text("status") != "retired" && g.Text("type") != "dedicated").ToList();
        var from = grids.First(g => g.Properties["unit_ids"]!.AsArray().Count > 1);
        var to = grids.Where(g => g.Id != from.Id).OrderBy(g => g.Geometry.Distance(from.Geometry)).First();
        var building = from.Properties["unit_ids"]!.AsArray()[0]!.GetValue<string>().Split('/')[0];
        var move = await MoveAsync(building, to.Id);

        var edited = await TinyCity.FingerprintAsync(_host.Store);
        var refused = await JsonOf(await Http.PostAsync($"/api/changes/{accept}/revert", null), HttpStatusCode.Conflict);
        Assert.Equal("changed_since_read", refused["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Contains(refused["changed"]!.AsArray(), c => c!["id"]!.GetValue<string>() == from.Id && c["changes"]!.AsArray().Any(n => n!.GetValue<long>() == move));
        Assert.Equal(edited, await TinyCity.FingerprintAsync(_host.Store));

        // Undo the move, then the accept: the grids and buildings are as they were before it.
        await JsonOf(await Http.PostAsync($"/api/changes/{move}/revert", null));
        var reverted = await JsonOf(await Http.PostAsync($"/api/changes/{accept}/revert", null));
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store, Membership, versions: false));
        var revert = (await JsonOf(await Http.GetAsync($"/api/changes/{reverted["change"]!.GetValue<long>()}")))["change"]!;
        Assert.Equal(("revert", accept), (revert["kind"]!.GetValue<string>(), revert["reverts"]!.GetValue<long>()));
    }
}

public sealed class SqlitePartitionRevertTests() : PartitionRevertTests("sqlite");

public sealed class PostGisPartitionRevertTests() : PartitionRevertTests("postgis");
