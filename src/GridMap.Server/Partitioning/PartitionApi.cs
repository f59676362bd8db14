using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Store;
using GridMap.Server.History;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using GridMap.Server.Settings;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Partitioning;

/// <summary>
/// Partition jobs over HTTP: start one for a community, a street or the whole store, follow its progress, cancel it,
/// review the proposal, accept it (replacing that scope's grids and setting each building's grid_code in one transaction).
/// </summary>
public static class PartitionApi
{
    public sealed record StartRequest(string? Scope, int? Min, int? Max, int? Target, bool? Fresh = null);

    public sealed record JobView(
        string Id, string Kind, string Scope, string Status, double Progress, JsonObject Parameters,
        JsonNode? Report, string? Error, DateTimeOffset Created, DateTimeOffset Updated);

    /// <param name="Change">The change set the accept wrote: POST /api/changes/{change}/revert undoes it.</param>
    public sealed record AcceptResponse(string Job, int Grids, int Deleted, int BuildingsUpdated, long Change);

    public static RouteGroupBuilder MapPartition(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/partition/jobs").WithTags("Partition");
        group.MapPost("/", StartAsync).WithSummary("Start partitioning a community, a street, a district (by code) or \"all\"; 202 with the job");
        group.MapGet("/", async (IFeatureStore store, CancellationToken ct) =>
            TypedResults.Ok((await store.ListJobsAsync(50, ct)).Select(View).ToList())).WithSummary("Recent jobs, newest first");
        group.MapGet("/{id}", GetAsync).WithSummary("A job: status, progress, and the report when done");
        group.MapPost("/{id}/cancel", CancelAsync).WithSummary("Ask a queued or running job to stop");
        group.MapGet("/{id}/proposal", ProposalAsync).WithSummary("The proposed grids of a finished job (GeoJSON)");
        group.MapPost("/{id}/accept", AcceptAsync).WithSummary("Accept the proposal: replace the scope's grids and set each building's grid_code, in one transaction");
        return group;
    }

    /// <summary>Planners run jobs inside their scope; scope "all" is layer-wide, the admin's alone.</summary>
    static ProblemHttpResult? MayRun(Caller caller, string scope)
    {
        if (scope == "all") return Access.Role(caller, "a partition of scope all", Roles.Admin);
        if (Access.Role(caller, "a partition job", Roles.Admin, Roles.Planner) is { } refused) return refused;
        return caller.CoversScope(scope) ? null : Access.OutOfScope(caller, scope, "/scope");
    }

    static JobView View(Job j) => new(j.Id, j.Kind, j.Scope, j.Status, j.Progress, j.Parameters, j.Result?["report"]?.DeepClone(), j.Error, j.Created, j.Updated);

    static async Task<Results<Accepted<JobView>, ProblemHttpResult>> StartAsync(StartRequest? request, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        var scope = request?.Scope?.Trim();
        if (string.IsNullOrEmpty(scope) || scope.Length > 64) return Problem.BadParameter("scope", "is required: a community, street or district code, or \"all\"");
        if (MayRun(Caller.Of(http), scope) is { } refused) return refused;
        // Bounds not given come from the band setting (the scope's own when it is a community with one).
        var band = (await BandSetting.ReadAsync(store, ct)).For(scope);
        var (min, max) = (request!.Min ?? band.Min, request.Max ?? band.Max);
        var target = request.Target ?? (request.Min is null && request.Max is null ? band.Target : (min + max) / 2);
        if (min < 1 || max < min || target < min || target > max) return Problem.BadParameter("min", "bounds must satisfy 1 ≤ min ≤ target ≤ max");
        if (scope != "all")
        {
            var communities = await store.ListAsync(Layer.Communities, new FeatureQuery(null, 100_000), ct);
            if (!communities.Features.Any(c => StorePartitionInput.InScope(scope, c.Text("code") ?? c.Id)))
                return Problem.Of(StatusCodes.Status404NotFound, "unknown-scope", "Unknown scope", $"scope: no community has the code {scope} or lies in it",
                    new Dictionary<string, object?> { ["errors"] = new[] { new { pointer = "scope", field = "scope", message = "no such community, street or district" } } });
        }
        var job = await store.CreateJobAsync(PartitionJobRunner.Kind, scope, new JsonObject { ["min"] = min, ["max"] = max, ["target"] = target, ["fresh"] = request.Fresh == true }, ct);
        return TypedResults.Accepted($"/api/partition/jobs/{job.Id}", View(job));
    }

