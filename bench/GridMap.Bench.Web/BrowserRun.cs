using System.Diagnostics;
using Microsoft.Playwright;

namespace GridMap.Bench.Web;

/// <summary>What one cold-cache browser run measured: the first map, one pan, and the coverage view.</summary>
sealed record RunFigures(Phase FirstMap, Phase Pan, Phase Coverage, string Load);


/// <summary>One measured step: bytes on the wire (all responses), requests, and milliseconds until the map settled.</summary>
sealed record Phase(long Bytes, int Requests, double Milliseconds, IReadOnlyDictionary<string, long> BytesByKind);

/// <summary>
/// Counts what the page receives, through Playwright's request events, which (unlike a CDP session on the page) also see
/// what MapLibre's web workers fetch — the vector tiles. Bytes per response are Playwright's <c>request.sizes()</c>:
/// response headers plus the body as received on the wire (<c>responseBodySize</c> is the encoded size, i.e. after
/// brotli or gzip; Chromium's <c>encodedDataLength</c>), which is what a slow phone link pays for.
/// </summary>
sealed class WireCounter
{
    readonly object _gate = new();
    readonly HashSet<IRequest> _open = new();
    readonly Dictionary<string, long> _byKind = new();
    readonly List<Task> _sizing = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();
    long _bytes;
    int _requests;
    int _phase;
    double _lastActivity;

    public static WireCounter Attach(IPage page)
    {
        var counter = new WireCounter();
        page.Request += (_, r) => counter.Sent(r);
        page.RequestFinished += (_, r) => counter.Finished(r, true);
        page.RequestFailed += (_, r) => counter.Finished(r, false);
        return counter;
    }

    void Sent(IRequest r)
    {
        if (r.Url.StartsWith("data:", StringComparison.Ordinal) || r.Url.StartsWith("blob:", StringComparison.Ordinal)) return;
        lock (_gate)
        {
            _open.Add(r);
            _lastActivity = _clock.Elapsed.TotalMilliseconds;
        }
    }

    void Finished(IRequest r, bool ok)
    {
        lock (_gate)
        {
            if (!_open.Remove(r)) return;
            _lastActivity = _clock.Elapsed.TotalMilliseconds;
            _requests++;
            if (ok) _sizing.Add(SizeAsync(r, _phase));
        }
    }

    async Task SizeAsync(IRequest r, int phase)
    {
        long bytes;
        try
        {
            var sizes = await r.SizesAsync();
            bytes = sizes.ResponseHeadersSize + sizes.ResponseBodySize;
        }
        catch (PlaywrightException)
        {
            return; // the page went away
        }
        var kind = Kind(r.Url);
        lock (_gate)
        {
            if (phase != _phase) return;
            _bytes += bytes;
            _byKind[kind] = _byKind.GetValueOrDefault(kind) + bytes;
        }
    }

    /// <summary>Tiles, the GeoJSON feature pages, other API answers, and static files (page, scripts, styles, fonts, icons).</summary>
    static string Kind(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.AbsolutePath : url;
        if (path.StartsWith("/tiles/", StringComparison.Ordinal)) return "tiles";
        if (path.StartsWith("/api/layers/", StringComparison.Ordinal) && path.Contains("/features", StringComparison.Ordinal)) return "features";
        if (path.StartsWith("/api/", StringComparison.Ordinal)) return "api";
        return "static";
    }

    /// <summary>Starts a new phase: what it returns counts from here.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _phase++;
            _bytes = 0;
            _requests = 0;
            _byKind.Clear();
        }
    }

    public async Task<(long Bytes, int Requests, Dictionary<string, long> ByKind)> TakenAsync()
    {
        Task[] pending;
        lock (_gate) pending = [.. _sizing];
        await Task.WhenAll(pending);
        lock (_gate) return (_bytes, _requests, new Dictionary<string, long>(_byKind));
    }

    /// <summary>No request open, and none started or finished for <paramref name="quietMs"/>.</summary>
    public bool Quiet(double quietMs)
    {
        lock (_gate) return _open.Count == 0 && _clock.Elapsed.TotalMilliseconds - _lastActivity >= quietMs;
    }
}

/// <summary>Drives one page through the three measured steps.</summary>
static class BrowserRun
{
    /// <summary>How long the network must stay silent (no request open) before a step counts as finished.</summary>
    const double QuietMs = 750;

    /// <summary>The map has drawn what it has: style and sources loaded, every tile in, not moving.</summary>
    const string MapSettled = """
        () => {
          const g = window.gridmap, m = g && g.map;
          if (!m || document.body.dataset.ready !== 'true') return false;
          if (!m.loaded() || !m.areTilesLoaded() || m.isMoving()) return false;
          if (document.querySelector('.coverage-busy')) return false;
          return true;
        }
        """;

