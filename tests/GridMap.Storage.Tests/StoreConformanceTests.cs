using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Storage.Sqlite;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Storage.Tests;

/// <summary>
/// One suite, two stores: whatever the embedded SQLite store does, PostGIS must do the same.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected IFeatureStore Store = null!;

    protected abstract Task<IFeatureStore> OpenStoreAsync();

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    static readonly WKTReader Wkt = new(new NtsGeometryServices(new PrecisionModel(1e7), 4326));

    protected static FeatureDraft Draft(string id, string wkt, JsonObject? props = null) =>
        new(id, Wkt.Read(wkt), props ?? []);

    static FeatureDraft Compound(string id, string name, double x, double y, double size = 0.001) =>
        Draft(id, $"POLYGON(({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))",
            new JsonObject { ["name"] = name, ["class"] = "old", ["households"] = 120 });

    [Fact]
    public async Task Create_then_get_returns_the_same_feature_at_version_1()
    {
        var draft = Compound("c1", "南坛小区", 106.83, 27.54);
        var created = await Store.CreateAsync(Layer.Compounds, draft);
        var read = await Store.GetAsync(Layer.Compounds, "c1");

        Assert.Equal(1, created.Version);
        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.True(read.Geometry.EqualsExact(draft.Geometry), $"{read.Geometry} != {draft.Geometry}");
        Assert.Equal(4326, read.Geometry.SRID);
        Assert.Equal("南坛小区", read.Text("name"));
        Assert.Equal(120, read.Integer("households"));
    }

    [Fact]
    public async Task Get_of_unknown_id_is_null()
    {
        Assert.Null(await Store.GetAsync(Layer.Buildings, "nope"));
    }

    [Fact]
    public async Task Creating_an_existing_id_is_refused_and_keeps_the_first()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("c1", "first", 106.83, 27.54));
        await Assert.ThrowsAsync<DuplicateFeatureException>(() => Store.CreateAsync(Layer.Compounds, Compound("c1", "second", 106.83, 27.54)));
        Assert.Equal("first", (await Store.GetAsync(Layer.Compounds, "c1"))!.Text("name"));
    }

    [Fact]
    public async Task Replace_raises_the_version_and_a_stale_version_is_refused()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("c1", "v1", 106.83, 27.54));
        var second = await Store.ReplaceAsync(Layer.Compounds, Compound("c1", "v2", 106.83, 27.54), expectedVersion: 1);
        Assert.Equal(2, second.Version);

        var conflict = await Assert.ThrowsAsync<VersionConflictException>(() =>
            Store.ReplaceAsync(Layer.Compounds, Compound("c1", "stale", 106.83, 27.54), expectedVersion: 1));
        Assert.Equal(2, conflict.Current);

        var read = await Store.GetAsync(Layer.Compounds, "c1");
        Assert.Equal("v2", read!.Text("name"));
        Assert.Equal(2, read.Version);

        var third = await Store.ReplaceAsync(Layer.Compounds, Compound("c1", "v3", 106.83, 27.54));
        Assert.Equal(3, third.Version);
    }

    [Fact]
    public async Task Replace_of_a_missing_feature_is_not_found()
    {
        await Assert.ThrowsAsync<FeatureNotFoundException>(() => Store.ReplaceAsync(Layer.Compounds, Compound("ghost", "x", 106.83, 27.54)));
        Assert.Null(await Store.GetAsync(Layer.Compounds, "ghost"));
    }

    [Fact]
    public async Task Delete_removes_and_honours_the_version()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("c1", "a", 106.83, 27.54));
        await Assert.ThrowsAsync<VersionConflictException>(() => Store.DeleteAsync(Layer.Compounds, "c1", expectedVersion: 7));
        Assert.NotNull(await Store.GetAsync(Layer.Compounds, "c1"));

        await Store.DeleteAsync(Layer.Compounds, "c1", expectedVersion: 1);
        Assert.Null(await Store.GetAsync(Layer.Compounds, "c1"));
        Assert.Empty((await Store.ListAsync(Layer.Compounds, new(new Envelope(106, 107, 27, 28)))).Features);
        await Assert.ThrowsAsync<FeatureNotFoundException>(() => Store.DeleteAsync(Layer.Compounds, "c1"));
    }

    [Fact]
    public async Task List_by_bbox_returns_what_intersects_in_id_order_with_paging()
    {
        var drafts = Enumerable.Range(0, 10)
            .Select(i => Compound($"c{i:00}", $"n{i}", 106.80 + i * 0.01, 27.50))
            .ToList();
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, drafts)], ImportMode.Upsert);

        // Covers c00..c03 (c03 starts at 106.83 and the box reaches 106.8305).
        var box = new Envelope(106.795, 106.8305, 27.49, 27.51);
        var all = await Store.ListAsync(Layer.Compounds, new(box));
        Assert.Equal(["c00", "c01", "c02", "c03"], all.Features.Select(f => f.Id));
        Assert.Equal(4, all.NumberMatched);

        var page = await Store.ListAsync(Layer.Compounds, new(box, Limit: 2, Offset: 1));
        Assert.Equal(["c01", "c02"], page.Features.Select(f => f.Id));
        Assert.Equal(4, page.NumberMatched);

        var everything = await Store.ListAsync(Layer.Compounds, new(null, Limit: 3, Offset: 8));
        Assert.Equal(["c08", "c09"], everything.Features.Select(f => f.Id));
        Assert.Equal(10, everything.NumberMatched);
    }

    [Fact]
    public async Task Bbox_that_only_touches_the_envelope_of_an_L_shape_does_not_list_it()
    {
        // An L-shaped compound whose envelope covers the box but whose polygon does not.
        await Store.CreateAsync(Layer.Compounds, Draft("L",
            "POLYGON((106.80 27.50, 106.82 27.50, 106.82 27.505, 106.805 27.505, 106.805 27.52, 106.80 27.52, 106.80 27.50))"));
        var page = await Store.ListAsync(Layer.Compounds, new(new Envelope(106.81, 106.815, 27.51, 27.515)));
        Assert.Empty(page.Features);
    }

    [Fact]
    public async Task Upsert_import_inserts_and_replaces_and_counts()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("c1", "old", 106.83, 27.54));
        var summary = await Store.ImportAsync(
        [
            new LayerBatch(Layer.Compounds, [Compound("c1", "new", 106.83, 27.54), Compound("c2", "two", 106.84, 27.54)]),
            new LayerBatch(Layer.Stations, [Draft("s1", "POINT(106.835 27.545)", new JsonObject { ["kind"] = "clinic" })]),
        ], ImportMode.Upsert);

        Assert.Equal(2, summary.Written[Layer.Compounds]);
        Assert.Equal(1, summary.Written[Layer.Stations]);
        var c1 = await Store.GetAsync(Layer.Compounds, "c1");
        Assert.Equal("new", c1!.Text("name"));
        Assert.Equal(2, c1.Version);
        Assert.Equal(1, (await Store.GetAsync(Layer.Compounds, "c2"))!.Version);
        var counts = await Store.CountAsync();
        Assert.Equal(2, counts[Layer.Compounds]);
        Assert.Equal(1, counts[Layer.Stations]);
        Assert.Equal(0, counts[Layer.Buildings]);
        Assert.Equal(Layers.All.Count, counts.Count);
    }

    [Fact]
    public async Task Replace_layers_import_empties_the_layer_first_and_leaves_others()
    {
        await Store.ImportAsync(
        [
            new LayerBatch(Layer.Compounds, [Compound("a", "a", 106.83, 27.54), Compound("b", "b", 106.84, 27.54)]),
            new LayerBatch(Layer.Stations, [Draft("s1", "POINT(106.835 27.545)", new JsonObject { ["kind"] = "clinic" })]),
        ], ImportMode.Upsert);
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("c", "c", 106.85, 27.54)])], ImportMode.ReplaceLayers);

        var left = await Store.ListAsync(Layer.Compounds, new(new Envelope(106, 107, 27, 28)));
        Assert.Equal(["c"], left.Features.Select(f => f.Id));
        Assert.Equal(1, left.Features[0].Version);
        Assert.NotNull(await Store.GetAsync(Layer.Stations, "s1"));
    }

    [Fact]
    public async Task A_failing_import_writes_nothing_at_all()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("keep", "keep", 106.83, 27.54));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.ImportAsync(
        [
            new LayerBatch(Layer.Stations, [Draft("s1", "POINT(106.835 27.545)", new JsonObject { ["kind"] = "clinic" })]),
            new LayerBatch(Layer.Compounds, [Compound("new1", "n", 106.84, 27.54), Compound("new1", "again", 106.85, 27.54)]),
        ], ImportMode.ReplaceLayers));

        var counts = await Store.CountAsync();
        Assert.Equal(0, counts[Layer.Stations]);
        Assert.Equal(1, counts[Layer.Compounds]);
        Assert.NotNull(await Store.GetAsync(Layer.Compounds, "keep"));
        Assert.Single((await Store.ListAsync(Layer.Compounds, new(new Envelope(106, 107, 27, 28)))).Features);
    }

    [Fact]
    public async Task Containing_finds_the_polygons_that_cover_a_point()
    {
        await Store.ImportAsync([new LayerBatch(Layer.Compounds,
        [
            Compound("inner", "inner", 106.830, 27.540, 0.002),
            Compound("other", "other", 106.840, 27.540, 0.002),
        ])], ImportMode.Upsert);
        var point = new Point(106.831, 27.541) { SRID = 4326 };
        var hits = await Store.ContainingAsync(Layer.Compounds, point);
        Assert.Equal(["inner"], hits.Select(h => h.Id));
        Assert.Empty(await Store.ContainingAsync(Layer.Compounds, new Point(106.835, 27.545) { SRID = 4326 }));
    }

    [Fact]
    public async Task Search_finds_grid_codes_compound_names_and_worker_names()
    {
        var grid = Draft("520304001001001",
            "POLYGON((106.83 27.54, 106.84 27.54, 106.84 27.55, 106.83 27.55, 106.83 27.54))",
            new JsonObject
            {
                ["code"] = "520304001001001", ["name"] = "南坛社区第1网格",
                ["workers"] = new JsonArray(new JsonObject { ["name"] = "李红梅", ["phone"] = "13800000001" }),
            });
        await Store.ImportAsync(
        [
            new LayerBatch(Layer.Grids, [grid]),
            new LayerBatch(Layer.Compounds, [Compound("c1", "阳光花园", 106.83, 27.54), Compound("c2", "Sunny Court", 106.84, 27.54)]),
        ], ImportMode.Upsert);

        Assert.Equal(["520304001001001"], (await Store.SearchAsync("304001001", SearchText.DefaultLayers, 10)).Select(f => f.Id));
        Assert.Equal(["c1"], (await Store.SearchAsync("阳光", SearchText.DefaultLayers, 10)).Select(f => f.Id));
        Assert.Equal(["520304001001001"], (await Store.SearchAsync("红梅", SearchText.DefaultLayers, 10)).Select(f => f.Id));
        Assert.Equal(["c2"], (await Store.SearchAsync("sunny", SearchText.DefaultLayers, 10)).Select(f => f.Id));
        Assert.Empty(await Store.SearchAsync("100%", SearchText.DefaultLayers, 10));
        Assert.Empty(await Store.SearchAsync("阳光", [Layer.Grids], 10));
    }

    [Fact]
    public async Task Properties_keep_nested_arrays_and_unicode()
    {
        var props = new JsonObject
        {
            ["households"] = 240,
            ["units"] = new JsonArray(new JsonObject { ["id"] = "1单元", ["households"] = 120 }, new JsonObject { ["id"] = "2单元", ["households"] = 120 }),
            ["address"] = "桂花桥街道南坛路12号",
        };
        await Store.CreateAsync(Layer.Buildings, Draft("b1", "POINT(106.83 27.54)", props));
        var read = await Store.GetAsync(Layer.Buildings, "b1");
        Assert.True(JsonNode.DeepEquals(props, read!.Properties), read.Properties.ToJsonString());
    }

    [Fact]
    public async Task Apply_deletes_and_upserts_in_one_transaction()
    {
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("a", "a", 106.83, 27.54), Compound("b", "b", 106.84, 27.54)])], ImportMode.Upsert);
        await Store.ApplyAsync([(Layer.Compounds, "a"), (Layer.Compounds, "ghost")],
            [new LayerBatch(Layer.Compounds, [Compound("b", "b2", 106.84, 27.54), Compound("c", "c", 106.85, 27.54)])]);
        Assert.Null(await Store.GetAsync(Layer.Compounds, "a"));
        Assert.Equal(2, (await Store.GetAsync(Layer.Compounds, "b"))!.Version);
        Assert.Equal("b2", (await Store.GetAsync(Layer.Compounds, "b"))!.Text("name"));
        Assert.Equal(1, (await Store.GetAsync(Layer.Compounds, "c"))!.Version);

        // A failing apply (a geometry the store refuses) leaves everything as it was.
        var before = await Store.ListAsync(Layer.Compounds, new(null));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.ApplyAsync([(Layer.Compounds, "b")],
            [new LayerBatch(Layer.Compounds, [Compound("d", "d", 106.86, 27.54), Compound("d", "again", 106.86, 27.54)])]));
        var after = await Store.ListAsync(Layer.Compounds, new(null));
        Assert.Equal(before.Features.Select(f => (f.Id, f.Version)), after.Features.Select(f => (f.Id, f.Version)));
    }

    [Fact]
    public async Task Jobs_are_queued_claimed_once_updated_and_cancelled()
    {
        var first = await Store.CreateJobAsync("partition", "520304001001", new JsonObject { ["min"] = 200 });
        await Task.Delay(5);
        var second = await Store.CreateJobAsync("partition", "520304001", []);
        Assert.Equal(JobStatuses.Queued, first.Status);
        Assert.Equal(200, first.Parameters["min"]!.GetValue<int>());

        var claimed = await Store.ClaimNextJobAsync();
        Assert.Equal(first.Id, claimed!.Id);
        Assert.Equal(JobStatuses.Running, claimed.Status);
        Assert.True(await Store.RequestCancelAsync(second.Id));
        Assert.Null(await Store.ClaimNextJobAsync());
        Assert.Equal(JobStatuses.Cancelled, (await Store.GetJobAsync(second.Id))!.Status);

        await Store.UpdateJobAsync(first.Id, JobStatuses.Running, 0.5);
        Assert.Equal(0.5, (await Store.GetJobAsync(first.Id))!.Progress);
        await Store.UpdateJobAsync(first.Id, JobStatuses.Done, 1, new JsonObject { ["grids"] = 12 });
        var done = await Store.GetJobAsync(first.Id);
        Assert.Equal(JobStatuses.Done, done!.Status);
        Assert.Equal(12, done.Result!["grids"]!.GetValue<int>());
        Assert.False(await Store.RequestCancelAsync(first.Id));
        Assert.Equal([second.Id, first.Id], (await Store.ListJobsAsync(10)).Select(j => j.Id));
        Assert.Null(await Store.GetJobAsync("nope"));
    }
}

public sealed class SqliteStoreConformanceTests : StoreConformanceTests, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-sqlite-").FullName;

    protected override async Task<IFeatureStore> OpenStoreAsync() => (await SqliteStore.OpenAsync(_dir)).Store;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
