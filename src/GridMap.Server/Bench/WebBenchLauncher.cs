using System.Diagnostics;
using GridMap.Server.Cli;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench web …` (docs/benchmarks.md): the web bench drives Chromium through Microsoft.Playwright, a package the
/// server should not carry, so it is a program of its own (bench/GridMap.Bench.Web). This finds its GridMap.Bench.Web.dll
/// and runs it with the same arguments, passing this build's gridmap.dll as the server to measure; its output and exit
/// code are the command's.
/// </summary>
public static class WebBenchLauncher
{
    public const string Usage =
        "usage: gridmap bench web [--data DIR] [--scale 30] [--web DIR] [--peer-web DIR] [--peer-gridmap DLL] [--runs 5] [--out docs/benchmarks.md|-] [--timeout 180]";

    const string Dll = "GridMap.Bench.Web.dll";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        var bench = Locate() ?? throw new CliException(
            $"{Dll} not found: build it with `dotnet build bench/GridMap.Bench.Web -c Release` (or set GRIDMAP_BENCH_WEB to its path)\n{Usage}");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(bench);
        psi.ArgumentList.Add("web");
        foreach (var name in a.Names)
            foreach (var value in a.GetAll(name))
            {
                psi.ArgumentList.Add($"--{name}");
                psi.ArgumentList.Add(value);
            }
        if (!a.Has("gridmap"))
        {
            psi.ArgumentList.Add("--gridmap");
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridmap.dll"));
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        // stderr (progress) goes straight through; stdout through the caller's writer, so tests and scripts can read it.
        string? line;
        while ((line = await p.StandardOutput.ReadLineAsync()) is not null) await stdout.WriteLineAsync(line);
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    /// <summary>GRIDMAP_BENCH_WEB, next to this build (a build that references the bench), or the repository's bench build, newest first.</summary>
    static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("GRIDMAP_BENCH_WEB") is { Length: > 0 } env) return File.Exists(env) ? env : null;
        var here = Path.Combine(AppContext.BaseDirectory, Dll);
        if (File.Exists(here)) return here;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var project = Path.Combine(d.FullName, "bench", "GridMap.Bench.Web", "bin");
            if (!Directory.Exists(project)) continue;
            return Directory.EnumerateFiles(project, Dll, SearchOption.AllDirectories)
                .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        }
        return null;
    }
}
