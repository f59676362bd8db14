using System.Diagnostics;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Storage.PostGis;
using GridMap.Testing;
using NetTopologySuite.Geometries;
using Npgsql;
using Xunit.Abstractions;

namespace GridMap.Storage.Tests;

/// <summary>One fresh PostGIS database per test class, dropped afterwards.</summary>
public sealed class PostGisFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_test");

    public Task DisposeAsync() => PostGisDatabase.DropDatabaseAsync(ConnectionString);

    /// <summary>Opens the store on this class's database with every layer and its history emptied, so tests do not see each other.</summary>
    public async Task<PostGisStore> OpenEmptyAsync()
    {
        var store = await PostGisStore.OpenAsync(ConnectionString);
        await using var cmd = store.DataSource.CreateCommand($"TRUNCATE {string.Join(", ", Layers.All.Select(l => l.Key()))}, changes, history, layer_versions RESTART IDENTITY");
        await cmd.ExecuteNonQueryAsync();
        return store;
    }
}

/// <summary>What only PostGIS has: migrations, concurrency between processes, NOTIFY, transactions under load.</summary>
public sealed class PostGisSpecificTests(PostGisFixture db, ITestOutputHelper output) : IClassFixture<PostGisFixture>, IAsyncLifetime
{
    PostGisStore _store = null!;

    public async Task InitializeAsync() => _store = await db.OpenEmptyAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    static readonly GeometryFactory Lonlat = new(new PrecisionModel(1e7), 4326);

    static FeatureDraft Square(string id, double x, double y, string name = "小区", double size = 0.0002) =>
        new(id, Lonlat.CreatePolygon([new(x, y), new(x + size, y), new(x + size, y + size), new(x, y + size), new(x, y)]),
            new JsonObject { ["name"] = name, ["households"] = 12 });

    static FeatureDraft Station(string id) =>
        new(id, Lonlat.CreatePoint(new Coordinate(106.835, 27.545)), new JsonObject { ["kind"] = "clinic" });

    static async Task<List<(int Version, DateTime AppliedAt)>> MigrationRows(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT version, applied_at FROM schema_migrations ORDER BY version", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(int, DateTime)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt32(0), reader.GetDateTime(1)));
        return rows;
    }

    // ---- migrations ----

    [Fact]
    public async Task Migrations_are_idempotent()
    {
        var cs = await PostGisDatabase.CreateDatabaseAsync("gridmap_migrate");
        try
        {
            await (await PostGisStore.OpenAsync(cs)).DisposeAsync();
            var first = await MigrationRows(cs);
            await using (var again = await PostGisStore.OpenAsync(cs))
                Assert.Equal(0, (await again.CountAsync())[Layer.Buildings]);
            var second = await MigrationRows(cs);

            Assert.Equal(Migrations.All.Select(m => m.Version), first.Select(r => r.Version));
            Assert.Equal(first, second);
        }
        finally { await PostGisDatabase.DropDatabaseAsync(cs); }
    }

