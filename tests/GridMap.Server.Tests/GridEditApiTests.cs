using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Sample;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Server.Tests;

/// <summary>A planner edits grid membership over HTTP (assign, split, merge, rebalance) on the sample city; on both stores.</summary>
public abstract class GridEditApiTests(string storeKind) : IAsyncLifetime
{
    ServerHost _host = null!;
    HttpClient Http => _host.Http;
    const string Community = "520304001001";

    public async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(storeKind);
        await _host.Store.ImportAsync(SampleCityGenerator.Generate().Batches, ImportMode.ReplaceLayers);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    async Task<List<StoredFeature>> GridsAsync(string community = Community) =>
        (await _host.Store.ListAsync(Layer.Grids, new(null, 10_000))).Features.Where(g => g.Text("community_code") == community).ToList();

    static List<StoredFeature> Active(IEnumerable<StoredFeature> grids) => grids.Where(g => g.Text("status") != "retired").ToList();

    /// <summary>A building of grid <paramref name="from"/> that borders grid <paramref name="to"/>: the one nearest to it.</summary>
    async Task<string> BorderBuildingAsync(StoredFeature from, StoredFeature to)
    {
        var ids = from.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()).ToList();
        var buildings = new List<StoredFeature>();
        foreach (var id in ids) buildings.Add((await _host.Store.GetAsync(Layer.Buildings, id))!);
        return buildings.OrderBy(b => b.Geometry.Distance(to.Geometry)).First().Id;
    }

    /// <summary>Two active grids of the community that share boundary.</summary>
    async Task<(StoredFeature A, StoredFeature B)> NeighboursAsync()
    {
        var grids = Active(await GridsAsync());
        foreach (var a in grids)
            foreach (var b in grids)
                if (a.Id != b.Id && a.Geometry.Intersection(b.Geometry).Length > 0.0005) return (a, b);
        throw new InvalidOperationException("no neighbouring grids");
    }

    static double AreaM2(Geometry g) => g.IsEmpty ? 0 : MetricProjection.For(g).AreaM2(g);

    static Geometry Union(IEnumerable<StoredFeature> grids) =>
        UnaryUnionNG.Union(GeometryRules.Factory.BuildGeometry(grids.Select(g => g.Geometry).ToList()), new PrecisionModel(1e7));

    /// <summary>The community's active grids cover what they covered before, and overlap each other by less than 1 m².</summary>
    static void AssertTiled(IReadOnlyList<StoredFeature> before, IReadOnlyList<StoredFeature> after)
    {
        var (u0, u1) = (Union(Active(before)), Union(Active(after)));
        var changed = AreaM2(u0.SymmetricDifference(u1));
        Assert.True(changed < 1, $"the community's grids now cover {changed:0.##} m² more or less");
        var active = Active(after);
        double overlap = 0;
        for (var i = 0; i < active.Count; i++)
            for (var j = i + 1; j < active.Count; j++)
                if (active[i].Geometry.EnvelopeInternal.Intersects(active[j].Geometry.EnvelopeInternal))
                    overlap += AreaM2(active[i].Geometry.Intersection(active[j].Geometry));
        Assert.True(overlap < 1, $"grids overlap by {overlap:0.##} m²");
    }

    async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string path, object body)
    {
        var response = await Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    static Dictionary<string, long> Versions(JsonObject answer) =>
        answer["touched"]!["grids"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>());

    [Fact]
    public async Task Moving_a_building_to_the_neighbouring_grid_moves_its_households_land_and_code_and_nothing_else()
    {
        var before = await GridsAsync();
        var (a, b) = await NeighboursAsync();
        var building = await BorderBuildingAsync(a, b);
        var households = (int)(await _host.Store.GetAsync(Layer.Buildings, building))!.Integer("households")!;
        var move = new[] { new { building, grid = b.Id } };

        // The dry run answers and writes nothing.
        var (dryStatus, dry) = await PostAsync("/api/grids/assign", new { assignments = move, dry_run = true });
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal(new Dictionary<string, long> { [a.Id] = a.Version, [b.Id] = b.Version }, Versions(dry));
        Assert.Equal(before.Select(g => (g.Id, g.Version)), (await GridsAsync()).Select(g => (g.Id, g.Version)));

        var (status, written) = await PostAsync("/api/grids/assign", new { assignments = move, versions = Versions(dry) });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(written["dry_run"]!.GetValue<bool>());
        var after = await GridsAsync();
        var (a1, b1) = (after.Single(g => g.Id == a.Id), after.Single(g => g.Id == b.Id));
        Assert.Equal(a.Integer("households") - households, a1.Integer("households"));
        Assert.Equal(b.Integer("households") + households, b1.Integer("households"));
        Assert.Equal((a.Version + 1, b.Version + 1), (a1.Version, b1.Version));
        Assert.Equal(before.Select(g => g.Id).Order(), after.Select(g => g.Id).Order()); // codes unchanged, none new
        // Only the two grids changed.
        Assert.All(after.Where(g => g.Id != a.Id && g.Id != b.Id), g => Assert.Equal(before.Single(x => x.Id == g.Id).Version, g.Version));
        AssertTiled(before, after);

        // The building, its grid's polygon and the lookup agree.
        var moved = (await _host.Store.GetAsync(Layer.Buildings, building))!;
        Assert.Equal(b.Id, moved.Text("grid_code"));
        var at = moved.Geometry.InteriorPoint;
        Assert.True(b1.Geometry.Covers(at));
        Assert.False(a1.Geometry.Covers(at));
        var lookup = JsonNode.Parse(await Http.GetStringAsync(FormattableString.Invariant($"/api/lookup?lon={at.X}&lat={at.Y}")))!;
        Assert.Equal(b.Id, lookup["grid"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Grids_imported_without_membership_are_edited_from_their_buildings_grid_codes()
    {
        // A grid set brought in from elsewhere: polygons and codes only, no unit_ids and no households.
        var grids = Active(await GridsAsync());
        var stripped = grids.Select(g =>
        {
            var props = (JsonObject)g.Properties.DeepClone();
            props.Remove("unit_ids");
            props.Remove("households");
            return new JsonObject
            {
                ["type"] = "Feature", ["id"] = g.Id,
                ["geometry"] = JsonNode.Parse(JsonSerializer.Serialize(g.Geometry, Partitioning.GeometryJson.Options)),
                ["properties"] = props,
            };
        }).ToArray();
        var import = await ServerHost.ImportAsync(Http, "grids",
            new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray(stripped) }.ToJsonString(), "upsert");
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        var before = await GridsAsync();

        var (a, b) = await NeighboursAsync();
        var buildings = (await _host.Store.ListAsync(Layer.Buildings, new(null, 10_000))).Features;
        var ofA = buildings.Where(x => x.Text("grid_code") == a.Id).ToList();
        var building = ofA.OrderBy(x => x.Geometry.Distance(b.Geometry)).First();
        var (_, dry) = await PostAsync("/api/grids/assign", new { assignments = new[] { new { building = building.Id, grid = b.Id } }, dry_run = true });
        var (status, _) = await PostAsync("/api/grids/assign", new { assignments = new[] { new { building = building.Id, grid = b.Id } }, versions = Versions(dry) });
        Assert.Equal(HttpStatusCode.OK, status);

        // Both grids now list their buildings and count them; the rest of the community is as it was.
        var a1 = (await _host.Store.GetAsync(Layer.Grids, a.Id))!;
        var b1 = (await _host.Store.GetAsync(Layer.Grids, b.Id))!;
        Assert.Equal(ofA.Where(x => x.Id != building.Id).Select(x => x.Id).Order(), a1.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()).Order());
        Assert.Equal(ofA.Where(x => x.Id != building.Id).Sum(x => x.Integer("households")), a1.Integer("households"));
        Assert.Equal(buildings.Where(x => x.Text("grid_code") == b.Id || x.Id == building.Id).Sum(x => x.Integer("households")), b1.Integer("households"));
        Assert.Equal(b.Id, (await _host.Store.GetAsync(Layer.Buildings, building.Id))!.Text("grid_code"));
        AssertTiled(before, await GridsAsync());
    }

    [Fact]
    public async Task Writes_without_or_with_stale_versions_are_refused_and_change_nothing()
    {
        var (a, b) = await NeighboursAsync();
        var building = await BorderBuildingAsync(a, b);
        var before = await GridsAsync();
        var move = new[] { new { building, grid = b.Id } };

        var (missing, m) = await PostAsync("/api/grids/assign", new { assignments = move, versions = new Dictionary<string, long> { [a.Id] = a.Version } });
        Assert.Equal(HttpStatusCode.PreconditionRequired, missing);
        Assert.Equal("missing_version", m["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Equal($"/versions/{b.Id}", m["errors"]![0]!["pointer"]!.GetValue<string>());

        var (stale, s) = await PostAsync("/api/grids/assign", new { assignments = move, versions = new Dictionary<string, long> { [a.Id] = a.Version, [b.Id] = b.Version + 5 } });
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale);
        Assert.Equal("stale_version", s["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(b.Version, s["current"]!["grids"]![b.Id]!.GetValue<long>());

        var (unknown, u) = await PostAsync("/api/grids/assign", new { assignments = new[] { new { building = "no-such-building", grid = b.Id } }, dry_run = true });
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("/assignments/0", u["errors"]![0]!["pointer"]!.GetValue<string>());

        var bad = await Http.PostAsync("/api/grids/assign", new StringContent("{\"assignments\": [{\"building\": 3", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

        // Across real communities: 422.
        var other = Active(await GridsAsync("520304001002")).First();
        var (cross, c) = await PostAsync("/api/grids/assign", new { assignments = new[] { new { building, grid = other.Id } }, dry_run = true });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, cross);
        Assert.Equal("cross_community", c["errors"]![0]!["code"]!.GetValue<string>());

        Assert.Equal(before.Select(g => (g.Id, g.Version)), (await GridsAsync()).Select(g => (g.Id, g.Version)));
    }

    [Fact]
    public async Task A_split_takes_the_next_code_and_a_merge_retires_the_emptied_grid_whose_code_is_never_reused()
    {
        var before = await GridsAsync();
        var highest = before.Max(g => int.Parse(g.Id[12..]));
        var (a, b) = await NeighboursAsync();
        var two = a.Properties["unit_ids"]!.AsArray().Take(2).Select(n => n!.ToString()).ToList();

        var split = two.Select(id => new { building = id, grid = (string?)null }).ToArray();
        var (_, dry) = await PostAsync("/api/grids/assign", new { assignments = split, dry_run = true });
        var (status, done) = await PostAsync("/api/grids/assign", new { assignments = split, versions = Versions(dry) });
        Assert.Equal(HttpStatusCode.OK, status);
        var code = Assert.Single(done["created"]!.AsArray())!.GetValue<string>();
        Assert.Equal($"{Community}{highest + 1:000}", code);
        var created = (await _host.Store.GetAsync(Layer.Grids, code))!;
        Assert.Equal(two.Order(), created.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()).Order());
        Assert.Equal("basic", created.Text("type"));
        AssertTiled(before, await GridsAsync());

        // Merge the new grid into b: it is retired, kept, and its code stays taken.
        var merge = two.Select(id => new { building = id, grid = b.Id }).ToArray();
        var (_, dry2) = await PostAsync("/api/grids/assign", new { assignments = merge, dry_run = true });
        var (status2, merged) = await PostAsync("/api/grids/assign", new { assignments = merge, versions = Versions(dry2) });
        Assert.Equal(HttpStatusCode.OK, status2);
        Assert.Equal([code], merged["retired"]!.AsArray().Select(n => n!.GetValue<string>()));
        var retired = (await _host.Store.GetAsync(Layer.Grids, code))!;
        Assert.Equal("retired", retired.Text("status"));
        Assert.Equal(0, retired.Integer("households"));
        AssertTiled(before, await GridsAsync());

        var next = (await PostAsync("/api/grids/assign", new { assignments = new[] { new { building = two[0], grid = (string?)null } }, dry_run = true })).Body;
        Assert.Equal($"{Community}{highest + 2:000}", next["created"]![0]!.GetValue<string>());
        // Nothing moves into a retired grid.
        var (intoRetired, r) = await PostAsync("/api/grids/assign", new { assignments = new[] { new { building = two[0], grid = code } }, dry_run = true });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, intoRetired);
        Assert.Equal("retired_grid", r["errors"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Base_operations_preview_on_top_of_unsaved_edits_and_save_as_one_transaction()
    {
        var before = await GridsAsync();
        var (a, b) = await NeighboursAsync();
        var first = await BorderBuildingAsync(a, b);
        var second = a.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()).First(id => id != first);
        var ops = new object[]
        {
            new { assignments = new[] { new { building = first, grid = b.Id } } },
            new { assignments = new[] { new { building = second, grid = (string?)null } } },
        };
        var (_, preview) = await PostAsync("/api/grids/assign", new { @base = ops, assignments = Array.Empty<object>(), dry_run = true });
        Assert.Equal(2, Versions(preview).Count);
        Assert.Single(preview["created"]!.AsArray());
        var (status, saved) = await PostAsync("/api/grids/assign", new { @base = ops, assignments = Array.Empty<object>(), versions = Versions(preview) });
        Assert.Equal(HttpStatusCode.OK, status);
        var after = await GridsAsync();
        Assert.Equal(before.Sum(g => g.Integer("households")), after.Sum(g => g.Integer("households")));
        Assert.Equal(b.Id, (await _host.Store.GetAsync(Layer.Buildings, first))!.Text("grid_code"));
        Assert.Equal(saved["created"]![0]!.GetValue<string>(), (await _host.Store.GetAsync(Layer.Buildings, second))!.Text("grid_code"));
        AssertTiled(before, after);
    }

    [Fact]
    public async Task Rebalance_with_neighbours_names_them_and_conserves_households()
    {
        var before = await GridsAsync();
        var (a, b) = await NeighboursAsync();
        var (_, dry) = await PostAsync("/api/grids/rebalance", new { grids = new[] { a.Id }, neighbours = true, dry_run = true });
        var touched = Versions(dry);
        Assert.Contains(b.Id, touched.Keys);
        Assert.True(touched.Count >= 2);

        var (refused, _) = await PostAsync("/api/grids/rebalance", new { grids = new[] { a.Id }, neighbours = true, versions = new Dictionary<string, long> { [a.Id] = a.Version } });
        Assert.Equal(HttpStatusCode.PreconditionRequired, refused);
        var (status, done) = await PostAsync("/api/grids/rebalance", new { grids = new[] { a.Id }, neighbours = true, versions = touched });
        Assert.Equal(HttpStatusCode.OK, status);
        var after = await GridsAsync();
        Assert.Equal(before.Sum(g => g.Integer("households")), Active(after).Sum(g => g.Integer("households")));
        Assert.All(done["features"]!.AsArray().Where(f => f!["properties"]!["status"]!.GetValue<string>() != "retired"),
            f => Assert.NotNull(f!["properties"]!["band_status"]));
        AssertTiled(before, after);
    }

    [Fact]
    public async Task Derived_fields_cannot_be_written_directly()
    {
        var (a, b) = await NeighboursAsync();
        var building = (await _host.Store.GetAsync(Layer.Buildings, await BorderBuildingAsync(a, b)))!;
        var feature = new JsonObject
        {
            ["type"] = "Feature", ["id"] = building.Id,
            ["geometry"] = JsonNode.Parse(JsonSerializer.Serialize(building.Geometry, Partitioning.GeometryJson.Options)),
            ["properties"] = building.Properties.DeepClone(),
        };
        feature["properties"]!["grid_code"] = b.Id;
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building.Id}") { Content = JsonContent.Create(feature) };
        put.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{building.Version}\""));
        var response = await Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("derived_field", body["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(a.Id, (await _host.Store.GetAsync(Layer.Buildings, building.Id))!.Text("grid_code"));

        // Leaving it out keeps it: a name change is fine.
        feature["properties"]!.AsObject().Remove("grid_code");
        feature["properties"]!["address"] = "改过的地址";
        var rename = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building.Id}") { Content = JsonContent.Create(feature) };
        rename.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{building.Version}\""));
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(rename)).StatusCode);
        Assert.Equal(a.Id, (await _host.Store.GetAsync(Layer.Buildings, building.Id))!.Text("grid_code"));
    }

    [Fact]
    public async Task A_households_correction_or_a_deleted_building_recounts_its_grid_in_the_same_write()
    {
        var (a, b) = await NeighboursAsync();
        var building = (await _host.Store.GetAsync(Layer.Buildings, await BorderBuildingAsync(a, b)))!;
        var households = (int)building.Integer("households")!;
        var feature = new JsonObject
        {
            ["type"] = "Feature", ["id"] = building.Id,
            ["geometry"] = JsonNode.Parse(JsonSerializer.Serialize(building.Geometry, Partitioning.GeometryJson.Options)),
            ["properties"] = building.Properties.DeepClone(),
        };
        feature["properties"]!["households"] = households + 7;
        feature["properties"]!.AsObject().Remove("units"); // a plain count now, no stairwells
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building.Id}") { Content = JsonContent.Create(feature) };
        put.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{building.Version}\""));
        // A stale version is refused and recounts nothing.
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/layers/buildings/features/{building.Id}") { Content = JsonContent.Create(feature) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{building.Version + 3}\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Http.SendAsync(stale)).StatusCode);
        Assert.Equal(a.Version, (await _host.Store.GetAsync(Layer.Grids, a.Id))!.Version);

        var response = await Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(a.Version + 1, answer["touched"]!["grids"]![a.Id]!.GetValue<long>());
        var a1 = (await _host.Store.GetAsync(Layer.Grids, a.Id))!;
        Assert.Equal(a.Integer("households") + 7, a1.Integer("households"));

        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/layers/buildings/features/{building.Id}");
        delete.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{building.Version + 1}\""));
        Assert.Equal(HttpStatusCode.NoContent, (await Http.SendAsync(delete)).StatusCode);
        var a2 = (await _host.Store.GetAsync(Layer.Grids, a.Id))!;
        Assert.Equal(a.Integer("households") - households, a2.Integer("households"));
        Assert.DoesNotContain(building.Id, a2.Properties["unit_ids"]!.AsArray().Select(n => n!.ToString()));
    }

    [Fact]
    public async Task The_band_is_a_versioned_setting_and_grids_carry_their_band_status()
    {
        var band = JsonNode.Parse(await Http.GetStringAsync("/api/settings/band"))!;
        Assert.Equal((200, 300, 0L), (band["min"]!.GetValue<int>(), band["max"]!.GetValue<int>(), band["version"]!.GetValue<long>()));
        var (a, _) = await NeighboursAsync();
        var households = (int)a.Integer("households")!;
        var grid = JsonNode.Parse(await Http.GetStringAsync($"/api/layers/grids/features/{a.Id}"))!;
        Assert.Equal(households < 200 ? "below" : households > 300 ? "above" : "in", grid["properties"]!["band_status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.PreconditionRequired, (await Http.PutAsJsonAsync("/api/settings/band", new { min = 100, max = 150 })).StatusCode);
        // For this community only: its grids are now above the band.
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/settings/band?community={Community}") { Content = JsonContent.Create(new { min = 100, max = households - 1 }) };
        put.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(put)).StatusCode);
        grid = JsonNode.Parse(await Http.GetStringAsync($"/api/layers/grids/features/{a.Id}"))!;
        Assert.Equal("above", grid["properties"]!["band_status"]!.GetValue<string>());
        Assert.Equal(200, JsonNode.Parse(await Http.GetStringAsync("/api/settings/band"))!["min"]!.GetValue<int>());
        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/settings/band") { Content = JsonContent.Create(new { min = 100, max = 150 }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Http.SendAsync(stale)).StatusCode);
    }

    [Fact]
    public async Task Accepting_a_proposal_after_a_building_changed_is_refused_and_writes_nothing()
    {
        var start = await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = Community });
        var id = JsonNode.Parse(await start.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (JsonNode.Parse(await Http.GetStringAsync($"/api/partition/jobs/{id}"))!["status"]!.GetValue<string>() is not ("done" or "failed"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish");
            await Task.Delay(200);
        }
        // A grid worker corrects a building's households after the job read it.
        var (a, b) = await NeighboursAsync();
        var building = (await _host.Store.GetAsync(Layer.Buildings, await BorderBuildingAsync(a, b)))!;
        var props = (JsonObject)building.Properties.DeepClone();
        props["households"] = (building.Integer("households") ?? 0) + 3;
        await _host.Store.ReplaceAsync(Layer.Buildings, new FeatureDraft(building.Id, building.Geometry, props), building.Version);
        var before = await GridsAsync();

        var accept = await Http.PostAsync($"/api/partition/jobs/{id}/accept", null);
        Assert.Equal(HttpStatusCode.Conflict, accept.StatusCode);
        var body = JsonNode.Parse(await accept.Content.ReadAsStringAsync())!;
        Assert.Equal("changed_since_read", body["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Contains(body["changed"]!.AsArray(), c => c!["id"]!.GetValue<string>() == building.Id);
        Assert.Equal(before.Select(g => (g.Id, g.Version)), (await GridsAsync()).Select(g => (g.Id, g.Version)));
    }

    [Fact]
    public async Task Accepting_a_proposal_after_a_special_area_changed_is_refused()
    {
        // A campus in the community gets a dedicated grid; the planner redraws it after the job read it.
        var community = (await _host.Store.ListAsync(Layer.Communities, new(null, 1000))).Features.First(c => (c.Text("code") ?? c.Id) == Community);
        var at = community.Geometry.InteriorPoint.Coordinate;
        var square = new NetTopologySuite.Geometries.GeometryFactory(new NetTopologySuite.Geometries.PrecisionModel(), 4326)
            .ToGeometry(new NetTopologySuite.Geometries.Envelope(at.X - 0.0003, at.X + 0.0003, at.Y - 0.0003, at.Y + 0.0003));
        var campus = await _host.Store.CreateAsync(Layer.SpecialAreas, new FeatureDraft("school-1", square, new JsonObject { ["kind"] = "school", ["name"] = "测试小学" }));
        var start = await Http.PostAsJsonAsync("/api/partition/jobs", new { scope = Community });
        var id = JsonNode.Parse(await start.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (JsonNode.Parse(await Http.GetStringAsync($"/api/partition/jobs/{id}"))!["status"]!.GetValue<string>() is not ("done" or "failed"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish");
            await Task.Delay(200);
        }
        var report = JsonNode.Parse(await Http.GetStringAsync($"/api/partition/jobs/{id}"))!["report"]!;
        Assert.Equal(1, report["dedicated"]!.GetValue<int>());
        await _host.Store.ReplaceAsync(Layer.SpecialAreas, new FeatureDraft(campus.Id, square, new JsonObject { ["kind"] = "school", ["name"] = "测试小学（新址）" }), campus.Version);

        var accept = await Http.PostAsync($"/api/partition/jobs/{id}/accept", null);
        Assert.Equal(HttpStatusCode.Conflict, accept.StatusCode);
        var body = JsonNode.Parse(await accept.Content.ReadAsStringAsync())!;
        Assert.Contains(body["changed"]!.AsArray(), c => c!["layer"]!.GetValue<string>() == "special_areas" && c["id"]!.GetValue<string>() == campus.Id);
    }
}

public sealed class SqliteGridEditApiTests() : GridEditApiTests("sqlite");

public sealed class PostGisGridEditApiTests() : GridEditApiTests("postgis");
