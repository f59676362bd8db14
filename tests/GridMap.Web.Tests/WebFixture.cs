using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GridMap.Web.Tests;

/// <summary>
/// Starts the gridmap server (the real one: `gridmap.dll serve --data &lt;temp&gt; --urls … --web web/`, which seeds the
/// sample city on first run) and Debian's Chromium through Playwright, once for all tests of a class.
/// A subclass may fill the store first (<see cref="PrepareStoreAsync"/>) and add serve options (<see cref="ServeOptions"/>).
/// </summary>
public class WebFixture : IAsyncLifetime
{
    /// <summary>Debian's browser: Playwright must never download one.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    readonly IMessageSink _sink;
    Process? _server;
    readonly StringBuilder _serverLog = new();
    string? _dataDir;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The one-time password `gridmap serve` printed for the new store's admin.</summary>
    public string AdminPassword { get; private set; } = "";
    public string ServerKind { get; private set; } = "";
    public string WebRoot { get; } = FindWebRoot();
    public string ScreenshotDir { get; } =
        Environment.GetEnvironmentVariable("GRIDMAP_WEB_SCREENSHOTS") ?? Path.Combine(Path.GetTempPath(), "gridmap-web-tests");
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public WebFixture(IMessageSink sink) => _sink = sink;

    protected void Say(string message) => _sink.OnMessage(new DiagnosticMessage($"[web-tests] {message}"));

    /// <summary>Extra `gridmap serve` options, e.g. `--no-sample`.</summary>
    protected virtual IEnumerable<string> ServeOptions => [];

    /// <summary>Runs before the server starts, on its (empty) data directory; `gridmap` runs the built CLI.</summary>
    protected virtual Task PrepareStoreAsync(string dataDir, Func<string[], Task> gridmap) => Task.CompletedTask;

    /// <summary>Runs the built `gridmap` CLI (gridmap.dll) to the end; throws with its output when it fails.</summary>
    Task RunGridmapAsync(string[] args) => RunGridmapAsync(args, null);

    /// <summary>Runs the built `gridmap` CLI on the served store (while the server runs), e.g. `user add …`; returns its output.</summary>
    public Task<string> CliAsync(string[] args, string? stdin = null) => RunGridmapAsync([.. args, "--data", _dataDir!], stdin);

    /// <summary>A script's client: an admin account's bearer token, made with `gridmap token create` as an operator would.</summary>
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>A host name Chromium resolves to 127.0.0.1: the server reached as a phone on the network would reach it.</summary>
    public const string InsecureHost = "gridmap.test";

    /// <summary>The server's port (its address is <see cref="BaseUrl"/>).</summary>
    public int Port => new Uri(BaseUrl).Port;

