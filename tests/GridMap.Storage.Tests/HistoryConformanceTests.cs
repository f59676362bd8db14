using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace GridMap.Storage.Tests;

/// <summary>
/// History, change sets and layer versions, the same on both stores: every write is one change set recording who, what
/// kind, and the exact old value of every feature it changes; versions continue across a delete; a layer's version rises
/// once per transaction that changes it.
/// </summary>
public abstract class HistoryConformanceTests : IAsyncLifetime
{
    protected IFeatureStore Store = null!;

    protected abstract Task<IFeatureStore> OpenStoreAsync();

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    static readonly WKTReader Wkt = new(new NtsGeometryServices(new PrecisionModel(1e7), 4326));

    static FeatureDraft Compound(string id, string name, double x = 106.83, double y = 27.54, int households = 120) =>
        new(id, Wkt.Read($"POLYGON(({x} {y}, {x + 0.001} {y}, {x + 0.001} {y + 0.001}, {x} {y + 0.001}, {x} {y}))"),
            new JsonObject { ["name"] = name, ["class"] = "old", ["households"] = households, ["gates"] = new JsonArray(new JsonArray(x, y)) });

    static ChangeInfo By(string author, string kind, string? summary = null) => new(author, kind, summary);

    static void AssertSame(FeatureDraft expected, HistoryEntry entry)
    {
        Assert.NotNull(entry.Geometry);
        Assert.True(entry.Geometry!.EqualsExact(expected.Geometry), $"{entry.Geometry} != {expected.Geometry}");
        Assert.Equal(4326, entry.Geometry.SRID);
        Assert.True(JsonNode.DeepEquals(expected.Properties, entry.Properties), entry.Properties?.ToJsonString());
    }

    [Fact]
    public async Task Create_replace_and_delete_each_record_one_row_with_the_exact_old_value()
    {
        var v1 = Compound("c1", "南坛小区");
        var v2 = Compound("c1", "南坛小区一期", 106.831, households: 130);
        await Store.CreateAsync(Layer.Compounds, v1, By("李", ChangeKinds.Create));
        await Store.ReplaceAsync(Layer.Compounds, v2, 1, By("王", ChangeKinds.Replace, "rename"));
        await Store.DeleteAsync(Layer.Compounds, "c1", 2, By("张", ChangeKinds.Delete));

        var history = await Store.FeatureHistoryAsync(Layer.Compounds, "c1");
        Assert.Equal([(2L, 0L), (1L, 2L), (0L, 1L)], history.Select(h => (h.Entry.VersionBefore, h.Entry.VersionAfter)));
        Assert.Equal(["张", "王", "李"], history.Select(h => h.Change.Author));
        Assert.Equal([ChangeKinds.Delete, ChangeKinds.Replace, ChangeKinds.Create], history.Select(h => h.Change.Kind));
        Assert.Equal("rename", history[1].Change.Summary);
        AssertSame(v2, history[0].Entry);
        AssertSame(v1, history[1].Entry);
        Assert.Null(history[2].Entry.Geometry);
        Assert.Null(history[2].Entry.Before);
        Assert.Equal(2, history[0].Entry.Before!.Version);
        Assert.True(history[0].Change.At > DateTimeOffset.UtcNow.AddMinutes(-5) && history[0].Change.At <= DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(history[0].Change.Id > history[1].Change.Id && history[1].Change.Id > history[2].Change.Id);
    }

    [Fact]
    public async Task A_feature_created_again_after_a_delete_continues_its_version_numbers()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("c1", "a"));
        await Store.ReplaceAsync(Layer.Compounds, Compound("c1", "b"));
        await Store.DeleteAsync(Layer.Compounds, "c1");
        Assert.Equal(3, (await Store.CreateAsync(Layer.Compounds, Compound("c1", "c"))).Version);

