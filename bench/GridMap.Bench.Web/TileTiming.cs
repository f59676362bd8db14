using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace GridMap.Bench.Web;

/// <summary>Time to first byte of tiles, and the server's own Server-Timing (store + encode), in milliseconds.</summary>
sealed record TileFigures(string Label, int Tiles, int NonEmpty, List<double> Ttfb, List<double> ServerTiming, List<double> Encode, long LargestBytes, string Load);

/// <summary>
/// Every z14 tile over the district's bbox, fetched one after another over one keep-alive connection with a plain
/// HttpClient: no If-None-Match (so never a 304) and no Accept-Encoding (so no compression time), i.e. uncached and
/// uncompressed, as a server answers a tile it has not made before. Several servers are measured tile by tile in turn,
/// so a load spike on the shared machine hits all of them alike.
/// </summary>
static class TileTiming
{
    public const int Zoom = 14;

    /// <summary>The XYZ tiles at <paramref name="z"/> that cover the lon/lat box.</summary>
    public static List<(int Z, int X, int Y)> Cover(double[] bbox, int z)
    {
        int X(double lon) => (int)Math.Floor((lon + 180) / 360 * (1 << z));
        int Y(double lat)
        {
            var phi = lat * Math.PI / 180;
            return (int)Math.Floor((1 - Math.Asinh(Math.Tan(phi)) / Math.PI) / 2 * (1 << z));
        }
        var tiles = new List<(int, int, int)>();
        for (var x = X(bbox[0]); x <= X(bbox[2]); x++)
            for (var y = Y(bbox[3]); y <= Y(bbox[1]); y++)
                tiles.Add((z, x, y));
        return tiles;
    }

    public static async Task<List<TileFigures>> MeasureAsync(IReadOnlyList<(string Label, Uri Server)> servers, double[] bbox, int runs, Action<string> progress)
    {
        var tiles = Cover(bbox, Zoom);
        var clients = servers.Select(s => new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None, MaxConnectionsPerServer = 1 })
        {
            BaseAddress = s.Server, Timeout = TimeSpan.FromMinutes(2),
        }).ToList();
        var ttfb = servers.Select(_ => new List<double>()).ToList();
        var timing = servers.Select(_ => new List<double>()).ToList();
        var encode = servers.Select(_ => new List<double>()).ToList();
        var nonEmpty = new int[servers.Count];
        var largest = new long[servers.Count];
        var loads = new List<string>();
        try
        {
            // One pass first, not counted: JIT, connection and the store's page cache.
            foreach (var t in tiles)
                for (var s = 0; s < servers.Count; s++)
                    await FetchAsync(clients[s], t);
            for (var r = 0; r < runs; r++)
            {
                loads.Add(BrowserRun.Load());
                foreach (var t in tiles)
                {
                    // Alternate who goes first, so neither always follows the other's garbage collection.
                    for (var k = 0; k < servers.Count; k++)
                    {
                        var s = (k + r) % servers.Count;
                        var (ms, serverMs, encodeMs, bytes, status) = await FetchAsync(clients[s], t);
                        ttfb[s].Add(ms);
                        if (serverMs is { } st) timing[s].Add(st);
                        if (encodeMs is { } en) encode[s].Add(en);
                        if (r == 0 && status == HttpStatusCode.OK) nonEmpty[s]++;
                        largest[s] = Math.Max(largest[s], bytes);
                    }
                }
                progress($"  tiles run {r + 1}: " + string.Join("; ", servers.Select((sv, s) => $"{sv.Label} p95 {Percentile(ttfb[s], 0.95):0.0} ms")) + $" (load {loads[^1]})");
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        return servers.Select((sv, s) => new TileFigures(sv.Label, tiles.Count, nonEmpty[s], ttfb[s], timing[s], encode[s], largest[s], string.Join("; ", loads))).ToList();
    }

    static async Task<(double Ms, double? ServerMs, double? EncodeMs, long Bytes, HttpStatusCode Status)> FetchAsync(HttpClient http, (int Z, int X, int Y) t)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/tiles/buildings/{t.Z}/{t.X}/{t.Y}.mvt");
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var ms = clock.Elapsed.TotalMilliseconds;
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NoContent))
            throw new InvalidOperationException($"tile {t.Z}/{t.X}/{t.Y} answered {(int)response.StatusCode}");
        // Server-Timing: store;dur=…, encode;dur=… (docs/tiles.md).
        double? server = null, encode = null;
        if (response.Headers.TryGetValues("Server-Timing", out var values))
        {
            double sum = 0;
            foreach (var part in string.Join(",", values).Split(','))
                if (part.Split("dur=", 2) is [var name, var d] && double.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    sum += v;
                    if (name.Trim().StartsWith("encode", StringComparison.Ordinal)) encode = v;
                }
            server = sum;
        }
        return (ms, server, encode, body.LongLength, response.StatusCode);
    }

    /// <summary>Nearest-rank percentile; 0 when there is nothing to rank.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return 0;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
