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
/// <see cref="GeometryRules.MaxRepairVertices"/>: the largest size whose worst case stays within about a second; and the
/// worst cases of the few-faults rule above it (<see cref="GeometryRules.MaxRepairVerticesFewFaults"/>).
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

    /// <summary>
    /// A ring of about <paramref name="n"/> vertices whose top and bottom halves, two sine waves of <paramref name="waves"/>
    /// periods in opposite phase, cross 2·waves − 1 times: a real boundary's few faults, drawn with many vertices.
    /// </summary>
    public static Polygon Wave(int n, int waves)
    {
        var half = n / 2;
        var points = new List<Coordinate>(n + 1);
        for (var i = 0; i <= half; i++) points.Add(WaveAt((double)i / half, +1, waves));
        for (var i = half - 1; i >= 1; i--) points.Add(WaveAt((double)i / half, -1, waves));
        points.Add(points[0].Copy());
        return GeometryRules.Factory.CreatePolygon(points.ToArray());
    }

    static Coordinate WaveAt(double t, int side, int waves) =>
        new(106.8 + t * 0.01, 27.5 + side * (0.001 * Math.Sin(2 * Math.PI * waves * t) + 0.000001));

    /// <summary>A square shell with <paramref name="rings"/> − 1 round holes outside it, about <paramref name="n"/> vertices in all: no crossing, every hole misplaced.</summary>
    public static Polygon HolesOutside(int n, int rings)
    {
        var f = GeometryRules.Factory;
        Coordinate C(double x, double y) => new(106.8 + x * 0.01, 27.5 + y * 0.01);
        var shell = f.CreateLinearRing([C(0, 0), C(1, 0), C(1, 1), C(0, 1), C(0, 0)]);
        var per = Math.Max(4, (n - 5) / Math.Max(1, rings - 1) - 1);
        var holes = Enumerable.Range(0, rings - 1).Select(i =>
        {
            var ring = Enumerable.Range(0, per).Select(j => 2 * Math.PI * j / per)
                .Select(a => C(2 + i % 10 * 0.05 + 0.02 * Math.Cos(a), i / 10 * 0.05 + 0.02 * Math.Sin(a))).ToList();
            ring.Add(ring[0].Copy());
            return f.CreateLinearRing(ring.ToArray());
        }).ToArray();
        return f.CreatePolygon(shell, holes);
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

        // Above MaxRepairVertices a polygon is repaired only with few faults: the worst shapes inside those bounds, and
        // just outside them (refused in use: the whole check is run here without the rule, to show what it would cost).
        table.AppendLine();
        table.AppendLine($"Above {GeometryRules.MaxRepairVertices:N0} vertices, repair is attempted up to **{GeometryRules.MaxRepairVerticesFewFaults:N0} vertices with at most " +
                         $"{GeometryRules.MaxRepairCrossings} crossings and {GeometryRules.MaxRepairRings} rings** (`GeometryRules.MaxRepairVerticesFewFaults`, `MaxRepairCrossings`, `MaxRepairRings`): " +
                         "a real boundary with a few faults (Singapore's invalid subzones: 818–2,102 vertices, 0–4 crossings). The worst shapes found inside those bounds: " +
                         $"*wave* — two sine halves crossing {2 * 8 - 1} times; *holes outside* — a shell and {GeometryRules.MaxRepairRings - 1} round holes outside it. Counting the crossings (stopping past the limit) is part of the whole check.");
        table.AppendLine();
        table.AppendLine("| shape | vertices | rings | crossings | GeometryFixer ms | whole check ms | in use |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        var cap = GeometryRules.MaxRepairVerticesFewFaults;
        foreach (var (name, polygon) in new (string, Polygon)[]
                 {
                     ("wave", Wave(cap / 4, 8)), ("wave", Wave(cap / 2, 8)), ("wave", Wave(cap - 1, 8)), ("wave", Wave(cap * 2, 8)),
                     ("holes outside", HolesOutside(cap / 4, GeometryRules.MaxRepairRings)), ("holes outside", HolesOutside(cap / 2, GeometryRules.MaxRepairRings)),
                     ("holes outside", HolesOutside(cap, GeometryRules.MaxRepairRings)), ("holes outside", HolesOutside(cap * 2, GeometryRules.MaxRepairRings)),
                 })
        {
            var fixer = new List<double>();
            var whole = new List<double>();
            for (var r = 0; r < runs; r++)
            {
                var clock = Stopwatch.StartNew();
                GeometryFixer.Fix(polygon);
                fixer.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                GeometryRules.Check(polygon, int.MaxValue);
                whole.Add(clock.Elapsed.TotalMilliseconds);
                if (fixer[^1] + whole[^1] > 10_000) break;
            }
            var inUse = GeometryRules.Check(polygon);
            var row = $"| {name} | {polygon.NumPoints:N0} | {1 + polygon.NumInteriorRings} | {SelfCrossings.Count(polygon, 1_000)} | {BenchMeasure.Median(fixer):0} | {BenchMeasure.Median(whole):0} | " +
                      $"{(inUse.Outcome == GeometryOutcome.Rejected ? $"refused: {inUse.Code}" : inUse.Outcome.ToString().ToLowerInvariant())} |";
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
