using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using GridMap.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GridMap.Server.Tests.Serving;

/// <summary>
/// What every answer of a real server carries and refuses (docs/security.md): security headers with a CSP that admits the
/// configured basemap, only the map's files from the web root, allowed Host names, rate limits on the expensive
/// endpoints, and faults answered without a stack trace or a path. Pure hosting behaviour: the embedded store suffices.
/// </summary>
public sealed class HostingTests : IAsyncLifetime
{
    const int Limit = 3;
    const string Basemap = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}";
    ServerHost _host = null!;
    string _web = "";

    public async Task InitializeAsync()
    {
        // A web root holding what a checkout of web/ holds, built or not.
        _web = Directory.CreateTempSubdirectory("gridmap-web-").FullName;
        foreach (var (path, text) in new[]
        {
            ("index.html", "<!doctype html><title>GridMap 网格地图</title>"), ("style.css", "body{}"), ("planner.css", "p{}"), ("sw.js", "// sw"),
            ("maplibre-worker.js", "// worker url"), ("src/main.js", "export {}"), ("src/coverage/api.js", "export {}"),
            ("vendor/maplibre-gl-csp.js", "// maplibre"), ("vendor/maplibre-gl.css", ".m{}"),
            ("package.json", "{}"), ("package-lock.json", "{}"), ("build.mjs", "// build"), ("README.md", "# web"),
            ("node_modules/maplibre-gl/package.json", "{}"), ("src/.secret.js", "x"), ("vendor/notes.txt", "x"),
        })
        {
            var full = Path.Combine(_web, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, text);
        }
        _host = await ServerHost.StartAsync("sqlite", new GridMapOptions
        {
            WebRoot = _web, SeedSample = false, ExpensiveRequestsPerMinute = Limit, Basemaps = [Basemap], BasemapSubdomains = ["0", "1"],
            AllowedHosts = ["gridmap.example.org", "*.gridmap.lan"],
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(_web, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Every_answer_carries_the_security_headers_and_the_CSP_admits_the_basemap_origins_only()
    {
        foreach (var (client, path, status) in new[]
        {
            (_host.Http, "/", HttpStatusCode.OK), (_host.Http, "/src/main.js", HttpStatusCode.OK), (_host.Http, "/api/layers", HttpStatusCode.OK),
            (_host.Http, "/api/layers/nope", HttpStatusCode.NotFound), (_host.Anonymous, "/api/layers", HttpStatusCode.Unauthorized),
            (_host.Http, "/package.json", HttpStatusCode.NotFound),
        })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            var csp = Directives(Header(response, "Content-Security-Policy"));
            Assert.Equal("'none'", csp["frame-ancestors"]);
            Assert.Equal("'self'", csp["script-src"]); // no inline script, no eval, no CDN
            Assert.Equal("'self'", csp["worker-src"]); // MapLibre's CSP build: its worker is a file here, never blob:
            Assert.Equal("'self'", csp["style-src"]); // style sheets and <style> from here only; style="…" attributes allowed
            Assert.Equal("'unsafe-inline'", csp["style-src-attr"]);
            Assert.Equal("'none'", csp["object-src"]);
            // The basemap's two tile hosts and nothing else besides this origin (data:/blob: images: control icons, PNG export).
            Assert.Equal("'self' https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn", csp["connect-src"]);
            Assert.Equal("'self' data: blob: https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn", csp["img-src"]);
        }
    }

    [Fact]
    public async Task Only_the_map_files_are_served_from_the_web_root()
    {
        foreach (var path in new[] { "/", "/index.html", "/style.css", "/planner.css", "/sw.js", "/maplibre-worker.js", "/src/main.js", "/src/coverage/api.js", "/vendor/maplibre-gl-csp.js", "/vendor/maplibre-gl.css" })
            Assert.True((await _host.Anonymous.GetAsync(path)).StatusCode == HttpStatusCode.OK, path);
        foreach (var path in new[]
        {
            "/package.json", "/package-lock.json", "/build.mjs", "/README.md", "/node_modules/maplibre-gl/package.json", "/node_modules/",
            "/src/.secret.js", "/vendor/notes.txt", "/src/", "/src/%2e%2e/package.json", "/vendor/..%2fpackage.json",
        })
        {
            // Signed in: an anonymous request (the server runs without --open) is 401 before it could be 404.
            using var response = await _host.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.NotEqual("{}", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_Host_name_not_allowed_gets_400_with_a_problem_body_and_allowed_names_are_answered()
    {
        var port = _host.Http.BaseAddress!.Port;
        foreach (var host in new[] { "attacker.example", "gridmap.example.org.attacker.example", "gridmap.lan", "localhost.attacker.example" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
            request.Headers.Host = $"{host}:{port}";
            using var response = await _host.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{host}: {(int)response.StatusCode}");
            var problem = await ProblemAsync(response);
            Assert.Equal("host_not_allowed", problem["errors"]![0]!["code"]!.GetValue<string>());
            Assert.Equal(host, problem["errors"]![0]!["host"]!.GetValue<string>());
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        }
        // Loopback names, IP literals (a DNS rebinding needs a name), the operator's names and sub-domains of a wildcard.
        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]", "192.168.1.20", "gridmap.example.org", "GRIDMAP.example.org", "maps.gridmap.lan" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
            request.Headers.Host = $"{host}:{port}";
            using var response = await _host.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{host}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public void The_default_names_are_the_loopback_names_and_those_in_the_urls()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var hosts = AllowedHosts.For(new GridMapOptions(), config, ["http://gridmap.corp.example:5080", "http://0.0.0.0:5081"]);
        Assert.True(hosts.Allows(new Microsoft.AspNetCore.Http.HostString("gridmap.corp.example", 5080)));
        Assert.True(hosts.Allows(new Microsoft.AspNetCore.Http.HostString("localhost", 5080)));
        Assert.True(hosts.Allows(new Microsoft.AspNetCore.Http.HostString("10.0.0.7", 5081)));
        Assert.False(hosts.Allows(new Microsoft.AspNetCore.Http.HostString("rebind.attacker.example", 5081)));
        var any = AllowedHosts.For(new GridMapOptions { AllowedHosts = ["*"] }, config, []);
        Assert.True(any.Allows(new Microsoft.AspNetCore.Http.HostString("whatever.example")));
    }

    [Fact]
    public async Task Past_the_limit_coverage_and_partition_requests_get_429_with_Retry_After_and_other_accounts_are_unaffected()
    {
        var other = await _host.ClientAsync(Roles.Admin, name: "second-admin");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Limit; i++) statuses.Add((await _host.Http.GetAsync("/api/coverage/table")).StatusCode);
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses);

        // One more expensive request of the same account, whichever endpoint: partition jobs count with coverage and siting.
        foreach (var (method, path) in new[] { ("GET", "/api/coverage"), ("POST", "/api/partition/jobs"), ("POST", "/api/coverage/sites") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST") request.Content = new StringContent("""{"scope":"520304001001"}""", Encoding.UTF8, "application/json");
            using var limited = await _host.Http.SendAsync(request);
            Assert.True(limited.StatusCode == HttpStatusCode.TooManyRequests, $"{method} {path}: {(int)limited.StatusCode}");
            var retry = limited.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After");
            Assert.InRange(retry.TotalSeconds, 1, 60);
            var problem = await ProblemAsync(limited);
            Assert.Equal(429, problem["status"]!.GetValue<int>());
            Assert.Equal("rate_limited", problem["errors"]![0]!["code"]!.GetValue<string>());
            Assert.Equal(Limit, problem["errors"]![0]!["limit"]!.GetValue<int>());
        }

        // Reading a job's status (the map polls it) and the cheap endpoints are not limited; another account has its own allowance.
        for (var i = 0; i < Limit + 2; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await _host.Http.GetAsync("/api/partition/jobs")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/api/layers")).StatusCode);
        }
        for (var i = 0; i < Limit; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await other.GetAsync("/api/coverage/table")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await other.GetAsync("/api/coverage/table")).StatusCode);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task A_store_that_fails_under_the_server_answers_a_problem_with_a_trace_id_and_no_stack_trace_or_path(string environment)
    {
        var dir = Directory.CreateTempSubdirectory("gridmap-fault-").FullName;
        var store = (await SqliteStore.OpenAsync(dir)).Store;
        var app = GridMapServer.Build(new GridMapOptions { SeedSample = false, Open = true }, store, ["--environment", environment], ["http://127.0.0.1:0"]);
        try
        {
            Assert.Equal(environment, app.Environment.EnvironmentName);
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/layers/buildings/features")).StatusCode);

            // The database vanishes under the running server: the next connection opens a new, empty file without tables.
            SqliteConnection.ClearAllPools();
            foreach (var f in Directory.GetFiles(dir, SqliteStore.FileName + "*")) File.Delete(f);
            SqliteConnection.ClearAllPools();
            using var response = await http.GetAsync("/api/layers/buildings/features");
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            var problem = JsonNode.Parse(body)!.AsObject();
            var traceId = problem["traceId"]!.GetValue<string>();
            Assert.False(string.IsNullOrWhiteSpace(traceId));
            Assert.Equal("internal_error", problem["errors"]![0]!["code"]!.GetValue<string>());
            Assert.Equal(["code", "detail", "errors", "status", "title", "traceId", "type"], problem.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList());
            foreach (var leak in new[] { " at ", "Exception", "SQLite", "no such table", ".cs", dir, "/tmp", "/work", "GridMap.Storage", "stack" })
                Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"the answer holds '{leak}': {body}");
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? string.Join(", ", v) : throw new Xunit.Sdk.XunitException($"{name} missing on {response.RequestMessage?.RequestUri}");

    static Dictionary<string, string> Directives(string csp) => csp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(d => d.Split(' ', 2)).ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
