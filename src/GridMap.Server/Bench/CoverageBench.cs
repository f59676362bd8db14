using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Sample;
using GridMap.Server.Cli;
using NetTopologySuite.Geometries;
using Npgsql;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench coverage [--scale 90] [--buildings 100000] [--stations 225] [--candidates 3600] [--add 10] [--postgres CONN] [--out docs/benchmarks.md|-]`:
/// a large sample city (the generator at --scale: about 180k walking edges at 90), its walking network, --stations of
/// its stations and --buildings of its buildings (evenly spread);
/// times the graph set-up, a whole-district recompute at 5/10/15 minutes, a one-station what-if and siting over
/// --candidates network points. With a PostgreSQL server that has pgRouting, its multi-source pgr_drivingDistance on
/// the same edges is timed in the same run.
/// </summary>
public static class CoverageBench
{
    public const string Usage = "usage: gridmap bench coverage [--scale 90] [--buildings 100000] [--stations 225] [--candidates 3600] [--add 10] [--runs 5] [--postgres CONN] [--out docs/benchmarks.md|-]";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("scale", "buildings", "stations", "candidates", "add", "runs", "postgres", "out");
        var scale = a.Double("scale", 90);
        var buildingCount = a.Int("buildings", 100_000);
        var stationCount = a.Int("stations", 225);
        var candidateCount = a.Int("candidates", 3600);
        var add = a.Int("add", 10);
        var runs = a.Int("runs", 5);
        if (scale is <= 0 or > 200 || stationCount < 1 || buildingCount < 1 || candidateCount < 1 || add < 1 || runs is < 1 or > 50) throw new CliException(Usage);

        Console.Error.WriteLine($"generating the sample city at scale {scale}…");
        var city = SampleCityGenerator.Generate(1, scale);
        var allBuildings = city.Features(Layer.Buildings);
        var buildings = allBuildings.Where((_, i) => (long)i * buildingCount / allBuildings.Count != (long)(i + 1) * buildingCount / allBuildings.Count)
            .Select(f => new CoveragePlace(f.Id, (int)f.Properties["households"]!.GetValue<double>(), f.Geometry)).ToList();
        var allStations = city.Features(Layer.Stations);
        var step = Math.Max(1, allStations.Count / stationCount);
        var stations = allStations.Where((_, i) => i % step == 0).Take(stationCount)
            .Select(f => new CoverageStation(f.Id, null, (Point)f.Geometry)).ToList();
        var lines = city.Features(Layer.Network)
            .Where(f => Walkability.IsWalkable(f.Properties.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString())))
            .SelectMany(f => Enumerable.Range(0, f.Geometry.NumGeometries).Select(i => (LineString)f.Geometry.GetGeometryN(i))).ToList();
        var speed = WalkingSpeed.MetresPerSecond(WalkingSpeed.AdultKmh);
        var thresholds = new[] { 5.0, 10, 15 }.Select(m => new CoverageThreshold(m.ToString(CultureInfo.InvariantCulture), m * 60 * speed)).ToList();
        var input = new CoverageInput(buildings, stations, lines, thresholds, speed);

        // Warm-up on the same data, then the measured runs; figures are medians.
        var clock = Stopwatch.StartNew();
        var model = WalkModel.Build(buildings.Select(b => b.Geometry), stations.Select(s => s.Location), lines);
        var setUp = clock.Elapsed.TotalMilliseconds;
        var network = model.Network!;
        WalkCoverage.Compute(input, model);
        var recompute = Median(runs, () => WalkCoverage.Compute(input, model));
        var covered15 = WalkCoverage.Compute(input, model).Report.Coverage["15"];

        // What-if: one station moves 200 m east and back, again and again; coverage and loads are kept current.
        var households = buildings.Select(b => (long)b.Households).ToList();
        var state = new CoverageWhatIf(model, households, thresholds.Select(t => t.Metres).ToList());
        var at = model.Stations[0];
        var there = new Coordinate(at.X + 200, at.Y);
        var moves = 0;
        var whatIf = Median(Math.Max(runs, 9), () => state.Move(0, moves++ % 2 == 0 ? there : at));

        // Siting: candidates at the middle of evenly spread network edges.
        var edgeStep = Math.Max(1, network.EdgeCount / candidateCount);
        var candidates = Enumerable.Range(0, candidateCount).Select(i => Math.Min(network.EdgeCount - 1, i * edgeStep))
            .Select(e => new Coordinate((network.X[network.From[e]] + network.X[network.To[e]]) / 2, (network.Y[network.From[e]] + network.Y[network.To[e]]) / 2)).ToList();
        SitingResult? siting = null;
        var sitingMs = Median(Math.Min(runs, 3), () => siting = StationSiting.MaximalCovering(model, households, candidates, thresholds[2].Metres, add));

        var pgRouting = await PgRoutingAsync(a.Get("postgres") ?? Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES"), network, model.StationAnchors!, thresholds[2].Metres, runs);

        var sb = new StringBuilder();
        sb.AppendLine($"- Command: `gridmap bench coverage --scale {scale.ToString(CultureInfo.InvariantCulture)} --buildings {buildingCount} --stations {stationCount} --candidates {candidateCount} --add {add}`; " +
                      $"date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {BenchMachine.LoadAverage()}.");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}.");
        sb.AppendLine($"- Data: the sample city at scale {scale.ToString(CultureInfo.InvariantCulture)} (seed 1): {buildings.Count:N0} of its {allBuildings.Count:N0} buildings, {households.Sum():N0} households, " +
                      $"{stations.Count} of its {allStations.Count:N0} stations, {network.EdgeCount:N0} walking edges ({network.NodeCount:N0} nodes); thresholds 5/10/15 min at 4.5 km/h; " +
                      $"{100 * covered15:0.0} % of households within 15 min.");
        sb.AppendLine();
        sb.AppendLine("| step | GridMap | target | pgRouting (same edges, same run) |");
        sb.AppendLine("|---|---:|---:|---|");
        sb.AppendLine($"| graph + attach buildings and stations (once per network version) | {setUp:0} ms | — | — |");
        sb.AppendLine($"| whole-district recompute: every building's nearest station, 3 thresholds, report | {recompute:0.0} ms | ≤ 100 ms | {pgRouting?.Cell ?? "not run (no --postgres with pgRouting)"} |");
        sb.AppendLine($"| one-station what-if (moved 200 m; coverage and loads updated) | {whatIf:0.0} ms | ≤ 20 ms | — |");
        sb.AppendLine($"| siting: {candidateCount:N0} candidates × {buildings.Count:N0} buildings, add {add}, 15 min | {sitingMs / 1000:0.00} s | ≤ 5 s | — |");
        sb.AppendLine();
        if (siting is not null)
            sb.AppendLine($"- Siting outcome: +{siting.Gained:N0} households covered within 15 min by {siting.Sites.Count} sites; bound {siting.GainBound:N0} (gap {(siting.GainBound is > 0 ? 100.0 * (siting.GainBound.Value - siting.Gained) / siting.GainBound.Value : 0):0.0} %).");
        if (pgRouting is not null) sb.AppendLine($"- pgRouting: {pgRouting.Note}");

        var output = a.Get("out");
        if (output is null or "-") stdout.Write(sb.ToString());
        else
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, "coverage", "Walking coverage (issue 4)", sb.ToString()));
            stdout.WriteLine($"wrote {output}");
        }
        return 0;
    }

    static double Median(int runs, Action action)
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    sealed record PgRoutingFigure(string Cell, string Note);

    /// <summary>pgr_drivingDistance from every station's nearer edge end over the same edges, up to the largest threshold: the routing step alone.</summary>
    static async Task<PgRoutingFigure?> PgRoutingAsync(string? connection, WalkNetwork network, NetworkAnchor?[] anchors, double metres, int runs)
    {
        if (string.IsNullOrWhiteSpace(connection)) return null;
        try
        {
            await using var conn = new NpgsqlConnection(connection);
            await conn.OpenAsync();
            await using (var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE; DROP TABLE IF EXISTS gridmap_bench_edge; " +
                                                     "CREATE TABLE gridmap_bench_edge (id int, source int, target int, cost float8, reverse_cost float8)", conn))
                await ext.ExecuteNonQueryAsync();
            await using (var copy = await conn.BeginBinaryImportAsync("COPY gridmap_bench_edge FROM STDIN (FORMAT BINARY)"))
            {
                for (var e = 0; e < network.EdgeCount; e++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(e + 1);
                    await copy.WriteAsync(network.From[e] + 1);
                    await copy.WriteAsync(network.To[e] + 1);
                    await copy.WriteAsync(network.Length[e]);
                    await copy.WriteAsync(network.Length[e]);
                }
                await copy.CompleteAsync();
            }
            var starts = anchors.OfType<NetworkAnchor>().Select(x => (x.T < 0.5 ? network.From[x.Edge] : network.To[x.Edge]) + 1L).Distinct().ToArray();
            var rows = 0L;
            var times = new List<double>();
            for (var i = 0; i <= runs; i++)
            {
                await using var cmd = new NpgsqlCommand(
                    "SELECT count(*) FROM pgr_drivingDistance('SELECT id, source, target, cost, reverse_cost FROM gridmap_bench_edge', @starts, @distance, directed => false, equicost => true)", conn)
                { CommandTimeout = 600 };
                cmd.Parameters.AddWithValue("starts", starts);
                cmd.Parameters.AddWithValue("distance", metres);
                var clock = Stopwatch.StartNew();
                rows = (long)(await cmd.ExecuteScalarAsync())!;
                if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds); // the first run warms the server's caches
            }
            await using (var drop = new NpgsqlCommand("DROP TABLE gridmap_bench_edge", conn)) await drop.ExecuteNonQueryAsync();
            var median = times.Order().ElementAt(times.Count / 2);
            return new PgRoutingFigure($"{median:0} ms (pgr_drivingDistance, equicost, routing only)",
                $"multi-source `pgr_drivingDistance(…, equicost => true)` from {starts.Length} station nodes to {metres:0} m over {network.EdgeCount:N0} edges " +
                $"returned {rows:N0} nodes; median of {times.Count} after one warm-up, client clock (includes reading the edges SQL).");
        }
        catch (Exception e) when (e is NpgsqlException or PostgresException or InvalidOperationException)
        {
            return new PgRoutingFigure($"failed: {e.Message.Split('\n')[0]}", $"could not run: {e.Message.Split('\n')[0]}");
        }
    }
}
