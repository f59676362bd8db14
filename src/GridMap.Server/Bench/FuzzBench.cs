using System.Globalization;
using System.Text;
using GridMap.Core.Store;
using GridMap.Server.Cli;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;

namespace GridMap.Server.Bench;

/// <summary>
/// `gridmap bench fuzz [--requests 10000] [--seed 1] [--postgres CONN] [--data DIR] [--slow 5] [--hang 30] [--hash-every 1] [--minutes 0] [--out docs/benchmarks.md|-] [--security docs/security.md]`:
/// the fuzzer (<see cref="FuzzRunner"/>) against a real server on the sample city — a fresh embedded store (or a copy of
/// --data's), or a fresh PostGIS database on the server --postgres names. Writes its table into docs/benchmarks.md and a
/// summary of the failures (grouped by cause, one reproducer each) into docs/security.md. Exit code 1 when any target is missed.
/// </summary>
public static class FuzzBench
{
    public const string Usage =
        "usage: gridmap bench fuzz [--requests 10000] [--seed 1] [--postgres CONN | --data DIR] [--slow 5] [--hang 30] [--hash-every 1] [--minutes 0] [--out docs/benchmarks.md|-] [--security docs/security.md|-]" +
        "  (--postgres: a PostgreSQL server with PostGIS where the bench may create and drop its own database; --data: an embedded data directory, copied first)";

    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("requests", "seed", "postgres", "data", "slow", "hang", "hash-every", "minutes", "out", "security");
        var requests = a.Int("requests", 10_000);
        var seed = a.Int("seed", 1);
        var slow = a.Int("slow", 5);
        var hang = a.Int("hang", 30);
        var hashEvery = a.Int("hash-every", 1);
        var minutes = a.Int("minutes", 0);
        if (hashEvery < 1) throw new CliException("--hash-every must be at least 1");
        if (requests is < 1 or > 10_000_000) throw new CliException("--requests must be 1..10000000");
        if (slow is < 1 or > 3600 || hang < slow || hang > 3600) throw new CliException("--slow and --hang are seconds, 1..3600, --hang at least --slow");
        var postgres = a.Get("postgres");
        var options = new FuzzOptions(requests, seed, slow, hang, hashEvery, line => Console.Error.WriteLine(line), minutes);

