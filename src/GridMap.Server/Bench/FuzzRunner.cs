using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace GridMap.Server.Bench;

/// <summary>How long a fuzz run is and what counts as slow or hung.</summary>
/// <param name="HashEvery">Full content hash around every Nth write (1: every write); the writes between are checked by layer versions and counts.</param>
/// <param name="BudgetMinutes">Stop drawing requests after this long (0: no limit); the report says how many were sent of how many asked.</param>
public sealed record FuzzOptions(int Requests = 10_000, int Seed = 1, double SlowSeconds = 5, double HangSeconds = 30, int HashEvery = 1, Action<string>? Progress = null, double BudgetMinutes = 0);

/// <summary>One fuzzed request and its answer.</summary>
public sealed record FuzzCall(
    int Index, string Caller, string Endpoint, string Method, string Url, string? ContentType, string IfMatch, string? Body,
    IReadOnlyList<string> Mutations, int Status, double Ms, string? AnswerType, string AnswerPreview, bool ProblemType, bool ProblemBody,
    bool KestrelRejection, string? Exception, bool Hung, IReadOnlyList<(string Name, string Value)>? Headers = null)
{
    public bool IsWrite => Method is not ("GET" or "HEAD");

    public bool Rejected => Status is < 200 or >= 300;

    /// <summary>A 4xx without an application/problem+json body carrying errors[] (HEAD answers have no body: their content type counts).</summary>
    public bool BareClientError => Status is >= 400 and < 500 && !ProblemBody && !KestrelRejection;

    /// <summary>Of those: a problem+json body without the contract's errors[] (ASP.NET Core's own ProblemDetails).</summary>
    public bool ProblemWithoutErrors => BareClientError && ProblemType;
}

/// <summary>A rejected write after which the store's content hash differed from the one before it.</summary>
public sealed record StoreChange(FuzzCall Call, string Before, string After);

/// <summary>What a run did: every call, the store checks, and the failures grouped by cause.</summary>
public sealed record FuzzOutcome(
    string Store, int Seed, IReadOnlyList<FuzzCall> Calls, int SupportReads, int HashChecks, int LayerPrintChecks, int HashEvery, int RejectedWrites, IReadOnlyList<StoreChange> StoreChanges,
    double HashMsMedian, IReadOnlyList<string> Endpoints, double Seconds, double SlowSeconds, double HangSeconds, int Asked)
{
    public int ServerErrors => Calls.Count(c => c.Status >= 500);
    public int Hangs => Calls.Count(c => c.Hung);
    public int Slow => Calls.Count(c => c.Ms > SlowSeconds * 1000);
    public int BareClientErrors => Calls.Count(c => c.BareClientError);
    public int KestrelRejections => Calls.Count(c => c.KestrelRejection);

    /// <summary>Why the run fails its targets; empty when it passes.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (ServerErrors > 0) p.Add($"{ServerErrors} answer(s) of 5xx");
        if (Hangs > 0) p.Add($"{Hangs} request(s) hung past {HangSeconds:0} s");
        if (Slow > 0) p.Add($"{Slow} request(s) over {SlowSeconds:0} s");
        if (BareClientErrors > 0) p.Add($"{BareClientErrors} 4xx without a problem+json body");
        if (StoreChanges.Count > 0) p.Add($"{StoreChanges.Count} rejected write(s) changed the store");
        return p;
    }
}

/// <summary>
/// The fuzzer (issue 12 §3): starts a real GridMap server on 127.0.0.1 over the store it is given (seeding the sample
/// city when it is empty), reads every endpoint from the server's own OpenAPI document, and sends
/// <see cref="FuzzOptions.Requests"/> requests one after another, drawn from one seeded <see cref="Random"/>: hostile
/// path and query values, mutated GeoJSON and JSON bodies, wrong or missing If-Match and content types, as admin and as
/// other roles. Writes carry the version just read half the time, so they get past the precondition into the code behind.
/// After each rejected write the store's content hash is compared with the one before it.
/// </summary>
public static class FuzzRunner
{
    const string AdminName = "fuzz-admin";
    const string SparePassword = "fuzz-spare-password-1";
    static readonly string[] Roles = ["admin", "anonymous", "viewer", "worker", "planner"];
    static readonly int[] RoleWeights = [70, 8, 7, 7, 8];

