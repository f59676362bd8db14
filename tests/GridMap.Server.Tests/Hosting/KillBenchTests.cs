using GridMap.Core.Model;
using GridMap.Server.Bench;
using GridMap.Server.Hosting;
using GridMap.Storage.Sqlite;
using GridMap.Testing;

namespace GridMap.Server.Tests.Serving;

/// <summary>
/// `gridmap bench kill` in short (issue 12, durability): two SIGKILLs at fixed-seed random moments per kind of write —
/// an import, a grid edit, a partition accept — on both stores, and two during a new embedded store's first-run seed.
/// Every trial must leave a store that passes its integrity check and holds exactly the content before or after the
/// write, with every acknowledged write kept; a killed seed is redone on the next start. The long run (10 per kind) is
/// the benchmark in docs/benchmarks.md.
/// </summary>
public sealed class KillBenchTests : IAsyncLifetime
{
    /// <summary>The bench makes (and drops) databases of its own on this one's server.</summary>
    string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_kill");

    public async Task DisposeAsync() => await PostGisDatabase.DropDatabaseAsync(_connectionString);

    [Fact]
    public async Task Two_kills_per_kind_of_write_on_both_stores_leave_each_store_as_before_or_as_after()
    {
        var outcomes = await KillBench.MeasureAsync(KillBench.AllKinds, trials: 2, seed: 12, _connectionString, _ => { })
            .WaitAsync(TimeSpan.FromMinutes(15)); // hang guard
        var table = KillBench.Markdown(outcomes);
        Assert.Equal(["SQLite import", "SQLite edit", "SQLite accept", "SQLite seed", "PostGIS import", "PostGIS edit", "PostGIS accept"],
            outcomes.Select(o => $"{o.Store} {o.Kind}"));
        foreach (var o in outcomes)
        {
            Assert.True(o.Problems.Count == 0, $"{o.Store} {o.Kind}: {string.Join("; ", o.Problems)}\n{table}");
            Assert.Equal(2, o.Trials.Count);
            Assert.Equal(2, o.AllOrNothing);
            Assert.Equal(2, o.Intact);
            Assert.Equal(o.Acknowledged, o.AcknowledgedKept);
            Assert.Equal(o.Trials.Count, o.Before + o.After);
        }
        // A killed first run is seeded on the restart, whenever the kill came.
        Assert.All(outcomes.Single(o => o.Kind == "seed").Trials, t => Assert.Equal("after", t.State));
    }

    [Fact]
    public async Task A_store_whose_first_run_was_killed_while_seeding_is_seeded_on_the_next_start()
    {
        var dir = Directory.CreateTempSubdirectory("gridmap-seed-").FullName;
        try
        {
            // What a first run killed inside its seed transaction leaves: the marker, and a store with its schema but no feature.
            await File.WriteAllTextAsync(Path.Combine(dir, StoreFactory.SeedingMarker), "");
            await (await SqliteStore.OpenAsync(dir)).Store.DisposeAsync();
            await using (var store = await StoreFactory.OpenAsync(new GridMapOptions { DataDirectory = dir }, TextWriter.Null))
            {
                var counts = await store.CountAsync();
                Assert.Equal(3114, counts[Layer.Buildings]);
                Assert.True(counts[Layer.Grids] > 0);
            }
            Assert.False(File.Exists(Path.Combine(dir, StoreFactory.SeedingMarker)));

            // A store that was not new when this run began, or was emptied on purpose, is never seeded behind its owner's back.
            var empty = Directory.CreateTempSubdirectory("gridmap-seed-").FullName;
            await (await SqliteStore.OpenAsync(empty)).Store.DisposeAsync();
            await using (var store = await StoreFactory.OpenAsync(new GridMapOptions { DataDirectory = empty }, TextWriter.Null))
                Assert.All((await store.CountAsync()).Values, n => Assert.Equal(0L, n));
            Directory.Delete(empty, true);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
