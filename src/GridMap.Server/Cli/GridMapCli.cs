using System.Text.Json;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.IO.Osm;
using GridMap.Server.Bench;
using GridMap.Server.History;
using GridMap.Server.Hosting;
using GridMap.Server.Import;

namespace GridMap.Server.Cli;

/// <summary>The `gridmap` command: one executable, one verb per job.</summary>
public static class GridMapCli
{
    public const string Usage = """
        gridmap — community grids (网格化管理) server and tools

        usage:
          gridmap serve   [--data DIR | --postgres CONN] [--port 5080 | --urls URLS] [--web DIR] [--no-sample] [--open] [--cors-origin ORIGIN …] [--max-upload-mb 64]
                          [--https-cert FILE.pem --https-key FILE.pem] [--basemap URL …] [--basemap-subdomains a,b,c]
                          [--allowed-hosts NAME,…] [--rate-limit 600]
          gridmap user    add NAME --role admin|planner|organisation|worker|viewer [--scope CODE] [--grids CODE,…] [--can-edit-households]
                          [--password-stdin] [--data DIR | --postgres CONN]
          gridmap user    list | password NAME [--password-stdin] | remove NAME   [--data DIR | --postgres CONN]
          gridmap token   create NAME | revoke ID | list                         [--data DIR | --postgres CONN]
          gridmap import  osm FILE.osm[.pbf]            [--data DIR | --postgres CONN] [--replace]
          gridmap import  geojson --layer LAYER FILE    [--data DIR | --postgres CONN] [--replace] [--from wgs84|gcj02|bd09]
          gridmap export  --layer LAYER FILE|-          [--data DIR | --postgres CONN] [--bbox minLon,minLat,maxLon,maxLat]
          gridmap sample  [--seed 1] [--scale 1] (--out DIR | [--data DIR | --postgres CONN])
          gridmap partition --units U.geojson [--areas A.geojson] [--compounds C.geojson] [--barriers R.geojson] [--special-areas S.geojson]
                          [--min 200 --max 300 --target 250] [--existing G.geojson] --out grids.geojson [--report report.json]
          gridmap coverage --buildings B.geojson --stations S.geojson [--network R.geojson] [--compounds C.geojson] [--kind KIND]
                          [--minutes 5,10,15 | --meters 300,500,1000] [--profile adult|elderly | --speed-kmh 4.5] [--min-component-nodes 50]
                          --out buildings_out.geojson [--isochrones iso.geojson] [--gaps gaps.geojson] [--report report.json]
          gridmap site    --buildings B.geojson --stations S.geojson [--network R.geojson] (--minutes 15 | --meters 500) [--min-component-nodes 50]
                          (--add K | --share 0.95) (--candidates C.geojson | --candidates auto [--spacing M]) --out sites.geojson [--report report.json]
          gridmap bench partition [--instances singapore,chengdu,sample,lattice40,lattice100,lattice317] [--runs 3] [--out docs/benchmarks.md]
          gridmap bench writes --postgres CONN [--clients 16] [--writes 200] [--servers 2] [--features 4] [--out docs/benchmarks.md]
          gridmap bench kill [--kinds import,edit,accept,seed] [--trials 10] [--seed 1] [--postgres CONN] [--out docs/benchmarks.md]
          gridmap bench fuzz [--requests 10000] [--seed 1] [--postgres CONN | --data DIR] [--out docs/benchmarks.md] [--security docs/security.md]
          gridmap bench repair [--sizes 125,250,500,1000,2000] [--runs 3] [--out docs/benchmarks.md]

        layers: districts streets communities compounds buildings grids stations network
        The embedded store lives in ./data unless --data says otherwise; --postgres (or GRIDMAP_POSTGRES) selects PostGIS.
        --estimation FILE.json overrides household estimation constants (see docs/schema.md).
        --osm-max-bytes N, --osm-max-elements N (serve, import osm) and --osm-imports-at-once N (serve) bound OSM extracts (docs/security.md).
        --from gcj02|bd09 converts Amap/Tencent (GCJ-02) or Baidu (BD-09) coordinates to WGS84 on import.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, TextReader? stdin = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        stdin ??= Console.In;
        try
        {
            var verb = args.Length == 0 ? "serve" : args[0];
            var rest = CliArgs.Parse(args.Skip(args.Length == 0 ? 0 : 1));
            if (rest.Has("help") || verb is "help" or "--help" or "-h")
            {
                stdout.WriteLine(Usage);
                return 0;
            }
            return verb switch
            {
                "serve" => await ServeAsync(rest, args.Skip(1).ToArray(), stdout),
                "import" => await ImportAsync(rest, stdout),
                "export" => await ExportAsync(rest, stdout),
                "sample" => await SampleAsync(rest, stdout),
                "partition" => await PartitionCommand.RunAsync(rest, stdout),
                "coverage" => await CoverageCommand.RunAsync(rest, stdout),
                "site" => await SiteCommand.RunAsync(rest, stdout),
                "bench" => await BenchCommand.RunAsync(rest, stdout),
                "user" => await AccountCommands.UserAsync(rest, stdout, stdin),
                "token" => await AccountCommands.TokenAsync(rest, stdout),
                _ => throw new CliException($"unknown verb '{verb}'"),
            };
        }
        catch (CliException e)
        {
            stderr.WriteLine($"gridmap: {e.Message}");
            stderr.WriteLine("run `gridmap --help` for usage");
            return 2;
        }
        catch (InvalidFeaturesException e)
        {
            stderr.WriteLine($"gridmap: nothing was written; {e.Problems.Count} problem(s):");
            foreach (var p in e.Problems.Take(50)) stderr.WriteLine($"  {p.Pointer}{(p.FeatureId is null ? "" : $" (id {p.FeatureId})")}: {p.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DuplicateFeatureException or InvalidDataException)
        {
            stderr.WriteLine($"gridmap: {e.Message}");
            return 1;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("GRIDMAP_DEBUG") != "1")
        {
            // A bug, not bad input: say so in one line (GRIDMAP_DEBUG=1 shows the stack).
            stderr.WriteLine($"gridmap: internal error ({e.GetType().Name}): {e.Message}");
            return 3;
        }
    }

    static long? PositiveLong(CliArgs a, string name) => a.Get(name) is not { } text ? null
        : long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v
        : throw new CliException($"--{name} must be a positive whole number");

    static GridMapOptions Options(CliArgs a)
    {
        var estimation = new EstimationOptions();
        if (a.Get("estimation") is { } path)
        {
            if (!File.Exists(path)) throw new CliException($"--estimation {path}: no such file");
            try
            {
                estimation = EstimationOptionsJson.Parse(File.ReadAllText(path));
            }
            catch (FormatException e)
            {
                throw new CliException($"--estimation {path}: {e.Message}");
            }
        }
        var osmLimits = new OsmLimits();
        return new GridMapOptions
        {
            OsmLimits = osmLimits with
            {
                MaxBytes = PositiveLong(a, "osm-max-bytes") ?? osmLimits.MaxBytes,
                MaxElements = PositiveLong(a, "osm-max-elements") ?? osmLimits.MaxElements,
            },
            OsmImportsAtOnce = a.Int("osm-imports-at-once", 1),
            DataDirectory = a.Get("data") ?? "data",
            // GRIDMAP_POSTGRES is the default store, never over an explicit --data.
            Postgres = a.Get("postgres") ?? (a.Has("data") ? null : NullIfEmpty(Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES"))),
            WebRoot = a.Get("web"),
            SeedSample = !a.Has("no-sample"),
            Estimation = estimation,
            CorsOrigins = a.GetAll("cors-origin"),
            MaxUploadBytes = (long)a.Int("max-upload-mb", 64) << 20,
            HttpsCertificate = a.Get("https-cert"),
            HttpsKey = a.Get("https-key"),
            // GRIDMAP_BASEMAP: URL templates separated by | (a URL may hold commas, never a bar).
            Basemaps = a.GetAll("basemap") is { Count: > 0 } given ? given
                : (Environment.GetEnvironmentVariable("GRIDMAP_BASEMAP") ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            BasemapSubdomains = a.Get("basemap-subdomains") is { } subdomains
                ? subdomains.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : ["a", "b", "c"],
        };
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    static readonly string[] StoreOptions = ["data", "postgres", "estimation"];

    /// <summary>Bounds on OSM extracts (docs/security.md, "OSM uploads"), for serve and import.</summary>
    static readonly string[] OsmLimitOptions = ["osm-max-bytes", "osm-max-elements", "osm-imports-at-once"];

    static async Task<int> ServeAsync(CliArgs a, string[] raw, TextWriter stdout)
    {
        a.Allow([.. StoreOptions, .. OsmLimitOptions, "port", "urls", "web", "no-sample", "cors-origin", "open", "https-cert", "https-key", "basemap", "basemap-subdomains",
            "allowed-hosts", "rate-limit", "max-upload-mb"]);
        var options = Options(a) with
        {
            Open = a.Has("open"),
            AllowedHosts = a.GetAll("allowed-hosts").SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            ExpensiveRequestsPerMinute = a.Get("rate-limit") is null ? null
                : a.Int("rate-limit", GridMapOptions.DefaultExpensiveRequestsPerMinute) is var limit and >= 1 ? limit
                : throw new CliException("--rate-limit must be at least 1 (requests a minute per account)"),
        };
        if (options.MaxUploadBytes < (1L << 20) || options.MaxUploadBytes > (2048L << 20)) throw new CliException("--max-upload-mb must be 1..2048");
        if ((options.HttpsCertificate is null) != (options.HttpsKey is null)) throw new CliException("--https-cert and --https-key go together (PEM files)");
        foreach (var file in new[] { options.HttpsCertificate, options.HttpsKey }.OfType<string>())
            if (!File.Exists(file)) throw new CliException($"{file}: no such file");
        var scheme = options.HttpsCertificate is null ? "http" : "https";
        var urls = a.Get("urls") ?? $"{scheme}://127.0.0.1:{a.Int("port", 5080)}";
        await using var store = await StoreFactory.OpenAsync(options, stdout);
        if (await Accounts.AccountRules.EnsureAdminAsync(store) is { } password)
        {
            stdout.WriteLine($"created the account admin with the one-time password: {password}");
            stdout.WriteLine("  sign in on the map (or run `gridmap user password admin --password-stdin`) and set your own.");
        }
        if (await Accounts.AccountRules.ExposureProblemAsync(store, urls.Split(';', ',')) is { } exposed) throw new CliException(exposed);
        var app = GridMapServer.Build(options, store, urls: urls.Split(';', ','));
        stdout.WriteLine($"GridMap serving on {urls} (map at /, API docs at /docs){(options.Open ? "; anonymous visitors may read (--open)" : "")}");
        await app.RunAsync();
        return 0;
    }

    static async Task<int> ImportAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow([.. StoreOptions, .. OsmLimitOptions, "layer", "replace", "no-sample", "from"]);
        if (a.Positional.Count < 2) throw new CliException("usage: gridmap import osm FILE | gridmap import geojson --layer LAYER FILE");
        var (kind, file) = (a.Positional[0], a.Positional[1]);
        if (!File.Exists(file)) throw new CliException($"{file} does not exist");
        var options = Options(a) with { SeedSample = false };
        var started = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<LayerBatch> batches;
        switch (kind)
        {
            case "osm":
                OsmImport osm;
                try
                {
                    osm = OsmImporter.Read(file, options.Estimation, options.OsmLimits);
                }
                catch (OsmRefusedException e)
                {
                    throw new InvalidDataException($"nothing was written: {e.Message}");
                }
                catch (Exception e) when (e is System.Xml.XmlException or InvalidOperationException or ProtoBuf.ProtoException or EndOfStreamException)
                {
                    throw new InvalidDataException($"nothing was written: could not read {Path.GetFileName(file)} as OSM: {e.Message} {e.InnerException?.Message}");
                }
                foreach (var w in osm.Warnings.Take(20)) stdout.WriteLine($"warning: {w}");
                // Nothing to write is refused rather than an empty import (a replace would have emptied every layer).
                if (osm.NothingImportable) throw new InvalidDataException(osm.DescribeNothingImportable());
                if (osm.Empty.Count > 0)
                    stdout.WriteLine($"kept as stored (the extract brings none): {string.Join(", ", osm.Empty.Select(l => l.Key()))}");
                batches = osm.Importable;
                break;
            case "geojson":
                if (!Layers.TryParse(a.Require("layer", "the layer the file holds"), out var layer))
                    throw new CliException($"--layer must be one of {string.Join(", ", Layers.All.Select(l => l.Key()))}");
                if (!ChinaDatum.TryParse(a.Get("from"), out var datum)) throw new CliException("--from must be wgs84, gcj02 or bd09");
                var read = GeoJsonFeatures.Read(layer, await File.ReadAllBytesAsync(file), datum);
                if (!read.IsValid) throw new InvalidFeaturesException(read.Problems);
                foreach (var r in read.Repairs.Take(20)) stdout.WriteLine($"repaired {r.Pointer}{(r.FeatureId is null ? "" : $" (id {r.FeatureId})")}: {r.Message}");
                batches = [new LayerBatch(layer, read.Features)];
                break;
            default:
                throw new CliException($"import what? '{kind}' is neither osm nor geojson");
        }
        await using var store = await StoreFactory.OpenAsync(options, TextWriter.Null);
        var mode = a.Has("replace") ? ImportMode.ReplaceLayers : ImportMode.Upsert;
        var prepared = await LayerImport.PrepareAsync(store, batches, mode, options.Estimation);
        batches = prepared.Batches;
        ImportSummary summary;
        try
        {
            summary = await LayerImport.WriteAsync(store, prepared, mode, new ChangeInfo(RequestChange.Cli, ChangeKinds.Import, $"{kind} {Path.GetFileName(file)}"));
        }
        catch (VersionConflictsException e)
        {
            throw new IOException($"nothing was written: {e.Message}; import again");
        }
        foreach (var batch in batches) stdout.WriteLine(DescribeBatch(batch));
        if (HouseholdTotals(batches) is { } totals) stdout.WriteLine(totals);
        if (prepared.Recoding?.Report is { } recoding) DescribeRecoding(recoding, stdout);
        stdout.WriteLine($"imported in one transaction in {started.Elapsed.TotalSeconds:0.0} s: {StoreFactory.Describe(summary)}");
        return 0;
    }

    /// <summary>What real communities imported over provisional ones did: provisional areas, re-coded and re-partitioned grids.</summary>
    static void DescribeRecoding(RecodingReport r, TextWriter stdout)
    {
        foreach (var (layer, ids) in r.Provisional.Removed.Where(kv => kv.Value.Count > 0))
            stdout.WriteLine($"  provisional {layer} removed: {string.Join(", ", ids)}");
        foreach (var (layer, ids) in r.Provisional.Clipped.Where(kv => kv.Value.Count > 0))
            stdout.WriteLine($"  provisional {layer} clipped to the land real communities leave: {string.Join(", ", ids)}");
        stdout.WriteLine($"  recoded      {r.Recoded.Count,8:N0}  grids wholly inside one community (old codes retired with replaced_by)");
        foreach (var g in r.Recoded) stdout.WriteLine($"    {g.From} → {g.To}");
        stdout.WriteLine($"  repartitioned {r.Repartitioned.Count,7:N0}  straddling grids into {r.NewGrids.Count:N0} new grids " +
            $"({r.NewGrids.Count(g => g.BandStatus == "in"):N0} in band, {r.NewGrids.Count(g => g.BandStatus == "below"):N0} below, {r.NewGrids.Count(g => g.BandStatus == "above"):N0} above)");
        foreach (var g in r.Repartitioned)
            stdout.WriteLine($"    {g.From} (in {string.Join(", ", g.Communities)}) → {string.Join(", ", g.To)}");
        stdout.WriteLine($"  buildings    {r.BuildingsUpdated,8:N0}  grid_code updated");
    }

    /// <summary>
    /// One household total: compounds hold their buildings plus their remainder units; buildings outside any compound
    /// are the rest. Null when the import holds no buildings or compounds.
    /// </summary>
    static string? HouseholdTotals(IReadOnlyList<LayerBatch> batches)
    {
        var buildings = batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).ToList();
        var compounds = batches.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features).ToList();
        if (buildings.Count == 0 || compounds.Count == 0) return null;
        static long H(FeatureDraft f) => JsonNumber.ToLong(f.Properties["households"]) ?? 0;
        var ids = compounds.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var inCompounds = buildings.Where(b => b.Properties["compound"]?.GetValue<string>() is { } c && ids.Contains(c)).Sum(H);
        var remainders = buildings.Where(b => HouseholdEstimator.IsRemainder(b.Properties)).ToList();
        return $"  households   {buildings.Sum(H),8:N0}  = {inCompounds:N0} in compounds (their buildings {inCompounds - remainders.Sum(H):N0} + " +
            $"{remainders.Count:N0} remainder units {remainders.Sum(H):N0}; compounds' total {compounds.Sum(H):N0}) + {buildings.Sum(H) - inCompounds:N0} outside compounds";
    }

    /// <summary>Counts per layer, with what matters for each: households (and how many estimated), walkable lines, station kinds.</summary>
    static string DescribeBatch(LayerBatch batch)
    {
        var line = $"  {batch.Layer.Key(),-12} {batch.Features.Count,8:N0}";
        switch (batch.Layer)
        {
            case Layer.Buildings or Layer.Compounds:
                var households = batch.Features.Sum(f => JsonNumber.ToLong(f.Properties["households"]) ?? 0);
                var estimated = batch.Features.Count(f => f.Properties["households_estimated"]?.GetValue<bool>() == true);
                return $"{line}  households {households:N0} ({estimated:N0} estimated)";
            case Layer.Network:
                var walkable = batch.Features.Count(f => WalkLine.From(new StoredFeature(batch.Layer, f.Id, 1, f.Geometry, f.Properties)).Any(w => w.Walkable));
                return $"{line}  walkable {walkable:N0}";
            case Layer.Stations:
                var kinds = batch.Features.GroupBy(f => f.Properties["kind"]?.ToString() ?? "?").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
                return $"{line}  {string.Join(", ", kinds)}";
            default:
                return line;
        }
    }

    static async Task<int> ExportAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow([.. StoreOptions, "layer", "bbox"]);
        if (!Layers.TryParse(a.Require("layer", "the layer to export"), out var layer))
            throw new CliException($"--layer must be one of {string.Join(", ", Layers.All.Select(l => l.Key()))}");
        if (a.Positional.Count < 1) throw new CliException("usage: gridmap export --layer LAYER FILE (- for standard output)");
        NetTopologySuite.Geometries.Envelope? box = null;
        if (a.Get("bbox") is { } b && !GridMap.Server.Features.FeaturesApi.TryParseBbox(b, out box, out var error)) throw new CliException($"--bbox {error}");
        await using var store = await StoreFactory.OpenAsync(Options(a) with { SeedSample = false }, TextWriter.Null);
        var features = new List<FeatureDraft>();
        for (var offset = 0; ; offset += 10_000)
        {
            var page = await store.ListAsync(layer, new FeatureQuery(box, 10_000, offset));
            features.AddRange(page.Features.Select(f => new FeatureDraft(f.Id, f.Geometry, f.Properties)));
            if (page.Features.Count == 0 || offset + page.Features.Count >= page.NumberMatched) break;
        }
        var target = a.Positional[0];
        if (target == "-")
        {
            await using var stdoutStream = Console.OpenStandardOutput();
            GeoJsonFeatures.WriteCollection(stdoutStream, features);
        }
        else
        {
            await using var file = File.Create(target);
            GeoJsonFeatures.WriteCollection(file, features);
            stdout.WriteLine($"exported {features.Count:N0} {layer.Key()} to {target}");
        }
        return 0;
    }

    static async Task<int> SampleAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow([.. StoreOptions, "seed", "scale", "out"]);
        var seed = a.Int("seed", 1);
        var scale = a.Double("scale", 1.0);
        if (scale is <= 0 or > 1000) throw new CliException("--scale must be in (0, 1000]");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var city = SampleCityGenerator.Generate(seed, scale);
        stdout.WriteLine($"generated sample city (seed {seed}, scale {scale}) in {started.Elapsed.TotalSeconds:0.0} s");
        if (a.Get("out") is { } dir)
        {
            Directory.CreateDirectory(dir);
            foreach (var batch in city.Batches)
            {
                var path = Path.Combine(dir, batch.Layer.Key() + ".geojson");
                await using var file = File.Create(path);
                GeoJsonFeatures.WriteCollection(file, batch.Features);
                stdout.WriteLine(DescribeBatch(batch));
            }
            return 0;
        }
        await using var store = await StoreFactory.OpenAsync(Options(a) with { SeedSample = false }, stdout);
        var summary = await store.ImportAsync(city.Batches, ImportMode.ReplaceLayers, change: new ChangeInfo(RequestChange.Cli, ChangeKinds.Seed, $"sample city (seed {seed}, scale {scale})"));
        stdout.WriteLine($"loaded: {StoreFactory.Describe(summary)}");
        return 0;
    }
}