    public static async Task<FuzzOutcome> RunAsync(IFeatureStore store, FuzzOptions options, CancellationToken ct = default)
    {
        var progress = options.Progress ?? (_ => { });
        if ((await store.CountAsync(ct)).Values.Sum() == 0)
        {
            progress("fuzz: seeding the sample city");
            await store.ImportAsync(StoreFactory.SampleCityBatches(TextWriter.Null), ImportMode.ReplaceLayers, ct: ct);
        }
        var errors = new CapturedErrors();
        // The server's console log is silenced (the bench writes markdown to stdout); its errors are captured instead.
        var app = GridMapServer.Build(new GridMapOptions { SeedSample = false }, store, ["--Logging:Console:LogLevel:Default=None"], urls: ["http://127.0.0.1:0"]);
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(errors);
        await app.StartAsync(ct);
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return await RunOnAsync(store, address, errors, options, ct);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    static async Task<FuzzOutcome> RunOnAsync(IFeatureStore store, Uri address, CapturedErrors errors, FuzzOptions options, CancellationToken ct)
    {
        var progress = options.Progress ?? (_ => { });
        var secrets = await CallersAsync(store, ct);
        var pools = await PoolsAsync(store, secrets.SpareTokens, ct);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.All })
        {
            BaseAddress = address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var doc = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json", ct))!.AsObject();
        var components = doc["components"]?["schemas"] as JsonObject ?? [];
        // Sorted, so the sequence does not depend on the document's order.
        var endpoints = FuzzEndpoint.FromOpenApi(doc).OrderBy(e => e.Template, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal).ToList();
        var weights = endpoints.Select(Weight).ToList();
        progress($"fuzz: {endpoints.Count} endpoints from /openapi/v1.json; {options.Requests:N0} requests, seed {options.Seed}, store {store.Kind}");

        var random = new Random(options.Seed);
        var calls = new List<FuzzCall>(options.Requests);
        var changes = new List<StoreChange>();
        var hashTimes = new List<double>();
        var support = 0;
        var hashChecks = 0;
        var printChecks = 0;
        var writes = 0;
        var rejectedWrites = 0;
        string? hash = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < options.Requests; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (options.BudgetMinutes > 0 && clock.Elapsed.TotalMinutes > options.BudgetMinutes)
            {
                progress($"fuzz: time budget of {options.BudgetMinutes} min spent after {i:N0} requests");
                break;
            }
            var endpoint = endpoints[PickWeighted(random, weights)];
            var caller = Roles[PickWeighted(random, RoleWeights)];
            var plan = Plan(random, endpoint, pools, components);

            // The right version, read just before, half the time: the write then reaches the code behind the precondition.
            var ifMatch = plan.IfMatch;
            if (plan.VersionFrom is { } readUrl)
            {
                support++;
                ifMatch = await ReadVersionAsync(http, secrets.Admin, readUrl, plan.AccountName, ct) ?? "";
            }
            if (plan.VersionsFor is { } versionsFor && plan.Body is JsonObject bodyWithVersions)
            {
                var versions = new JsonObject();
                foreach (var (layer, id) in versionsFor)
                {
                    // The ids come from a fuzzed body: one the store cannot even look up (NUL on PostGIS) has no version to send.
                    try
                    {
                        if (await store.GetAsync(layer, id, ct) is { } f) versions[id] = f.Version;
                    }
                    catch (Exception e) when (e is not OperationCanceledException) { }
                }
                bodyWithVersions["versions"] = versions;
            }
            var bodyText = plan.RawBody ?? (plan.HasBody ? FuzzInputs.Text(plan.Body) : null);
            if (bodyText is not null && plan.Malformed) bodyText = FuzzInputs.Malformed(random, bodyText);

            // Every rejected write must leave the store as it was. Around every HashEvery-th write the full content hash is
            // compared; around the others, the layer versions and counts (cheaper, and blind to a change that raises no version).
            var full = endpoint.IsWrite && writes++ % options.HashEvery == 0;
            string? print = null;
            if (endpoint.IsWrite && full && hash is null) hash = await TimedHashAsync(store, hashTimes, ct);
            if (endpoint.IsWrite && !full) print = await LayerPrintAsync(http, secrets.Admin, ct);
            var call = await SendAsync(http, i, caller, secrets.For(caller), endpoint, plan, bodyText, ifMatch, errors, options, ct);
            calls.Add(call);
            if (plan.LearnJob && call.Status is 202 or 200 && call.AnswerPreview.Length > 0 && TryJobId(call.AnswerPreview) is { } job) pools.Jobs.Add(job);

            if (endpoint.IsWrite)
            {
                if (call.Rejected)
                {
                    rejectedWrites++;
                    // A write may still be running when the client gave up: wait for the server to finish it before hashing.
                    if (call.Hung) await Task.Delay(TimeSpan.FromSeconds(2), ct);
                    if (full)
                    {
                        var after = await TimedHashAsync(store, hashTimes, ct);
                        hashChecks++;
                        if (after != hash) changes.Add(new StoreChange(call, hash!, after));
                        hash = after;
                    }
                    else
                    {
                        var after = await LayerPrintAsync(http, secrets.Admin, ct);
                        printChecks++;
                        if (after != print) changes.Add(new StoreChange(call, print!, after));
                        hash = null;
                    }
                }
                else hash = null;
            }
            if ((i + 1) % 500 == 0 || i + 1 == options.Requests)
                progress($"fuzz: {i + 1:N0}/{options.Requests:N0} in {clock.Elapsed.TotalSeconds:0} s — 5xx {calls.Count(c => c.Status >= 500)}, hung {calls.Count(c => c.Hung)}, " +
                         $"bare 4xx {calls.Count(c => c.BareClientError)}, store changed by rejected writes {changes.Count}");
        }
        hashTimes.Sort();
        return new FuzzOutcome(store.Kind, options.Seed, calls, support, hashChecks, printChecks, options.HashEvery, rejectedWrites, changes,
            hashTimes.Count == 0 ? 0 : hashTimes[hashTimes.Count / 2], endpoints.Select(e => e.Key).ToList(),
            clock.Elapsed.TotalSeconds, options.SlowSeconds, options.HangSeconds, options.Requests);
    }

    /// <summary>Writes are drawn twice as often as reads (they reach more code); the costly endpoints less often.</summary>
    static double Weight(FuzzEndpoint e) => e.Key switch
    {
        "POST /api/partition/jobs" => 0.5,
        "POST /api/auth/sign-in" => 0.5,
        _ when e.Template.StartsWith("/api/coverage", StringComparison.Ordinal) && e.Method == "GET" => 0.7,
        _ => e.IsWrite ? 2 : 1,
    };

    static int PickWeighted<T>(Random r, IReadOnlyList<T> weights) where T : struct, IConvertible
    {
        var total = weights.Sum(w => w.ToDouble(CultureInfo.InvariantCulture));
        var x = r.NextDouble() * total;
        for (var i = 0; i < weights.Count; i++)
        {
            x -= weights[i].ToDouble(CultureInfo.InvariantCulture);
            if (x < 0) return i;
        }
        return weights.Count - 1;
    }

    /// <summary>A request before it is sent: URL, headers, body, and where the right version comes from.</summary>
    sealed class RequestPlan
    {
        public string Url = "";
        public bool HasBody;
        public JsonNode? Body;
        public string? RawBody;
        public bool Malformed;
        public string? ContentType;
        public string IfMatch = "";
        public string? VersionFrom;
        public string? AccountName;
        public List<(Layer Layer, string Id)>? VersionsFor;
        public bool LearnJob;
        public List<(string Name, string Value)> Headers = [];
        public List<string> Mutations = [];
    }

    static RequestPlan Plan(Random r, FuzzEndpoint e, FuzzPools pools, JsonObject components)
    {
        var plan = new RequestPlan();
        var values = new Dictionary<string, string>();
        var path = e.Template;
        string? layer = null;
        foreach (var p in e.Parameters.Where(p => p.In == "path"))
        {
            var (value, raw) = PathValue(r, e, p.Name, pools, layer, plan.Mutations);
            if (p.Name == "layer") layer = value;
            values[p.Name] = value;
            path = path.Replace("{" + p.Name + "}", FuzzInputs.Encode(value, raw), StringComparison.Ordinal);
        }
        var query = new List<string>();
        foreach (var p in e.Parameters.Where(p => p.In == "query"))
        {
            if (r.Next(2) == 0) continue;
            var (value, raw) = QueryValue(r, p.Name, pools, plan.Mutations);
            values[p.Name] = value;
            query.Add($"{p.Name}={FuzzInputs.Encode(value, raw)}");
            if (r.Next(25) == 0) { query.Add($"{p.Name}={FuzzInputs.Encode(FuzzInputs.Hostile(r))}"); plan.Mutations.Add($"query-repeated:{p.Name}"); }
        }
        if (r.Next(20) == 0) { query.Add($"{FuzzInputs.Encode(FuzzInputs.Hostile(r))}={FuzzInputs.Encode(FuzzInputs.Hostile(r))}"); plan.Mutations.Add("query-unknown"); }
        plan.Url = path + (query.Count > 0 ? "?" + string.Join('&', query) : "");

        // Bodies: what the endpoint reads, built plausibly, then mutated.
        var validLayer = layer is not null && pools.LayerKeys.Contains(layer);
        var bodyLayer = validLayer ? layer! : FuzzInputs.Pick(r, pools.LayerKeys);
        switch (e.Key)
        {
            case "POST /api/layers/{layer}/features":
                plan.Body = FuzzInputs.Feature(r, pools, bodyLayer, null, plan.Mutations);
                plan.HasBody = true;
                plan.ContentType = "application/geo+json";
                break;
            case "PUT /api/layers/{layer}/features/{id}":
                plan.Body = FuzzInputs.Feature(r, pools, bodyLayer, values.GetValueOrDefault("id"), plan.Mutations);
                plan.HasBody = true;
                plan.ContentType = "application/geo+json";
                break;
            case "POST /api/layers/{layer}/import":
                plan.Body = FuzzInputs.Collection(r, pools, bodyLayer, plan.Mutations);
                plan.HasBody = true;
                plan.ContentType = "application/geo+json";
                break;
            case "PUT /api/settings/band":
                plan.Body = new JsonObject { ["min"] = 200, ["max"] = 300, ["target"] = 250 };
                plan.Body = r.Next(4) == 0 ? plan.Body : FuzzInputs.MutateBody(r, plan.Body, plan.Mutations);
                plan.HasBody = true;
                plan.ContentType = "application/json";
                break;
            case "POST /api/import/osm":
                var (osm, type, name) = FuzzInputs.Osm(r, pools);
                plan.RawBody = osm;
                plan.ContentType = type;
                plan.Mutations.Add($"osm:{name}");
                break;
            default:
                if (e.BodySchema is not null)
                {
                    plan.Body = FuzzInputs.FromSchema(r, pools, e.BodySchema, components);
                    if (e.Key == "POST /api/auth/sign-in" && plan.Body is JsonObject signIn && r.Next(2) == 0)
                    {
                        signIn["name"] = FuzzInputs.Pick(r, pools.SpareAccounts);
                        signIn["password"] = pools.SparePassword;
                    }
                    if (r.Next(5) != 0) plan.Body = FuzzInputs.MutateBody(r, plan.Body, plan.Mutations);
                    plan.HasBody = true;
                    plan.ContentType = e.BodyTypes.FirstOrDefault() ?? "application/json";
                    if (e.Key is "POST /api/grids/assign" or "POST /api/grids/rebalance" && r.Next(2) == 0 && plan.Body is JsonObject edit)
                        plan.VersionsFor = VersionsFor(edit);
                }
                else if (r.Next(15) == 0)
                {
                    // A body where none is read.
                    plan.RawBody = FuzzInputs.Text(FuzzInputs.HostileValue(r));
                    plan.ContentType = "application/json";
                    plan.Mutations.Add("unexpected-body");
                }
                break;
        }
        plan.LearnJob = e.Key == "POST /api/partition/jobs";
        if (plan.HasBody && r.Next(12) == 0) { plan.Malformed = true; plan.Mutations.Add("malformed-json"); }
        if ((plan.HasBody || plan.RawBody is not null) && r.Next(8) == 0)
        {
            plan.ContentType = FuzzInputs.Pick(r, ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                "", "a/b/c", "application/xml", "application/geo+json; charset=latin1"]);
            plan.Mutations.Add("content-type:" + (plan.ContentType.Length == 0 ? "(none)" : plan.ContentType));
        }

        // If-Match: right (read first) half the time on writes that name a version, else missing or wrong.
        var versioned = VersionSource(e, path, values);
        if (versioned is not null)
        {
            switch (r.Next(4))
            {
                case 0 or 1:
                    plan.VersionFrom = versioned;
                    plan.AccountName = e.Key == "PUT /api/accounts/{name}" ? values.GetValueOrDefault("name") : null;
                    plan.Mutations.Add("if-match:read");
                    break;
                case 2:
                    plan.Mutations.Add("if-match:none");
                    break;
                default:
                    plan.IfMatch = FuzzInputs.Pick(r, ["\"999999\"", "\"0\"", "*", "W/\"1\"", "garbage", "\"-1\"", "\"1e3\"", "\"99999999999999999999\"", "\"1\", \"2\"", "\"\""]);
                    plan.Mutations.Add($"if-match:{plan.IfMatch}");
                    break;
            }
        }
        else if (e.IsWrite && r.Next(10) == 0)
        {
            plan.IfMatch = "\"3\"";
            plan.Mutations.Add("if-match:unexpected");
        }
        if (r.Next(40) == 0) { plan.Headers.Add(("Accept", "application/x-nonsense")); plan.Mutations.Add("accept:nonsense"); }
        if (r.Next(150) == 0) { plan.Headers.Add(("X-Fuzz-Padding", new string('h', 40_000))); plan.Mutations.Add("header:40KB"); }
        return plan;
    }

    /// <summary>The GET whose ETag (or, for accounts, listed version) a write's If-Match should carry; null when the write names none.</summary>
    static string? VersionSource(FuzzEndpoint e, string path, IReadOnlyDictionary<string, string> values) => e.Key switch
    {
        "PUT /api/layers/{layer}/features/{id}" or "DELETE /api/layers/{layer}/features/{id}" => path,
        "POST /api/layers/{layer}/features/{id}/restore" => path[..path.LastIndexOf('/')],
        "POST /api/layers/{layer}/import" => path[..path.LastIndexOf('/')],
        "PUT /api/settings/band" => "/api/settings/band" + (values.TryGetValue("community", out var c) ? "?community=" + FuzzInputs.Encode(c) : ""),
        "PUT /api/accounts/{name}" => "/api/accounts",
        _ => null,
    };

    static List<(Layer, string)> VersionsFor(JsonObject edit)
    {
        var list = new List<(Layer, string)>();
        foreach (var a in edit["assignments"] as JsonArray ?? [])
        {
            if (a?["building"] is JsonValue b && b.TryGetValue<string>(out var building)) list.Add((Layer.Buildings, building));
            if (a?["grid"] is JsonValue g && g.TryGetValue<string>(out var grid)) list.Add((Layer.Grids, grid));
        }
        foreach (var g in edit["grids"] as JsonArray ?? [])
            if (g is JsonValue v && v.TryGetValue<string>(out var grid)) list.Add((Layer.Grids, grid));
        return list.Distinct().Take(20).ToList();
    }

    static (string Value, bool Raw) PathValue(Random r, FuzzEndpoint e, string name, FuzzPools pools, string? layer, List<string> mutations)
    {
        var hostile = r.Next(10) < 3;
        if (hostile)
        {
            var h = FuzzInputs.Hostile(r);
            var raw = h.StartsWith('%') && r.Next(2) == 0;
            mutations.Add($"path-hostile:{name}={Describe(h)}{(raw ? " (raw)" : "")}");
            return (h, raw);
        }
        var t = e.Template;
        var value = name switch
        {
            "layer" => FuzzInputs.Pick(r, pools.LayerKeys),
            "id" when t.StartsWith("/api/layers/", StringComparison.Ordinal) =>
                layer is not null && pools.Ids.TryGetValue(layer, out var ids) && ids.Count > 0 ? FuzzInputs.Pick(r, ids) : $"fuzz-{r.Next(100)}",
            "id" when t.StartsWith("/api/tokens", StringComparison.Ordinal) => FuzzInputs.Pick(r, pools.SpareTokens),
            "id" when t.StartsWith("/api/partition", StringComparison.Ordinal) => pools.Jobs.Count > 0 && r.Next(4) != 0 ? FuzzInputs.Pick(r, pools.Jobs) : Guid.Empty.ToString(),
            "id" => (1 + r.Next(40)).ToString(CultureInfo.InvariantCulture),
            "name" => r.Next(3) == 0 ? $"fuzz-new-{r.Next(100)}" : FuzzInputs.Pick(r, pools.SpareAccounts),
            "z" => (12 + r.Next(5)).ToString(CultureInfo.InvariantCulture),
            _ => "",
        };
        if (name is "x" or "y")
        {
            // A tile over the sample city at z 14 (the z drawn may differ: then it is simply empty or out of range).
            var (minLon, minLat, maxLon, maxLat) = pools.Extent;
            var lon = minLon + r.NextDouble() * (maxLon - minLon);
            var lat = minLat + r.NextDouble() * (maxLat - minLat);
            var n = 1 << 14;
            var x = (int)((lon + 180) / 360 * n);
            var rad = lat * Math.PI / 180;
            var y = (int)((1 - Math.Log(Math.Tan(rad) + 1 / Math.Cos(rad)) / Math.PI) / 2 * n);
            value = (name == "x" ? x : y).ToString(CultureInfo.InvariantCulture);
        }
        return (value, false);
    }

    static (string Value, bool Raw) QueryValue(Random r, string name, FuzzPools pools, List<string> mutations)
    {
        if (r.Next(20) < 9)
        {
            var specific = name switch
            {
                "bbox" => new[] { "1,2,3", "1,2,3,4,5", "a,b,c,d", "180,90,-180,-90", "NaN,0,1,1", "-1e309,0,1,1", ",,,", "106.8,27.5,106.9" },
                "lon" or "lat" or "SpeedKmh" => ["abc", "NaN", "Infinity", "1e309", "-200", "999", "0x1", "1,5"],
                "limit" or "offset" or "min_component_nodes" => ["-1", "0", "2147483648", "99999999", "1.5", "abc"],
                "Minutes" or "Meters" => ["99999", "0", "-5", "5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5", "NaN", "1e9", "5,,10", "abc"],
                _ => [],
            };
            var h = specific.Length > 0 && r.Next(2) == 0 ? specific[r.Next(specific.Length)] : FuzzInputs.Hostile(r);
            var raw = h.StartsWith('%') && r.Next(2) == 0;
            mutations.Add($"query-hostile:{name}={Describe(h)}{(raw ? " (raw)" : "")}");
            return (h, raw);
        }
        var (minLon, minLat, maxLon, maxLat) = pools.Extent;
        string D(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        var value = name switch
        {
            "bbox" => $"{D(minLon)},{D(minLat)},{D(maxLon)},{D(maxLat)}",
            "limit" => FuzzInputs.Pick(r, ["1", "10", "100", "5000"]),
            "offset" => FuzzInputs.Pick(r, ["0", "5", "100"]),
            "lon" => D(minLon + r.NextDouble() * (maxLon - minLon)),
            "lat" => D(minLat + r.NextDouble() * (maxLat - minLat)),
            "q" => FuzzInputs.Pick(r, ["网格", "南", "b000", "5203", "阳光", FuzzInputs.Pick(r, pools.GridCodes)]),
            "layers" => FuzzInputs.Pick(r, ["grids", "buildings,grids", "stations,compounds", "nonsense"]),
            "mode" => FuzzInputs.Pick(r, ["upsert", "upsert", "upsert", "replace"]),
            "from" => FuzzInputs.Pick(r, ["wgs84", "gcj02", "bd09"]),
            "format" => FuzzInputs.Pick(r, ["xml", "pbf"]),
            "Kind" => FuzzInputs.Pick(r, ["party_service_centre", "health_station", "market", "kindergarten"]),
            "Minutes" => FuzzInputs.Pick(r, ["5", "10,15", "5,10,15"]),
            "Meters" => FuzzInputs.Pick(r, ["300", "500,1000"]),
            "Profile" => FuzzInputs.Pick(r, ["adult", "elderly"]),
            "SpeedKmh" => FuzzInputs.Pick(r, ["4.5", "3"]),
            "min_component_nodes" => "50",
            "station" => FuzzInputs.Pick(r, pools.StationIds),
            "community" => FuzzInputs.Pick(r, pools.CommunityCodes),
            _ => "1",
        };
        return (value, false);
    }

    /// <summary>A short printable name for a hostile value.</summary>
    public static string Describe(string s)
    {
        if (s.Length > 40) return $"{s[0]}×{s.Length}";
        var sb = new StringBuilder();
        foreach (var c in s)
            sb.Append(c < 0x20 || char.IsSurrogate(c) || c == 0x202e ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.ToString();
    }

    static async Task<FuzzCall> SendAsync(HttpClient http, int index, string caller, string? secret, FuzzEndpoint endpoint, RequestPlan plan,
        string? body, string ifMatch, CapturedErrors errors, FuzzOptions options, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), plan.Url);
        if (secret is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (!string.IsNullOrEmpty(plan.ContentType)) request.Content.Headers.TryAddWithoutValidation("Content-Type", plan.ContentType);
        }
        if (ifMatch.Length > 0) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        foreach (var (name, value) in plan.Headers) request.Headers.TryAddWithoutValidation(name, value);
        errors.Clear();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromSeconds(options.HangSeconds));
        var clock = Stopwatch.StartNew();
        int status;
        string? type = null;
        var preview = "";
        var problem = false;
        var problemType = false;
        var kestrel = false;
        var hung = false;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, guard.Token);
            status = (int)response.StatusCode;
            type = response.Content.Headers.ContentType?.MediaType;
            var bytes = await response.Content.ReadAsByteArrayAsync(guard.Token);
            var text = type is not null && (type.Contains("json", StringComparison.Ordinal) || type.StartsWith("text/", StringComparison.Ordinal))
                ? Encoding.UTF8.GetString(bytes) : "";
            preview = text.Length > 600 ? text[..600] : text;
            problemType = type == "application/problem+json";
            if (status is >= 400 and < 500)
            {
                problem = problemType && (endpoint.Method == "HEAD" || HasErrors(text));
                // Kestrel's own rejections before routing carry no body and close the connection.
                kestrel = status is 400 or 414 or 431 && bytes.Length == 0 && type is null && response.Headers.ConnectionClose == true;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            status = 0;
            hung = true;
        }
        catch (HttpRequestException e)
        {
            status = 0;
            preview = $"{e.GetType().Name}: {e.Message}";
        }
        var ms = clock.Elapsed.TotalMilliseconds;
        // The server logs an unhandled exception just after the answer is written: give it a moment.
        if (status >= 500) await Task.Delay(50, CancellationToken.None);
        return new FuzzCall(index, caller, endpoint.Key, endpoint.Method, plan.Url, plan.ContentType, ifMatch, body, plan.Mutations.ToList(),
            status, ms, type, preview, problemType, problem, kestrel, errors.Describe(), hung, plan.Headers.ToList());
    }

    static bool HasErrors(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject o && o["errors"] is JsonArray;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static string? TryJobId(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["id"]?.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>GET /api/layers as admin: every layer's version and count.</summary>
    static async Task<string> LayerPrintAsync(HttpClient http, string adminSecret, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/layers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminSecret);
        using var response = await http.SendAsync(request, ct);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
    }

    static async Task<string?> ReadVersionAsync(HttpClient http, string adminSecret, string url, string? account, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminSecret);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            using var response = await http.SendAsync(request, guard.Token);
            if (account is not null)
            {
                var list = JsonNode.Parse(await response.Content.ReadAsStringAsync(guard.Token));
                var items = list as JsonArray ?? list?["accounts"] as JsonArray ?? [];
                var version = items.FirstOrDefault(a => a?["name"]?.ToString() == account)?["version"];
                return version is null ? null : $"\"{version}\"";
            }
            return response.Headers.ETag?.ToString();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Accounts and pools

    sealed record Secrets(string Admin, string Viewer, string Worker, string Planner, IReadOnlyList<string> SpareTokens)
    {
        public string? For(string caller) => caller switch
        {
            "admin" => Admin,
            "viewer" => Viewer,
            "worker" => Worker,
            "planner" => Planner,
            _ => null,
        };
    }

    static async Task<Secrets> CallersAsync(IFeatureStore store, CancellationToken ct)
    {
        var community = (await store.ListAsync(Layer.Communities, new FeatureQuery(null, 1), ct)).Features.FirstOrDefault()?.Id;
        var grids = (await store.ListAsync(Layer.Grids, new FeatureQuery(null, 2), ct)).Features.Select(f => f.Id).ToList();
        async Task<string> Token(string name, string role, string? scope, IReadOnlyList<string> g)
        {
            if (await store.GetAccountAsync(name, ct) is null)
            {
                var account = AccountRules.New(name, role, scope, g, false);
                account = account with { PasswordHash = Credentials.HashPassword(account, SparePassword) };
                await store.PutAccountAsync(account, 0, ct);
            }
            var (secret, token) = Credentials.NewToken(name);
            await store.AddTokenAsync(token, ct);
            return secret;
        }
        var admin = await Token(AdminName, "admin", null, []);
        var viewer = await Token("fuzz-viewer", "viewer", null, []);
        var worker = await Token("fuzz-worker", "worker", community, grids);
        var planner = await Token("fuzz-planner", "planner", community, []);
        // Spare accounts and tokens: the fuzzer may change, sign in as, revoke or delete these, never the ones above.
        for (var i = 1; i <= 3; i++) await Token($"fuzz-spare-{i}", i == 1 ? "planner" : "viewer", i == 1 ? community : null, []);
        var spareTokens = (await store.ListTokensAsync(ct)).Where(t => t.Account.StartsWith("fuzz-spare-", StringComparison.Ordinal)).Select(t => t.Id).Order(StringComparer.Ordinal).ToList();
        return new Secrets(admin, viewer, worker, planner, spareTokens);
    }

    static async Task<FuzzPools> PoolsAsync(IFeatureStore store, IReadOnlyList<string> spareTokens, CancellationToken ct)
    {
        var ids = new Dictionary<string, IReadOnlyList<string>>();
        var features = new Dictionary<string, IReadOnlyList<string>>();
        var env = new NetTopologySuite.Geometries.Envelope();
        foreach (var layer in Layers.All)
        {
            var page = await store.ListAsync(layer, new FeatureQuery(null, 100_000), ct);
            foreach (var f in page.Features) env.ExpandToInclude(f.Geometry.EnvelopeInternal);
            // Every 7th feature: a fixed, spread-out sample.
            var sample = page.Features.Where((_, i) => i % 7 == 0).Take(60).ToList();
            ids[layer.Key()] = sample.Select(f => f.Id).ToList();
            features[layer.Key()] = sample.Take(25).Select(FeatureJson).ToList();
        }
        if (env.IsNull) env = new NetTopologySuite.Geometries.Envelope(106.81, 106.85, 27.52, 27.56);
        return new FuzzPools
        {
            LayerKeys = Layers.All.Select(l => l.Key()).ToList(),
            Ids = ids,
            Features = features,
            CommunityCodes = ids["communities"],
            StreetCodes = ids["streets"],
            GridCodes = ids["grids"],
            BuildingIds = ids["buildings"],
            StationIds = ids["stations"],
            SpareAccounts = ["fuzz-spare-1", "fuzz-spare-2", "fuzz-spare-3"],
            SparePassword = SparePassword,
            SpareTokens = spareTokens,
            Extent = (env.MinX, env.MinY, env.MaxX, env.MaxY),
        };
    }

    static string FeatureJson(StoredFeature f)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) GridMap.IO.GeoJson.GeoJsonFeatures.WriteFeature(w, f, withVersion: false);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The store's content hash

    static async Task<string> TimedHashAsync(IFeatureStore store, List<double> times, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var hash = await ContentHashAsync(store, ct);
        times.Add(clock.Elapsed.TotalMilliseconds);
        return hash;
    }

    /// <summary>
    /// SHA-256 of everything a write can change: every feature of every layer (id, version, geometry as WKB, properties),
    /// the band setting, accounts (with their password hashes and versions) and tokens (revoked or not).
    /// </summary>
    public static async Task<string> ContentHashAsync(IFeatureStore store, CancellationToken ct = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var wkb = new NetTopologySuite.IO.WKBWriter();
        void Add(string s) => sha.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        foreach (var layer in Layers.All)
        {
            var offset = 0;
            while (true)
            {
                var page = await store.ListAsync(layer, new FeatureQuery(null, 10_000, offset), ct);
                foreach (var f in page.Features)
                {
                    Add($"{layer.Key()}/{f.Id}@{f.Version}");
                    sha.AppendData(wkb.Write(f.Geometry));
                    Add(f.Properties.ToJsonString());
                }
                offset += page.Features.Count;
                if (page.Features.Count < 10_000) break;
            }
        }
        if (await store.GetSettingAsync("band", ct) is { } band) Add($"band@{band.Version} {band.Value.ToJsonString()}");
        foreach (var a in (await store.ListAccountsAsync(ct)).OrderBy(a => a.Name, StringComparer.Ordinal))
            Add($"account {a.Name}@{a.Version} {a.Role} {a.Scope} {string.Join(',', a.Grids)} {a.CanEditHouseholds} {a.PasswordHash}");
        foreach (var t in (await store.ListTokensAsync(ct)).OrderBy(t => t.Id, StringComparer.Ordinal))
            Add($"token {t.Id} {t.Account} {t.RevokedAt is null}");
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Unhandled exceptions the server logs, so a 500 can be traced to its cause.</summary>
    sealed class CapturedErrors : ILoggerProvider
    {
        readonly ConcurrentQueue<string> _seen = new();

        public void Clear() => _seen.Clear();

        public string? Describe() => _seen.IsEmpty ? null : string.Join(" | ", _seen.Take(3));

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        sealed class Logger(CapturedErrors owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Error) return;
                owner._seen.Enqueue(exception is null ? $"{category}: {formatter(state, null)}" : Where(exception));
            }
        }

        /// <summary>Type, message and the innermost GridMap frame.</summary>
        static string Where(Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: > 0 } ag ? ag.Flatten().InnerExceptions[0] : e;
            while (inner.InnerException is not null && inner is not (ArgumentException or InvalidOperationException or FormatException)) inner = inner.InnerException;
            var methods = new StackTrace(inner, false).GetFrames().Select(f => f.GetMethod()).Where(m => m?.DeclaringType is not null).ToList();
            var frame = methods.FirstOrDefault(m => m!.DeclaringType!.FullName?.StartsWith("GridMap.", StringComparison.Ordinal) == true);
            // No frame of ours (thrown in the framework, e.g. while writing an answer): the framework's top frames say where.
            var where = frame is not null ? $" at {frame.DeclaringType!.FullName}.{frame.Name}"
                : methods.Count > 0 ? $" at {string.Join(" < ", methods.Take(4).Select(m => $"{m!.DeclaringType!.Name}.{m.Name}"))}" : "";
            var message = inner.Message.ReplaceLineEndings(" ");
            return $"{inner.GetType().Name}: {(message.Length > 200 ? message[..200] + "…" : message)}{where}";
        }
    }
}
