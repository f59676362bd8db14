using System.Text.Json;
using GridMap.Core.Editing;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Server.Accounts;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using GridMap.Server.Settings;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.Grids;

/// <summary>
/// Grid membership edits (docs/editing.md): assign buildings to grids (move, split, merge) and rebalance a few grids,
/// each as one all-or-nothing transaction that names the versions it read; dry runs answer the same and write nothing.
/// </summary>
public static class GridsApi
{
    // The bodies as OpenAPI shows them; they are read strictly by EditRequest (pointers in every refusal).
    public sealed record Assignment(string Building, string? Grid);
    public sealed record AssignBody(IReadOnlyList<Assignment> Assignments, IReadOnlyDictionary<string, long>? Versions, bool? DryRun, IReadOnlyList<System.Text.Json.Nodes.JsonObject>? Base);
    public sealed record RebalanceBody(IReadOnlyList<string> Grids, bool? Neighbours, IReadOnlyDictionary<string, long>? Versions, bool? DryRun, IReadOnlyList<System.Text.Json.Nodes.JsonObject>? Base);

    public static RouteGroupBuilder MapGrids(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/grids").WithTags("Grid edits");
        group.MapPost("/assign", (HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct) => RunAsync(http, store, options, "assign", ct))
            .Accepts<AssignBody>("application/json")
            .WithSummary("Move buildings between grids (grid: null = one new grid); recomputes households, unit_ids, polygons and grid_code in one transaction");
        group.MapPost("/rebalance", (HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct) => RunAsync(http, store, options, "rebalance", ct))
            .Accepts<RebalanceBody>("application/json")
            .WithSummary("Re-partition the named grids' buildings (and their neighbours') with the stable re-partitioner, keeping codes");
        return group;
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> RunAsync(HttpContext http, IFeatureStore store, GridMapOptions options, string kind, CancellationToken ct)
    {
        if (Access.Role(Caller.Of(http), kind, Roles.Admin, Roles.Planner) is { } refused) return refused;
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, options.MaxFeatureBytes * 4, ct);
        if (tooLarge is not null) return tooLarge;
        EditRequest request;
        try
        {
            request = EditRequest.Parse(body!, kind);
        }
        catch (EditRequestException e)
        {
            return CodedProblem.Of(StatusCodes.Status400BadRequest, e.Code, "The edit cannot be read", [new ProblemError(e.Code, e.Pointer, e.Message)]);
        }

        return await EditAsync(store, request, Caller.Of(http), History.RequestChange.For(http, kind), ct);
    }

    /// <summary>Runs an edit (assign, rebalance, or a grid restore's moves) as <paramref name="caller"/>: the answer of /api/grids/assign.</summary>
    internal static async Task<Results<GeoJsonResult, ProblemHttpResult>> EditAsync(IFeatureStore store, EditRequest request, Caller caller, ChangeInfo change,
        CancellationToken ct)
    {
        // A concurrent writer may change a building between our read and our write: read again, a few times.
        for (var attempt = 0; ; attempt++)
        {
            var outcome = await EditOnceAsync(store, request, caller, change, ct);
            if (outcome.Retry && attempt < 3) continue;
            return outcome.Result!;
        }
    }

    sealed record Attempt(Results<GeoJsonResult, ProblemHttpResult>? Result, bool Retry = false);

