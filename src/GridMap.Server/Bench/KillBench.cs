using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Cli;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;
using GridMap.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench kill [--kinds import,edit,accept,seed] [--trials 10] [--seed 1] [--postgres CONN] [--out docs/benchmarks.md|-]`:
/// issue 12's durability figure. Each trial copies a store holding the sample city, starts a real `gridmap serve` on it as
/// a child process, sends one write and kills the process with SIGKILL at a random moment (fixed seed) inside the write's
/// measured duration; then the store is opened again as `gridmap serve` opens it and must pass its integrity check
/// (<c>PRAGMA integrity_check</c> on SQLite; on PostGIS: it opens and every layer and the history read back), hold
/// exactly the content before or exactly the content after the write (a SHA-256 over every feature — id, version,
/// geometry, properties — the layer versions and the change sets), and keep every write the client saw acknowledged.
/// Kinds: <c>import</c> (a 3,114-building upsert), <c>edit</c> (a grid split through /api/grids/assign), <c>accept</c>
/// (a partition proposal accepted), <c>seed</c> (a new embedded store's first run; SQLite only: PostGIS stores are
/// never seeded): after a killed seed the restart must seed the whole sample city. Exit code 1 when any trial fails.
/// </summary>
public static class KillBench
{
    public const string Usage =
        "usage: gridmap bench kill [--kinds import,edit,accept,seed] [--trials 10] [--seed 1] [--postgres CONN] [--out docs/benchmarks.md|-]" +
        "  (CONN: a PostgreSQL server with PostGIS where the bench may create and drop its own databases; without it SQLite only;" +
        " the durability summary also goes to security.md beside --out)";

    public static readonly string[] AllKinds = ["import", "edit", "accept", "seed"];

    const string AccountName = "bench-kill";
    const string Community = "520304001001";
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>One kill: when it came, what the client had seen, what the store held after the restart.</summary>
    public sealed record Trial(int Number, double KillAfterMs, bool Acknowledged, string State, bool Intact, string? Problem);

    public sealed record KindOutcome(string Store, string Kind, double WindowMs, IReadOnlyList<Trial> Trials)
    {
        public int AllOrNothing => Trials.Count(t => t.Problem is null);
        public int Before => Trials.Count(t => t.State == "before");
        public int After => Trials.Count(t => t.State == "after");
        public int Acknowledged => Trials.Count(t => t.Acknowledged);
        public int AcknowledgedKept => Trials.Count(t => t.Acknowledged && t.State == "after");
        public int Intact => Trials.Count(t => t.Intact);
        public IReadOnlyList<string> Problems => Trials.Where(t => t.Problem is not null).Select(t => $"trial {t.Number}: {t.Problem}").ToList();
    }

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("kinds", "trials", "seed", "postgres", "out");
        var kinds = (a.Get("kinds") ?? string.Join(",", AllKinds)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var k in kinds)
            if (!AllKinds.Contains(k)) throw new CliException($"unknown kind '{k}' (known: {string.Join(", ", AllKinds)})\n{Usage}");
        var trials = a.Int("trials", 10);
        if (trials is < 1 or > 1000) throw new CliException("--trials must be 1..1000");
        var seed = a.Int("seed", 1);
        var postgres = a.Get("postgres") ?? Environment.GetEnvironmentVariable("GRIDMAP_POSTGRES");
        var started = Stopwatch.StartNew();
        var outcomes = await MeasureAsync(kinds, trials, seed, string.IsNullOrWhiteSpace(postgres) ? null : postgres, line => Console.Error.WriteLine(line));
        var table = Markdown(outcomes);
        await stdout.WriteLineAsync(table);
        var command = $"gridmap bench kill --kinds {string.Join(',', kinds)} --trials {trials} --seed {seed}{(postgres is null ? "" : " --postgres CONN")}";
        if (a.Get("out") is { } output && output != "-")
        {
            var section = Section(command, outcomes, started.Elapsed);
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, "kill", "kill -9 durability (`gridmap bench kill`)", section));
            var security = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "security.md");
            var sec = File.Exists(security) ? await File.ReadAllTextAsync(security) : "# Security\n";
            await File.WriteAllTextAsync(security, BenchDocument.WithSection(sec, "kill", "Durability under kill -9 (measured)", section));
            await stdout.WriteLineAsync($"wrote {output} and {security}");
        }
        var problems = outcomes.SelectMany(o => o.Problems.Select(p => $"{o.Store} {o.Kind} {p}")).ToList();
        foreach (var p in problems) await stdout.WriteLineAsync("FAIL " + p);
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>Runs every kind on SQLite and, with a server given, on PostGIS (no seed there).</summary>
    public static async Task<IReadOnlyList<KindOutcome>> MeasureAsync(IReadOnlyList<string> kinds, int trials, int seed, string? postgres,
        Action<string> progress, CancellationToken ct = default)
    {
        var outcomes = new List<KindOutcome>();
        var stores = new List<TrialStore> { new SqliteTrials() };
        if (postgres is not null) stores.Add(new PostGisTrials(postgres));
        foreach (var store in stores)
        {
            await using var _ = store;
            var rng = new Random(seed);
            string? baseLocation = null;
            foreach (var kind in kinds)
            {
                if (kind == "seed")
                {
                    if (store is SqliteTrials) outcomes.Add(await SeedTrialsAsync(store, trials, rng, progress, ct));
                    else progress($"{store.Name}: seed skipped (gridmap serve seeds only a new embedded store)");
                    continue;
                }
                baseLocation ??= await store.CreateBaseAsync(progress, ct);
                outcomes.Add(await WriteTrialsAsync(store, baseLocation, kind, trials, rng, progress, ct));
            }
        }
        return outcomes;
    }

    /// <summary>A prepared write: sent once to measure it and once per trial, each time against a fresh copy of the same store.</summary>
    sealed record Write(Func<HttpClient, Task<HttpRequestMessage>> Request, string? JobId);

    static async Task<KindOutcome> WriteTrialsAsync(TrialStore store, string baseLocation, string kind, int trials, Random rng, Action<string> progress, CancellationToken ct)
    {
        // The accept kind starts from a store holding a finished job; the others from the sample city itself.
        var (kindBase, write) = await PrepareAsync(store, baseLocation, kind, progress, ct);
        var before = await store.InspectAsync(kindBase, ct);

        // The write uninterrupted: its duration is the window the kills fall in, its result the "after" content.
        var calibration = await store.CloneAsync(kindBase, ct);
        double windowMs;
        string after;
        await using (var server = await Child.ServeAsync(store.ServeArgs(calibration), ct))
        {
            using var http = server.Client(store.Token);
            using var request = await write.Request(http);
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, ct);
            windowMs = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{store.Name} {kind}: the write answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
        after = (await store.InspectAsync(calibration, ct)).Hash;
        await store.DropAsync(calibration);
        if (after == before.Hash) throw new InvalidOperationException($"{store.Name} {kind}: the write changed nothing");
        progress($"{store.Name} {kind}: the write takes {windowMs:0} ms uninterrupted");

        var results = new List<Trial>();
        for (var t = 1; t <= trials; t++)
        {
            var location = await store.CloneAsync(kindBase, ct);
            var killAfter = rng.NextDouble() * windowMs;
            bool acknowledged;
            await using (var server = await Child.ServeAsync(store.ServeArgs(location), ct))
            {
                using var http = server.Client(store.Token);
                using var request = await write.Request(http);
                var send = http.SendAsync(request, ct);
                await Task.WhenAny(send, Task.Delay(TimeSpan.FromMilliseconds(killAfter), ct));
                acknowledged = send.IsCompletedSuccessfully && send.Result.IsSuccessStatusCode;
                await server.KillAsync();
                try { (await send).Dispose(); } catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { }
            }
            var seen = await store.InspectAsync(location, ct);
            var state = seen.Hash == before.Hash ? "before" : seen.Hash == after ? "after" : "neither";
            string? problem = null;
            if (seen.Integrity is not null) problem = $"integrity: {seen.Integrity}";
            else if (state == "neither") problem = "the store holds neither the content before nor the content after the write";
            else if (acknowledged && state != "after") problem = "an acknowledged write was lost";
            else if (write.JobId is { } job && (await store.JobStatusAsync(location, job, ct)) is var status && status != (state == "after" ? "accepted" : "done"))
                problem = $"the job is {status} while the grids are as {state} the accept";
            results.Add(new Trial(t, killAfter, acknowledged, state, seen.Integrity is null, problem));
            progress($"{store.Name} {kind} trial {t}: killed after {killAfter:0} ms, {(acknowledged ? "acknowledged, " : "")}store as {state}{(problem is null ? "" : " — " + problem)}");
            await store.DropAsync(location);
        }
        if (kindBase != baseLocation) await store.DropAsync(kindBase);
        return new KindOutcome(store.Name, kind, windowMs, results);
    }

    static async Task<(string Location, Write Write)> PrepareAsync(TrialStore store, string baseLocation, string kind, Action<string> progress, CancellationToken ct)
    {
        switch (kind)
        {
            case "import":
            {
                // Every building of the sample city again, each with a changed address: one upsert, one transaction.
                var dir = RepoPaths.SampleCity() ?? throw new InvalidOperationException("geodata/sample is not at hand");
                var collection = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "buildings.geojson"), ct))!.AsObject();
                foreach (var f in collection["features"]!.AsArray())
                    f!["properties"]!["address"] = (f["properties"]!["address"]?.GetValue<string>() ?? "") + "（复核）";
                var body = collection.ToJsonString();
                return (baseLocation, new Write(async http =>
                {
                    using var read = await http.GetAsync("/api/layers/buildings", ct);
                    var request = new HttpRequestMessage(HttpMethod.Post, "/api/layers/buildings/import?mode=upsert")
                    {
                        Content = new StringContent(body, Encoding.UTF8, "application/geo+json"),
                    };
                    request.Headers.IfMatch.Add(read.Headers.ETag ?? throw new InvalidOperationException("GET /api/layers/buildings gave no ETag"));
                    return request;
                }, null));
            }
            case "edit":
            {
                // Split half the buildings of the community's first grid into a new grid: polygons, counts and codes
                // of two grids and their buildings change in one transaction.
                var (grid, version, buildings) = await store.SplitCandidateAsync(baseLocation, ct);
                var assignments = buildings.Take(buildings.Count / 2).Select(b => new JsonObject { ["building"] = b, ["grid"] = null }).ToArray<JsonNode?>();
                var body = new JsonObject { ["assignments"] = new JsonArray(assignments), ["versions"] = new JsonObject { [grid] = version } }.ToJsonString();
                return (baseLocation, new Write(http => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, "/api/grids/assign")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                }), null));
            }
            case "accept":
            {
                // A finished job re-partitioning one community from scratch, in a store of its own; each trial accepts it.
                var location = await store.CloneAsync(baseLocation, ct);
                string id;
                await using (var server = await Child.ServeAsync(store.ServeArgs(location), ct))
                {
                    using var http = server.Client(store.Token);
                    using var started = await http.PostAsync("/api/partition/jobs",
                        new StringContent($$"""{"scope":"{{Community}}","fresh":true}""", Encoding.UTF8, "application/json"), ct);
                    var text = await started.Content.ReadAsStringAsync(ct);
                    if (!started.IsSuccessStatusCode) throw new InvalidOperationException($"{store.Name}: starting a partition job answered {(int)started.StatusCode}: {text}");
                    id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
                    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
                    while (true)
                    {
                        var job = JsonNode.Parse(await http.GetStringAsync($"/api/partition/jobs/{id}", ct))!;
                        var status = job["status"]!.GetValue<string>();
                        if (status == "done") break;
                        if (status is "failed" or "cancelled" || DateTime.UtcNow > deadline)
                            throw new InvalidOperationException($"{store.Name}: the partition job ended {status}: {job.ToJsonString()}");
                        await Task.Delay(200, ct);
                    }
                    progress($"{store.Name} accept: job {id} done");
                }
                return (location, new Write(http => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, $"/api/partition/jobs/{id}/accept")), id));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>A new embedded store's first run killed while it seeds; the next start must hold the whole sample city.</summary>
    static async Task<KindOutcome> SeedTrialsAsync(TrialStore store, int trials, Random rng, Action<string> progress, CancellationToken ct)
    {
        var sqlite = (SqliteTrials)store;
        // Uninterrupted: from the seeding marker's appearance to the server answering is the window.
        var calibration = sqlite.NewDirectory();
        double windowMs;
        await using (var server = Child.Serve(["--data", calibration]))
        {
            var marker = await server.WaitForFileAsync(Path.Combine(calibration, StoreFactory.SeedingMarker), ct);
            await server.WaitHealthyAsync(ct);
            windowMs = marker.Elapsed.TotalMilliseconds;
        }
        var after = (await store.InspectAsync(calibration, ct)).Hash;
        await store.DropAsync(calibration);
        progress($"{store.Name} seed: seeding takes {windowMs:0} ms uninterrupted");

        var results = new List<Trial>();
        for (var t = 1; t <= trials; t++)
        {
            var dir = sqlite.NewDirectory();
            var killAfter = rng.NextDouble() * windowMs;
            await using (var server = Child.Serve(["--data", dir]))
            {
                await server.WaitForFileAsync(Path.Combine(dir, StoreFactory.SeedingMarker), ct);
                await Task.Delay(TimeSpan.FromMilliseconds(killAfter), ct);
                await server.KillAsync();
            }
            var seeded = File.Exists(Path.Combine(dir, StoreFactory.SeedingMarker)) ? "interrupted" : "finished";
            // The restart, as `gridmap serve` starts: it seeds when the first run did not finish.
            var seen = await store.InspectAsync(dir, ct, seedSample: true);
            string? problem = seen.Integrity is not null ? $"integrity: {seen.Integrity}"
                : seen.Hash != after ? "the restarted store does not hold the sample city" : null;
            results.Add(new Trial(t, killAfter, false, seen.Hash == after ? "after" : "neither", seen.Integrity is null, problem));
            progress($"{store.Name} seed trial {t}: killed after {killAfter:0} ms (seed {seeded}), restart {(problem ?? "holds the sample city")}");
            await store.DropAsync(dir);
        }
        return new KindOutcome(store.Name, "seed", windowMs, results);
    }

    public static string Markdown(IReadOnlyList<KindOutcome> outcomes)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| store | kind | trials | all or nothing | left as before | left as after | acknowledged (kept) | integrity ok | kill window |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var o in outcomes)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {o.Store} | {o.Kind} | {o.Trials.Count} | **{o.AllOrNothing} of {o.Trials.Count}** | {o.Before} | {o.After} | {o.Acknowledged} ({o.AcknowledgedKept}) | {o.Intact} | 0–{o.WindowMs:0} ms |");
        return sb.ToString();
    }

    static string Section(string command, IReadOnlyList<KindOutcome> outcomes, TimeSpan elapsed) => $"""
        Command: `{command}` ({elapsed.TotalMinutes:0.0} min). Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}.
        Each trial copies a store holding the sample city (3,114 buildings), starts `gridmap serve` on it as a child process,
        sends one write and kills the process with SIGKILL after a delay drawn uniformly (fixed seed) from the write's
        uninterrupted duration (the kill window); the store is then opened as `gridmap serve` opens it. *import*: an upsert of
        every building (one transaction); *edit*: a grid split through `/api/grids/assign`; *accept*: a fresh partition of
        community {Community} accepted (the job's status must agree with the grids); *seed*: a new embedded store's first run,
        killed while it seeds — the restart must seed the whole sample city (PostGIS stores are never seeded).
        *All or nothing*: integrity check passed (`PRAGMA integrity_check` = ok on SQLite; on PostGIS the store opens and
        every layer and change set reads) and the content hash (every feature's id, version, geometry and properties, the
        layer versions and the change sets) equals the hash before the write or after it, with every write the client saw
        acknowledged kept.

        {Markdown(outcomes)}
        """;

    /// <summary>The content hash of a store and its integrity problem (null: intact).</summary>
    sealed record Inspection(string Hash, string? Integrity);

    /// <summary>SHA-256 over every feature of every layer, the layer versions and the change sets.</summary>
    static async Task<string> HashAsync(IFeatureStore store, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => sha.AppendData(Encoding.UTF8.GetBytes(s));
        foreach (var layer in Layers.All)
        {
            for (var offset = 0; ; offset += 10_000)
            {
                var page = await store.ListAsync(layer, new FeatureQuery(null, 10_000, offset), ct);
                foreach (var f in page.Features)
                    Add($"{layer.Key()}/{f.Id}@{f.Version} {Convert.ToHexString(f.Geometry.AsBinary())} {f.Properties.ToJsonString()}\n");
                if (page.Features.Count < 10_000) break;
            }
        }
        foreach (var (layer, version) in (await store.LayerVersionsAsync(ct)).OrderBy(kv => kv.Key))
            Add($"layer {layer.Key()} {version}\n");
        var changes = await store.ListChangesAsync(100_000, 0, ct);
        Add($"changes {changes.NumberMatched}\n");
        foreach (var c in changes.Changes)
            Add($"change {c.Id} {c.Kind} {string.Join(',', c.Counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key.Key()}={kv.Value}"))}\n");
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>Where the trials' stores live, and how to copy, open, check and drop them.</summary>
    abstract class TrialStore : IAsyncDisposable
    {
        public abstract string Name { get; }

        /// <summary>The bench account's bearer token (in every copy of the base store).</summary>
        public string Token { get; protected set; } = "";

        public abstract Task<string> CreateBaseAsync(Action<string> progress, CancellationToken ct);

        public abstract Task<string> CloneAsync(string location, CancellationToken ct);

        public abstract string[] ServeArgs(string location);

        protected abstract GridMapOptions Options(string location);

        protected abstract Task<string?> IntegrityAsync(string location, CancellationToken ct);

        public abstract Task DropAsync(string location);

        public abstract ValueTask DisposeAsync();

        protected async Task AddAccountAsync(IFeatureStore store)
        {
            await store.PutAccountAsync(new Account(AccountName, Roles.Admin, null, [], false, null, false, DateTimeOffset.UtcNow), 0);
            var (secret, token) = Credentials.NewToken(AccountName);
            await store.AddTokenAsync(token);
            Token = secret;
        }

        /// <summary>Opens the store as `gridmap serve` would (seeding when asked), checks it and hashes it.</summary>
        public async Task<Inspection> InspectAsync(string location, CancellationToken ct, bool seedSample = false)
        {
            string? integrity;
            string hash;
            try
            {
                await using (var store = await StoreFactory.OpenAsync(Options(location) with { SeedSample = seedSample }, TextWriter.Null, ct))
                    hash = await HashAsync(store, ct);
                integrity = await IntegrityAsync(location, ct);
            }
            catch (Exception e) when (e is SqliteException or NpgsqlException or InvalidOperationException or IOException)
            {
                return new Inspection("", $"the store does not open or read: {e.Message}");
            }
            finally
            {
                ClearPools();
            }
            return new Inspection(hash, integrity);
        }

        public async Task<string> JobStatusAsync(string location, string id, CancellationToken ct)
        {
            try
            {
                await using var store = await StoreFactory.OpenAsync(Options(location) with { SeedSample = false }, TextWriter.Null, ct);
                return (await store.GetJobAsync(id, ct))?.Status ?? "missing";
            }
            finally
            {
                ClearPools();
            }
        }

        /// <summary>The first grid of <see cref="Community"/> (by code) with at least four whole buildings: its code, version and buildings.</summary>
        public async Task<(string Grid, long Version, IReadOnlyList<string> Buildings)> SplitCandidateAsync(string location, CancellationToken ct)
        {
            try
            {
                await using var store = await StoreFactory.OpenAsync(Options(location) with { SeedSample = false }, TextWriter.Null, ct);
                var buildings = (await store.ListAsync(Layer.Buildings, new FeatureQuery(null, 100_000), ct)).Features
                    .Where(b => b.Properties["grid_codes"] is null && b.Properties["synthetic"]?.GetValue<bool>() != true && b.Properties["grid_code"] is not null)
                    .GroupBy(b => b.Properties["grid_code"]!.GetValue<string>())
                    .ToDictionary(g => g.Key, g => g.Select(b => b.Id).Order(StringComparer.Ordinal).ToList());
                var grids = (await store.ListAsync(Layer.Grids, new FeatureQuery(null, 100_000), ct)).Features;
                var grid = grids.Where(g => g.Id.StartsWith(Community, StringComparison.Ordinal) && g.Properties["status"]?.GetValue<string>() != "retired"
                        && g.Properties["type"]?.GetValue<string>() != "dedicated" && buildings.TryGetValue(g.Id, out var bs) && bs.Count >= 4)
                    .OrderBy(g => g.Id, StringComparer.Ordinal).First();
                return (grid.Id, grid.Version, buildings[grid.Id]);
            }
            finally
            {
                ClearPools();
            }
        }

        protected static void ClearPools()
        {
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
        }
    }

    sealed class SqliteTrials : TrialStore
    {
        readonly string _root = Directory.CreateTempSubdirectory("gridmap-bench-kill-").FullName;
        int _next;

        public override string Name => "SQLite";

        public string NewDirectory() => Path.Combine(_root, $"s{Interlocked.Increment(ref _next)}");

        public override async Task<string> CreateBaseAsync(Action<string> progress, CancellationToken ct)
        {
            var dir = NewDirectory();
            await using (var store = await StoreFactory.OpenAsync(new GridMapOptions { DataDirectory = dir, SeedSample = true }, TextWriter.Null, ct))
                await AddAccountAsync(store);
            ClearPools();
            progress("SQLite: the sample city seeded");
            return dir;
        }

        public override Task<string> CloneAsync(string location, CancellationToken ct)
        {
            var dir = NewDirectory();
            Directory.CreateDirectory(dir);
            foreach (var f in Directory.GetFiles(location)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var keys = Path.Combine(location, "keys");
            if (Directory.Exists(keys))
            {
                Directory.CreateDirectory(Path.Combine(dir, "keys"));
                foreach (var f in Directory.GetFiles(keys)) File.Copy(f, Path.Combine(dir, "keys", Path.GetFileName(f)));
            }
            return Task.FromResult(dir);
        }

        public override string[] ServeArgs(string location) => ["--data", location, "--no-sample"];

        protected override GridMapOptions Options(string location) => new() { DataDirectory = location };

        protected override async Task<string?> IntegrityAsync(string location, CancellationToken ct)
        {
            await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(location, SqliteStore.FileName), Pooling = false }.ToString());
            await c.OpenAsync(ct);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA integrity_check";
            var result = (string?)await cmd.ExecuteScalarAsync(ct);
            return result == "ok" ? null : $"PRAGMA integrity_check: {result}";
        }

        public override Task DropAsync(string location)
        {
            ClearPools();
            try { Directory.Delete(location, true); } catch (IOException) { }
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync()
        {
            ClearPools();
            try { Directory.Delete(_root, true); } catch (IOException) { }
            return ValueTask.CompletedTask;
        }
    }

    sealed class PostGisTrials(string server) : TrialStore
    {
        readonly List<string> _made = [];

        public override string Name => "PostGIS";

        static string Database(string cs) => new NpgsqlConnectionStringBuilder(cs).Database!;

        public override async Task<string> CreateBaseAsync(Action<string> progress, CancellationToken ct)
        {
            var cs = await ScratchDatabase.CreateAsync(server, $"gridmap_bench_kill_{Guid.NewGuid():N}", ct);
            _made.Add(cs);
            await using (var store = await PostGisStore.OpenAsync(cs, ct))
            {
                await store.ImportAsync(StoreFactory.SampleCityBatches(TextWriter.Null), ImportMode.ReplaceLayers,
                    change: new ChangeInfo(History.RequestChange.Cli, ChangeKinds.Seed, "the sample city"), ct: ct);
                await AddAccountAsync(store);
            }
            ClearPools();
            progress("PostGIS: the sample city imported");
            return cs;
        }

        public override async Task<string> CloneAsync(string location, CancellationToken ct)
        {
            var name = $"gridmap_bench_kill_{Guid.NewGuid():N}";
            var admin = new NpgsqlConnectionStringBuilder(server) { Pooling = false };
            if (string.IsNullOrEmpty(admin.Database)) admin.Database = "postgres";
            // A killed server's sessions end a moment after its process: the template is busy until then.
            for (var attempt = 0; ; attempt++)
            {
                ClearPools();
                try
                {
                    await using var conn = new NpgsqlConnection(admin.ConnectionString);
                    await conn.OpenAsync(ct);
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{Database(location)}\"", conn);
                    await create.ExecuteNonQueryAsync(ct);
                    break;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 100)
                {
                    await Task.Delay(100, ct);
                }
            }
            var cs = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
            _made.Add(cs);
            return cs;
        }

        public override string[] ServeArgs(string location) => ["--postgres", location];

        protected override GridMapOptions Options(string location) => new() { Postgres = location };

        /// <summary>The store's own reads were the check (every layer and change set read back); PostgreSQL's WAL does the rest.</summary>
        protected override Task<string?> IntegrityAsync(string location, CancellationToken ct) => Task.FromResult<string?>(null);

        public override async Task DropAsync(string location)
        {
            _made.Remove(location);
            var (dropped, error) = await ScratchDatabase.DropAsync(location);
            if (!dropped) Console.Error.WriteLine($"gridmap bench kill: could not drop {Database(location)}: {error}");
        }

        public override async ValueTask DisposeAsync()
        {
            foreach (var cs in _made.ToList()) await DropAsync(cs);
        }
    }

    /// <summary>`gridmap serve` as a child process, on a free loopback port.</summary>
    sealed class Child : IAsyncDisposable
    {
        readonly Process _process;
        readonly Queue<string> _tail = new();

        public Uri BaseAddress { get; }

        Child(Process process, Uri address)
        {
            _process = process;
            BaseAddress = address;
        }

        public static Child Serve(IEnumerable<string> args)
        {
            var port = WebFixturePort();
            var dll = Path.Combine(AppContext.BaseDirectory, "gridmap.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"gridmap.dll is not next to this build ({AppContext.BaseDirectory})", dll);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { dll, "serve", "--urls", $"http://127.0.0.1:{port}" }.Concat(args)) start.ArgumentList.Add(a);
            var child = new Child(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet"), new Uri($"http://127.0.0.1:{port}"));
            child._process.OutputDataReceived += (_, e) => child.Keep(e.Data);
            child._process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
            child._process.BeginOutputReadLine();
            child._process.BeginErrorReadLine();
            return child;
        }

        public static async Task<Child> ServeAsync(IEnumerable<string> args, CancellationToken ct)
        {
            var child = Serve(args);
            try
            {
                await child.WaitHealthyAsync(ct);
                return child;
            }
            catch
            {
                await child.DisposeAsync();
                throw;
            }
        }

        public HttpClient Client(string token)
        {
            var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return http;
        }

        public async Task WaitHealthyAsync(CancellationToken ct)
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline)
            {
                if (_process.HasExited) throw new InvalidOperationException($"gridmap serve exited with {_process.ExitCode}: {Tail()}");
                try
                {
                    using var health = await http.GetAsync("/api/health", ct);
                    if (health.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
                await Task.Delay(50, ct);
            }
            throw new TimeoutException($"gridmap serve did not answer /api/health within {StartTimeout.TotalSeconds:0} s: {Tail()}");
        }

        /// <summary>Waits until <paramref name="path"/> exists; the stopwatch returned runs from then.</summary>
        public async Task<Stopwatch> WaitForFileAsync(string path, CancellationToken ct)
        {
            var deadline = DateTime.UtcNow + StartTimeout;
            while (!File.Exists(path))
            {
                if (_process.HasExited) throw new InvalidOperationException($"gridmap serve exited with {_process.ExitCode} before {path} appeared: {Tail()}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{path} did not appear: {Tail()}");
                await Task.Delay(2, ct);
            }
            return Stopwatch.StartNew();
        }

        /// <summary>SIGKILL (Process.Kill on Unix), then waits for the process to be gone.</summary>
        public async Task KillAsync()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
            }
            catch (InvalidOperationException) { }
            await _process.WaitForExitAsync();
        }

        string Tail()
        {
            lock (_tail) return string.Join(" | ", _tail);
        }

        void Keep(string? line)
        {
            if (line is null) return;
            lock (_tail)
            {
                _tail.Enqueue(line);
                while (_tail.Count > 20) _tail.Dequeue();
            }
        }

        static int WebFixturePort()
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            l.Start();
            var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        public async ValueTask DisposeAsync()
        {
            await KillAsync();
            _process.Dispose();
        }
    }
}
