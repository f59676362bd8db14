using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridMap.Core.Spatial;
using GridMap.Server.Cli;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Valid;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench repair [--sizes 125,250,500,1000,2000] [--runs 3] [--out docs/benchmarks.md|-]`: what repairing an
/// invalid polygon costs at its worst — a self-intersecting zig-zag whose closing edges cross every tooth — at a few
/// vertex counts: the validity check every polygon pays (the peer, same run), NTS's GeometryFixer alone, and the store's
/// whole check (fix, snap to the 7-decimal grid, re-validate, the partitioner's overlay). It sets
/// <see cref="GeometryRules.MaxRepairVertices"/>: the largest size whose worst case stays within about a second.
/// </summary>
public static class RepairBench
{
    public const string Usage = "usage: gridmap bench repair [--sizes 125,250,500,1000,2000] [--runs 3] [--out docs/benchmarks.md|-]";

    /// <summary>A self-intersecting zig-zag ring of about <paramref name="n"/> vertices (lon/lat, teeth 1 m apart, 110 m tall).</summary>
    public static Polygon ZigZag(int n)
    {
        var points = new List<Coordinate>();
        for (var i = 0; i < n - 1; i++) points.Add(new Coordinate(106.821 + i * 0.00001, 27.521 + (i % 2 == 0 ? 0 : 0.001)));
        // Back across every tooth: each closing edge crosses all of them.
        points.Add(new Coordinate(106.821 + (n - 2) * 0.00001, 27.5205));
        points.Add(new Coordinate(106.821, 27.5215));
        points.Add(points[0].Copy());
        return GeometryRules.Factory.CreatePolygon(points.ToArray());
    }

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("sizes", "runs", "out");
        var sizes = (a.Get("sizes") ?? "125,250,500,1000,2000").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out var n) && n is >= 10 and <= 100_000 ? n : throw new CliException($"--sizes: '{s}' is not 10..100000")).ToList();
        var runs = a.Int("runs", 3);
        if (runs is < 1 or > 50) throw new CliException("--runs must be 1..50");
        GeometryRules.Check(ZigZag(50), int.MaxValue); // JIT

        var table = new StringBuilder();
        table.AppendLine($"- Command: `gridmap bench repair --sizes {string.Join(",", sizes)} --runs {runs}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {BenchMachine.LoadAverage()}.");
        table.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}.");
        table.AppendLine("- Data: a self-intersecting zig-zag polygon (`RepairBench.ZigZag`: teeth 1 m apart, 110 m tall, the closing edges cross every tooth) — GeometryFixer's worst case among the shapes tried. Peer: the validity check (IsValidOp) every polygon pays, same run. Whole check = GeometryRules.Check without its cap (fix, snap to 1e-7°, re-validate, OverlayNG union). Medians of the runs (one run where a run takes over 10 s).");
        table.AppendLine($"- Cap in force: repair is attempted up to **{GeometryRules.MaxRepairVertices:N0} vertices** (`GeometryRules.MaxRepairVertices`); above it 422 `too_complex_to_repair`.");
        table.AppendLine();
        table.AppendLine("| vertices | IsValidOp ms (peer) | GeometryFixer ms | whole check ms | whole ÷ peer | outcome |");
        table.AppendLine("|---:|---:|---:|---:|---:|---|");
        foreach (var n in sizes)
        {
            var polygon = ZigZag(n);
            var valid = new List<double>();
            var fixer = new List<double>();
            var whole = new List<double>();
            var outcome = "";
            for (var r = 0; r < runs; r++)
            {
                var clock = Stopwatch.StartNew();
                _ = new IsValidOp(polygon).IsValid;
                valid.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                GeometryFixer.Fix(polygon);
                fixer.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                var check = GeometryRules.Check(polygon, int.MaxValue);
                whole.Add(clock.Elapsed.TotalMilliseconds);
                outcome = check.Outcome == GeometryOutcome.Rejected ? $"refused: {check.Code}" : $"{check.Outcome.ToString().ToLowerInvariant()}";
                if (fixer[^1] + whole[^1] > 10_000) break;
            }
            var row = $"| {polygon.NumPoints:N0} | {BenchMeasure.Median(valid):0.0} | {BenchMeasure.Median(fixer):0} | {BenchMeasure.Median(whole):0} | {BenchMeasure.Median(whole) / Math.Max(0.01, BenchMeasure.Median(valid)):0}× | {outcome}{(polygon.NumPoints > GeometryRules.MaxRepairVertices ? " (above the cap: 422 in use)" : "")} |";
            table.AppendLine(row);
            Console.Error.WriteLine(row);
        }
        await stdout.WriteLineAsync(table.ToString());
        var output = a.Get("out");
        if (output is not null && output != "-")
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, "repair", "Geometry repair: the vertex cap", table.ToString()));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        return 0;
    }
}
