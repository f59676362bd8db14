using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Cli;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench lookup [--data DIR | --postgres CONN] [--clients 8] [--seconds 30] [--warmup 5] [--runs 5] [--peer DIR] [--out docs/benchmarks.md|-]`:
/// `/api/lookup` throughput through a real `gridmap serve` on loopback — closed-loop clients, one keep-alive connection
/// each, random points in the city (fixed seed) — and the same with one station write a second (the lookups in the
/// second after each write). The peer, a previous build given by --peer, serves its own identical copy of the store and
/// is measured in the same run, runs alternating.
/// </summary>
public static class LookupBench
{
    public const string Usage =
        "usage: gridmap bench lookup [--data DIR | --postgres CONN] [--clients 8] [--seconds 30] [--warmup 5] [--runs 5] [--peer DIR_OF_PREVIOUS_BUILD] [--out docs/benchmarks.md|-]" +
        "  (no --data: the sample city in a new store; CONN: a PostgreSQL server with PostGIS where the bench may create and drop its own databases)";

    const string AccountName = "bench-lookup";
    const string StationId = "bench-lookup-station";
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>One measured stretch: lookups, their latencies, failures; with writes, those too and the lookups in the second after each.</summary>
    public sealed record Stretch(long Lookups, long Errors, double Seconds, double P50Ms, double P99Ms, long Writes = 0, long WriteErrors = 0, double AfterWriteP99Ms = double.NaN, long AfterWriteLookups = 0)
    {
        public double PerSecond => Lookups / Seconds;

        /// <summary>CPU time the server process spent, per lookup answered (ms): what the load of the machine does not change much.</summary>
        public double ServerCpuMs { get; init; } = double.NaN;

        /// <summary>CPU time the clients (this process) spent, per lookup (ms).</summary>
        public double ClientCpuMs { get; init; } = double.NaN;
    }

    public sealed record Run(string Build, int Index, Stretch Steady, Stretch WithWrites);

    public sealed record Options(int Clients = 8, double Seconds = 30, double Warmup = 5, int Runs = 5, string? Peer = null, string? Data = null, string? Postgres = null);

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("data", "postgres", "clients", "seconds", "warmup", "runs", "peer", "out");
        if (a.Has("data") && a.Has("postgres")) throw new CliException("give --data or --postgres, not both\n" + Usage);
        var o = new Options(a.Int("clients", 8), a.Double("seconds", 30), a.Double("warmup", 5), a.Int("runs", 5), a.Get("peer"), a.Get("data"), a.Get("postgres"));
        if (o.Clients is < 1 or > 256) throw new CliException("--clients must be 1..256");
        if (o.Seconds is <= 0 or > 3600) throw new CliException("--seconds must be more than 0 and at most 3600");
        if (o.Warmup is < 0 or > 600) throw new CliException("--warmup must be 0..600");
        if (o.Runs is < 1 or > 50) throw new CliException("--runs must be 1..50");
        if (o.Data is not null && !File.Exists(Path.Combine(o.Data, SqliteStore.FileName))) throw new CliException($"--data {o.Data}: no {SqliteStore.FileName} there");
        var peer = o.Peer is null ? null : PeerDll(o.Peer);
        var progress = (string line) => Console.Error.WriteLine(line);
        var command = new StringBuilder("gridmap bench lookup");
        foreach (var name in a.Names) command.Append($" --{name} {(name == "postgres" ? "CONN" : a.Get(name))}");

        var result = await MeasureAsync(o, peer, progress);
        var table = Markdown(result, o, command.ToString());
        await stdout.WriteLineAsync(table);
        var output = a.Get("out");
        if (output is not null && output != "-")
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : BenchDocument.Update(null, "## Latest run\n\n(none yet)\n");
            var (key, title) = o.Postgres is null ? ("lookup", "Lookups (`/api/lookup`) on the embedded store (issue 12)") : ("lookup-postgis", "Lookups (`/api/lookup`) on PostGIS (issue 12)");
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, key, title, table));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        return result.Runs.Any(r => r.Steady.Lookups == 0 || r.Steady.Errors > 0 || r.WithWrites.Errors > 0 || r.WithWrites.WriteErrors > 0) ? 1 : 0;
    }

    /// <summary>gridmap.dll of a previous build: the directory itself, its out/ or its Release (then Debug) build output.</summary>
    static string PeerDll(string dir)
    {
        foreach (var candidate in new[] { dir, Path.Combine(dir, "out"), Path.Combine(dir, "src/GridMap.Server/bin/Release/net10.0"), Path.Combine(dir, "src/GridMap.Server/bin/Debug/net10.0") })
            if (File.Exists(Path.Combine(candidate, "gridmap.dll"))) return Path.Combine(candidate, "gridmap.dll");
        throw new CliException($"--peer {dir}: no gridmap.dll there (nor in out/ or src/GridMap.Server/bin/Release/net10.0)");
    }

    public sealed record Result(IReadOnlyList<Run> Runs, string Data, string Store, string LoadBefore, string LoadAfter, string? PeerDll);

    /// <summary>Makes the stores, starts the servers, measures; everything it made is removed afterwards.</summary>
    public static async Task<Result> MeasureAsync(Options o, string? peerDll, Action<string> progress, CancellationToken ct = default)
    {
        var loadBefore = BenchMachine.LoadAverage();
        var builds = new List<(string Name, string Dll)> { ("current", Path.Combine(AppContext.BaseDirectory, "gridmap.dll")) };
        if (peerDll is not null) builds.Add(("peer", peerDll));
        var temp = Directory.CreateTempSubdirectory("gridmap-bench-lookup-").FullName;
        var databases = new List<string>();
        var servers = new List<ServerProcess>();
        try
        {
            // One store, then an identical copy for each build.
            var stores = new List<string>();
            string data;
            Envelope extent;
            string secret;
            if (o.Postgres is null)
            {
                var first = Path.Combine(temp, "current");
                if (o.Data is not null) CopyDirectory(o.Data, first);
                (data, extent, secret) = await PrepareAsync(new GridMapOptions { DataDirectory = first, SeedSample = o.Data is null }, o.Data is null, ct);
                stores.Add(first);
                for (var b = 1; b < builds.Count; b++)
                {
                    var copy = Path.Combine(temp, builds[b].Name);
                    CopyDirectory(first, copy);
                    stores.Add(copy);
                }
            }
            else
            {
                (data, extent, secret) = ("", new Envelope(), "");
                foreach (var build in builds)
                {
                    var cs = await ScratchDatabase.CreateAsync(o.Postgres, $"gridmap_bench_lookup_{build.Name}_{Guid.NewGuid():N}", ct);
                    databases.Add(cs);
                    // Every copy seeded alike (the sample city is deterministic); the secrets differ, each server gets its own.
                    var prepared = await PrepareAsync(new GridMapOptions { Postgres = cs }, seed: true, ct);
                    if (stores.Count == 0) (data, extent) = (prepared.Data, prepared.Extent);
                    secret = prepared.Secret; // the PostGIS copies hold different tokens: each build writes with its own below
                    stores.Add(cs + "\n" + prepared.Secret);
                }
            }
            progress($"lookup: {data}");

            for (var b = 0; b < builds.Count; b++)
            {
                var (store, token) = o.Postgres is null ? (stores[b], secret) : (stores[b].Split('\n')[0], stores[b].Split('\n')[1]);
                servers.Add(await ServerProcess.StartAsync(builds[b].Dll, o.Postgres is null ? ["--data", store] : ["--postgres", store], token, ct));
                progress($"lookup: {builds[b].Name} serving {servers[^1].BaseAddress} ({builds[b].Dll})");
            }

            // Random points in the city (fixed seed), the same for every build and run.
            var random = new Random(12);
            var paths = Enumerable.Range(0, 8192).Select(_ => FormattableString.Invariant(
                $"/api/lookup?lon={extent.MinX + random.NextDouble() * extent.Width:0.000000}&lat={extent.MinY + random.NextDouble() * extent.Height:0.000000}")).ToArray();
            var centre = extent.Centre;

            var runs = new List<Run>();
            for (var r = 1; r <= o.Runs; r++)
                for (var b = 0; b < builds.Count; b++)
                {
                    var server = servers[b];
                    await DriveAsync(server, paths, o.Clients, TimeSpan.FromSeconds(o.Warmup), null, ct);
                    var steady = await DriveAsync(server, paths, o.Clients, TimeSpan.FromSeconds(o.Seconds), null, ct);
                    var writes = await DriveAsync(server, paths, o.Clients, TimeSpan.FromSeconds(o.Seconds), centre, ct);
                    runs.Add(new Run(builds[b].Name, r, steady, writes));
                    progress($"lookup: run {r} {builds[b].Name}: {steady.PerSecond:0}/s p50 {steady.P50Ms:0.00} ms p99 {steady.P99Ms:0.00} ms, errors {steady.Errors}, server CPU {steady.ServerCpuMs:0.000} ms and client CPU {steady.ClientCpuMs:0.000} ms a lookup; " +
                             $"with a write a second: {writes.PerSecond:0}/s, p99 in the second after a write {writes.AfterWriteP99Ms:0.00} ms, writes {writes.Writes} ({writes.WriteErrors} failed), errors {writes.Errors}");
                }
            return new Result(runs, data, o.Postgres is null ? "embedded (SQLite)" : await DescribePostgresAsync(databases[0], ct), loadBefore, BenchMachine.LoadAverage(), peerDll);
        }
        finally
        {
            foreach (var s in servers) await s.DisposeAsync();
            foreach (var cs in databases)
            {
                var (dropped, error) = await ScratchDatabase.DropAsync(cs);
                if (!dropped) Console.Error.WriteLine($"gridmap bench lookup: could not drop a bench database: {error}");
            }
            try { Directory.Delete(temp, true); } catch (IOException) { }
        }
    }

    /// <summary>Seeds the store when asked, adds the bench's admin token and the station it writes; describes the data and its extent.</summary>
    static async Task<(string Data, Envelope Extent, string Secret)> PrepareAsync(GridMapOptions options, bool seed, CancellationToken ct)
    {
        await using var store = await StoreFactory.OpenAsync(options, TextWriter.Null, ct);
        if (seed && options.Postgres is not null)
            await store.ImportAsync(StoreFactory.SampleCityBatches(TextWriter.Null), ImportMode.ReplaceLayers, change: ChangeInfo.System(ChangeKinds.Seed), ct: ct);
        var account = AccountRules.New(AccountName, Roles.Admin, null, [], false);
        account = account with { PasswordHash = Credentials.HashPassword(account, Credentials.GeneratePassword()), PasswordGenerated = true };
        await store.PutAccountAsync(account, 0, ct);
        var (secret, token) = Credentials.NewToken(AccountName);
        await store.AddTokenAsync(token, ct);
        var extent = new Envelope();
        foreach (var layer in new[] { Layer.Districts, Layer.Communities, Layer.Buildings })
        {
            if (!extent.IsNull) break;
            foreach (var f in await StoreReads.AllAsync(store, layer, null, ct)) extent.ExpandToInclude(f.Geometry.EnvelopeInternal);
        }
        if (extent.IsNull) throw new InvalidOperationException("the store holds no districts, communities or buildings to look up in");
        await store.CreateAsync(Layer.Stations, new FeatureDraft(StationId, GeometryRules.Factory.CreatePoint(extent.Centre),
            new JsonObject { ["kind"] = "party_service_centre", ["name"] = "基准测试站" }), ct: ct);
        var counts = await store.CountAsync(ct);
        var data = seed ? "the sample city (geodata/sample, as a new store is seeded)" : "a copy of the --data store";
        data += ": " + string.Join(", ", new[] { Layer.Buildings, Layer.Compounds, Layer.Grids, Layer.Stations, Layer.Network }.Select(l => $"{counts.GetValueOrDefault(l):N0} {l.Key()}"));
        data += FormattableString.Invariant($"; points drawn in lon {extent.MinX:0.000}–{extent.MaxX:0.000}, lat {extent.MinY:0.000}–{extent.MaxY:0.000}");
        return (data, extent, secret);
    }

    /// <summary>
    /// Closed-loop clients for <paramref name="duration"/>: each sends its next lookup when the last is answered. With
    /// <paramref name="writeAt"/>, one more client moves the bench station (≈ 10 m back and forth there) once a second,
    /// and the lookups sent in the second after each acknowledged write are counted apart.
    /// </summary>
    static async Task<Stretch> DriveAsync(ServerProcess server, string[] paths, int clients, TimeSpan duration, Coordinate? writeAt, CancellationToken ct)
    {
        var serverCpu = server.CpuTime;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<(long Start, float Ms)>[clients];
        var errors = new long[clients];
        var acks = new List<long>();
        long writes = 0, writeErrors = 0;
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var http = server.NewClient();
            var mine = latencies[c] = new List<(long, float)>(1 << 16);
            var i = c * 977;
            var buffer = new byte[64 << 10];
            while (Stopwatch.GetTimestamp() < end && !ct.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(paths[i++ % paths.Length], HttpCompletionOption.ResponseHeadersRead, ct);
                    await using var body = await response.Content.ReadAsStreamAsync(ct);
                    while (await body.ReadAsync(buffer, ct) > 0) { }
                    if (response.StatusCode != HttpStatusCode.OK) errors[c]++;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { errors[c]++; }
                var t1 = Stopwatch.GetTimestamp();
                mine.Add((t0, (float)((t1 - t0) * 1000.0 / Stopwatch.Frequency)));
            }
        }, ct)).ToList();
        if (writeAt is { } at)
            tasks.Add(Task.Run(async () =>
            {
                using var http = server.NewClient();
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Secret);
                var path = $"/api/layers/stations/features/{StationId}";
                string? etag = null;
                var next = Stopwatch.GetTimestamp();
                for (var k = 0; ; k++)
                {
                    next += Stopwatch.Frequency;
                    if (next >= end) break;
                    var wait = (next - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                    if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
                    try
                    {
                        if (etag is null) etag = (await http.GetAsync(path, ct)).Headers.ETag?.Tag;
                        var lon = at.X + (k % 2 == 0 ? 0.0001 : 0);
                        var feature = FormattableString.Invariant(
                            $$$"""{"type":"Feature","id":"{{{StationId}}}","geometry":{"type":"Point","coordinates":[{{{lon:0.0000000}}},{{{at.Y:0.0000000}}}]},"properties":{"kind":"party_service_centre","name":"基准测试站"}}""");
                        var put = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(feature, Encoding.UTF8, "application/geo+json") };
                        if (etag is not null) put.Headers.TryAddWithoutValidation("If-Match", etag);
                        using var written = await http.SendAsync(put, ct);
                        var ack = Stopwatch.GetTimestamp();
                        if (written.IsSuccessStatusCode)
                        {
                            writes++;
                            etag = written.Headers.ETag?.Tag;
                            lock (acks) acks.Add(ack);
                        }
                        else
                        {
                            writeErrors++;
                            etag = null;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        writeErrors++;
                        etag = null;
                    }
                }
            }, ct));
        await Task.WhenAll(tasks);
        var seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        var serverCpuMs = (server.CpuTime - serverCpu).TotalMilliseconds;
        var clientCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalMilliseconds;
        var all = latencies.SelectMany(l => l).ToList();
        var ms = all.Select(x => (double)x.Ms).Order().ToList();
        var after = new List<double>();
        if (acks.Count > 0)
        {
            acks.Sort();
            foreach (var (start, latency) in all)
            {
                // The latest write acknowledged before this lookup was sent: is it less than a second old?
                var j = acks.BinarySearch(start);
                if (j < 0) j = ~j - 1;
                if (j >= 0 && start - acks[j] <= Stopwatch.Frequency) after.Add(latency);
            }
            after.Sort();
        }
        return new Stretch(ms.Count, errors.Sum(), seconds, Percentile(ms, 0.50), Percentile(ms, 0.99), writes, writeErrors,
            after.Count == 0 ? double.NaN : Percentile(after, 0.99), after.Count)
        {
            ServerCpuMs = ms.Count == 0 ? double.NaN : serverCpuMs / ms.Count,
            ClientCpuMs = ms.Count == 0 ? double.NaN : clientCpuMs / ms.Count,
        };
    }

    static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    static string F(double v, int digits) => double.IsNaN(v) ? "–" : v.ToString("N" + digits, CultureInfo.InvariantCulture);

    public static string Markdown(Result r, Options o, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"- Command: `{command}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average (1/5/15 min, as `uptime` shows it) {r.LoadBefore} before, {r.LoadAfter} after.");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}. Clients, server processes{(o.Postgres is null ? "" : " and PostgreSQL")} share it; other work on the machine shows in the load average.");
        sb.AppendLine($"- Store: {r.Store}. Data: {r.Data}.");
        sb.AppendLine($"- Workload: {o.Clients} closed-loop clients on loopback (one keep-alive connection each, anonymous, `gridmap serve --open`), each sending its next `GET /api/lookup` " +
                      $"when the last is answered, at random points of the city (fixed seed); {F(o.Warmup, 0)} s warm-up, then {F(o.Seconds, 0)} s measured, then {F(o.Seconds, 0)} s more " +
                      "while one more client moves one station (`PUT`, ≈ 10 m back and forth) once a second: \"after a write\" is the p99 of the lookups sent within 1 s after a write was acknowledged. " +
                      $"{o.Runs} run(s), the builds alternating; medians over runs.");
        sb.AppendLine(r.PeerDll is null ? "- Peer: none given (`--peer`)." : $"- Peer, same run, own identical copy of the store: `{r.PeerDll}` (the previous build).");
        sb.AppendLine();
        sb.AppendLine("| build | run | lookups/s | p50 ms | p99 ms | errors | server CPU ms / lookup | client CPU ms / lookup | with writes: lookups/s | p99 ms after a write | writes (failed) | errors |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in r.Runs)
            sb.AppendLine($"| {run.Build} | {run.Index} | {F(run.Steady.PerSecond, 0)} | {F(run.Steady.P50Ms, 2)} | {F(run.Steady.P99Ms, 2)} | {run.Steady.Errors} | {F(run.Steady.ServerCpuMs, 3)} | {F(run.Steady.ClientCpuMs, 3)} | " +
                          $"{F(run.WithWrites.PerSecond, 0)} | {F(run.WithWrites.AfterWriteP99Ms, 2)} | {run.WithWrites.Writes} ({run.WithWrites.WriteErrors}) | {run.WithWrites.Errors} |");
        var medians = r.Runs.GroupBy(x => x.Build).Select(g => (Build: g.Key, Rate: Median(g.Select(x => x.Steady.PerSecond)), P50: Median(g.Select(x => x.Steady.P50Ms)),
            P99: Median(g.Select(x => x.Steady.P99Ms)), Cpu: Median(g.Select(x => x.Steady.ServerCpuMs)), ClientCpu: Median(g.Select(x => x.Steady.ClientCpuMs)), WriteRate: Median(g.Select(x => x.WithWrites.PerSecond)), After: Median(g.Select(x => x.WithWrites.AfterWriteP99Ms)))).ToList();
        foreach (var m in medians)
            sb.AppendLine($"| **{m.Build}, median** | | **{F(m.Rate, 0)}** | {F(m.P50, 2)} | **{F(m.P99, 2)}** | | {F(m.Cpu, 3)} | {F(m.ClientCpu, 3)} | {F(m.WriteRate, 0)} | **{F(m.After, 2)}** | | |");
        sb.AppendLine();
        if (medians.Count == 2)
            sb.AppendLine($"- Current vs peer: {F(medians[0].Rate / medians[1].Rate, 1)}× the lookups/s, server CPU {F(medians[0].Cpu, 3)} ms vs {F(medians[1].Cpu, 3)} ms a lookup, p99 {F(medians[0].P99, 2)} ms vs {F(medians[1].P99, 2)} ms; " +
                          $"in the second after a write p99 {F(medians[0].After, 2)} ms vs {F(medians[1].After, 2)} ms.");
        var target = medians.FirstOrDefault();
        if (target.Build is not null && !double.IsNaN(target.Cpu + target.ClientCpu))
        {
            // What the load of the machine cannot hide: the CPU a lookup costs, and what that allows on idle cores.
            var cpu = target.Cpu + target.ClientCpu;
            sb.AppendLine($"- CPU a lookup costs ({target.Build}, medians): {F(target.Cpu, 3)} ms in the server + {F(target.ClientCpu, 3)} ms in the clients = {F(cpu, 3)} ms; " +
                          $"{Environment.ProcessorCount} idle core(s) would answer at most {F(Environment.ProcessorCount / cpu * 1000, 0)} lookups/s. This run had about " +
                          $"{F(target.Rate * cpu / 1000, 2)} core(s) of them (lookups/s × CPU a lookup); the rest went to the machine's other work.");
        }
        if (o.Postgres is null && target.Build is not null)
            sb.AppendLine($"- Target (issue 12: at least 5,000 lookups/s, p99 ≤ 5 ms, the same p99 after a write): " +
                          (target.Rate >= 5000 && target.P99 <= 5 && target.After <= 5 ? "met." : $"not met ({F(target.Rate, 0)}/s, p99 {F(target.P99, 2)} ms, after a write {F(target.After, 2)} ms)."));
        return sb.ToString();
    }

    static async Task<string> DescribePostgresAsync(string cs, CancellationToken ct)
    {
        try
        {
            await using var conn = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString);
            await conn.OpenAsync(ct);
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT current_setting('server_version'), postgis_lib_version(), current_setting('fsync'), current_setting('synchronous_commit')", conn);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return $"PostGIS (PostgreSQL {reader.GetString(0)}, PostGIS {reader.GetString(1)}, fsync {reader.GetString(2)}, synchronous_commit {reader.GetString(3)}), each build on its own database seeded alike";
        }
        catch (Npgsql.NpgsqlException e) { return $"PostGIS (not described: {e.Message})"; }
    }

    static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>A `gridmap serve --open` child process of some build on a free loopback port.</summary>
    sealed class ServerProcess : IAsyncDisposable
    {
        readonly Process _process;
        readonly System.Collections.Concurrent.ConcurrentQueue<string> _tail = new();
        public Uri BaseAddress { get; }
        public string Secret { get; }

        ServerProcess(Process process, Uri baseAddress, string secret) => (_process, BaseAddress, Secret) = (process, baseAddress, secret);

        /// <summary>The CPU time the server process has used so far.</summary>
        public TimeSpan CpuTime
        {
            get
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
        }

        public HttpClient NewClient() =>
            new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        public static async Task<ServerProcess> StartAsync(string dll, string[] store, string secret, CancellationToken ct)
        {
            int port;
            using (var l = new TcpListener(IPAddress.Loopback, 0))
            {
                l.Start();
                port = ((IPEndPoint)l.LocalEndpoint).Port;
            }
            var start = new ProcessStartInfo("dotnet")
            {
                // Its own directory as the content root: its appsettings.json (request logging off) applies.
                WorkingDirectory = Path.GetDirectoryName(dll)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { dll, "serve" }.Concat(store).Concat(["--open", "--no-sample", "--urls", $"http://127.0.0.1:{port}"])) start.ArgumentList.Add(arg);
            var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), new Uri($"http://127.0.0.1:{port}"), secret);
            server._process.OutputDataReceived += (_, e) => server.Keep(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                using var http = server.NewClient();
                var deadline = DateTime.UtcNow + StartTimeout;
                while (DateTime.UtcNow < deadline)
                {
                    ct.ThrowIfCancellationRequested();
                    if (server._process.HasExited)
                        throw new InvalidOperationException($"gridmap serve exited with {server._process.ExitCode}: {string.Join(" | ", server._tail)}");
                    try
                    {
                        using var health = await http.GetAsync("/api/health", ct);
                        if (health.IsSuccessStatusCode) return server;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
                    await Task.Delay(200, ct);
                }
                throw new TimeoutException($"gridmap serve did not answer /api/health within {StartTimeout.TotalSeconds:0} s: {string.Join(" | ", server._tail)}");
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        void Keep(string? line)
        {
            if (line is null) return;
            _tail.Enqueue(line);
            while (_tail.Count > 20) _tail.TryDequeue(out _);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    await _process.WaitForExitAsync(wait.Token);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception) { }
            _process.Dispose();
        }
    }
}
