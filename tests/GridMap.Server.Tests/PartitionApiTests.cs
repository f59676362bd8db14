using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;

namespace GridMap.Server.Tests;

/// <summary>A planner partitions a community over HTTP, reviews the proposal and accepts it; on both stores.</summary>
public abstract class PartitionApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    async Task<JsonElement> WaitForAsync(string id, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var job = JsonDocument.Parse(await Http.GetStringAsync($"/api/partition/jobs/{id}")).RootElement.Clone();
            if (statuses.Contains(job.GetProperty("status").GetString())) return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} still {job.GetProperty("status").GetString()}: {job}");
            await Task.Delay(200);
        }
    }

    async Task<string> FirstCommunityAsync()
    {
        var page = await _host.Store.ListAsync(Layer.Communities, new(null, 1));
        return page.Features[0].Id;
    }

    [Fact]
    public async Task A_community_is_partitioned_reviewed_and_accepted()
    {
        var community = await FirstCommunityAsync();
        var before = (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features.Where(g => g.Text("community_code") == community).ToList();

        var start = await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = community });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var id = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        Assert.Equal($"/api/partition/jobs/{id}", start.Headers.Location?.OriginalString);

        var done = await WaitForAsync(id, "done", "failed");
        Assert.Equal("done", done.GetProperty("status").GetString());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        var report = done.GetProperty("report");
        Assert.True(report.GetProperty("grids").GetInt32() > 0);
        Assert.True(report.GetProperty("gap_m2").GetDouble() < 1);
        // Households of the community alone: compounds are read by containment, not by bbox.
        var households = (await _host.Store.ListAsync(Layer.Buildings, new(null, 100_000))).Features.Where(b => b.Text("community_code") == community).Sum(b => b.Integer("households") ?? 0);
        Assert.Equal(households, report.GetProperty("households").GetInt64());

        var proposal = JsonDocument.Parse(await Http.GetStringAsync($"/api/partition/jobs/{id}/proposal")).RootElement;
        var features = proposal.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(report.GetProperty("grids").GetInt32(), features.Count);
        Assert.All(features, f => Assert.StartsWith(community, f.GetProperty("properties").GetProperty("code").GetString()));
        // Nothing changes in the store before the planner accepts.
        Assert.Equal(before.Select(g => (g.Id, g.Version)), (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features.Where(g => g.Text("community_code") == community).Select(g => (g.Id, g.Version)));

        // The review's changes: every grid before and after, and exactly the buildings whose grid the accept changes.
        var changes = proposal.GetProperty("changes");
        Assert.Equal(features.Count + before.Count(g => !features.Any(f => f.GetProperty("id").GetString() == g.Id)), changes.GetProperty("grids").GetArrayLength());
        var gridBefore = new Dictionary<string, string?>();
        foreach (var f in features)
            foreach (var unit in f.GetProperty("properties").GetProperty("unit_ids").EnumerateArray().Select(u => u.GetString()!.Split('/')[0]).Distinct())
                if (await _host.Store.GetAsync(Layer.Buildings, unit) is { } b) gridBefore[b.Id] = b.Text("grid_code");

        var accept = await Http.PostAsync($"/api/partition/jobs/{id}/accept", null);
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var after = (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features.Where(g => g.Text("community_code") == community && g.Text("status") != "retired").ToList();
        Assert.Equal(features.Select(f => f.GetProperty("id").GetString()).Order(), after.Select(g => g.Id).Order());
        Assert.All(after, g => Assert.Equal("active", g.Text("status")));

        // Every building of the community carries the code of the grid that lists it.
        foreach (var grid in after)
            foreach (var unit in grid.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString().Split('/')[0]).Distinct())
                Assert.Equal(grid.Id, (await _host.Store.GetAsync(Layer.Buildings, unit))!.Text("grid_code"));

        var changedNow = new List<string>();
        foreach (var (b, was) in gridBefore)
            if ((await _host.Store.GetAsync(Layer.Buildings, b))!.Text("grid_code") != was) changedNow.Add(b);
        Assert.Equal(changedNow.Order(), changes.GetProperty("moved").EnumerateArray().Select(m => m.GetProperty("building").GetString()!).Order());
        Assert.All(after, g => Assert.Null(g.Properties["households_before"]));

        Assert.Equal(HttpStatusCode.Conflict, (await Http.PostAsync($"/api/partition/jobs/{id}/accept", null)).StatusCode);
        Assert.Equal("accepted", (await WaitForAsync(id, "accepted")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_requests_get_problems()
    {
        var noScope = await Http.PostAsJsonAsync("/api/partition/jobs", new { min = 200 });
        Assert.Equal(HttpStatusCode.BadRequest, noScope.StatusCode);
        Assert.Equal("application/problem+json", noScope.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = "999999999999" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = "all", min = 300, max = 200 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/partition/jobs/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/partition/jobs/nope/accept", null)).StatusCode);
        Assert.Empty(await _host.Store.ListJobsAsync(10));
    }

    [Fact]
    public async Task A_job_can_be_cancelled()
    {
        // Queue two jobs: the runner takes one at a time, so the second is still queued or just started.
        var first = JsonDocument.Parse(await (await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = "all" })).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var second = JsonDocument.Parse(await (await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = "all" })).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var cancel = await Http.PostAsync($"/api/partition/jobs/{second}/cancel", null);
        Assert.True(cancel.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, cancel.StatusCode.ToString());
        var ended = await WaitForAsync(second!, "cancelled", "done");
        if (cancel.StatusCode == HttpStatusCode.Accepted) Assert.Equal("cancelled", ended.GetProperty("status").GetString());
        if (ended.GetProperty("status").GetString() == "cancelled")
            Assert.Equal(HttpStatusCode.Conflict, (await Http.GetAsync($"/api/partition/jobs/{second}/proposal")).StatusCode);
        await WaitForAsync(first!, "done", "failed");
    }
}

public sealed class SqlitePartitionApiTests() : PartitionApiTests("sqlite");

public sealed class PostGisPartitionApiTests() : PartitionApiTests("postgis");
