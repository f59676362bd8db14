using System.Text;
using System.Text.Json.Nodes;
using GridMap.Core.Store;
using GridMap.Server.Bench;
using GridMap.Server.Hosting;
using GridMap.Storage.PostGis;
using GridMap.Testing;

namespace GridMap.Server.Tests;

/// <summary>
/// The fuzzer's short run (issue 12 §3): 300 fixed-seed requests over every endpoint of /openapi/v1.json against a real
/// server on the sample city. No 5xx, no request past the 20 s hang guard, every 4xx a problem+json body with errors[],
/// and every rejected write leaves the store's content hash as it was. The long run is `gridmap bench fuzz`.
/// </summary>
public abstract class FuzzTests(string storeKind) : IAsyncLifetime
{
    const int Requests = 300;
    IFeatureStore _store = null!;
    Func<Task> _cleanup = () => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        if (storeKind == "postgis")
        {
            var cs = await PostGisDatabase.CreateDatabaseAsync("gridmap_fuzz");
            _store = await PostGisStore.OpenAsync(cs);
            _cleanup = () => PostGisDatabase.DropDatabaseAsync(cs);
        }
        else
        {
            var dir = Directory.CreateTempSubdirectory("gridmap-fuzz-").FullName;
            _store = await StoreFactory.OpenAsync(new GridMapOptions { DataDirectory = dir, SeedSample = true }, TextWriter.Null);
            _cleanup = () => { try { Directory.Delete(dir, true); } catch (IOException) { } return Task.CompletedTask; };
        }
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _cleanup();
    }

    [Fact]
    public async Task Hostile_requests_get_no_5xx_no_hang_a_problem_body_and_leave_the_store_unchanged()
    {
        var outcome = await FuzzRunner.RunAsync(_store, new FuzzOptions(Requests, Seed: 1, SlowSeconds: 20, HangSeconds: 20));

        Assert.Equal(Requests, outcome.Calls.Count);
        // The fuzzer reached the whole API, and writes got past their preconditions: a run that only collected 401s proves nothing.
        Assert.True(outcome.Calls.Select(c => c.Endpoint).Distinct().Count() >= outcome.Endpoints.Count * 3 / 4,
            $"only {outcome.Calls.Select(c => c.Endpoint).Distinct().Count()} of {outcome.Endpoints.Count} endpoints fuzzed");
        Assert.Contains(outcome.Calls, c => c.IsWrite && c.Status is >= 200 and < 300);
        Assert.True(outcome.HashChecks > 50, $"only {outcome.HashChecks} rejected writes were checked against the content hash");

        var failures = FuzzBench.Groups(outcome);
        var report = new StringBuilder();
        foreach (var g in failures) report.AppendLine($"{g.Kind} ×{g.Count}: {g.Cause}\n    {FuzzBench.Reproducer(g.Smallest)}");
        Assert.True(outcome.Problems().Count == 0, $"{string.Join("; ", outcome.Problems())}\n{report}");
    }
}

public sealed class SqliteFuzzTests() : FuzzTests("sqlite");

public sealed class PostGisFuzzTests() : FuzzTests("postgis");

/// <summary>The fuzzer's inputs are what they claim to be: text System.Text.Json would refuse to write, sent as it is.</summary>
public sealed class FuzzInputTests
{
    [Fact]
    public void Markers_become_lone_surrogates_NaN_and_deep_nesting_in_the_text_sent()
    {
        var body = new JsonObject { ["id"] = FuzzInputs.Surrogate, ["x"] = FuzzInputs.NaNLiteral, ["deep"] = FuzzInputs.Deep(100) };
        var text = FuzzInputs.Text(body);
        Assert.Contains("\"id\":\"\\ud800\"", text, StringComparison.Ordinal);
        Assert.Contains("\"x\":NaN", text, StringComparison.Ordinal);
        Assert.Contains(new string('[', 100) + new string(']', 100), text, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('[', 101), text, StringComparison.Ordinal);
        // A lone surrogate in a URL goes as its WTF-8 bytes (invalid UTF-8), not as U+FFFD.
        Assert.Equal("a%ED%A0%80", FuzzInputs.Encode("a\ud800"));
        Assert.Equal("%F0%9F%98%80", FuzzInputs.Encode("😀"));
    }

    [Fact]
    public void The_same_seed_gives_the_same_bodies()
    {
        var pools = new FuzzPools
        {
            LayerKeys = ["buildings"],
            Ids = new Dictionary<string, IReadOnlyList<string>> { ["buildings"] = ["b1"] },
            Features = new Dictionary<string, IReadOnlyList<string>> { ["buildings"] = [TinyCity.Building] },
            CommunityCodes = ["520304001001"], StreetCodes = ["520304001"], GridCodes = ["520304001001001"], BuildingIds = ["b1"], StationIds = ["s1"],
            SpareAccounts = ["spare"], SparePassword = "p", SpareTokens = ["t"], Extent = (106.8, 27.5, 106.9, 27.6),
        };
        string Run(int seed)
        {
            var r = new Random(seed);
            var sb = new StringBuilder();
            for (var i = 0; i < 200; i++)
            {
                var applied = new List<string>();
                sb.Append(FuzzInputs.Text(FuzzInputs.Feature(r, pools, "buildings", null, applied))).Append(string.Join(',', applied)).Append('\n');
            }
            return sb.ToString();
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
        Assert.Contains("\\ud800", Run(1), StringComparison.Ordinal);
        Assert.Contains("[NaN,", Run(1), StringComparison.Ordinal);
    }
}

/// <summary>Failures the fuzzer found outside the input and OSM work, each fixed and pinned here.</summary>
public abstract class FuzzFindingTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await TinyCity.LoadAsync(_host.Http);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/api/grids/assign", """{"assignments":[{"building":"b1","grid":null}],"\ud800":1}""")]
    [InlineData("/api/grids/assign", """{"assignments":[{"building":"\ud800","grid":null}]}""")]
    [InlineData("/api/grids/rebalance", """{"grids":["\udfff"]}""")]
    [InlineData("/api/layers/stations/features/s1/restore", """{"version":1,"\ud800":""}""")]
    public async Task A_lone_surrogate_in_an_edit_or_restore_body_is_a_400_problem_and_writes_nothing(string path, string body)
    {
        var before = await TinyCity.FingerprintAsync(_host.Store);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = ServerHost.Json(body, "application/json") };
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        using var response = await _host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 400, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await TinyCity.FingerprintAsync(_host.Store));
    }
}

public sealed class SqliteFuzzFindingTests() : FuzzFindingTests("sqlite");

public sealed class PostGisFuzzFindingTests() : FuzzFindingTests("postgis");
