using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Editing;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Partitioning;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.IO.Osm;
using GridMap.Server.Cli;
using GridMap.Server.Grids;
using GridMap.Server.Partitioning;
using GridMap.Storage.Sqlite;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench edit [--instances sample,chengdu] [--moves 15] [--out docs/benchmarks.md|-]`: a planner's hand edit —
/// one building moved to the neighbouring grid — as the server does it (read the communities' grids from an embedded store,
/// re-tessellate the source grid, recount, warnings; then the versioned write), against the peer a planner has without
/// it: re-partitioning the whole community (the partition job's read and solve), in the same run.
/// </summary>
public static class EditBench
{
    public const string Usage = "usage: gridmap bench edit [--instances sample,chengdu] [--moves 15] [--out docs/benchmarks.md|-]";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("instances", "moves", "out");
        var moves = a.Int("moves", 15);
        if (moves is < 1 or > 500) throw new CliException("--moves must be 1..500");
        var names = (a.Get("instances") ?? "sample,chengdu").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        GridPartitioner.Partition(WarmUp.Input);

        var table = new StringBuilder();
        table.AppendLine($"- Command: `gridmap bench edit --instances {string.Join(",", names)} --moves {moves}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {BenchMachine.LoadAverage()}.");
        table.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}.");
        table.AppendLine("- Each move takes a random grid's building nearest a neighbouring grid into that grid (seed 1), on an embedded (SQLite) store. Dry run = read + compute (what the map's live preview costs); write = the versioned transaction. Peer = re-partitioning the community from the store (read + solve), as a planner without hand edits would. Medians.");
        table.AppendLine();
        table.AppendLine("| instance | community: grids, units (buildings and compound pieces) | moves | dry run ms (read + compute) | compute alone ms | write ms | re-partition ms (peer) | peer ÷ dry run |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var name in names)
        {
            var dir = Directory.CreateTempSubdirectory("gridmap-editbench-").FullName;
            try
            {
                var (store, _) = await SqliteStore.OpenAsync(dir);
                await using (store)
                {
                    var community = await LoadAsync(name, store);
                    var row = await MeasureAsync(store, community, moves);
                    table.AppendLine($"| {name} | {community}: {row.Grids} grids, {row.Buildings} units | {row.Moves} | {row.DryRun:0.0} | {row.Compute:0.0} | {row.Write:0.0} | {row.Peer:0} | {row.Peer / row.DryRun:0.0}× |");
                    Console.Error.WriteLine(table.ToString().Split('\n')[^2]);
                }
            }
            finally
            {
                try { Directory.Delete(dir, true); } catch (IOException) { }
            }
        }

        await stdout.WriteLineAsync(table.ToString());
        var output = a.Get("out");
        if (output is not null && output != "-")
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, "edit", "Grid edits (assign) against re-partitioning", table.ToString()));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        return 0;
    }

    /// <summary>Fills the store; returns the community (or provisional area) whose grids are edited.</summary>
    static async Task<string> LoadAsync(string name, IFeatureStore store)
    {
        switch (name)
        {
            case "sample":
                await store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
                // The community with the most grids.
                var grids = await Hosting.StoreReads.AllAsync(store, Layer.Grids, null, default);
                return grids.GroupBy(g => g.Text("community_code") ?? "").OrderByDescending(g => g.Count()).First().Key;
            case "chengdu":
                var file = Path.Combine(BenchInstances.SharedDirectory(), "geodata", "chengdu-2018", "chengdu.osm.pbf");
                await store.ImportAsync(OsmImporter.Read(file, new EstimationOptions()).Batches, ImportMode.ReplaceLayers);
                // No communities in the extract: one provisional area, partitioned as a planner would (scope all), then accepted.
                var scope = await StorePartitionInput.LoadAsync(store, "all", new Bounds(), default);
                var result = GridPartitioner.Partition(scope.Input);
                var drafts = result.Grids.Select(g => new FeatureDraft(g.Code, g.Polygon, new JsonObject
                {
                    ["code"] = g.Code, ["community_code"] = g.Area, ["households"] = g.Households, ["status"] = "active",
                    ["unit_ids"] = new JsonArray(g.UnitIds.Select(u => (JsonNode)JsonValue.Create(u)!).ToArray()),
                })).ToList();
                var gridOf = result.Grids.SelectMany(g => g.UnitIds.Select(u => (Building: u.Split('/')[0], g.Code))).GroupBy(x => x.Building).ToDictionary(x => x.Key, x => x.First().Code);
                var buildings = scope.Buildings.Where(b => gridOf.ContainsKey(b.Id)).Select(b =>
                {
                    var props = (JsonObject)b.Properties.DeepClone();
                    props["grid_code"] = gridOf[b.Id];
                    return new FeatureDraft(b.Id, b.Geometry, props);
                }).ToList();
                await store.ImportAsync([new LayerBatch(Layer.Grids, drafts), new LayerBatch(Layer.Buildings, buildings)], ImportMode.Upsert);
                return result.Grids[0].Area;
            default:
                throw new CliException($"unknown instance '{name}' (known: sample, chengdu)");
        }
    }

    sealed record Row(int Grids, int Buildings, int Moves, double DryRun, double Compute, double Write, double Peer);

    static async Task<Row> MeasureAsync(IFeatureStore store, string community, int moves)
    {
        var random = new Random(1);
        var all = (await Hosting.StoreReads.AllAsync(store, Layer.Grids, null, default))
            .Where(g => (g.Text("community_code") ?? "") == community && g.Text("status") != "retired").ToList();
        var buildingCount = all.Sum(g => (g.Properties["unit_ids"] as JsonArray)?.Count ?? 0);
        var dry = new List<double>();
        var compute = new List<double>();
        var write = new List<double>();
        var done = 0;
        for (var attempt = 0; done < moves && attempt < moves * 10; attempt++)
        {
            var grids = (await Hosting.StoreReads.AllAsync(store, Layer.Grids, null, default))
                .Where(g => (g.Text("community_code") ?? "") == community && g.Text("status") != "retired").ToList();
            var source = grids[random.Next(grids.Count)];
            var target = grids.Where(g => g.Id != source.Id && g.Geometry.EnvelopeInternal.Intersects(source.Geometry.EnvelopeInternal) && g.Geometry.Intersection(source.Geometry).Length > 0)
                .OrderBy(_ => random.Next()).FirstOrDefault();
            var members = (source.Properties["unit_ids"] as JsonArray ?? []).Select(n => n!.ToString()).ToList();
            if (target is null || members.Count < 2) continue;
            var buildings = new List<StoredFeature>();
            foreach (var id in members) if (await store.GetAsync(Layer.Buildings, id) is { } b) buildings.Add(b);
            if (buildings.Count == 0) continue;
            var building = buildings.OrderBy(b => b.Geometry.Distance(target.Geometry)).First().Id;

            var clock = Stopwatch.StartNew();
            var scope = await GridEditScope.LoadAsync(store, [building], [target.Id], default);
            var read = clock.Elapsed.TotalMilliseconds;
            GridReassignment.Apply(scope.Set, [new Move(building, target.Id)], scope.IsReal);
            var moved = scope.MovedBuildings();
            GridWarnings.For(scope.Set, scope.Set.Touched, _ => new Bounds(), moved);
            var total = clock.Elapsed.TotalMilliseconds;
            if (attempt > 0 || moves == 1) { dry.Add(total); compute.Add(total - read); } // the first is the warm-up

            clock.Restart();
            await store.ApplyAsync([], [
                new LayerBatch(Layer.Grids, scope.Set.Touched.Select(c => scope.GridDraft(scope.Set.Grid(c)!)).ToList()),
                new LayerBatch(Layer.Buildings, moved.Select(scope.BuildingDraft).ToList())],
                scope.Set.Touched.Where(c => scope.StoredGrids.ContainsKey(c)).Select(c => new ExpectedVersion(Layer.Grids, c, scope.StoredGrids[c].Version)).ToList());
            write.Add(clock.Elapsed.TotalMilliseconds);
            done++;
        }

        var peer = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var clock = Stopwatch.StartNew();
            var input = await StorePartitionInput.LoadAsync(store, community == "AREA" ? "all" : community, new Bounds(), default);
            GridPartitioner.Partition(input.Input);
            if (i > 0) peer.Add(clock.Elapsed.TotalMilliseconds);
        }
        return new Row(all.Count, buildingCount, done, BenchMeasure.Median(dry), BenchMeasure.Median(compute), BenchMeasure.Median(write), BenchMeasure.Median(peer));
    }
}
