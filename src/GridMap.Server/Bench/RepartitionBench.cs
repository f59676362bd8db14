using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridMap.Core.Partitioning;
using GridMap.Server.Cli;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench repartition [--instances singapore,sample] [--share 0.01] [--out docs/benchmarks.md|-]`:
/// partition, change the households of a share of the buildings by ±10 % (fixed seed), re-run with the first result as
/// existing grids, and measure churn, codes kept, in-band share and time — for the whole city and for its largest area alone.
/// </summary>
public static class RepartitionBench
{
    const int AreaRuns = 7;

    public const string Usage = "usage: gridmap bench repartition [--instances singapore,sample] [--share 0.01] [--out docs/benchmarks.md|-]";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("instances", "share", "out");
        var share = a.Double("share", 0.01);
        if (share is <= 0 or > 1) throw new CliException("--share must be in (0, 1]");
        var names = (a.Get("instances") ?? "singapore,sample").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        GridPartitioner.Partition(WarmUp.Input);

        var table = new StringBuilder();
        table.AppendLine($"- Command: `gridmap bench repartition --share {share.ToString(CultureInfo.InvariantCulture)}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores; load {LoadAverage()}.");
        table.AppendLine($"- Households of {share:P0} of the buildings change by ±10 % (seed 1); the re-run gets the first run's grids as `--existing`.");
        table.AppendLine();
        table.AppendLine("| instance | buildings changed | re-run s (report) | churn (buildings moved) | churn % | codes kept | in band before → after | largest area alone: buildings, ms, churn |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---|---|");
        foreach (var name in names)
        {
            var instance = BenchInstances.Load(name);
            var input = instance.Input;
            GridPartitioner.Partition(input);
            var first = GridPartitioner.Partition(input);
            var existing = first.Grids.Select(g => new ExistingGrid(g.Code, g.Polygon, g.UnitIds, g.Households)).ToList();
            var random = new Random(1);
            var units = input.Units.Select(u => random.NextDouble() < share
                ? u with { Households = Math.Max(1, (int)Math.Round(u.Households * (random.NextDouble() < 0.5 ? 0.9 : 1.1))) } : u).ToList();
            var changed = units.Zip(input.Units).Count(p => p.First.Households != p.Second.Households);
            var second = GridPartitioner.Partition(input with { Units = units, Existing = existing });
            var kept = second.Grids.Select(g => g.Code).Intersect(first.Grids.Select(g => g.Code)).Count();

            // The largest area on its own, as a planner re-running one community would.
            var largest = (input.Areas ?? []).Count == 0 ? null : input.Areas!
                .OrderByDescending(area => first.Grids.Where(g => g.Area == area.Code).Sum(g => g.UnitIds.Count)).First();
            var areaCell = "—";
            if (largest is not null)
            {
                var ids = first.Grids.Where(g => g.Area == largest.Code).SelectMany(g => g.UnitIds).ToHashSet();
                var one = input with { Units = units.Where(u => ids.Contains(u.Id)).ToList(), Areas = [largest], Existing = existing.Where(e => first.Grids.Any(g => g.Code == e.Code && g.Area == largest.Code)).ToList() };
                GridPartitioner.Partition(one);
                // Median of several runs: one run of a few tens of milliseconds is at the mercy of the machine's noise.
                var runs = Enumerable.Range(0, AreaRuns).Select(_ =>
                {
                    var clock = Stopwatch.StartNew();
                    var result = GridPartitioner.Partition(one);
                    return (Wall: clock.Elapsed.TotalMilliseconds, Report: result.Report.Seconds * 1000, result.Report.Churn);
                }).ToList();
                double Median(IEnumerable<double> v) => v.Order().ElementAt(AreaRuns / 2);
                areaCell = $"{largest.Code}: {one.Units.Count:N0}, {Median(runs.Select(r => r.Wall)):0} ms wall ({Median(runs.Select(r => r.Report)):0} ms report; median of {AreaRuns}), churn {runs[0].Churn}";
            }
            table.AppendLine($"| {name} | {changed:N0} of {units.Count:N0} | {second.Report.Seconds:0.000} | {second.Report.Churn:N0} | {100.0 * (second.Report.Churn ?? 0) / units.Count:0.00} | {kept:N0} of {first.Grids.Count:N0} | {first.Report.InBand:N0} → {second.Report.InBand:N0} | {areaCell} |");
            Console.Error.WriteLine($"{name}: done");
        }

        var output = a.Get("out");
        if (output is null or "-") stdout.Write(table.ToString());
        else
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
            await File.WriteAllTextAsync(output, BenchDocument.WithRepartition(old, table.ToString()));
            stdout.WriteLine($"wrote {output}");
        }
        return 0;
    }

    static string LoadAverage()
    {
        try { return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
