using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Server.Bench;
using GridMap.Server.Cli;
using Microsoft.Playwright;

namespace GridMap.Bench.Web;

/// <summary>
/// `gridmap bench web [--data DIR] [--scale 30] [--web DIR] [--peer-web DIR] [--peer-gridmap DLL] [--runs 5] [--out docs/benchmarks.md|-]`:
/// issue 11's scale targets, measured in Debian's Chromium through Playwright against `gridmap serve` on the sample city
/// (docs/benchmarks.md, section "Web map"). The map of <c>--web</c> is served by this build, the peer map of
/// <c>--peer-web</c> by <c>--peer-gridmap</c> when given (else by this build), both on the same store, measured run by
/// run in turn; the tiles' time to first byte is measured against this build and the peer build.
/// </summary>
public static class WebBench
{
    public const string Usage =
        "usage: gridmap bench web [--data DIR] [--scale 30] [--web DIR] [--peer-web DIR] [--peer-gridmap DLL] [--runs 5] [--out docs/benchmarks.md|-] [--timeout 180]";

    public const string SectionKey = "web";
    public const string SectionTitle = "Web map: first map, pan, tiles and coverage (issue 11)";

    // The issue's targets.
    const long FirstMapTarget = 1_500_000, PanTarget = 300_000;
    const double TileP95Target = 50, CoverageTarget = 5_000;

    const string Account = "bench-web";