        await Store.DeleteAsync(Layer.Compounds, "c1");
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("c1", "d")])], ImportMode.Upsert);
        Assert.Equal(4, (await Store.GetAsync(Layer.Compounds, "c1"))!.Version);

        await Store.ApplyAsync([(Layer.Compounds, "c1")], []);
        await Store.ApplyAsync([], [new LayerBatch(Layer.Compounds, [Compound("c1", "e")])], [new ExpectedVersion(Layer.Compounds, "c1", 0)]);
        Assert.Equal(5, (await Store.GetAsync(Layer.Compounds, "c1"))!.Version);

        // Deleted and written again in one change set: one row, the old value kept, the version one up.
        var id = await Store.ApplyAsync([(Layer.Compounds, "c1")], [new LayerBatch(Layer.Compounds, [Compound("c1", "f")])]);
        Assert.Equal(6, (await Store.GetAsync(Layer.Compounds, "c1"))!.Version);
        var entry = Assert.Single(await Store.ChangeEntriesAsync(id, 100, 0, withValues: true));
        Assert.Equal((5L, 6L, "e"), (entry.VersionBefore, entry.VersionAfter, entry.Properties!["name"]!.GetValue<string>()));
        Assert.Equal([(0L, 1L), (1L, 2L), (2L, 0L), (0L, 3L), (3L, 0L), (0L, 4L), (4L, 0L), (0L, 5L), (5L, 6L)],
            (await Store.FeatureHistoryAsync(Layer.Compounds, "c1")).Reverse().Select(h => (h.Entry.VersionBefore, h.Entry.VersionAfter)));
    }

    [Fact]
    public async Task A_replace_import_records_what_it_removed_replaced_and_created_and_versions_go_on()
    {
        var kept = Compound("keep", "kept", 106.80);
        var gone = Compound("gone", "gone", 106.81);
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [kept, gone])], ImportMode.Upsert);
        await Store.ReplaceAsync(Layer.Compounds, kept with { Properties = new JsonObject { ["name"] = "kept v2" } });
        var keptV2 = (await Store.GetAsync(Layer.Compounds, "keep"))!;

        var summary = await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("keep", "kept v3"), Compound("new", "new")])],
            ImportMode.ReplaceLayers, change: By("cli", ChangeKinds.Import, "compounds.geojson"));

        Assert.True(summary.ChangeId > 0);
        Assert.Equal(3, (await Store.GetAsync(Layer.Compounds, "keep"))!.Version);
        Assert.Equal(1, (await Store.GetAsync(Layer.Compounds, "new"))!.Version);
        var entries = await Store.ChangeEntriesAsync(summary.ChangeId, 100, 0, withValues: true);
        Assert.Equal([("gone", 1L, 0L), ("keep", 2L, 3L), ("new", 0L, 1L)], entries.Select(e => (e.Id, e.VersionBefore, e.VersionAfter)));
        AssertSame(gone, entries[0]);
        AssertSame(new FeatureDraft("keep", keptV2.Geometry, keptV2.Properties), entries[1]);
        Assert.Null(entries[2].Properties);
        var change = (await Store.GetChangeAsync(summary.ChangeId))!;
        Assert.Equal(("cli", ChangeKinds.Import, "compounds.geojson"), (change.Author, change.Kind, change.Summary));
        Assert.Equal(3, change.Counts[Layer.Compounds]);
        Assert.Equal(["gone", "keep"], (await Store.ChangeEntriesAsync(summary.ChangeId, 2, 0, withValues: false)).Select(e => e.Id));
        Assert.Equal(["new"], (await Store.ChangeEntriesAsync(summary.ChangeId, 2, 2, withValues: false)).Select(e => e.Id));
    }

    [Fact]
    public async Task A_layer_version_rises_once_per_transaction_that_changes_the_layer()
    {
        Assert.All((await Store.LayerVersionsAsync()).Values, v => Assert.Equal(0, v));
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("a", "a")]), new LayerBatch(Layer.Compounds, [Compound("b", "b")]),
            new LayerBatch(Layer.Stations, [new FeatureDraft("s1", Wkt.Read("POINT(106.835 27.545)"), new JsonObject { ["kind"] = "clinic" })])], ImportMode.Upsert);
        await Store.ApplyAsync([(Layer.Compounds, "a")], [new LayerBatch(Layer.Compounds, [Compound("c", "c"), Compound("d", "d")])]);
        await Store.ReplaceAsync(Layer.Compounds, Compound("b", "b2"));
        var versions = await Store.LayerVersionsAsync();
        Assert.Equal((3L, 1L, 0L), (versions[Layer.Compounds], versions[Layer.Stations], versions[Layer.Buildings]));

        // Refused writes raise nothing; a setting (the band) raises the grids' layer version.
        await Assert.ThrowsAsync<VersionConflictException>(() => Store.ReplaceAsync(Layer.Compounds, Compound("b", "x"), 1));
        await Assert.ThrowsAsync<FeatureNotFoundException>(() => Store.DeleteAsync(Layer.Compounds, "ghost"));
        await Store.PutSettingAsync("band", new JsonObject { ["min"] = 200 }, 0, By("王", ChangeKinds.Settings, "band"));
        versions = await Store.LayerVersionsAsync();
        Assert.Equal((3L, 1L), (versions[Layer.Compounds], versions[Layer.Grids]));
        var settings = (await Store.ListChangesAsync(1, 0)).Changes.Single();
        Assert.Equal((ChangeKinds.Settings, "王"), (settings.Kind, settings.Author));
        Assert.Empty(settings.Counts);
    }

    [Fact]
    public async Task A_write_naming_a_stale_layer_version_changes_nothing()
    {
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("a", "a")])], ImportMode.Upsert, [new ExpectedLayerVersion(Layer.Compounds, 0)]);
        var conflict = await Assert.ThrowsAsync<LayerVersionConflictException>(() =>
            Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("b", "b")])], ImportMode.ReplaceLayers, [new ExpectedLayerVersion(Layer.Compounds, 0)]));
        Assert.Equal((0L, 1L), (conflict.Expected, conflict.Current));
        await Assert.ThrowsAsync<LayerVersionConflictException>(() =>
            Store.ApplyAsync([], [new LayerBatch(Layer.Compounds, [Compound("b", "b")])], expectedLayers: [new ExpectedLayerVersion(Layer.Compounds, 7)]));

        Assert.Equal(["a"], (await Store.ListAsync(Layer.Compounds, new(null))).Features.Select(f => f.Id));
        Assert.Equal(1, (await Store.LayerVersionsAsync())[Layer.Compounds]);
        Assert.Equal(1, (await Store.ListChangesAsync(10, 0)).NumberMatched);
        await Store.ImportAsync([new LayerBatch(Layer.Compounds, [Compound("b", "b")])], ImportMode.Upsert, [new ExpectedLayerVersion(Layer.Compounds, 1)]);
        Assert.Equal(2, (await Store.LayerVersionsAsync())[Layer.Compounds]);
    }

    [Fact]
    public async Task Change_sets_list_newest_first_with_counts_and_a_revert_marks_the_one_it_undoes()
    {
        var first = await Store.ApplyAsync([], [new LayerBatch(Layer.Compounds, [Compound("a", "a"), Compound("b", "b")])], change: By("李", ChangeKinds.Assign));
        var second = await Store.ApplyAsync([(Layer.Compounds, "a")], [], change: By("王", ChangeKinds.Delete));
        var revert = await Store.ApplyAsync([], [new LayerBatch(Layer.Compounds, [Compound("a", "a")])], change: By("张", ChangeKinds.Revert) with { Reverts = second });

        var page = await Store.ListChangesAsync(2, 0);
        Assert.Equal(3, page.NumberMatched);
        Assert.Equal([revert, second], page.Changes.Select(c => c.Id));
        Assert.Equal(second, page.Changes[0].Reverts);
        Assert.Equal(revert, page.Changes[1].RevertedBy);
        Assert.Equal(2, (await Store.GetChangeAsync(first))!.Counts[Layer.Compounds]);
        Assert.Null(await Store.GetChangeAsync(999));
        Assert.Equal([first], (await Store.ListChangesAsync(2, 2)).Changes.Select(c => c.Id));

        var touched = Assert.Single(await Store.TouchedSinceAsync(first));
        Assert.Equal((Layer.Compounds, "a"), (touched.Layer, touched.Id));
        Assert.Equal([second, revert], touched.Changes);
        Assert.Empty(await Store.TouchedSinceAsync(revert));
    }

    [Fact]
    public async Task A_refused_write_records_no_change_set()
    {
        await Store.CreateAsync(Layer.Compounds, Compound("a", "a"));
        await Assert.ThrowsAsync<DuplicateFeatureException>(() => Store.CreateAsync(Layer.Compounds, Compound("a", "again")));
        await Assert.ThrowsAsync<VersionConflictsException>(() => Store.ApplyAsync([], [new LayerBatch(Layer.Compounds, [Compound("a", "x")])],
            [new ExpectedVersion(Layer.Compounds, "a", 5)]));
        Assert.Equal(1, (await Store.ListChangesAsync(10, 0)).NumberMatched);
        Assert.Single(await Store.FeatureHistoryAsync(Layer.Compounds, "a"));
    }
}

