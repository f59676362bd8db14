using System.Net;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Server.Coverage;
using GridMap.Server.Lookup;
using Microsoft.Extensions.DependencyInjection;

namespace GridMap.Server.Tests;

/// <summary>
/// A lookup right after a write sees it, and a write to one station, building or compound patches the in-memory models
/// (walking model, area layers) instead of building them again — counted by their full builds. Both stores.
/// </summary>
public abstract class LookupAfterWriteTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;
    WalkModelCache Walks => _host.Services.GetRequiredService<WalkModelCache>();
    AreaIndexCache Areas => _host.Services.GetRequiredService<AreaIndexCache>();

    const string AtB1 = "/api/lookup?lon=106.8215&lat=27.5215";

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await TinyCity.LoadAsync(Http);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    static async Task<JsonNode> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Reads a feature, changes it and writes it back naming the version read.</summary>
    async Task ReplaceAsync(string path, Action<JsonObject> change)
    {
        var read = await Http.GetAsync(path);
        var feature = (JsonObject)await JsonOf(read);
        change(feature);
        var put = new HttpRequestMessage(HttpMethod.Put, path) { Content = ServerHost.Json(feature.ToJsonString()) };
        put.Headers.IfMatch.Add(read.Headers.ETag!);
        var written = await Http.SendAsync(put);
        Assert.True(written.IsSuccessStatusCode, $"{(int)written.StatusCode}: {await written.Content.ReadAsStringAsync()}");
    }

    /// <summary>The patched walking model gives what a model built afresh from the store gives: places, stations, every walk.</summary>
    async Task AssertSameAsFullBuildAsync()
    {
        var patched = await Walks.GetAsync(CancellationToken.None);
        using var cache = new WalkModelCache(_host.Store);
        var fresh = await cache.GetAsync(CancellationToken.None);
        Assert.Equal(fresh.Places.Select(p => (p.Id, p.Households)), patched.Places.Select(p => (p.Id, p.Households)));
        Assert.Equal(fresh.Stations.Select(s => (s.Id, s.Kind, s.Location.X, s.Location.Y)), patched.Stations.Select(s => (s.Id, s.Kind, s.Location.X, s.Location.Y)));
        Assert.Equal(fresh.Notes, patched.Notes);
        Assert.Equal(fresh.CompoundNames.OrderBy(c => c.Key), patched.CompoundNames.OrderBy(c => c.Key));
        Assert.Equal(fresh.Model.Nearest(), patched.Model.Nearest());
        Assert.Equal(fresh.Model.PlaceDoors, patched.Model.PlaceDoors);
    }

    static JsonNode? Nearest(JsonNode lookup, string kind) =>
        lookup["nearest_stations"]!.AsArray().SingleOrDefault(s => s!["kind"]!.GetValue<string>() == kind);

    [Fact]
    public async Task A_moved_added_or_removed_station_shows_in_the_next_lookup_without_building_the_model_again()
    {
        var first = Nearest(await JsonOf(await Http.GetAsync(AtB1)), "party_service_centre")!;
        Assert.InRange(first["walk_m"]!.GetValue<double>(), 700, 770);
        var builds = Walks.FullBuilds;
        var patches = Walks.Patches;

        // 1 km further east along 南坛路: ≈ 388 m north, then ≈ 1,330 m east.
        await ReplaceAsync("/api/layers/stations/features/s1", f => f["geometry"] = JsonNode.Parse("""{"type":"Point","coordinates":[106.835,27.525]}"""));
        var moved = Nearest(await JsonOf(await Http.GetAsync(AtB1)), "party_service_centre")!;
        Assert.Equal(106.835, moved["lon"]!.GetValue<double>(), 6);
        Assert.InRange(moved["walk_m"]!.GetValue<double>(), 1_650, 1_800);

        var added = await Http.PostAsync("/api/layers/stations/features", ServerHost.Json(
            """{"type":"Feature","id":"k1","geometry":{"type":"Point","coordinates":[106.822,27.525]},"properties":{"kind":"kindergarten","name":"南坛幼儿园"}}"""));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var lookup = await JsonOf(await Http.GetAsync(AtB1));
        var kindergarten = Nearest(lookup, "kindergarten")!;
        Assert.Equal("k1", kindergarten["id"]!.GetValue<string>());
        Assert.InRange(kindergarten["walk_m"]!.GetValue<double>(), 380, 460);
        Assert.Equal("k1", lookup["nearest_stations"]![0]!["id"]!.GetValue<string>());

        Assert.True((await ServerHost.DeleteAsync(Http, "/api/layers/stations/features/s1")).IsSuccessStatusCode);
        Assert.Null(Nearest(await JsonOf(await Http.GetAsync(AtB1)), "party_service_centre"));

        Assert.Equal(builds, Walks.FullBuilds);
        Assert.Equal(patches + 3, Walks.Patches);
        await AssertSameAsFullBuildAsync();

        // The network is the graph itself: a footway written builds the model again (the counter does move).
        var road = await Http.PostAsync("/api/layers/network/features", ServerHost.Json(
            """{"type":"Feature","id":"r2","geometry":{"type":"LineString","coordinates":[[106.85,27.55],[106.851,27.551]]},"properties":{"highway":"footway"}}"""));
        Assert.Equal(HttpStatusCode.Created, road.StatusCode);
        var again = Nearest(await JsonOf(await Http.GetAsync(AtB1)), "kindergarten")!;
        Assert.Equal(builds + 1, Walks.FullBuilds);
        Assert.Equal(kindergarten["walk_m"]!.GetValue<double>(), again["walk_m"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_buildings_households_and_a_compounds_name_show_in_the_next_lookup_without_reading_the_layers_again()
    {
        var before = await JsonOf(await Http.GetAsync(AtB1));
        Assert.Equal(240, before["building"]!["households"]!.GetValue<int>());
        var (walkBuilds, areaBuilds, layerReads) = (Walks.FullBuilds, Areas.FullBuilds, Areas.LayerReads);

        await ReplaceAsync("/api/layers/buildings/features/b1", f => f["properties"]!["households"] = 200);
        await ReplaceAsync("/api/layers/compounds/features/c1", f => f["properties"]!["name"] = "阳光花园二期");
        var after = await JsonOf(await Http.GetAsync(AtB1));
        Assert.Equal(200, after["building"]!["households"]!.GetValue<int>());
        Assert.Equal("阳光花园二期", after["compound"]!["name"]!.GetValue<string>());
        Assert.Equal("520304001001001", after["grid"]!["code"]!.GetValue<string>());

        // The walking model behind coverage has the building's new households too.
        var setting = await Walks.GetAsync(CancellationToken.None);
        Assert.Equal(200, setting.Places.Single(p => p.Id == "b1").Households);
        Assert.Equal("阳光花园二期", setting.CompoundNames["c1"]);
        await AssertSameAsFullBuildAsync();
        Assert.Equal((walkBuilds, areaBuilds, layerReads), (Walks.FullBuilds, Areas.FullBuilds, Areas.LayerReads));

        // A building that goes is gone from the next lookup (its compound's households stay, in a remainder, OneTotal).
        Assert.True((await ServerHost.DeleteAsync(Http, "/api/layers/buildings/features/b1")).IsSuccessStatusCode);
        var gone = await JsonOf(await Http.GetAsync(AtB1));
        Assert.NotEqual("b1", gone["building"]?["id"]?.GetValue<string>());
        Assert.DoesNotContain("b1", (await Walks.GetAsync(CancellationToken.None)).Places.Select(p => p.Id));
        var remainders = (await _host.Store.ListAsync(Layer.Buildings, new(null))).Features
            .Where(f => (f.Integer("households") ?? 0) > 0).Select(f => f.Id).Order(StringComparer.Ordinal);
        Assert.Equal(remainders, (await Walks.GetAsync(CancellationToken.None)).Places.Select(p => p.Id).Order(StringComparer.Ordinal));
        await AssertSameAsFullBuildAsync();
        Assert.Equal((walkBuilds, areaBuilds, layerReads), (Walks.FullBuilds, Areas.FullBuilds, Areas.LayerReads));
    }
}

public sealed class SqliteLookupAfterWriteTests() : LookupAfterWriteTests("sqlite");

public sealed class PostGisLookupAfterWriteTests() : LookupAfterWriteTests("postgis");