    record Target(string Label, string WebDir, bool Peer);

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("data", "scale", "web", "peer-web", "peer-gridmap", "runs", "out", "timeout", "gridmap", "chromium");
        if (a.Positional is not (["web"] or ["bench", "web"] or [])) throw new CliException(Usage);
        var scale = a.Double("scale", 30);
        if (scale is <= 0 or > 1000) throw new CliException("--scale must be in (0, 1000]");
        var runs = a.Int("runs", 5);
        if (runs is < 1 or > 50) throw new CliException("--runs must be 1..50");
        var timeout = TimeSpan.FromSeconds(a.Int("timeout", 180));
        var gridmap = Path.GetFullPath(a.Get("gridmap") ?? Path.Combine(AppContext.BaseDirectory, "gridmap.dll"));
        if (!File.Exists(gridmap)) throw new CliException($"no gridmap.dll at {gridmap} (--gridmap)");
        var peerGridmap = a.Get("peer-gridmap") is { } pg ? Path.GetFullPath(pg) : null;
        if (peerGridmap is not null && !File.Exists(peerGridmap)) throw new CliException($"--peer-gridmap: no file {peerGridmap}");
        var chromium = a.Get("chromium") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium)) throw new CliException($"no Chromium at {chromium} (Debian: apt-get install chromium; or --chromium PATH)");
        var web = WebDir(a.Get("web") ?? FindRepoWeb() ?? throw new CliException("--web DIR: no web/ found above the working directory"), "--web");
        var targets = new List<Target> { new(Label(web, "web"), web, false) };
        if (a.Get("peer-web") is { } pw) targets.Add(new(Label(WebDir(pw, "--peer-web"), "peer web"), WebDir(pw, "--peer-web"), true));
        var data = Path.GetFullPath(a.Get("data") ?? Path.Combine(Path.GetTempPath(), $"gridmap-bench-web-scale{scale.ToString(CultureInfo.InvariantCulture)}"));
        var progress = (string line) => Console.Error.WriteLine(line);

        var sampleSeconds = await EnsureStoreAsync(gridmap, data, scale, progress);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await AccountAsync(gridmap, data, password);

        var served = new List<Served>();
        try
        {
            // The peer map is served by the peer build when there is one: a map is measured with the server it shipped
            // with (an older map may need what a newer server's policies refuse, e.g. a blob: worker under today's CSP).
            Served? peerServer = null;
            foreach (var t in targets)
            {
                var dll = t.Peer && peerGridmap is not null ? peerGridmap : gridmap;
                served.Add(await Served.StartAsync(dll, data, t.WebDir, CancellationToken.None));
                if (dll == peerGridmap) peerServer = served[^1];
                progress($"serving {t.Label} at {served[^1].BaseAddress} ({Short(dll)})");
            }
            if (peerGridmap is not null && peerServer is null)
            {
                peerServer = await Served.StartAsync(peerGridmap, data, web, CancellationToken.None);
                served.Add(peerServer);
                progress($"peer server {peerGridmap} at {peerServer.BaseAddress}");
            }
            var (bbox, buildings) = await DistrictAsync(served[0].BaseAddress);
            var centre = new[] { (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2 };
            progress($"district bbox {string.Join(", ", bbox.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))}; {buildings:N0} buildings");

            // Tiles first, while no browser competes for the two cores.
            var tileServers = new List<(string, Uri)> { ($"this build ({Short(gridmap)})", served[0].BaseAddress) };
            if (peerServer is not null) tileServers.Add(($"peer ({Short(peerGridmap!)})", peerServer.BaseAddress));
            progress($"tiles: every z{TileTiming.Zoom} buildings tile of the district, {runs} run(s)");
            var tiles = await TileTiming.MeasureAsync(tileServers, bbox, runs, progress);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = chromium,
                Headless = true,
                // As the web tests run it: software WebGL (no GPU here), no background traffic of its own.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader"],
            });
            var results = targets.Select(_ => new List<RunFigures>()).ToList();
            var failures = targets.Select(_ => new List<string>()).ToList();
            // Run 0 of each map is a warm-up (server JIT, the walking model, the browser's own start-up): not counted.
            for (var r = 0; r <= runs; r++)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    var i = (k + r) % targets.Count;
                    progress($"{(r == 0 ? "warm-up" : $"run {r}")}: {targets[i].Label} (load {BrowserRun.Load()})");
                    try
                    {
                        var figures = await BrowserRun.MeasureAsync(browser, served[i].BaseAddress, Account, password, centre, progress, timeout);
                        if (r > 0) results[i].Add(figures);
                    }
                    catch (Exception e) when (e is TimeoutException or PlaywrightException)
                    {
                        // One slow step (a busy machine) costs that run, not the figures of the others.
                        var why = $"{(r == 0 ? "warm-up" : $"run {r}")}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
                        failures[i].Add(why);
                        progress($"    FAILED {why}");
                    }
                }
            }

            var table = Markdown(a, scale, data, buildings, sampleSeconds, targets, results, failures, tiles, runs);
            await stdout.WriteLineAsync(table);
            var output = a.Get("out");
            if (output is not null && output != "-")
            {
                var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
                await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, SectionKey, SectionTitle, table));
                await stdout.WriteLineAsync($"wrote {output}");
            }
            return failures.Any(f => f.Count > 0) ? 1 : 0;
        }
        finally
        {
            foreach (var s in served) await s.DisposeAsync();
        }
    }

    /// <summary>A web/ directory the server can serve: index.html and MapLibre in vendor/ (web/build.mjs copies it there).</summary>
    static string WebDir(string dir, string option)
    {
        var full = Path.GetFullPath(dir);
        if (!File.Exists(Path.Combine(full, "index.html"))) throw new CliException($"{option}: no index.html in {full}");
        // Today's map loads MapLibre's CSP build; a map from before it (a peer) the plain one.
        if (!File.Exists(Path.Combine(full, "vendor", "maplibre-gl-csp.js")) && !File.Exists(Path.Combine(full, "vendor", "maplibre-gl.js")))
            throw new CliException($"{option}: {full}/vendor/maplibre-gl-csp.js (or maplibre-gl.js) is missing: run `npm ci && npm run build` in it, or copy vendor/ from a built web/");
        return full;
    }

    /// <summary>The repository's web/ above the working directory (or above this program).</summary>
    static string? FindRepoWeb()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "GridMap.sln")) && File.Exists(Path.Combine(d.FullName, "web", "index.html")))
                    return Path.Combine(d.FullName, "web");
        return null;
    }

    static string Label(string dir, string fallback)
    {
        var parent = Path.GetFileName(Path.GetDirectoryName(dir.TrimEnd('/')) ?? "");
        return string.IsNullOrEmpty(parent) ? fallback : $"{parent}/{Path.GetFileName(dir.TrimEnd('/'))}";
    }

    static string Short(string path) => path.Replace(Path.GetFullPath("."), ".", StringComparison.Ordinal);

    /// <summary>The sample city at <paramref name="scale"/> in <paramref name="data"/>, made once (in a side directory, moved in when complete).</summary>
    static async Task<double?> EnsureStoreAsync(string gridmap, string data, double scale, Action<string> progress)
    {
        if (File.Exists(Path.Combine(data, "gridmap.db"))) return null;
        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any())
            throw new CliException($"--data {data} exists but holds no gridmap.db: give an empty or new directory");
        var partial = data.TrimEnd('/') + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, true);
        progress($"making the sample city (seed 1, scale {scale}) in {data} …");
        var clock = Stopwatch.StartNew();
        await GridmapAsync(gridmap, ["sample", "--seed", "1", "--scale", scale.ToString(CultureInfo.InvariantCulture), "--data", partial]);
        if (Directory.Exists(data)) Directory.Delete(data);
        Directory.Move(partial, data);
        progress($"  made in {clock.Elapsed.TotalSeconds:0} s");
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>An admin account for the browser (created, or its password reset when it exists from an earlier run).</summary>
    static async Task AccountAsync(string gridmap, string data, string password)
    {
        var (code, _) = await GridmapAsync(gridmap, ["user", "add", Account, "--role", "admin", "--password-stdin", "--data", data], password, check: false);
        if (code != 0) await GridmapAsync(gridmap, ["user", "password", Account, "--password-stdin", "--data", data], password);
    }

    static async Task<(int Code, string Output)> GridmapAsync(string gridmap, string[] args, string? stdin = null, bool check = true)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(gridmap);
        foreach (var x in args) psi.ArgumentList.Add(x);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        if (stdin is not null) await p.StandardInput.WriteLineAsync(stdin);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"gridmap {string.Join(' ', args)} failed ({p.ExitCode}): {await output} {await error}");
        return (p.ExitCode, await output + await error);
    }

    /// <summary>The districts' bounding box and the number of buildings (from the layer list).</summary>
    static async Task<(double[] Bbox, long Buildings)> DistrictAsync(Uri server)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        var districts = (await http.GetFromJsonAsync<JsonObject>("/api/layers/districts/features?limit=1000"))!;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        void Walk(JsonNode? n)
        {
            if (n is not JsonArray arr || arr.Count == 0) return;
            if (arr[0] is JsonValue && arr.Count >= 2)
            {
                var (x, y) = (arr[0]!.GetValue<double>(), arr[1]!.GetValue<double>());
                (minX, maxX, minY, maxY) = (Math.Min(minX, x), Math.Max(maxX, x), Math.Min(minY, y), Math.Max(maxY, y));
                return;
            }
            foreach (var c in arr) Walk(c);
        }
        foreach (var f in districts["features"]!.AsArray()) Walk(f!["geometry"]!["coordinates"]);
        if (minX > maxX) throw new InvalidOperationException("the store has no district to measure over");
        long buildings = 0;
        var layers = await http.GetFromJsonAsync<JsonNode>("/api/layers");
        foreach (var l in layers is JsonArray arr ? arr : layers?["layers"] as JsonArray ?? [])
            if (l?["layer"]?.GetValue<string>() == "buildings" && l["count"] is JsonValue c) buildings = c.GetValue<long>();
        return ([minX, minY, maxX, maxY], buildings);
    }

    // ---- the report ----

    static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToList();
        if (s.Count == 0) return 0;
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    static string F(double v, int digits) => v.ToString("N" + digits, CultureInfo.InvariantCulture);

    static string Kb(double bytes) => $"{F(bytes / 1000, 0)} KB";

    static string Spread(IReadOnlyList<double> values, Func<double, string> format) =>
        values.Count <= 1 ? "" : $" ({format(values.Min())}–{format(values.Max())})";

    static string Verdict(bool met) => met ? "met" : "**not met**";

    static string Markdown(CliArgs a, double scale, string data, long buildings, double? sampleSeconds, List<Target> targets,
        List<List<RunFigures>> results, List<List<string>> failures, List<TileFigures> tiles, int runs)
    {
        var sb = new StringBuilder();
        var command = new StringBuilder("gridmap bench web");
        foreach (var name in a.Names.Where(n => n is not "gridmap" and not "chromium")) command.Append($" --{name} {a.Get(name)}");
        sb.AppendLine($"- Command: `{command}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at the end {BrowserRun.Load()} (1/5/15 min).");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}. Server, browser and bench share it, and other work ran beside them: the load average is noted per run.");
        sb.AppendLine($"- Data: `gridmap sample --seed 1 --scale {scale.ToString(CultureInfo.InvariantCulture)}` ({buildings:N0} buildings), embedded SQLite store{(sampleSeconds is { } s ? $", made for this run in {F(s, 0)} s" : ", made by an earlier run")} (`{data}`).");
        sb.AppendLine("- Browser: Debian's Chromium (headless, software WebGL) through Microsoft.Playwright, 1280×800, a new context per run (cold HTTP cache), service workers blocked, signed in as an admin. " +
                      "Bytes: every response from navigation on, static files included and the tiles MapLibre's workers fetch, as received on the wire (Playwright's `request.sizes()`: response headers + `responseBodySize`, the encoded body, i.e. brotli-compressed where the server compressed it). " +
                      "A step ends when the map is settled — `loaded()`, `areTilesLoaded()`, not moving, no coverage computing — and no request has been open for 0.75 s; its time is the page time of the map's last `idle`.");
        sb.AppendLine("- Steps per run: **first map** — navigation to the fitted district view, settled; **pan** — `jumpTo` z16 at the district's centre, settled (not counted), then `panBy([1280, 0])` (one viewport width) until settled; " +
                      "**coverage** — back at z16 in the centre, click 服务圈 and its compute button with the defaults, until the table is there and the map has drawn the result. " +
                      $"Run 0 of each map is a warm-up (server JIT, the walking model built, browser start-up) and is not counted; then {runs} run(s), the maps taking turns. Medians, (min–max) over the runs.");
        sb.AppendLine();

        // The figures table: one column per map, the first is this build's.
        sb.Append("| figure | target |");
        foreach (var t in targets) sb.Append($" {t.Label}{(t.Peer ? " (peer)" : "")} |");
        if (targets.Count > 1) sb.Append(" ratio |");
        sb.AppendLine();
        sb.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", targets.Count + (targets.Count > 1 ? 1 : 0)))).AppendLine();
        void Row(string figure, string target, Func<RunFigures, double> pick, Func<double, string> format, Func<double, bool>? met = null)
        {
            sb.Append($"| {figure} | {target} |");
            var medians = new List<double>();
            foreach (var rs in results)
            {
                var values = rs.Select(pick).ToList();
                var m = Median(values);
                medians.Add(m);
                sb.Append($" {format(m)}{Spread(values, format)}{(met is null ? "" : $" — {Verdict(met(m))}")} |");
            }
            if (targets.Count > 1) sb.Append($" {(medians[1] > 0 ? F(medians[0] / medians[1], 2) : "—")} |");
            sb.AppendLine();
        }
        Row("first map, bytes", "< 1.5 MB", r => r.FirstMap.Bytes, Kb, m => m < FirstMapTarget);
        sb.Append("| first map, of which tiles / feature pages / other API / static | |");
        foreach (var rs in results)
        {
            string K(string kind) => Kb(Median(rs.Select(r => (double)r.FirstMap.BytesByKind.GetValueOrDefault(kind))));
            sb.Append($" {K("tiles")} / {K("features")} / {K("api")} / {K("static")} |");
        }
        if (targets.Count > 1) sb.Append(" |");
        sb.AppendLine();
        Row("first map, requests", "", r => r.FirstMap.Requests, v => F(v, 0));
        Row("first map, time to idle", "", r => r.FirstMap.Milliseconds, v => $"{F(v / 1000, 2)} s");
        Row("pan one viewport at z16, bytes", "< 300 KB", r => r.Pan.Bytes, Kb, m => m < PanTarget);
        Row("pan, requests", "", r => r.Pan.Requests, v => F(v, 0));
        Row("pan, time to idle", "", r => r.Pan.Milliseconds, v => $"{F(v / 1000, 2)} s");
        Row("coverage view, click to idle", "< 5 s", r => r.Coverage.Milliseconds, v => $"{F(v / 1000, 2)} s", m => m < CoverageTarget);
        Row("coverage view, bytes", "", r => r.Coverage.Bytes, Kb);
        sb.AppendLine();
        for (var i = 0; i < targets.Count; i++)
        {
            sb.AppendLine($"- {targets[i].Label}{(targets[i].Peer ? " (peer)" : "")}: `{targets[i].WebDir}`, served by {(targets[i].Peer && a.Get("peer-gridmap") is { } pg ? $"the peer build `{pg}`" : "this build")}; {results[i].Count} of {runs} run(s) counted; load average at the start of each: {string.Join("; ", results[i].Select(r => r.Load))}.");
            foreach (var f in failures[i]) sb.AppendLine($"  - **Failed** — {f}");
        }
        sb.AppendLine();

        sb.AppendLine($"Tiles: server time to first byte of every z{TileTiming.Zoom} `buildings` tile over the district's bbox ({tiles[0].Tiles} tiles, {tiles[0].NonEmpty} with buildings, the largest {Kb(tiles[0].LargestBytes)} uncompressed), " +
                      $"a plain HttpClient over one keep-alive connection without `If-None-Match` or `Accept-Encoding` (uncached, uncompressed), {runs} run(s) after one uncounted pass; " +
                      "servers measured tile by tile in turn on the same store. No tile cache exists on the server: every request reads the store and encodes.");
        sb.AppendLine();
        sb.AppendLine("| server | requests | TTFB p50 | TTFB p95 (target ≤ 50 ms) | TTFB max | Server-Timing p50 | Server-Timing p95 | of which encode p50 / p95 |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var t in tiles)
        {
            var p95 = TileTiming.Percentile(t.Ttfb, 0.95);
            sb.AppendLine($"| {t.Label} | {t.Ttfb.Count} | {F(TileTiming.Percentile(t.Ttfb, 0.5), 1)} ms | {F(p95, 1)} ms — {Verdict(p95 <= TileP95Target)} | {F(t.Ttfb.Max(), 1)} ms | " +
                          $"{F(TileTiming.Percentile(t.ServerTiming, 0.5), 1)} ms | {F(TileTiming.Percentile(t.ServerTiming, 0.95), 1)} ms | " +
                          $"{F(TileTiming.Percentile(t.Encode, 0.5), 1)} / {F(TileTiming.Percentile(t.Encode, 0.95), 1)} ms |");
        }
        if (tiles.Count > 1)
            sb.AppendLine($"\nRatio this build / peer: TTFB p95 {F(TileTiming.Percentile(tiles[0].Ttfb, 0.95) / TileTiming.Percentile(tiles[1].Ttfb, 0.95), 2)}, p50 {F(TileTiming.Percentile(tiles[0].Ttfb, 0.5) / TileTiming.Percentile(tiles[1].Ttfb, 0.5), 2)}.");
        sb.AppendLine($"\nLoad average at the start of each tiles run: {tiles[0].Load}.");
        return sb.ToString();
    }
}
