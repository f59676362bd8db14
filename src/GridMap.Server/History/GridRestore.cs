using System.Text.Json.Nodes;
using GridMap.Core.Editing;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Server.Accounts;
using GridMap.Server.Grids;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.History;

/// <summary>
/// Restoring a grid's version N brings back its building membership as it was then, through the assign engine, so the
/// tiling, polygons, households and every derived field stay true; its old polygon is never written back. Units it
/// held then come back from wherever they are now; units it holds now but did not then go back to the grid that held
/// them then (from their own history). Like an assign it takes a <c>versions</c> map of every grid it touches and a
/// <c>dry_run</c>, and answers as an assign does.
/// </summary>
static class GridRestore
{
    public static async Task<Results<GeoJsonResult, ProblemHttpResult>> RunAsync(IFeatureStore store, StoredFeature grid, FeatureRevision then,
        JsonObject body, Caller caller, ChangeInfo change, CancellationToken ct)
    {
        var code = grid.Id;
        var old = then.Entry.Before!;
        var version = then.Entry.VersionBefore;
        var wanted = UnitIds(old);
        var now = UnitIds(grid);

        var moves = new List<Move>();
        foreach (var key in wanted.Where(k => !now.Contains(k)))
            if (await store.GetAsync(Layer.Buildings, GridSet.BuildingOf(key), ct) is not null) moves.Add(ToMove(key, code));
        var wholeIn = moves.Where(m => m.Unit is null).Select(m => m.Building).ToHashSet();

        // Units that joined after version N: back to the grid that held them just before the change that ended N.
        var unplaced = new List<string>();
        foreach (var key in now.Where(k => !wanted.Contains(k) && !wholeIn.Contains(GridSet.BuildingOf(k))))
        {
            var back = await GridThenAsync(store, GridSet.BuildingOf(key), then.Change.Id, code, ct);
            if (back is not null && await store.GetAsync(Layer.Grids, back, ct) is { } g && g.Text("status") != "retired") moves.Add(ToMove(key, back));
            else unplaced.Add(key);
        }
        if (unplaced.Count > 0)
            return Refused("grid_restore_unplaced", $"{unplaced.Count} building(s) joined grid {code} after version {version} and no grid that still exists held them then: "
                + $"move them out first with POST /api/grids/assign ({string.Join(", ", unplaced.Take(20))}{(unplaced.Count > 20 ? ", …" : "")})",
                new Dictionary<string, object?> { ["buildings"] = unplaced.Take(1000).ToList() });
        if (moves.Count == 0)
            return Refused("already_current", $"grid {code} already holds the buildings it held at version {version}", null);

        // The assign body this restore stands for: its versions and dry_run are the caller's, read strictly.
        var assign = new JsonObject
        {
            ["assignments"] = new JsonArray([.. moves.Select(m => (JsonNode)(m.Unit is null
                ? new JsonObject { ["building"] = m.Building, ["grid"] = m.Grid }
                : new JsonObject { ["building"] = m.Building, ["grid"] = m.Grid, ["unit"] = m.Unit }))]),
        };
        foreach (var key in new[] { "versions", "dry_run" })
            if (body[key] is { } value) assign[key] = value.DeepClone();
        EditRequest request;
        try
        {
            request = EditRequest.Parse(System.Text.Encoding.UTF8.GetBytes(assign.ToJsonString()), "assign");
        }
        catch (EditRequestException e)
        {
            return CodedProblem.Of(StatusCodes.Status400BadRequest, e.Code, "The restore cannot be read", [new ProblemError(e.Code, e.Pointer, e.Message)]);
        }
        return await GridsApi.EditAsync(store, request, caller, change, ct);
    }

    static HashSet<string> UnitIds(StoredFeature grid) => GridEditScope.UnitIds(grid).ToHashSet(StringComparer.Ordinal);

    static Move ToMove(string key, string grid)
    {
        var building = GridSet.BuildingOf(key);
        return new Move(building, grid, key.Length > building.Length ? key[(building.Length + 1)..] : null);
    }

    /// <summary>The one grid other than <paramref name="except"/> that held a building just before change <paramref name="at"/>; null when none or several.</summary>
    static async Task<string?> GridThenAsync(IFeatureStore store, string building, long at, string except, CancellationToken ct)
    {
        // Its value then: the old value recorded by the first change at or after `at`; none means it has not changed since.
        var history = await store.FeatureHistoryAsync(Layer.Buildings, building, int.MaxValue, ct);
        var first = history.LastOrDefault(r => r.Change.Id >= at);
        StoredFeature? then = first is null ? await store.GetAsync(Layer.Buildings, building, ct) : first.Entry.Before;
        if (then is null) return null; // it did not exist then
        var grids = (then.Properties["grid_codes"] as JsonArray)?.Select(n => n?.ToString()).OfType<string>().ToList() ?? [];
        if (then.Text("grid_code") is { } single) grids.Add(single);
        var others = grids.Where(g => g != except).Distinct().ToList();
        return others.Count == 1 ? others[0] : null;
    }

    static ProblemHttpResult Refused(string code, string message, IReadOnlyDictionary<string, object?>? parameters) =>
        CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, code, "This version cannot be restored", [new ProblemError(code, "/version", message, parameters)]);
}
