using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GridMap.Testing;

namespace GridMap.Server.Tests;

/// <summary>
/// Two real `gridmap serve` processes on one PostGIS: a write through one reads back through the other
/// at once, and a write with a stale version is refused with 412.
/// </summary>
public sealed class TwoProcessTests : IAsyncLifetime
{
    string _connectionString = "";
    readonly List<Process> _servers = [];

    string _token = "";

    /// <summary>A fresh database, and a script's account and token made with the CLI, as an operator would.</summary>
    public async Task InitializeAsync()
    {
        _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_two");
        var output = new StringWriter();
        Assert.Equal(0, await Cli.GridMapCli.RunAsync(["user", "add", "sync-script", "--role", "admin", "--postgres", _connectionString], output));
        output = new StringWriter();
        Assert.Equal(0, await Cli.GridMapCli.RunAsync(["token", "create", "sync-script", "--postgres", _connectionString], output));
        _token = output.ToString().TrimEnd().Split('\n')[^1].Trim();
        Assert.StartsWith("gm_", _token);
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _servers)
        {
            try { p.Kill(entireProcessTree: true); await p.WaitForExitAsync(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        await PostGisDatabase.DropDatabaseAsync(_connectionString);
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    async Task<HttpClient> StartServerAsync()
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "gridmap.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "serve", "--postgres", _connectionString, "--urls", $"http://127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        _servers.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"gridmap serve exited with {(process.HasExited ? process.ExitCode : 0)}");
            try
            {
                if ((await http.GetAsync("/api/health")).IsSuccessStatusCode) return http;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("gridmap serve did not answer /api/health within 60 s");
    }

    [Fact]
    public async Task A_write_through_one_process_reads_back_through_the_other_and_stale_writes_get_412()
    {
        var (a, b) = (await StartServerAsync(), await StartServerAsync());

        var created = await a.PostAsync("/api/layers/compounds/features", ServerHost.Json(TinyCity.Compound));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var seenByB = await b.GetAsync("/api/layers/compounds/features/c1");
        Assert.Equal(HttpStatusCode.OK, seenByB.StatusCode);
        Assert.Equal("\"1\"", seenByB.Headers.ETag?.Tag);

        // B renames it at version 1 …
        var renameByB = new HttpRequestMessage(HttpMethod.Put, "/api/layers/compounds/features/c1") { Content = ServerHost.Json(TinyCity.Compound.Replace("阳光花园", "阳光花园B")) };
        renameByB.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        Assert.Equal(HttpStatusCode.OK, (await b.SendAsync(renameByB)).StatusCode);

        // … and A sees it at once.
        var seenByA = JsonDocument.Parse(await a.GetStringAsync("/api/layers/compounds/features/c1")).RootElement;
        Assert.Equal("阳光花园B", seenByA.GetProperty("properties").GetProperty("name").GetString());
        Assert.Equal(2, seenByA.GetProperty("version").GetInt64());

        // A, still holding version 1, is refused.
        var staleByA = new HttpRequestMessage(HttpMethod.Put, "/api/layers/compounds/features/c1") { Content = ServerHost.Json(TinyCity.Compound.Replace("阳光花园", "阳光花园A")) };
        staleByA.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var refused = await a.SendAsync(staleByA);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        var final = JsonDocument.Parse(await b.GetStringAsync("/api/layers/compounds/features/c1")).RootElement;
        Assert.Equal("阳光花园B", final.GetProperty("properties").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_network_change_through_one_process_reaches_the_others_walking_model()
    {
        var (a, b) = (await StartServerAsync(), await StartServerAsync());
        foreach (var (layer, json) in new[] { ("network", TinyCity.Road), ("stations", TinyCity.Station), ("buildings", TinyCity.Building.Replace(",\"grid_code\":\"520304001001001\"", "")) })
            Assert.True((await a.PostAsync($"/api/layers/{layer}/features", ServerHost.Json(json))).IsSuccessStatusCode, layer);

        // B builds its walking model: b1 walks up to 南坛路 and along it to the station.
        async Task<JsonElement> Coverage(HttpClient http) =>
            JsonDocument.Parse(await http.GetStringAsync("/api/coverage?meters=1000")).RootElement;
        Assert.Equal("network", (await Coverage(b)).GetProperty("mode").GetString());
        Assert.Equal(1.0, (await Coverage(b)).GetProperty("coverage").GetProperty("1000").GetDouble());

        // A deletes the road; B hears of it (NOTIFY) and drops its model: with no network, walks become straight lines.
        Assert.Equal(HttpStatusCode.NoContent, (await ServerHost.DeleteAsync(a, "/api/layers/network/features/r1")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string mode;
        do
        {
            mode = (await Coverage(b)).GetProperty("mode").GetString()!;
            if (mode == "euclidean") break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal("euclidean", mode);
    }
}
