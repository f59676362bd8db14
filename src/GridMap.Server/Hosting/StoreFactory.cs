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
    public static async Task<IFeatureStore> OpenAsync(GridMapOptions options, TextWriter log, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(options.Postgres))
        {
            var pg = await PostGisStore.OpenAsync(options.Postgres, ct);
            log.WriteLine("store: PostGIS");
            return pg;
        }
        var (store, created) = await SqliteStore.OpenAsync(options.DataDirectory, ct);
        log.WriteLine($"store: SQLite at {store.Path}");
        if (created && options.SeedSample)
        {
            var summary = await store.ImportAsync(SampleCityBatches(log), ImportMode.ReplaceLayers, change: new ChangeInfo(History.RequestChange.Cli, ChangeKinds.Seed, "the sample city"), ct: ct);
            log.WriteLine($"seeded the sample city: {Describe(summary)}");
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