    async Task<string> RunGridmapAsync(string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebRoot)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            RedirectStandardInput = stdin is not null,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridmap.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteLineAsync(stdin);
            p.StandardInput.Close();
        }
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Say($"gridmap {string.Join(' ', args)}: exit {p.ExitCode}\n{await output}");
        if (p.ExitCode != 0) throw new InvalidOperationException($"gridmap {string.Join(' ', args)} failed ({p.ExitCode}):\n{await output}\n{await error}");
        return await output;
    }

    public async Task InitializeAsync()
    {
        EnsureVendor();
        Directory.CreateDirectory(ScreenshotDir);
        var port = FreePort();
        var why = await TryStartRealServerAsync(port);
        if (why is not null) throw new InvalidOperationException($"the gridmap server is not runnable: {why}\n{_serverLog}");
        ServerKind = "real";
        BaseUrl = $"http://127.0.0.1:{port}";
        Say($"serving {ServerKind} at {BaseUrl}; screenshots in {ScreenshotDir}");
        await CliAsync(["user", "add", "web-tests", "--role", "admin"]);
        var token = (await CliAsync(["token", "create", "web-tests"])).TrimEnd().Split('\n')[^1].Trim();
        Admin = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        // The machine is shared (2 cores, CI and other runs beside it): a page waits for the server's answers longer than
        // Playwright's 5 s default before a check fails. Speed is the benches' business, not these tests'.
        Assertions.SetDefaultExpectTimeout(20_000);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // --enable-unsafe-swiftshader: MapLibre needs WebGL; with no GPU, Chromium only gives
            // software WebGL when asked (its silent fallback is deprecated).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader",
                // http://gridmap.test is this machine under a name: a plain-HTTP, non-loopback origin (not a secure context).
                $"--host-resolver-rules=MAP {InsecureHost} 127.0.0.1"],
        });
    }

    /// <summary>
    /// A page at <paramref name="path"/> in a new context, ready (first data drawn), with console errors, page errors and
    /// (when <paramref name="watchRequests"/>) failed requests collected. <paramref name="prepare"/> runs before navigation.
    /// </summary>
    public async Task<(IPage Page, List<string> Errors)> OpenPageAsync(string path = "/", BrowserNewContextOptions? options = null,
        IBrowserContext? context = null, Func<IPage, Task>? prepare = null, bool watchRequests = true, bool signedIn = true)
    {
        if (context is null)
        {
            // The page registers a service worker; Playwright's routes do not see what a service worker fetches, so tests
            // block it unless they are about it (FieldTests).
            options ??= new() { ViewportSize = new() { Width = 1280, Height = 800 } };
            options.ServiceWorkers ??= ServiceWorkerPolicy.Block;
            context = await Browser.NewContextAsync(options);
            if (signedIn) await SignInAsync(context);
        }
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add($"console: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");
        // MapLibre cancels the tile requests a moved view no longer needs: an aborted tile is not a failure.
        if (watchRequests) page.RequestFailed += (_, r) =>
        {
            if (r.Failure == "net::ERR_ABORTED" && new Uri(r.Url).AbsolutePath.StartsWith("/tiles/", StringComparison.Ordinal)) return;
            errors.Add($"request failed: {r.Url} {r.Failure}");
        };
        if (prepare != null) await prepare(page);
        await page.GotoAsync(path.StartsWith("http", StringComparison.Ordinal) ? path : BaseUrl + path);
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });
        return (page, errors);
    }

    /// <summary>
    /// Signs the browser context in as the admin (or <paramref name="name"/>) through the sign-in API: the session cookie
    /// lands in the context, as it would after the sign-in dialog.
    /// </summary>
    public async Task SignInAsync(IBrowserContext context, string name = "admin", string? password = null)
    {
        var res = await context.APIRequest.PostAsync(BaseUrl + "/api/auth/sign-in",
            new() { DataObject = new { name, password = password ?? AdminPassword } });
        if (!res.Ok) throw new InvalidOperationException($"sign-in as {name} failed: {res.Status} {await res.TextAsync()}");
    }

    /// <summary>
    /// Waits (up to 5 s) until the map source <paramref name="source"/> holds no features. A GeoJSON source re-tiles in
    /// MapLibre's worker after setData, so one sample right after a click can still see the old features.
    /// </summary>
    public static Task SourceEmptiedAsync(IPage page, string source) =>
        page.WaitForFunctionAsync($"() => window.gridmap.map.querySourceFeatures('{source}').length === 0", null, new() { Timeout = 5000 });

    /// <summary>Waits until the map has drawn what it loads (or 5 s), so a check or a picture sees what a person would.</summary>
    public static Task IdleAsync(IPage page) => page.EvaluateAsync("""
        () => new Promise((resolve) => {
          const map = window.gridmap.map;
          // resolve() without the event: the event holds the map, which is no value to send back to the test.
          const check = () => { if (map.loaded() && !map.isMoving()) resolve(); else map.once('idle', () => resolve()); };
          setTimeout(check, 50);
          setTimeout(() => resolve(), 6000);
        })
        """);

    /// <summary>A screenshot of the settled map in <see cref="ScreenshotDir"/>; returns its path.</summary>
    public async Task<string> ScreenshotAsync(IPage page, string fileName)
    {
        await IdleAsync(page);
        var path = Path.Combine(ScreenshotDir, fileName);
        await page.ScreenshotAsync(new() { Path = path });
        return path;
    }

    /// <summary>Null when the real server answers /api/health and serves the page; else why not.</summary>
    async Task<string?> TryStartRealServerAsync(int port)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "gridmap.dll");
        if (!File.Exists(dll)) return "gridmap.dll is not in the test output";
        _dataDir = Path.Combine(Path.GetTempPath(), $"gridmap-web-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dataDir);
        await PrepareStoreAsync(_dataDir, RunGridmapAsync);
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebRoot)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // As the README runs it: loopback, open to anonymous readers; the new store's admin password is in the log.
        foreach (var a in new[] { dll, "serve", "--data", _dataDir, "--urls", url, "--web", WebRoot, "--open", "--allowed-hosts", InsecureHost }.Concat(ServeOptions)) psi.ArgumentList.Add(a);
        _server = Process.Start(psi)!;
        _server.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_serverLog) _serverLog.AppendLine(e.Data); };
        _server.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_serverLog) _serverLog.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120); // first run seeds the sample city
        while (DateTime.UtcNow < deadline)
        {
            if (_server.HasExited) return $"it exited with code {_server.ExitCode}";
            try
            {
                using var res = await http.GetAsync($"{url}/api/health");
                if (res.StatusCode == HttpStatusCode.NotFound) return "GET /api/health is 404: the API is not there yet";
                if (res.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync());
                    if (doc.RootElement.TryGetProperty("status", out var s) && s.GetString() == "ok")
                    {
                        var page = await http.GetStringAsync($"{url}/");
                        if (!page.Contains("GridMap 网格地图")) return "GET / does not serve web/index.html";
                        lock (_serverLog)
                            AdminPassword = System.Text.RegularExpressions.Regex.Match(_serverLog.ToString(), @"one-time password: (\S+)").Groups[1].Value;
                        return AdminPassword.Length > 0 ? null : "the server printed no one-time admin password";
                    }
                }
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (TaskCanceledException) { /* busy seeding */ }
            catch (JsonException) { return "GET /api/health is not JSON"; }
            await Task.Delay(250);
        }
        return "GET /api/health did not answer ok within 120 s";
    }

    /// <summary>The page loads MapLibre from web/vendor/ (git-ignored): build it when missing.</summary>
    void EnsureVendor()
    {
        if (File.Exists(Path.Combine(WebRoot, "vendor", "maplibre-gl-csp-worker.js"))) return;
        if (!Directory.Exists(Path.Combine(WebRoot, "node_modules", "maplibre-gl"))) Run("npm", "ci --no-audit --no-fund");
        Run("node", "build.mjs");
    }

    void Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args)
        {
            WorkingDirectory = WebRoot, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed in {WebRoot}:\n{output.Result}\n{error.Result}");
    }

    static string FindWebRoot()
    {
        if (Environment.GetEnvironmentVariable("GRIDMAP_WEB_ROOT") is { Length: > 0 } given) return Path.GetFullPath(given);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var web = Path.Combine(dir.FullName, "web");
            if (File.Exists(Path.Combine(web, "index.html")) && File.Exists(Path.Combine(web, "package.json"))) return web;
        }
        throw new DirectoryNotFoundException($"no web/index.html above {AppContext.BaseDirectory}");
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    void StopServer()
    {
        if (_server is { HasExited: false })
        {
            try { _server.Kill(entireProcessTree: true); _server.WaitForExit(5000); } catch { /* gone already */ }
        }
        _server?.Dispose();
        _server = null;
    }

    /// <summary>
    /// Another `gridmap serve` on a fresh store (the sample city) with extra arguments, e.g. an HTTPS listener; stopped
    /// with the fixture. Returns once /api/health answers (HTTPS certificates are not checked: the test made them).
    /// </summary>
    public async Task StartExtraServerAsync(string url, params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"gridmap-web-extra-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _extraDirs.Add(dir);
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebRoot)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "gridmap.dll"), "serve", "--data", dir, "--urls", url, "--web", WebRoot, "--open", "--allowed-hosts", InsecureHost }.Concat(args))
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        _extra.Add(process);
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"gridmap serve {string.Join(' ', args)} exited with {process.ExitCode}:\n{log}");
            try
            {
                using var res = await http.GetAsync($"{url}/api/health");
                if (res.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (TaskCanceledException) { /* busy seeding */ }
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"gridmap serve {string.Join(' ', args)} did not answer within 120 s:\n{log}");
    }

    readonly List<Process> _extra = [];
    readonly List<string> _extraDirs = [];

    public async Task DisposeAsync()
    {
        foreach (var p in _extra)
        {
            try { p.Kill(entireProcessTree: true); await p.WaitForExitAsync(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var dir in _extraDirs)
        {
            try { Directory.Delete(dir, recursive: true); } catch { /* best effort */ }
        }
        Admin?.Dispose();
        if (Browser != null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        StopServer();
        if (_dataDir != null)
        {
            try { Directory.Delete(_dataDir, recursive: true); } catch { /* best effort */ }
        }
    }
}