        FuzzOutcome outcome;
        string storeLine;
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            var database = await ScratchDatabase.CreateAsync(postgres, $"gridmap_bench_fuzz_{Guid.NewGuid():N}");
            try
            {
                await using var store = await PostGisStore.OpenAsync(database);
                storeLine = "PostGIS (a fresh database seeded with the sample city, dropped afterwards)";
                outcome = await FuzzRunner.RunAsync(store, options);
            }
            finally
            {
                var (dropped, error) = await ScratchDatabase.DropAsync(database);
                if (!dropped) Console.Error.WriteLine($"gridmap bench fuzz: could not drop the bench database: {error}");
            }
        }
        else
        {
            var dir = Directory.CreateTempSubdirectory("gridmap-fuzz-").FullName;
            try
            {
                if (a.Get("data") is { } data)
                {
                    if (!File.Exists(Path.Combine(data, "gridmap.db"))) throw new CliException($"--data {data}: no gridmap.db there");
                    foreach (var f in Directory.GetFiles(data, "gridmap.db*")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
                    storeLine = $"embedded SQLite (a copy of {data})";
                }
                else storeLine = "embedded SQLite (a fresh data directory seeded with the sample city)";
                await using var store = await StoreFactory.OpenAsync(new GridMapOptions { DataDirectory = dir, SeedSample = true }, TextWriter.Null);
                outcome = await FuzzRunner.RunAsync(store, options);
            }
            finally
            {
                try { Directory.Delete(dir, true); } catch (IOException) { }
            }
        }

        var command = $"gridmap bench fuzz --requests {requests} --seed {seed}{(hashEvery == 1 ? "" : $" --hash-every {hashEvery}")}{(postgres is null ? "" : " --postgres CONN")}{(a.Get("data") is { } d2 ? $" --data {d2}" : "")}";
        var table = Markdown(outcome, command, storeLine);
        await stdout.WriteLineAsync(table);
        var key = $"fuzz-{outcome.Store}";
        var title = $"Fuzzer, {(outcome.Store == "postgis" ? "PostGIS" : "embedded store")} (issue 12)";
        var output = a.Get("out");
        if (output is not null && output != "-")
        {
            var old = File.Exists(output) ? await File.ReadAllTextAsync(output) : "# Benchmarks\n";
            await File.WriteAllTextAsync(output, BenchDocument.WithSection(old, key, title, table));
            await stdout.WriteLineAsync($"wrote {output}");
        }
        var security = a.Get("security") ?? (output is not null && output != "-" ? Path.Combine(Path.GetDirectoryName(output) ?? ".", "security.md") : null);
        if (security is not null && security != "-")
        {
            var old = File.Exists(security) ? await File.ReadAllTextAsync(security) : "# Security\n";
            await File.WriteAllTextAsync(security, BenchDocument.WithSection(old, key, title, Summary(outcome, command)));
            await stdout.WriteLineAsync($"wrote {security}");
        }
        foreach (var p in outcome.Problems()) Console.Error.WriteLine($"gridmap bench fuzz: FAILED — {p}");
        return outcome.Problems().Count > 0 ? 1 : 0;
    }

    /// <summary>One failure cause: what kind, the key it was grouped by, how many calls, and the smallest of them.</summary>
    public sealed record FailureGroup(string Kind, string Cause, int Count, FuzzCall Smallest);

    /// <summary>Failures grouped by cause: 5xx by exception and endpoint, hangs and slow answers, bare 4xx, store changes.</summary>
    public static IReadOnlyList<FailureGroup> Groups(FuzzOutcome o)
    {
        var groups = new List<FailureGroup>();
        void Add(string kind, IEnumerable<FuzzCall> calls, Func<FuzzCall, string> key)
        {
            foreach (var g in calls.GroupBy(key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
                groups.Add(new FailureGroup(kind, g.Key, g.Count(), g.OrderBy(c => c.Url.Length + (c.Body?.Length ?? 0)).ThenBy(c => c.Index).First()));
        }
        Add("5xx", o.Calls.Where(c => c.Status >= 500), c => $"{c.Endpoint} → {c.Status}: {Normalise(c.Exception) ?? "(no exception logged)"}");
        Add("hang", o.Calls.Where(c => c.Hung), c => $"{c.Endpoint}: no answer within {o.HangSeconds:0} s");
        // The client could not send or read the request at all (HttpClient refused it, the connection closed): listed with why.
        Add("no answer", o.Calls.Where(c => c.Status == 0 && !c.Hung), c => $"{c.Endpoint}: {c.AnswerPreview}");
        Add($"> {o.SlowSeconds:0} s", o.Calls.Where(c => !c.Hung && c.Ms > o.SlowSeconds * 1000), c => $"{c.Endpoint} ({MainMutations(c)})");
        // Bare 4xx come from a few framework paths (model binding, routing, content negotiation), each across many
        // endpoints: grouped by what the answer was, with the endpoints it came from.
        void AddBare(string kind, IEnumerable<FuzzCall> calls, Func<FuzzCall, string> key)
        {
            foreach (var g in calls.GroupBy(key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
            {
                var endpoints = g.GroupBy(c => c.Endpoint).OrderByDescending(e => e.Count()).Select(e => $"{e.Key} ×{e.Count()}").ToList();
                var cause = $"{g.Key}; from {string.Join(", ", endpoints.Take(8))}{(endpoints.Count > 8 ? $" and {endpoints.Count - 8} more endpoint(s)" : "")}";
                groups.Add(new FailureGroup(kind, cause, g.Count(), g.OrderBy(c => c.Url.Length + (c.Body?.Length ?? 0)).ThenBy(c => c.Index).First()));
            }
        }
        AddBare("4xx without problem+json", o.Calls.Where(c => c.BareClientError && !c.ProblemWithoutErrors),
            c => $"{c.Status} {c.AnswerType ?? "(no content type)"}{(c.Headers?.Any(h => h.Name == "Accept") == true ? " (Accept: application/x-nonsense)" : "")}");
        AddBare("4xx problem+json without errors[]", o.Calls.Where(c => c.ProblemWithoutErrors), c => $"{c.Status} \"{Title(c.AnswerPreview)}\"");
        Add("rejected write changed the store", o.StoreChanges.Select(s => s.Call), c => $"{c.Endpoint} → {c.Status}");
        return groups;
    }

    static string Title(string problem)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(problem)?["title"]?.ToString() ?? "(no title)";
        }
        catch (System.Text.Json.JsonException)
        {
            return "(unreadable body)";
        }
    }

    /// <summary>The exception with ids and numbers blurred, so one cause is one group.</summary>
    static string? Normalise(string? exception) =>
        exception is null ? null : System.Text.RegularExpressions.Regex.Replace(exception.Split(" | ")[0], @"'[^']*'|""[^""]*""|\d+", "…");

    static string MainMutations(FuzzCall c) => c.Mutations.Count == 0 ? "no mutation" : string.Join(", ", c.Mutations.Where(m => !m.StartsWith("if-match", StringComparison.Ordinal)).DefaultIfEmpty("if-match only"));

    /// <summary>A curl command that sends the call again (the bearer token as $TOKEN; bodies over 400 characters described).</summary>
    public static string Reproducer(FuzzCall c)
    {
        var sb = new StringBuilder($"curl -sS -X {c.Method} 'http://127.0.0.1:5080{c.Url.Replace("'", "'\\''")}'");
        if (c.Caller != "anonymous") sb.Append(" -H \"Authorization: Bearer $TOKEN\"");
        if (c.IfMatch.Length > 0) sb.Append($" -H 'If-Match: {c.IfMatch.Replace("'", "'\\''")}'");
        if (!string.IsNullOrEmpty(c.ContentType)) sb.Append($" -H 'Content-Type: {c.ContentType}'");
        foreach (var (name, value) in c.Headers ?? [])
            sb.Append(value.Length <= 200 ? $" -H '{name}: {value}'" : $" -H \"{name}: $(head -c {value.Length} /dev/zero | tr '\\0' {value[0]})\"");
        if (c.Body is { } body)
        {
            if (body.Length <= 400) sb.Append($" --data-binary '{body.Replace("'", "'\\''")}'");
            else sb.Append($" --data-binary @body.json  # {body.Length:N0} characters, starting {Printable(body[..160])}");
        }
        if (c.Caller != "anonymous") sb.Append($"   # TOKEN: {c.Caller}");
        return sb.ToString();
    }

    static string Printable(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s) sb.Append(ch < 0x20 || char.IsSurrogate(ch) ? $"\\u{(int)ch:x4}" : ch.ToString());
        return sb.ToString();
    }

    static string F(double v, int digits) => v.ToString("N" + digits, CultureInfo.InvariantCulture);

    static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return 0;
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public const string TableHeader =
        "| store | requests | 2xx | 3xx | 4xx | **5xx** | no answer | **over 5 s** | hung | **4xx without problem+json** (of which problem+json without `errors[]`) | Kestrel 400/414/431 (exception) | rejected writes / full-hash checks / layer-version checks | **store changed by a rejected write** | p50 ms | p99 ms | max ms |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public static string Row(FuzzOutcome o)
    {
        int Class(int k) => o.Calls.Count(c => c.Status / 100 == k);
        var ms = o.Calls.Where(c => !c.Hung).Select(c => c.Ms).ToList();
        return $"| {o.Store} | {N(o.Calls.Count)} | {N(Class(2))} | {N(Class(3))} | {N(Class(4))} | **{N(o.ServerErrors)}** | {N(o.Calls.Count(c => c.Status == 0 && !c.Hung))} | **{N(o.Slow)}** | {N(o.Hangs)} | " +
               $"**{N(o.BareClientErrors)}** ({N(o.Calls.Count(c => c.ProblemWithoutErrors))}) | {N(o.KestrelRejections)} | {N(o.RejectedWrites)} / {N(o.HashChecks)} / {N(o.LayerPrintChecks)} | **{N(o.StoreChanges.Count)}** | {F(Percentile(ms, 0.5), 1)} | {F(Percentile(ms, 0.99), 0)} | {F(ms.DefaultIfEmpty(0).Max(), 0)} |";
    }

    public static string Markdown(FuzzOutcome o, string command, string storeLine)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"- Command: `{command}`; date {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load (1/5/15 min) {BenchMachine.LoadAverage()}; {F(o.Seconds, 0)} s in all.");
        sb.AppendLine($"- Machine: {BenchMachine.Describe()}; {BenchMachine.Configuration()}. The server runs in the bench's process (`GridMapServer.Build`, Kestrel on 127.0.0.1), so the exception behind each 5xx is read from its log.");
        sb.AppendLine($"- Store: {storeLine}.");
        if (o.Calls.Count < o.Asked) sb.AppendLine($"- **Stopped at the time budget** after {N(o.Calls.Count)} of the {N(o.Asked)} requests asked for (`--minutes`).");
        sb.AppendLine(Method(o));
        sb.AppendLine();
        sb.AppendLine(TableHeader);
        sb.AppendLine(Row(o));
        sb.AppendLine();
        var byEndpoint = o.Calls.GroupBy(c => c.Endpoint).ToDictionary(g => g.Key, g => g.ToList());
        var covered = o.Endpoints.Count(e => byEndpoint.ContainsKey(e));
        var reached = o.Endpoints.Count(e => byEndpoint.TryGetValue(e, out var cs) && cs.Any(c => c.Status is >= 200 and < 300));
        sb.AppendLine($"- Endpoints: {covered} of the {o.Endpoints.Count} in /openapi/v1.json got requests; {reached} answered 2xx at least once (the others refused every fuzzed request — a write that cannot succeed without a matching job, account or state).");
        sb.AppendLine();
        sb.AppendLine("<details><summary>Per endpoint</summary>").AppendLine();
        sb.AppendLine("| endpoint | requests | 2xx | 4xx | 5xx | over 5 s | 4xx without problem+json |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var e in o.Endpoints)
        {
            var cs = byEndpoint.GetValueOrDefault(e) ?? [];
            sb.AppendLine($"| `{e}` | {cs.Count} | {cs.Count(c => c.Status / 100 == 2)} | {cs.Count(c => c.Status / 100 == 4)} | {cs.Count(c => c.Status >= 500)} | {cs.Count(c => c.Ms > o.SlowSeconds * 1000)} | {cs.Count(c => c.BareClientError)} |");
        }
        sb.AppendLine().AppendLine("</details>").AppendLine();
        sb.Append(FailureList(o));
        return sb.ToString();
    }

    static string Method(FuzzOutcome o) =>
        $"- Method: seed {o.Seed}; one client, requests one after another, each drawn from one seeded `Random` (endpoint, caller, values, body, headers), so a seed and a store give the same sequence. " +
        "Endpoints come from the server's own `/openapi/v1.json` (new endpoints are fuzzed without a change here); writes are drawn twice as often as reads. " +
        "Callers: admin 70 %, anonymous 8 %, viewer 7 %, a community's worker 7 % and planner 8 % (bearer tokens). " +
        "Path and query values are valid (ids from the store, tiles over the city) or hostile (huge and negative numbers, NaN, `1e309`, NUL, `%00`, lone surrogates sent as WTF-8, RTL marks, 20,000-character strings, bboxes of 3 or 5 numbers, `minutes=99999`, …). " +
        "Bodies are sample-city features and collections with 0–2 mutations (3-D or NaN coordinates, households 2,147,483,647 or −5, nesting 60–2,000 deep, lone surrogates or NUL in ids, keys and values, wrong types, nulls, 20,000-element arrays, 100–800-vertex self-intersecting zig-zags, 20,000–40,000-vertex polygons, derived fields, id mismatch), " +
        "other bodies built from their OpenAPI schema with plausible values and one field made hostile, removed or added, malformed JSON (1 in 12), a wrong content type (1 in 8), and small hostile OSM documents (DTD, NaN node, missing nodes, `&#xD800;`). " +
        $"Writes that name a version carry the one just read half the time ({N(o.SupportReads)} reads for it, not counted as requests), none a quarter, a wrong one a quarter. " +
        $"*over 5 s*: answered after more than {o.SlowSeconds:0} s; *hung*: no answer within {o.HangSeconds:0} s. *4xx without problem+json*: a 4xx whose content type is not `application/problem+json` or whose body has no `errors[]`; " +
        "Kestrel's own rejections before routing (400/414/431 with no body and `Connection: close`) cannot be customised and are counted apart (contract). " +
        (o.HashEvery == 1
            ? "*Store changed*: before every write the store's content hash is known (computed after the previous write that was accepted); after every rejected write (any status but 2xx) it is computed again and must be equal — every rejected write is checked, none sampled. "
            : $"*Store changed*: around every {o.HashEvery}th write the store's content hash is computed before and after, and must be equal when the write was rejected (any status but 2xx); around the other writes, GET /api/layers (every layer's version and count) before and after must be equal (this misses a change that raises no version). ") +
        $"The hash is SHA-256 over every feature of every layer (id, version, geometry WKB, properties), the band setting, accounts (role, scope, grids, version, password hash) and tokens (revoked or not), read straight from the store (median {F(o.HashMsMedian, 0)} ms per hash). " +
        "A read between two writes that changed the store would show as a change at the next rejected write.";

    static string FailureList(FuzzOutcome o)
    {
        var groups = Groups(o);
        var sb = new StringBuilder();
        if (groups.Count == 0)
        {
            sb.AppendLine("No failures: every target met.");
            return sb.ToString();
        }
        sb.AppendLine($"Failures, grouped by cause ({groups.Count}); the smallest request of each group as a reproducer (against `gridmap serve` on the sample city; `$TOKEN` an admin's unless the comment says otherwise):");
        sb.AppendLine();
        var i = 0;
        foreach (var g in groups)
        {
            sb.AppendLine($"{++i}. **{g.Kind}** ×{g.Count} — {g.Cause.Replace("|", "\\|")} (e.g. request #{g.Smallest.Index}; mutations: {MainMutations(g.Smallest).Replace("|", "\\|")}; answer {g.Smallest.Status} in {F(g.Smallest.Ms, 0)} ms)");
            sb.AppendLine();
            sb.AppendLine("   ```");
            sb.AppendLine("   " + Reproducer(g.Smallest));
            sb.AppendLine("   ```");
        }
        return sb.ToString();
    }

    /// <summary>For docs/security.md: the counts and the failures by cause.</summary>
    public static string Summary(FuzzOutcome o, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"`{command}` ({DateTime.UtcNow:yyyy-MM-dd} UTC; the full table and method are in docs/benchmarks.md, section \"Fuzzer\"). " +
                      $"Seed {o.Seed}, {N(o.Calls.Count)} requests over the {o.Endpoints.Count} endpoints of /openapi/v1.json on the {(o.Store == "postgis" ? "PostGIS" : "embedded")} store: " +
                      $"**{N(o.ServerErrors)}** answers of 5xx, **{N(o.Slow)}** over {o.SlowSeconds:0} s ({N(o.Hangs)} with no answer within {o.HangSeconds:0} s), " +
                      $"**{N(o.BareClientErrors)}** 4xx without a problem+json body ({N(o.KestrelRejections)} Kestrel pre-routing rejections apart), " +
                      $"**{N(o.StoreChanges.Count)}** of {N(o.RejectedWrites)} rejected writes changed the store (content hash before and after each). " +
                      "The test command runs the same fuzzer briefly on both stores (`FuzzTests`, 300 requests, seed 1).");
        sb.AppendLine();
        sb.Append(FailureList(o));
        return sb.ToString();
    }
}
