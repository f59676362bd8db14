using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// `gridmap bench web` end to end on a tiny city (scale 1, one run): the command that measures issue 11's targets starts
/// its server and Chromium, and writes the figures table with bytes it really counted. No timing is asserted: speed is
/// the bench's business (docs/benchmarks.md), not a test's.
/// </summary>
public sealed partial class WebBenchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Gridmap_bench_web_writes_the_figures_table_with_the_bytes_it_counted()
    {
        var work = Directory.CreateTempSubdirectory("gridmap-bench-web-test-").FullName;
        try
        {
            var markdown = Path.Combine(work, "benchmarks.md");
            await File.WriteAllTextAsync(markdown, "# Benchmarks\n\nkept as it is\n");
            var gridmap = Path.Combine(AppContext.BaseDirectory, "gridmap.dll");
            // The peer server is this build too: the test is about the bench working, not about which build is faster.
            var (code, stdout, stderr) = await RunAsync(gridmap, ["bench", "web", "--scale", "1", "--runs", "1", "--data", Path.Combine(work, "data"),
                "--peer-gridmap", gridmap, "--out", markdown, "--timeout", "300"]);
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            Assert.True(code == 0, $"gridmap bench web exited with {code}:\n{stderr}");

            var firstMap = FigureRow().Match(stdout);
            Assert.True(firstMap.Success, "no 'first map, bytes' row in:\n" + stdout);
            Assert.True(double.Parse(firstMap.Groups[1].Value, NumberStyles.Number, CultureInfo.InvariantCulture) > 0, firstMap.Value);
            var coverage = CoverageBytesRow().Match(stdout);
            Assert.True(coverage.Success && double.Parse(coverage.Groups[1].Value, NumberStyles.Number, CultureInfo.InvariantCulture) > 0, coverage.Value);
            // Both tile servers measured over the district's tiles (a scale-1 district covers a few z14 tiles).
            var tileRows = TileRow().Matches(stdout);
            Assert.Equal(2, tileRows.Count);
            foreach (Match row in tileRows) Assert.True(int.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture) > 0, row.Value);

            var written = await File.ReadAllTextAsync(markdown);
            Assert.Contains("kept as it is", written);
            Assert.Contains("<!-- bench:web -->", written);
            Assert.Contains(firstMap.Value.Trim(), written);
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    [GeneratedRegex(@"^\| first map, bytes \| [^|]*\| ([\d,.]+) KB", RegexOptions.Multiline)]
    private static partial Regex FigureRow();

    [GeneratedRegex(@"^\| coverage view, bytes \| [^|]*\| ([\d,.]+) KB", RegexOptions.Multiline)]
    private static partial Regex CoverageBytesRow();

    [GeneratedRegex(@"^\| (?:this build|peer) \([^)]*\) \| (\d+) \|", RegexOptions.Multiline)]
    private static partial Regex TileRow();

    /// <summary>The bench program of this configuration (the test project builds it: see the csproj).</summary>
    static string BenchDll()
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!); // …/bin/Debug/net10.0/
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "bench", "GridMap.Bench.Web", "bin", configuration, "net10.0", "GridMap.Bench.Web.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException($"GridMap.Bench.Web.dll ({configuration}) not found above {AppContext.BaseDirectory}");
    }

    static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string gridmap, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(gridmap);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GRIDMAP_BENCH_WEB"] = BenchDll();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}