    [Fact]
    public async Task Concurrent_opens_on_a_fresh_database_without_postgis_all_succeed_and_migrate_once()
    {
        var cs = await PostGisDatabase.CreateDatabaseAsync("gridmap_race");
        try
        {
            // Without the extension, so the first migration also has to create it (we connect as a superuser).
            await using (var conn = new NpgsqlConnection(cs))
            {
                await conn.OpenAsync();
                await using var drop = new NpgsqlCommand("DROP EXTENSION postgis", conn);
                await drop.ExecuteNonQueryAsync();
            }

            var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostGisStore.OpenAsync(cs)));
            foreach (var (s, i) in stores.Select((s, i) => (s, i)))
            {
                await s.CreateAsync(Layer.Stations, Station($"s{i}"));
                Assert.Equal(i + 1, (await s.CountAsync())[Layer.Stations]);
                Assert.Equal(4326, (await s.GetAsync(Layer.Stations, $"s{i}"))!.Geometry.SRID);
                await s.DisposeAsync();
            }
            Assert.Equal(Migrations.All.Select(m => m.Version), (await MigrationRows(cs)).Select(r => r.Version));
        }
        finally { await PostGisDatabase.DropDatabaseAsync(cs); }
    }

    [Fact]
    public async Task Every_layer_has_its_table_with_a_gist_index()
    {
        await using var cmd = _store.DataSource.CreateCommand("""
            SELECT tablename FROM pg_indexes WHERE schemaname = 'public' AND indexdef ILIKE '%USING gist (geom)%' ORDER BY tablename
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Equal(Layers.All.Select(l => l.Key()).Order(StringComparer.Ordinal), tables);
    }

    // ---- NOTIFY ----

    sealed class Listener : IAsyncDisposable
    {
        readonly NpgsqlConnection _conn;
        public readonly List<string> Payloads = [];

        Listener(NpgsqlConnection conn) => _conn = conn;

        public static async Task<Listener> StartAsync(string cs)
        {
            var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            var listener = new Listener(conn);
            conn.Notification += (_, e) => { if (e.Channel == PostGisStore.ChangesChannel) listener.Payloads.Add(e.Payload); };
            await using var cmd = new NpgsqlCommand($"LISTEN {PostGisStore.ChangesChannel}", conn);
            await cmd.ExecuteNonQueryAsync();
            return listener;
        }

        /// <summary>Waits until <paramref name="count"/> notifications have arrived or the time is up.</summary>
        public async Task<List<string>> WaitAsync(int count, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (Payloads.Count < count)
            {
                // Computed once: a negative wait would mean "forever" to Npgsql.
                var left = until - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                using var cancel = new CancellationTokenSource(left);
                try { await _conn.WaitAsync(cancel.Token); }
                catch (OperationCanceledException) { break; }
            }
            return Payloads;
        }

        public ValueTask DisposeAsync() => _conn.DisposeAsync();
    }

    [Fact]
    public async Task A_committed_write_notifies_other_connections_with_the_layer()
    {
        await using var listener = await Listener.StartAsync(db.ConnectionString);

        await _store.CreateAsync(Layer.Compounds, Square("c1", 106.83, 27.54));
        Assert.Equal(["compounds"], await listener.WaitAsync(1, TimeSpan.FromSeconds(5)));

        listener.Payloads.Clear();
        await _store.ImportAsync(
            [new LayerBatch(Layer.Stations, [Station("s1")]), new LayerBatch(Layer.Buildings, [Square("b1", 106.83, 27.54)])],
            ImportMode.Upsert);
        Assert.Equal(["buildings", "stations"], (await listener.WaitAsync(2, TimeSpan.FromSeconds(5))).Order());
    }

    [Fact]
    public async Task A_refused_write_notifies_nobody()
    {
        await _store.CreateAsync(Layer.Compounds, Square("c1", 106.83, 27.54));
        await using var listener = await Listener.StartAsync(db.ConnectionString);

        await Assert.ThrowsAsync<VersionConflictException>(() => _store.ReplaceAsync(Layer.Compounds, Square("c1", 106.83, 27.54), expectedVersion: 9));
        await Assert.ThrowsAsync<DuplicateFeatureException>(() => _store.CreateAsync(Layer.Compounds, Square("c1", 106.83, 27.54)));
        await _store.DeleteAsync(Layer.Compounds, "c1");

        // Only the delete committed; the notification of a committed write comes after those of earlier ones.
        Assert.Equal(["compounds"], await listener.WaitAsync(2, TimeSpan.FromSeconds(1)));
    }

    // ---- transactions ----

    async Task<Dictionary<string, string>> Snapshot()
    {
        // Every row of every layer as id/version/geometry/properties: "as they were" means exactly this.
        var rows = new Dictionary<string, string>();
        foreach (var layer in Layers.All)
        {
            await using var cmd = _store.DataSource.CreateCommand(
                $"SELECT id, version, ST_AsText(geom), props::text FROM {layer.Key()}");
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                rows[$"{layer.Key()}/{reader.GetString(0)}"] = $"{reader.GetInt64(1)} {reader.GetString(2)} {reader.GetString(3)}";
        }
        return rows;
    }

    async Task SeedAsync() => await _store.ImportAsync(
    [
        new LayerBatch(Layer.Compounds, [Square("keep1", 106.83, 27.54, "甲"), Square("keep2", 106.84, 27.54, "乙")]),
        new LayerBatch(Layer.Stations, [Station("s0")]),
    ], ImportMode.Upsert);

    [Theory]
    [InlineData(ImportMode.ReplaceLayers)]
    [InlineData(ImportMode.Upsert)]
    public async Task An_import_whose_second_batch_postgis_refuses_leaves_every_table_as_it_was(ImportMode mode)
    {
        await SeedAsync();
        var before = await Snapshot();

        // Web Mercator in a 4326 column: PostGIS refuses it only after the first batch went in.
        var mercator = new GeometryFactory(new PrecisionModel(), 3857).CreatePoint(new Coordinate(11_892_000, 3_190_000));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _store.ImportAsync(
        [
            new LayerBatch(Layer.Stations, [Station("s1"), Station("s2")]),
            new LayerBatch(Layer.Compounds, [Square("keep1", 106.83, 27.54, "changed"), new FeatureDraft("bad", mercator, [])]),
        ], mode));
        output.WriteLine(error.Message);

        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_replace_layers_import_with_a_duplicate_in_the_second_batch_leaves_every_table_as_it_was()
    {
        await SeedAsync();
        var before = await Snapshot();

        await Assert.ThrowsAsync<DuplicateFeatureException>(() => _store.ImportAsync(
        [
            new LayerBatch(Layer.Stations, [Station("s1")]),
            new LayerBatch(Layer.Compounds, [Square("n1", 106.85, 27.54)]),
            new LayerBatch(Layer.Compounds, [Square("n1", 106.86, 27.54)]),
        ], ImportMode.ReplaceLayers));

        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task Upsert_of_an_id_given_twice_keeps_the_last_and_raises_the_version_twice()
    {
        await _store.CreateAsync(Layer.Compounds, Square("c1", 106.83, 27.54, "v1"));
        var summary = await _store.ImportAsync(
        [
            new LayerBatch(Layer.Compounds, [Square("c1", 106.83, 27.54, "v2"), Square("new", 106.84, 27.54, "a")]),
            new LayerBatch(Layer.Compounds, [Square("c1", 106.83, 27.54, "v3"), Square("new", 106.84, 27.54, "b")]),
        ], ImportMode.Upsert);

        Assert.Equal(4, summary.Written[Layer.Compounds]);
        var c1 = await _store.GetAsync(Layer.Compounds, "c1");
        Assert.Equal(("v3", 3L), (c1!.Text("name"), c1.Version));
        var added = await _store.GetAsync(Layer.Compounds, "new");
        Assert.Equal(("b", 2L), (added!.Text("name"), added.Version));
    }

    [Fact]
    public async Task Concurrent_replaces_at_the_same_version_let_exactly_one_win()
    {
        await _store.CreateAsync(Layer.Grids, Square("g1", 106.83, 27.54, "v1"));
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await _store.ReplaceAsync(Layer.Grids, Square("g1", 106.83, 27.54, $"w{i}"), expectedVersion: 1);
                return true;
            }
            catch (VersionConflictException e) when (e.Current == 2) { return false; }
        });
        var won = await Task.WhenAll(attempts);

        Assert.Single(won, w => w);
        Assert.Equal(2, (await _store.GetAsync(Layer.Grids, "g1"))!.Version);
    }

    // ---- geometry ----

    [Fact]
    public async Task Geometries_without_srid_are_stored_as_lonlat_and_come_back_with_the_store_factory()
    {
        var plain = new GeometryFactory().CreatePoint(new Coordinate(106.8312345, 27.5412345));
        await _store.CreateAsync(Layer.Stations, new FeatureDraft("s1", plain, new JsonObject { ["kind"] = "clinic" }));

        var read = await _store.GetAsync(Layer.Stations, "s1");
        Assert.Equal(4326, read!.Geometry.SRID);
        Assert.Same(GridMap.Core.Spatial.GeometryRules.Factory, read.Geometry.Factory);
        Assert.True(read.Geometry.EqualsExact(plain));
        await using var cmd = _store.DataSource.CreateCommand("SELECT ST_SRID(geom) FROM stations WHERE id = 's1'");
        Assert.Equal(4326, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Search_matches_like_wildcards_literally_and_respects_layer_order_and_limit()
    {
        await _store.ImportAsync(
        [
            new LayerBatch(Layer.Compounds, [Square("c_1", 106.83, 27.54, "南坛 100%"), Square("c2", 106.84, 27.54, "南坛 1000")]),
            new LayerBatch(Layer.Grids, [Square("g1", 106.83, 27.54, "南坛网格")]),
        ], ImportMode.Upsert);

        Assert.Equal(["c_1"], (await _store.SearchAsync("100%", [Layer.Compounds], 10)).Select(f => f.Id));
        Assert.Equal(["c_1"], (await _store.SearchAsync("C_", [Layer.Compounds], 10)).Select(f => f.Id));
        // Grids first because they are named first, then compounds in bytewise id order ("2" < "_").
        Assert.Equal(["g1", "c2", "c_1"], (await _store.SearchAsync("南坛", [Layer.Grids, Layer.Compounds], 10)).Select(f => f.Id));
        Assert.Equal(["g1", "c2"], (await _store.SearchAsync("南坛", [Layer.Grids, Layer.Compounds], 2)).Select(f => f.Id));
    }

    // ---- volume ----

    [Fact]
    public async Task Hundred_thousand_buildings_import_in_seconds()
    {
        const int n = 100_000;
        var drafts = Enumerable.Range(0, n)
            .Select(i => Square($"b{i:000000}", 106.70 + i % 400 * 0.0005, 27.40 + i / 400 * 0.0005, $"{i}号楼", 0.0003))
            .ToList();

        var clock = Stopwatch.StartNew();
        var summary = await _store.ImportAsync([new LayerBatch(Layer.Buildings, drafts)], ImportMode.ReplaceLayers);
        var replace = clock.Elapsed;
        clock.Restart();
        await _store.ImportAsync([new LayerBatch(Layer.Buildings, drafts)], ImportMode.Upsert);
        var upsert = clock.Elapsed;
        output.WriteLine($"{n} buildings: ReplaceLayers {replace.TotalSeconds:0.0} s, Upsert over them {upsert.TotalSeconds:0.0} s");

        Assert.Equal(n, summary.Written[Layer.Buildings]);
        Assert.Equal(n, (await _store.CountAsync())[Layer.Buildings]);
        Assert.Equal(2, (await _store.GetAsync(Layer.Buildings, "b099999"))!.Version);
        var page = await _store.ListAsync(Layer.Buildings, new(new Envelope(106.70, 106.7009, 27.40, 27.4009), Limit: 10));
        Assert.Equal(["b000000", "b000001", "b000400", "b000401"], page.Features.Select(f => f.Id));
        Assert.True(replace < TimeSpan.FromSeconds(60) && upsert < TimeSpan.FromSeconds(60), "100k buildings must import in seconds, not minutes");
    }
}
