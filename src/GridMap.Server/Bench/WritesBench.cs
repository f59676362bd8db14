using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Cli;
using GridMap.Storage.PostGis;
using NetTopologySuite.Geometries;
using Npgsql;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench writes --postgres CONN [--clients 16] [--writes 200] [--servers 2] [--features 4] [--timeout 600] [--out docs/benchmarks.md|-]`:
/// issue 10's lost-update figure. --clients concurrent HTTP clients each make --writes read-modify-writes through
/// --servers real `gridmap serve` processes on one fresh PostGIS database: GET one of --features shared stations, append
/// the client's unique token to its <c>log</c>, PUT it back with <c>If-Match</c> = the ETag read, and on 412 read again
/// and retry. Then every feature is read back from the database: a lost update is a token whose PUT got a 2xx and which
/// is missing from its feature's final log. The peer, measured in the same run, is the same workload through one server
/// process. Exit code 1 when any update is lost or duplicated, a request fails otherwise, or the run times out.
/// </summary>
public static class WritesBench
{
    public const string Usage =
        "usage: gridmap bench writes --postgres CONN [--clients 16] [--writes 200] [--servers 2] [--features 4] [--timeout 600] [--out docs/benchmarks.md|-]" +
        "  (CONN: a PostgreSQL server with PostGIS where the bench may create, fill and drop its own databases; --timeout: seconds per configuration)";

    const string AccountName = "bench-writes";
    const string SeedBase = "writes";
    const int MaxAttemptsPerWrite = 1000;
    static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>What one configuration (N server processes) did, and what the database held afterwards.</summary>
    public sealed record Outcome(
        int Servers, int Clients, int WritesPerClient, int Features,
        long Acknowledged, long InFinalLogs, long Lost, long Duplicates, long PresentUnacknowledged,
        long Retries, int MostRetriesForOneWrite, long Failures, IReadOnlyList<string> FailureSamples,
        long Commits, IReadOnlyList<long> AcknowledgedPerServer,
        double Seconds, double RmwP50Ms, double RmwP95Ms, double AttemptP50Ms, bool TimedOut, IReadOnlyList<int> BlindPutStatus)
    {
        public long Expected => (long)Clients * WritesPerClient;

        public double WritesPerSecond => Seconds > 0 ? Acknowledged / Seconds : 0;

        /// <summary>Why this configuration fails the bench; empty when it passes.</summary>
        public IReadOnlyList<string> Problems()
        {
            var p = new List<string>();
            if (Lost > 0) p.Add($"{Lost} lost update(s)");
            if (Duplicates > 0) p.Add($"{Duplicates} duplicated token(s)");
            if (Failures > 0) p.Add($"{Failures} failed write(s): {string.Join("; ", FailureSamples)}");
            if (TimedOut) p.Add("timed out");
            if (BlindPutStatus.Any(s => s != 428)) p.Add($"a PUT without If-Match was answered {string.Join(", ", BlindPutStatus)}, not 428");
            if (Acknowledged + Failures != Expected && !TimedOut) p.Add($"{Acknowledged} acknowledged + {Failures} failed ≠ {Expected} writes");
            return p;
        }
    }

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("postgres", "clients", "writes", "servers", "features", "timeout", "out");
        var postgres = a.Get("postgres") ?? Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES");
        if (string.IsNullOrWhiteSpace(postgres)) throw new CliException("--postgres is required: a PostgreSQL server with PostGIS where the bench may create its own database\n" + Usage);
        var clients = a.Int("clients", 16);
        var writes = a.Int("writes", 200);
        var servers = a.Int("servers", 2);
        var features = a.Int("features", 4);
        var timeout = a.Int("timeout", 600);
        if (clients is < 1 or > 256) throw new CliException("--clients must be 1..256");
        if (writes is < 1 or > 100_000) throw new CliException("--writes must be 1..100000");
        if (servers is < 1 or > 16) throw new CliException("--servers must be 1..16");
        if (features is < 1 or > 10_000) throw new CliException("--features must be 1..10000");
        if (timeout is < 5 or > 86_400) throw new CliException("--timeout must be 5..86400 seconds");
        var progress = (string line) => Console.Error.WriteLine(line);

        // The configuration asked for, then the peer: the same workload through one process (when it is not that already).
        var configurations = servers == 1 ? new[] { 1 } : [servers, 1];
        var outcomes = new List<Outcome>();
        string? database = null;
        foreach (var n in configurations)
        {
            progress($"writes: {clients} clients × {writes} read-modify-writes on {features} feature(s) through {n} server process(es)…");
            var (outcome, info) = await MeasureAsync(postgres, n, clients, writes, features, TimeSpan.FromSeconds(timeout), progress);
            database ??= info;
            outcomes.Add(outcome);
            progress(Row(outcome));
        }

        var table = Markdown(outcomes, clients, writes, servers, features, database ?? "?");
        await stdout.WriteLineAsync(table);
        var output = a.Get("out");
        if (output is not null && output != "-")
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, "writes", "Lost updates: read-modify-writes through two server processes (issue 10)", table));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        var problems = outcomes.SelectMany(o => o.Problems().Select(p => $"{o.Servers} server(s): {p}")).ToList();
        foreach (var p in problems) Console.Error.WriteLine($"gridmap bench writes: FAILED — {p}");
        return problems.Count > 0 ? 1 : 0;
    }

    /// <summary>
    /// One configuration on a database of its own, made from <paramref name="postgres"/> and dropped afterwards.
    /// Returns the outcome and a line describing the PostgreSQL server.
    /// </summary>
    public static async Task<(Outcome Outcome, string Database)> MeasureAsync(string postgres, int servers, int clients, int writes, int features,
        TimeSpan timeout, Action<string> progress, CancellationToken ct = default)
    {
        var database = await CreateDatabaseAsync(postgres, ct);
        var processes = new List<ServerProcess>();
        try
        {
            var describe = await DescribeServerAsync(database, ct);
            var ids = Enumerable.Range(0, features).Select(f => $"bench-w{f}").ToList();
            string secret;
            await using (var store = await PostGisStore.OpenAsync(database, ct))
            {
                var account = AccountRules.New(AccountName, Roles.Admin, null, [], false);
                account = account with { PasswordHash = Credentials.HashPassword(account, Credentials.GeneratePassword()), PasswordGenerated = true };
                await store.PutAccountAsync(account, 0, ct);
                (secret, var token) = Credentials.NewToken(AccountName);
                await store.AddTokenAsync(token, ct);
                for (var s = 0; s < servers; s++)
                    await store.CreateAsync(Layer.Stations, new FeatureDraft($"bench-warm{s}", GeometryRules.Factory.CreatePoint(new Coordinate(106.81, 27.51 + 0.001 * s)),
                        new JsonObject { ["kind"] = "party_service_centre", ["name"] = $"预热站 {s}", ["log"] = new JsonArray() }), ct: ct);
                for (var f = 0; f < features; f++)
                {
                    var point = GeometryRules.Factory.CreatePoint(new Coordinate(106.82 + 0.001 * (f % 100), 27.52 + 0.001 * (f / 100)));
                    var props = new JsonObject { ["kind"] = "party_service_centre", ["name"] = $"写入测试站 {f}", ["log"] = new JsonArray() };
                    await store.CreateAsync(Layer.Stations, new FeatureDraft(ids[f], point, props), ct: ct);
                }
            }

            using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
            budget.CancelAfter(timeout + StartTimeout * servers);
            for (var s = 0; s < servers; s++) processes.Add(await ServerProcess.StartAsync(database, budget.Token));
            progress($"  {servers} server process(es) up: {string.Join(", ", processes.Select(p => p.BaseAddress))}");
            var blind = new List<int>();
            for (var s = 0; s < servers; s++) blind.Add(await WarmUpAsync(processes[s].BaseAddress, secret, $"bench-warm{s}", budget.Token));

            var acknowledged = new ConcurrentBag<(string Feature, string Token, int Server)>();
            var rmw = new ConcurrentBag<double>();
            var attempts = new ConcurrentBag<double>();
            var failures = new ConcurrentQueue<string>();
            long retries = 0;
            var mostRetries = 0;
            var timedOut = false;

            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
            run.CancelAfter(timeout);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var server = c % servers;
                using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = processes[server].BaseAddress, Timeout = RequestTimeout };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                var random = new Random(HashCode(SeedBase) + c);
                for (var i = 0; i < writes && !run.IsCancellationRequested; i++)
                {
                    var token = $"c{c}-{i}";
                    var id = ids[random.Next(ids.Count)];
                    var path = $"/api/layers/stations/features/{id}";
                    var write = Stopwatch.StartNew();
                    var refused = 0;
                    try
                    {
                        while (true)
                        {
                            if (refused >= MaxAttemptsPerWrite)
                            {
                                failures.Enqueue($"{token}: gave up after {refused} × 412");
                                break;
                            }
                            var attempt = Stopwatch.StartNew();
                            using var read = await http.GetAsync(path, run.Token);
                            var body = await read.Content.ReadAsStringAsync(run.Token);
                            if (read.StatusCode != HttpStatusCode.OK || read.Headers.ETag is not { } etag)
                            {
                                failures.Enqueue($"{token}: GET {(int)read.StatusCode} {Short(body)}");
                                break;
                            }
                            var feature = JsonNode.Parse(body)!.AsObject();
                            var props = feature["properties"]!.AsObject();
                            (props["log"] as JsonArray ?? (JsonArray)(props["log"] = new JsonArray())).Add(token);
                            feature.Remove("version");
                            using var put = new HttpRequestMessage(HttpMethod.Put, path)
                            {
                                Content = new StringContent(feature.ToJsonString(), Encoding.UTF8, "application/geo+json"),
                            };
                            put.Headers.IfMatch.Add(etag);
                            using var response = await http.SendAsync(put, run.Token);
                            if (response.IsSuccessStatusCode)
                            {
                                acknowledged.Add((id, token, server));
                                attempts.Add(attempt.Elapsed.TotalMilliseconds);
                                rmw.Add(write.Elapsed.TotalMilliseconds);
                                break;
                            }
                            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
                            {
                                refused++;
                                Interlocked.Increment(ref retries);
                                continue;
                            }
                            failures.Enqueue($"{token}: PUT {(int)response.StatusCode} {Short(await response.Content.ReadAsStringAsync(run.Token))}");
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (run.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
                    {
                        // A request that timed out or broke: its write may or may not have landed (counted below as present
                        // but unacknowledged if it did); the client goes on with its next write.
                        failures.Enqueue($"{token}: {e.GetType().Name}: {Short(e.Message)}");
                    }
                    finally
                    {
                        InterlockedMax(ref mostRetries, refused);
                    }
                }
            }, CancellationToken.None)));
            var seconds = clock.Elapsed.TotalSeconds;
            timedOut = run.IsCancellationRequested && !ct.IsCancellationRequested;
            ct.ThrowIfCancellationRequested();

            // Stop the servers before reading back, so the final state is what they left.
            foreach (var p in processes) await p.DisposeAsync();
            processes.Clear();

            // The final state, straight from the database.
            var present = new Dictionary<(string Feature, string Token), int>();
            long commits = 0;
            await using (var store = await PostGisStore.OpenAsync(database, ct))
            {
                foreach (var id in ids)
                {
                    var stored = await store.GetAsync(Layer.Stations, id, ct) ?? throw new InvalidOperationException($"station {id} is gone");
                    commits += stored.Version - 1;
                    foreach (var entry in stored.Properties["log"] as JsonArray ?? [])
                    {
                        var key = (id, entry?.GetValue<string>() ?? "");
                        present[key] = present.GetValueOrDefault(key) + 1;
                    }
                }
            }
            var acked = acknowledged.ToList();
            var ackedKeys = acked.Select(x => (x.Feature, x.Token)).ToHashSet();
            var failureList = failures.ToList();
            var outcome = new Outcome(
                servers, clients, writes, features,
                Acknowledged: acked.Count,
                InFinalLogs: present.Values.Sum(),
                Lost: acked.Count(x => !present.ContainsKey((x.Feature, x.Token))),
                Duplicates: present.Values.Sum(n => n - 1L),
                PresentUnacknowledged: present.Keys.Count(k => !ackedKeys.Contains(k)),
                Retries: retries,
                MostRetriesForOneWrite: mostRetries,
                Failures: failureList.Count,
                FailureSamples: failureList.Take(3).ToList(),
                Commits: commits,
                AcknowledgedPerServer: Enumerable.Range(0, servers).Select(s => (long)acked.Count(x => x.Server == s)).ToList(),
                Seconds: seconds,
                RmwP50Ms: Percentile(rmw, 0.50),
                RmwP95Ms: Percentile(rmw, 0.95),
                AttemptP50Ms: Percentile(attempts, 0.50),
                TimedOut: timedOut,
                BlindPutStatus: blind);
            return (outcome, describe);
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
            await DropDatabaseAsync(database);
        }
    }

    /// <summary>
    /// Before the clock: a few read-modify-writes through one server on a feature of its own (first requests pay for JIT
    /// and connection set-up), and one PUT without If-Match, whose status is returned (the contract says 428).
    /// </summary>
    static async Task<int> WarmUpAsync(Uri server, string secret, string id, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server, Timeout = RequestTimeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var path = $"/api/layers/stations/features/{id}";
        var body = "";
        for (var i = 0; i < 5; i++)
        {
            using var read = await http.GetAsync(path, ct);
            body = await read.Content.ReadAsStringAsync(ct);
            if (read.StatusCode != HttpStatusCode.OK || read.Headers.ETag is not { } etag)
                throw new InvalidOperationException($"warm-up GET through {server} answered {(int)read.StatusCode}: {Short(body)}");
            var feature = JsonNode.Parse(body)!.AsObject();
            feature.Remove("version");
            using var put = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(feature.ToJsonString(), Encoding.UTF8, "application/geo+json") };
            put.Headers.IfMatch.Add(etag);
            using var written = await http.SendAsync(put, ct);
            if (!written.IsSuccessStatusCode)
                throw new InvalidOperationException($"warm-up PUT through {server} answered {(int)written.StatusCode}: {Short(await written.Content.ReadAsStringAsync(ct))}");
        }
        var blindFeature = JsonNode.Parse(body)!.AsObject();
        blindFeature.Remove("version");
        using var blind = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(blindFeature.ToJsonString(), Encoding.UTF8, "application/geo+json") };
        using var answer = await http.SendAsync(blind, ct);
        return (int)answer.StatusCode;
    }

    static int HashCode(string s) => s.Aggregate(17, (h, ch) => unchecked(h * 31 + ch));

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    static string Short(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length > 160 ? s[..160] + "…" : s;
    }

    /// <summary>Nearest-rank percentile; 0 when there is nothing to rank.</summary>
    static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return 0;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    static string F(double v, int digits) => v.ToString("N" + digits, CultureInfo.InvariantCulture);

    static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    public const string TableHeader =
        "| server processes | clients × writes | acknowledged (2xx) | in the final logs | **lost** | duplicated | present, not acknowledged | 412 retries (most for one write) | other failures | elapsed s | writes/s | RMW p50 ms | RMW p95 ms | one attempt p50 ms |\n" +
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public static string Row(Outcome o) =>
        $"| {o.Servers} | {o.Clients} × {o.WritesPerClient} | {N(o.Acknowledged)} | {N(o.InFinalLogs)} | **{N(o.Lost)}** | {N(o.Duplicates)} | {N(o.PresentUnacknowledged)} | " +
        $"{N(o.Retries)} ({o.MostRetriesForOneWrite}) | {N(o.Failures)}{(o.TimedOut ? " (timed out)" : "")} | {F(o.Seconds, 1)} | {F(o.WritesPerSecond, 0)} | " +
        $"{F(o.RmwP50Ms, 1)} | {F(o.RmwP95Ms, 1)} | {F(o.AttemptP50Ms, 1)} |";

    static string Markdown(IReadOnlyList<Outcome> outcomes, int clients, int writes, int servers, int features, string database)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"- Command: `gridmap bench writes --postgres CONN --clients {clients} --writes {writes} --servers {servers} --features {features}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {BenchMachine.LoadAverage()}.");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}. Clients, server processes and PostgreSQL share it.");
        if (double.TryParse(BenchMachine.LoadAverage().Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load) && load > Environment.ProcessorCount)
            sb.AppendLine($"- The machine was busy (1-minute load {F(load, 1)} on {Environment.ProcessorCount} cores): elapsed time, writes/s and latencies are those of a CPU-starved machine and vary from run to run; " +
                          "the counts (acknowledged, lost, duplicated) do not depend on it.");
        sb.AppendLine($"- Database: {database}; a fresh database per configuration, made by the bench and dropped afterwards.");
        sb.AppendLine($"- Workload: {clients} concurrent HTTP clients (one connection each, bearer token of an admin account), client *i* talking to server process *i* mod N " +
                      $"(`gridmap serve --postgres … --urls http://127.0.0.1:PORT`, the same build). Each makes {writes} read-modify-writes of one of {features} shared stations, " +
                      "chosen by a fixed-seed random sequence per client: GET the feature, append the client's unique token (`c3-17`) to `properties.log`, PUT it back with " +
                      "`If-Match` = the ETag read; on 412 read again and retry. Then every station is read back from the database.");
        sb.AppendLine("- *lost*: tokens whose PUT got a 2xx but that are missing from their station's final log (issue 10's definition; must be 0). *duplicated*: log entries beyond a token's first. " +
                      "*present, not acknowledged*: tokens in the logs whose PUT never got a 2xx (a request that timed out after committing). *RMW*: one write from its first GET to its 2xx, 412 retries included; " +
                      "*one attempt*: the successful GET + PUT alone. *writes/s*: acknowledged ÷ elapsed (all clients, set-up and read-back excluded).");
        sb.AppendLine("- Before the clock, each process serves 5 read-modify-writes on a station of its own (JIT and connections warm up) and one PUT without `If-Match`, " +
                      $"answered {string.Join(", ", outcomes.SelectMany(o => o.BlindPutStatus).Distinct())} — a client can no longer skip the version, so the peer without `If-Match` " +
                      "(issue 10: 2,252 of 3,200 lost) cannot be run any more. Peer, same run: the same workload through one server process.");
        sb.AppendLine();
        sb.AppendLine(TableHeader);
        foreach (var o in outcomes) sb.AppendLine(Row(o));
        sb.AppendLine();
        foreach (var o in outcomes)
        {
            sb.AppendLine($"- {o.Servers} process(es): acknowledged per process {string.Join(" / ", o.AcknowledgedPerServer.Select(N))}; " +
                          $"the stations' versions rose by {N(o.Commits)} in all (= writes committed; acknowledged + present-not-acknowledged = {N(o.Acknowledged + o.PresentUnacknowledged)}).");
            foreach (var p in o.Problems()) sb.AppendLine($"  - **Failed** — {p}");
        }
        return sb.ToString();
    }

    /// <summary>Creates <c>gridmap_bench_writes_{random}</c> with PostGIS on the server <paramref name="postgres"/> names; returns its connection string.</summary>
    static Task<string> CreateDatabaseAsync(string postgres, CancellationToken ct) =>
        GridMap.Storage.PostGis.ScratchDatabase.CreateAsync(postgres, $"gridmap_bench_writes_{Guid.NewGuid():N}", ct);

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>; best effort.</summary>
    static async Task DropDatabaseAsync(string connectionString)
    {
        var (dropped, error) = await GridMap.Storage.PostGis.ScratchDatabase.DropAsync(connectionString);
        if (!dropped) Console.Error.WriteLine($"gridmap bench writes: could not drop the bench database: {error}");
    }

    static async Task<string> DescribeServerAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT current_setting('server_version'), postgis_lib_version(), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('default_transaction_isolation')", conn);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            return $"PostgreSQL {r.GetString(0)}, PostGIS {r.GetString(1)} (fsync {r.GetString(2)}, synchronous_commit {r.GetString(3)}, default isolation {r.GetString(4)})";
        }
        catch (NpgsqlException e)
        {
            return $"PostgreSQL (not described: {e.Message})";
        }
    }

    /// <summary>A `gridmap serve` child process (this very build) on a free loopback port.</summary>
    sealed class ServerProcess : IAsyncDisposable
    {
        readonly Process _process;
        readonly ConcurrentQueue<string> _tail = new();

        public Uri BaseAddress { get; }

        ServerProcess(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public static async Task<ServerProcess> StartAsync(string database, CancellationToken ct)
        {
            var port = FreePort();
            var dll = Path.Combine(AppContext.BaseDirectory, "gridmap.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"gridmap.dll is not next to this build ({AppContext.BaseDirectory})", dll);
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "serve", "--postgres", database, "--urls", $"http://127.0.0.1:{port}" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), new Uri($"http://127.0.0.1:{port}"));
            server._process.OutputDataReceived += (_, e) => server.Keep(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
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

        static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
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