public sealed class SqliteHistoryConformanceTests : HistoryConformanceTests, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("gridmap-sqlite-").FullName;

    protected override async Task<IFeatureStore> OpenStoreAsync() => (await SqliteStore.OpenAsync(_dir)).Store;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_data_directory_from_before_history_is_migrated_and_keeps_its_features_and_versions()
    {
        await Store.CreateAsync(Layer.Stations, new FeatureDraft("s1", new Point(106.83, 27.54) { SRID = 4326 }, new JsonObject { ["kind"] = "clinic" }));
        await Store.ReplaceAsync(Layer.Stations, new FeatureDraft("s1", new Point(106.83, 27.54) { SRID = 4326 }, new JsonObject { ["kind"] = "hospital" }));
        await Store.DisposeAsync();
        // Back to schema 4, as a store made before history was: no changes, history or layer versions.
        var path = Path.Combine(_dir, SqliteStore.FileName);
        await using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "DROP TABLE changes; DROP TABLE history; DROP TABLE layer_versions; DROP TABLE accounts; DROP TABLE tokens; DELETE FROM schema_migrations WHERE version >= 5;";
            await cmd.ExecuteNonQueryAsync();
        }

        Store = (await SqliteStore.OpenAsync(_dir)).Store;
        Assert.Equal(2, (await Store.GetAsync(Layer.Stations, "s1"))!.Version);
        Assert.Empty(await Store.FeatureHistoryAsync(Layer.Stations, "s1"));
        await Store.DeleteAsync(Layer.Stations, "s1", 2);
        var history = Assert.Single(await Store.FeatureHistoryAsync(Layer.Stations, "s1"));
        Assert.Equal("hospital", history.Entry.Properties!["kind"]!.GetValue<string>());
        Assert.Equal(3, (await Store.CreateAsync(Layer.Stations, new FeatureDraft("s1", new Point(106.83, 27.54) { SRID = 4326 }, new JsonObject { ["kind"] = "clinic" }))).Version);
    }
}

public sealed class PostGisHistoryConformanceTests(PostGisFixture db) : HistoryConformanceTests, IClassFixture<PostGisFixture>
{
    protected override async Task<IFeatureStore> OpenStoreAsync() => await db.OpenEmptyAsync();
}
