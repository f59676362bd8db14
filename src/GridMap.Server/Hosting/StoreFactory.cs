using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;

namespace GridMap.Server.Hosting;

/// <summary>Opens the store the options name: PostGIS when a connection string is given, else the embedded SQLite store, seeded with the sample city when new.</summary>
public static class StoreFactory
{
    /// <summary>In the data directory while a new store's first seed has not committed.</summary>
    public const string SeedingMarker = "seeding.pending";

    public static async Task<IFeatureStore> OpenAsync(GridMapOptions options, TextWriter log, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(options.Postgres))
        {
            var pg = await PostGisStore.OpenAsync(options.Postgres, ct);
            log.WriteLine("store: PostGIS");
            return pg;
        }
        // A new store is seeded in one transaction; the marker, written before the database exists and removed after the
        // seed commits, tells the next start that a first run was killed before it finished, so it seeds then.
        var marker = Path.Combine(options.DataDirectory, SeedingMarker);
        if (options.SeedSample && !File.Exists(Path.Combine(options.DataDirectory, SqliteStore.FileName)))
        {
            Directory.CreateDirectory(options.DataDirectory);
            await using var m = new FileStream(marker, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
            await m.WriteAsync("the first run is seeding the sample city\n"u8.ToArray(), ct);
            m.Flush(flushToDisk: true);
        }
        var (store, _) = await SqliteStore.OpenAsync(options.DataDirectory, ct);
        log.WriteLine($"store: SQLite at {store.Path}");
        if (options.SeedSample && File.Exists(marker))
        {
            // All or nothing: an interrupted seed left no feature; a seed that committed just before a kill is not redone.
            if ((await store.CountAsync(ct)).Values.All(n => n == 0))
            {
                var summary = await store.ImportAsync(SampleCityBatches(log), ImportMode.ReplaceLayers, change: new ChangeInfo(History.RequestChange.Cli, ChangeKinds.Seed, "the sample city"), ct: ct);
                log.WriteLine($"seeded the sample city: {Describe(summary)}");
            }
            File.Delete(marker);
        }
        return store;
    }

    /// <summary>The committed sample city in geodata/sample, or the same city generated when the files are not at hand.</summary>
    public static IReadOnlyList<LayerBatch> SampleCityBatches(TextWriter log)
    {
        if (RepoPaths.SampleCity() is { } dir)
        {
            var batches = new List<LayerBatch>();
            foreach (var layer in Layers.All)
            {
                var path = Path.Combine(dir, layer.Key() + ".geojson");
                if (!File.Exists(path)) continue;
                var read = GeoJsonFeatures.Read(layer, File.ReadAllBytes(path));
                if (!read.IsValid) throw new InvalidDataException($"{path}: {read.Problems[0].Pointer}: {read.Problems[0].Message}");
                batches.Add(new LayerBatch(layer, read.Features));
            }
            return batches;
        }
        log.WriteLine("geodata/sample not found: generating the sample city");
        return SampleCityGenerator.Generate().Batches;
    }

    public static string Describe(ImportSummary summary) =>
        string.Join(", ", summary.Written.Select(kv => $"{kv.Key.Key()} {kv.Value:N0}"));
}