    static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(string id, IFeatureStore store, CancellationToken ct) =>
        await store.GetJobAsync(id, ct) is { } job ? TypedResults.Ok(View(job)) : NoJob(id);

    static async Task<Results<Accepted<JobView>, ProblemHttpResult>> CancelAsync(string id, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        if (await store.GetJobAsync(id, ct) is not { } job) return NoJob(id);
        if (MayRun(Caller.Of(http), job.Scope) is { } refused) return refused;
        if (!await store.RequestCancelAsync(id, ct)) return NotNow(id, "has already ended");
        return TypedResults.Accepted($"/api/partition/jobs/{id}", View((await store.GetJobAsync(id, ct))!));
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> ProposalAsync(string id, IFeatureStore store, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        var job = await store.GetJobAsync(id, ct);
        if (job is null) return NoJob(id);
        if (job.Result?["grids"] is not JsonObject grids) return NotNow(id, $"has no proposal (status {job.Status})");
        var caller = Caller.Of(http);
        grids = (JsonObject)grids.DeepClone();
        foreach (var f in grids["features"]!.AsArray().OfType<JsonObject>())
            if (f["properties"]?["code"]?.GetValue<string>() is not { } code || !caller.MaySeePersonalData(code))
                f["properties"] = PersonalData.Redact(f["properties"]!.AsObject()).DeepClone();
        return new GeoJsonResult(w => grids.WriteTo(w));
    }

    static async Task<Results<Ok<AcceptResponse>, ProblemHttpResult>> AcceptAsync(string id, IFeatureStore store, HttpContext http, CancellationToken ct)
    {
        var job = await store.GetJobAsync(id, ct);
        if (job is null) return NoJob(id);
        // The job's scope holds every grid and building the accept writes (the job read only those).
        if (MayRun(Caller.Of(http), job.Scope) is { } refused) return refused;
        if (job.Status != JobStatuses.Done || job.Result?["grids"] is not JsonObject collection) return NotNow(id, $"cannot be accepted (status {job.Status})");

        // Nothing the job read may have changed since: a grid worker's correction must not be silently reverted.
        var read = job.Result["read"] as JsonObject;
        var expected = new List<ExpectedVersion>();
        foreach (var (layer, member) in new[] { (Layer.Grids, "grids"), (Layer.Buildings, "buildings"), (Layer.SpecialAreas, "special_areas") })
            foreach (var (fid, v) in read?[member] as JsonObject ?? [])
                if (JsonNumber.ToLong(v) is { } version) expected.Add(new ExpectedVersion(layer, fid, version));
        var changed = new List<object>();
        foreach (var e in expected)
        {
            var now = await store.GetAsync(e.Layer, e.Id, ct);
            if (now?.Version != e.Version) changed.Add(new { layer = e.Layer.Key(), id = e.Id, read = e.Version, current = now?.Version ?? 0 });
        }
        if (changed.Count > 0) return ChangedSinceRead(id, changed);

        var grids = new List<FeatureDraft>();
        var problems = new List<FeatureProblem>();
        var gridOfBuilding = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var index = 0;
        foreach (var f in collection["features"]!.AsArray().OfType<JsonObject>())
        {
            var props = f["properties"]!.AsObject().DeepClone().AsObject();
            props["status"] = "active";
            props.Remove("out_of_band");
            props.Remove("households_before");
            NetTopologySuite.Geometries.Geometry? geometry;
            try { geometry = JsonSerializer.Deserialize<NetTopologySuite.Geometries.Geometry>(f["geometry"]!.ToJsonString(), GeometryJson.Options); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
            {
                // A stored proposal the geometry reader cannot take (an empty polygon written as [[]] by an older build).
                problems.Add(new FeatureProblem(index++, f["id"]?.ToString(), "geometry", "the proposed grid's geometry cannot be read: run the job again"));
                continue;
            }
            var checkedGrid = FeatureValidator.Validate(Layer.Grids, index++, f["id"]?.ToString(), geometry, props);
            if (checkedGrid.Draft is null) { problems.AddRange(checkedGrid.Problems); continue; }
            grids.Add(checkedGrid.Draft);
            foreach (var unit in (props["unit_ids"] as JsonArray ?? []).Select(n => n!.ToString().Split('/')[0]))
            {
                if (!gridOfBuilding.TryGetValue(unit, out var codes)) gridOfBuilding[unit] = codes = [];
                if (!codes.Contains(checkedGrid.Draft.Id)) codes.Add(checkedGrid.Draft.Id);
            }
        }
        if (problems.Count > 0) return Problem.InvalidFeatures(problems, "The proposal is no longer valid");

        var buildings = new List<FeatureDraft>();
        foreach (var (buildingId, codes) in gridOfBuilding)
        {
            var b = await store.GetAsync(Layer.Buildings, buildingId, ct);
            if (b is null) continue;
            // A building split between grids by its stairwells names them all in grid_codes; grid_code is the first.
            var props = (JsonObject)b.Properties.DeepClone();
            props["grid_code"] = codes[0];
            if (codes.Count > 1) props["grid_codes"] = new JsonArray(codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
            else props.Remove("grid_codes");
            if (JsonNode.DeepEquals(props, b.Properties)) continue;
            buildings.Add(new FeatureDraft(b.Id, b.Geometry, props));
        }
        var kept = grids.Select(g => g.Id).ToHashSet();
        // Superseded grids are retired, not deleted: their codes stay reserved, with the grids that replaced them.
        var retiring = (job.Result["replaces"] as JsonArray ?? []).Select(n => n!.ToString()).Where(code => !kept.Contains(code)).ToList();
        foreach (var code in retiring)
        {
            if (await store.GetAsync(Layer.Grids, code, ct) is not { } old) continue;
            grids.Add(Retired(old, grids.Where(g => g.Geometry.Intersects(old.Geometry) && g.Geometry.Intersection(old.Geometry).Area > 0).Select(g => g.Id)));
        }
        var deletes = new List<(Layer, string)>();
        long change;
        try
        {
            change = await store.ApplyAsync(deletes, [new LayerBatch(Layer.Grids, grids), new LayerBatch(Layer.Buildings, buildings)], expected,
                change: RequestChange.For(http, ChangeKinds.PartitionAccept, $"partition job {id} ({job.Scope})"), ct: ct);
        }
        catch (VersionConflictsException e)
        {
            return ChangedSinceRead(id, e.Conflicts.Select(c => (object)new { layer = c.Expected.Layer.Key(), id = c.Expected.Id, read = c.Expected.Version, current = c.Current }).ToList());
        }
        await store.UpdateJobAsync(id, JobStatuses.Accepted, 1, ct: ct);
        return TypedResults.Ok(new AcceptResponse(id, grids.Count - retiring.Count, retiring.Count, buildings.Count, change));
    }

    /// <summary>
    /// A superseded grid as it is kept: retired, holding nothing, its code reserved, naming the grids that replaced it
    /// (a partition accept; real communities imported over provisional ones).
    /// </summary>
    public static FeatureDraft Retired(StoredFeature old, IEnumerable<string> replacedBy)
    {
        var props = (JsonObject)old.Properties.DeepClone();
        props["status"] = "retired";
        props["households"] = 0;
        props["unit_ids"] = new JsonArray();
        props["replaced_by"] = new JsonArray(replacedBy.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        return new FeatureDraft(old.Id, old.Geometry, props);
    }

    static ProblemHttpResult ChangedSinceRead(string job, IReadOnlyList<object> changed) =>
        CodedProblem.Of(StatusCodes.Status409Conflict, "changed_since_read", "Changed since the job read it",
            [new ProblemError("changed_since_read", "/read", $"{changed.Count} grid(s) or building(s) changed since job {job} read them: run the job again",
                new Dictionary<string, object?> { ["job"] = job, ["count"] = changed.Count })],
            new Dictionary<string, object?> { ["changed"] = changed });

    static ProblemHttpResult NoJob(string id) =>
        Problem.Of(StatusCodes.Status404NotFound, "unknown-job", "Job not found", $"id: there is no job {id}",
            new Dictionary<string, object?> { ["errors"] = new[] { new { pointer = "id", field = "id", message = "no such job" } } });

    static ProblemHttpResult NotNow(string id, string why) =>
        Problem.Of(StatusCodes.Status409Conflict, "job-state", "Not in this state", $"job {id} {why}",
            new Dictionary<string, object?> { ["errors"] = new[] { new { pointer = "status", field = "status", message = why } } });
}

/// <summary>GeoJSON geometry (de)serialisation with the store's factory.</summary>
public static class GeometryJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new NetTopologySuite.IO.Converters.GeoJsonConverterFactory(GridMap.Core.Spatial.GeometryRules.Factory) },
    };
}