    static async Task<Attempt> EditOnceAsync(IFeatureStore store, EditRequest request, Caller caller, ChangeInfo change, CancellationToken ct)
    {
        var band = await BandSetting.ReadAsync(store, ct);
        var scope = await GridEditScope.LoadAsync(store, request.BuildingIds(), request.GridCodes(), ct);
        var set = scope.Set;
        var created = new List<string>();
        var retiredBefore = set.Grids.Where(g => g.IsRetired).Select(g => g.Code).ToHashSet();
        for (var i = 0; i < request.Operations.Count; i++)
        {
            var op = request.Operations[i];
            try
            {
                created.AddRange(op.Kind == "assign"
                    ? GridReassignment.Apply(set, op.Moves, scope.IsReal)
                    : GridRebalance.Apply(set, op.Grids, op.Neighbours, band.For(op.Grids.Select(set.Grid).FirstOrDefault()?.Community)));
            }
            catch (EditRefusedException e)
            {
                var pointer = op.Pointer + (e.Index < 0 ? "" : op.Kind == "assign" ? $"/assignments/{e.Index}" : $"/grids/{e.Index}");
                var status = e.Code switch { "not_found" => StatusCodes.Status404NotFound, "duplicate" => StatusCodes.Status400BadRequest, _ => StatusCodes.Status422UnprocessableEntity };
                return new(CodedProblem.Of(status, e.Code, "The edit breaks a rule", [new ProblemError(e.Code, pointer, e.Message, e.Parameters)]));
            }
        }

        var touchedGrids = set.Touched.ToList();
        // Every grid the edit touches (and so every building it moves) lies in the caller's scope.
        foreach (var code in touchedGrids)
            if (Access.Code(caller, set.Grid(code)!.Community ?? code, "/grids/" + code) is { } outside) return new(outside);
        var existing = touchedGrids.Where(c => scope.StoredGrids.ContainsKey(c)).ToList();
        var current = existing.ToDictionary(c => c, c => scope.StoredGrids[c].Version);
        var moved = scope.MovedBuildings();
        var retired = touchedGrids.Where(c => set.Grid(c)!.IsRetired && !retiredBefore.Contains(c)).ToList();
        var warnings = GridWarnings.For(set, touchedGrids, c => band.For(c), moved);

        if (!request.DryRun)
        {
            var missing = existing.Where(c => !request.Versions.ContainsKey(c)).ToList();
            if (missing.Count > 0)
                return new(CodedProblem.Of(StatusCodes.Status428PreconditionRequired, "missing_version", "Name the versions you read",
                    missing.Select(c => new ProblemError("missing_version", $"/versions/{c}", $"the edit touches grid {c}: name the version you read (current: {current[c]})",
                        new Dictionary<string, object?> { ["grid"] = c, ["current"] = current[c] })).ToList(),
                    new Dictionary<string, object?> { ["current"] = new { grids = current } }));
            var stale = request.Versions.Where(kv => scope.StoredGrids.TryGetValue(kv.Key, out var g) ? g.Version != kv.Value : kv.Value != 0).ToList();
            if (stale.Count > 0) return new(Stale(stale.Select(kv => (kv.Key, kv.Value, scope.StoredGrids.TryGetValue(kv.Key, out var g) ? g.Version : 0L)), current));

            var expected = existing.Select(c => new ExpectedVersion(Layer.Grids, c, current[c]))
                .Concat(set.Created.Select(c => new ExpectedVersion(Layer.Grids, c, 0)))
                .Concat(moved.Select(id => new ExpectedVersion(Layer.Buildings, id, scope.StoredBuildings[id].Version)))
                .ToList();
            try
            {
                await store.ApplyAsync([], [
                    new LayerBatch(Layer.Grids, touchedGrids.Select(c => scope.GridDraft(set.Grid(c)!)).ToList()),
                    new LayerBatch(Layer.Buildings, moved.Select(scope.BuildingDraft).ToList())], expected,
                    change: change with { Summary = $"grids {string.Join(", ", touchedGrids)}; {moved.Count} building(s) moved" }, ct: ct);
            }
            catch (VersionConflictsException e)
            {
                var gridConflicts = e.Conflicts.Where(c => c.Expected.Layer == Layer.Grids && !set.Created.Contains(c.Expected.Id)).ToList();
                if (gridConflicts.Count == 0) return new(null, Retry: true);
                foreach (var c in gridConflicts) current[c.Expected.Id] = c.Current;
                return new(Stale(gridConflicts.Select(c => (c.Expected.Id, request.Versions.GetValueOrDefault(c.Expected.Id), c.Current)), current));
            }
        }

        // Dry run: the versions the write must name. Write: the versions it made.
        var bump = request.DryRun ? 0 : 1;
        var gridVersions = touchedGrids.ToDictionary(c => c, c => current.TryGetValue(c, out var v) ? v + bump : bump);
        if (request.DryRun) foreach (var c in set.Created) gridVersions.Remove(c);
        var buildingVersions = moved.ToDictionary(id => id, id => scope.StoredBuildings[id].Version + bump);
        return new(new GeoJsonResult(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "FeatureCollection");
            w.WriteStartArray("features");
            foreach (var code in touchedGrids)
            {
                var draft = scope.GridDraft(set.Grid(code)!);
                var shown = band.WithBandStatus(draft.Properties);
                GeoJsonFeatures.WriteFeature(w, draft.Id, draft.Geometry, PersonalData.ShownTo(caller, draft.Id, shown),
                    current.TryGetValue(code, out var v) ? v + bump : bump);
            }
            w.WriteEndArray();
            w.WritePropertyName("touched");
            JsonSerializer.Serialize(w, new Dictionary<string, object> { ["grids"] = gridVersions, ["buildings"] = buildingVersions });
            w.WritePropertyName("created");
            JsonSerializer.Serialize(w, set.Created.Order(StringComparer.Ordinal).ToList());
            w.WritePropertyName("retired");
            JsonSerializer.Serialize(w, retired);
            w.WritePropertyName("warnings");
            JsonSerializer.Serialize(w, warnings.Select(x =>
            {
                var o = new Dictionary<string, object?> { ["code"] = x.Code, ["grid"] = x.Grid };
                foreach (var (k, val) in x.Parameters) o[k] = val;
                o["message"] = x.Message;
                return o;
            }).ToList(), GeoJsonResult.JsonOptions);
            w.WriteBoolean("dry_run", request.DryRun);
            w.WriteEndObject();
        }));
    }

    static ProblemHttpResult Stale(IEnumerable<(string Code, long Named, long Current)> stale, IReadOnlyDictionary<string, long> current) =>
        CodedProblem.Of(StatusCodes.Status412PreconditionFailed, "stale_version", "Someone else changed these grids",
            stale.Select(s => new ProblemError("stale_version", $"/versions/{s.Code}",
                $"grid {s.Code} is at version {s.Current}, not {s.Named}: reload it and apply your change again",
                new Dictionary<string, object?> { ["grid"] = s.Code, ["expected"] = s.Named, ["current"] = s.Current })).ToList(),
            new Dictionary<string, object?> { ["current"] = new { grids = current } });
}
