using System.Diagnostics;
using System.Globalization;
using GridMap.Server.Bench;
using GridMap.Server.Cli;

namespace GridMap.Server.Tests;

/// <summary>`gridmap bench partition` on the small lattice: GridMap and gpmetis side by side (CI installs Debian's metis).</summary>
public sealed class BenchTests
{
    static double Number(string cell) =>
        double.Parse(cell.Trim().Split(' ')[0].Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Bench_edit_times_moves_on_the_sample_city_beside_re_partitioning()
    {
        var output = new StringWriter();
        var code = await BenchCommand.RunAsync(CliArgs.Parse(["edit", "--instances", "sample", "--moves", "3", "--out", "-"]), output);
        var text = output.ToString();
        Assert.True(code == 0, text);
        var row = text.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("| sample |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        // cells: "", instance, community, moves, dry run, compute, write, peer, ratio, ""
        Assert.Equal(3, (int)Number(row[3]));
        for (var c = 4; c <= 7; c++) Assert.True(Number(row[c]) > 0, $"cell {c} is not a positive time: {row[c]}\n{text}");
    }

    [Fact]
    public async Task Bench_on_lattice40_puts_GridMap_and_METIS_side_by_side()
    {
        Assert.True(File.Exists("/usr/bin/gpmetis"), "/usr/bin/gpmetis is missing: install Debian's metis package (apt-get install metis); CI installs it");
        var clock = Stopwatch.StartNew();
        var output = new StringWriter();
        var code = await BenchCommand.RunAsync(
            CliArgs.Parse(["partition", "--instances", "lattice40", "--runs", "1", "--warmup", "tiny", "--out", "-"]), output);
        var text = output.ToString();
        Assert.True(code == 0, text);

        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        var gridMap = lines.Single(l => l.StartsWith("| GridMap |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        var metis = lines.Single(l => l.StartsWith("| METIS", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        // cells: "", method, time, wall, grids, in band, in band %, of feasible, empty, non-contiguous, cut edges, cut cost, overlap/gap, PP, peak, ""
        foreach (var row in new[] { gridMap, metis })
        {
            Assert.Equal(16, row.Length);
            for (var c = 2; c <= 11; c++)
                Assert.True(double.IsFinite(Number(row[c].Split('/')[0])), $"cell {c} of {row[1]} is not a number: {row[c]}");
            Assert.True(Number(row[4]) > 0, $"{row[1]} made no grids");
        }
        // 1,600 units of 20..80 households: about 320 grids.
        Assert.InRange(Number(gridMap[4]), 250, 400);
        Assert.InRange(Number(metis[4]), 250, 400);
        Assert.True(Number(gridMap[6]) >= 99, $"GridMap in band on lattice40: {gridMap[6]} %\n{text}");
        Assert.Contains("Rook adjacency confirmed", text);
        // A hang guard, not a speed target (the bench itself measures speed): minutes, so a busy machine never fails it.
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"bench on lattice40 took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void Each_run_moves_the_tables_it_replaces_to_previous_figures()
    {
        var first = BenchDocument.Update(null, "## Latest run\n\n### lattice40\n\n| GridMap | 1 |\n");
        Assert.Contains("(none yet)", first);
        var second = BenchDocument.Update(first, "## Latest run\n\n### lattice40\n\n| GridMap | 2 |\n");
        var previous = second[second.IndexOf("## Previous figures", StringComparison.Ordinal)..];
        Assert.Contains("| GridMap | 1 |", previous);
        Assert.Contains("#### lattice40", previous);
        Assert.DoesNotContain("| GridMap | 2 |", previous);
        Assert.Contains("| GridMap | 2 |", second[..second.IndexOf("## Previous figures", StringComparison.Ordinal)]);
        var third = BenchDocument.Update(second, "## Latest run\n\n| GridMap | 3 |\n");
        Assert.DoesNotContain("| GridMap | 1 |", third);
    }
}