    public static async Task<RunFigures> MeasureAsync(IBrowser browser, Uri server, string account, string password, double[] centre,
        Action<string> progress, TimeSpan timeout)
    {
        var load = Load();
        await using var context = await browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1280, Height = 800 },
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        // Signed in as a planner would be; the sign-in request is the context's, not the page's, and is not counted.
        var signIn = await context.APIRequest.PostAsync(new Uri(server, "/api/auth/sign-in").ToString(), new() { DataObject = new { name = account, password } });
        if (!signIn.Ok) throw new InvalidOperationException($"sign-in as {account} failed: {signIn.Status} {await signIn.TextAsync()}");
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)timeout.TotalMilliseconds);
        var wire = WireCounter.Attach(page);
        // Every `idle` the map fires, in page time (ms since navigation started): the last one is when it was drawn.
        await page.AddInitScriptAsync("""
            (() => {
              window.__gmIdleAt = 0;
              const hook = () => {
                const m = window.gridmap && window.gridmap.map;
                if (!m) return setTimeout(hook, 10);
                m.on('idle', () => { window.__gmIdleAt = performance.now(); });
              };
              hook();
            })();
            """);

        // 1. First map: navigation to the settled fitted view; every response counts, static files included.
        wire.Reset();
        await page.GotoAsync(server.ToString());
        var firstAt = await SettleAsync(page, wire, timeout);
        var first = await TakenAsync(wire, firstAt);
        progress($"    first map: {Kb(first.Bytes)} in {first.Requests} requests, idle at {first.Milliseconds / 1000:0.00} s");

        // 2. A pan: z16 at the district's centre, settled (not counted), then one viewport width east.
        await page.EvaluateAsync("([lon, lat]) => { window.gridmap.map.jumpTo({ center: [lon, lat], zoom: 16 }); }", centre);
        await SettleAsync(page, wire, timeout);
        wire.Reset();
        var panStart = await page.EvaluateAsync<double>("() => { const t = performance.now(); window.gridmap.map.panBy([1280, 0], { duration: 0 }); return t; }");
        var panAt = await SettleAsync(page, wire, timeout);
        var pan = await TakenAsync(wire, panAt - panStart);
        progress($"    pan: {Kb(pan.Bytes)} in {pan.Requests} requests, {pan.Milliseconds / 1000:0.00} s");

        // 3. Coverage: open 服务圈, compute with its defaults, until the table is there and the map has drawn the result.
        await page.EvaluateAsync("([lon, lat]) => { window.gridmap.map.jumpTo({ center: [lon, lat], zoom: 16 }); }", centre);
        await SettleAsync(page, wire, timeout);
        wire.Reset();
        var clickAt = await page.EvaluateAsync<double>("() => performance.now()");
        await page.Locator("#coverage-open").ClickAsync();
        await page.Locator("#coverage button[type=submit]").ClickAsync();
        var tableAt = await page.WaitForFunctionAsync("""
            () => document.querySelector('#coverage .coverage-table tbody tr') && !document.querySelector('.coverage-busy') ? performance.now() : false
            """, null, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 20 });
        var shown = (await tableAt.JsonValueAsync<double>());
        var coverageAt = Math.Max(shown, await SettleAsync(page, wire, timeout));
        var coverage = await TakenAsync(wire, coverageAt - clickAt);
        progress($"    coverage: {Kb(coverage.Bytes)} in {coverage.Requests} requests, {coverage.Milliseconds / 1000:0.00} s");

        return new RunFigures(first, pan, coverage, load);
    }

    /// <summary>
    /// Waits until the map is settled and the network has been quiet for <see cref="QuietMs"/>, twice in a row with no
    /// `idle` in between, so a source that starts loading after the first `idle` is waited for. Returns the page time of
    /// the last `idle`.
    /// </summary>
    static async Task<double> SettleAsync(IPage page, WireCounter wire, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"the map did not settle within {timeout.TotalSeconds:0} s");
            await page.WaitForFunctionAsync(MapSettled, null, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 });
            var idleAt = await page.EvaluateAsync<double>("() => window.__gmIdleAt");
            while (!wire.Quiet(QuietMs))
            {
                if (clock.Elapsed > timeout) throw new TimeoutException($"the network did not go quiet within {timeout.TotalSeconds:0} s");
                await Task.Delay(50);
            }
            var settled = await page.EvaluateAsync<bool>($"{MapSettled}");
            var again = await page.EvaluateAsync<double>("() => window.__gmIdleAt");
            if (settled && again == idleAt && wire.Quiet(QuietMs)) return idleAt;
        }
    }

    static async Task<Phase> TakenAsync(WireCounter wire, double ms)
    {
        var (bytes, requests, byKind) = await wire.TakenAsync();
        return new Phase(bytes, requests, ms, byKind);
    }

    static string Kb(long bytes) => $"{bytes / 1024.0:0} KB";

    public static string Load() => File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
