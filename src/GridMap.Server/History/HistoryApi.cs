using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Server.Accounts;
using GridMap.Server.Features;
using GridMap.Server.Hosting;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.History;

/// <summary>
/// A feature's history (deleted features too) and restoring one of its versions (docs/history.md). Restoring brings back
/// the version's own fields as a new version, never derived ones, through the same write as a PUT (or a create for a
/// deleted feature); a grid's old membership comes back through the assign engine (<see cref="GridRestore"/>).
/// </summary>
public static class HistoryApi
{
    /// <param name="Old">The feature as it was at <paramref name="VersionBefore"/> (GeoJSON); null when this change created it.</param>
    public sealed record Revision(long Change, string Author, DateTimeOffset At, string Kind, string? Summary, long VersionBefore, long VersionAfter, JsonObject? Old);

    /// <param name="CurrentVersion">0 when the feature is deleted.</param>
    public sealed record FeatureHistory(string Layer, string Id, long CurrentVersion, IReadOnlyList<Revision> Entries);

    public sealed record RestoreBody(long Version);

    public static RouteGroupBuilder MapFeatureHistory(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/layers").WithTags("History");
        group.MapGet("/{layer}/features/{id}/history", HistoryAsync)
            .WithSummary("Every change of a feature, newest first, with who, when, the versions before and after and the old value; deleted features too");
        group.MapPost("/{layer}/features/{id}/restore", RestoreAsync)
            .Accepts<RestoreBody>("application/json")
            .WithSummary("Bring version N back as a new version: {\"version\": N}, If-Match with the current version (of a deleted feature: the version it was deleted at); a grid's membership comes back through the assign engine ({\"version\": N, \"versions\": {…}, \"dry_run\": true|false})");
        return group;
    }

    static async Task<Results<Ok<FeatureHistory>, ProblemHttpResult>> HistoryAsync(string layer, string id, int? limit, IFeatureStore store,
        GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (!Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var size = limit ?? 1000;
        if (size < 1 || size > 10_000) return Problem.BadParameter("limit", "must be 1..10000");
        var current = await store.GetAsync(l, id, ct);
        var revisions = await store.FeatureHistoryAsync(l, id, size, ct);
        if (current is null && revisions.Count == 0) return Problem.NotFound(l, id);
        var caller = Caller.Of(http);
        return TypedResults.Ok(new FeatureHistory(l.Key(), id, current?.Version ?? 0, revisions.Select(r => new Revision(
            r.Change.Id, r.Change.Author, r.Change.At, r.Change.Kind, r.Change.Summary, r.Entry.VersionBefore, r.Entry.VersionAfter,
            r.Entry.Before is { } old ? ToJson(PersonalData.ShownTo(caller, old)) : null)).ToList()));
    }

    static JsonObject ToJson(StoredFeature f)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, GeoJsonResult.WriterOptions)) GeoJsonFeatures.WriteFeature(w, f);
        return JsonNode.Parse(buffer.ToArray())!.AsObject();
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> RestoreAsync(string layer, string id, HttpContext http, IFeatureStore store,
        GridMapOptions options, CancellationToken ct)
    {
        if (!Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var caller = Caller.Of(http);
        if (Access.WriteLayer(caller, l) is { } refused) return refused;
        if (!Preconditions.TryRead(http, out var expected)) return Preconditions.Unreadable();
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, 64 * 1024, ct);
        if (tooLarge is not null) return tooLarge;
        // A grid's restore is an assign: it also takes that body's versions map and dry_run.
        var restore = ReadBody(body!, l == Layer.Grids ? ["version", "versions", "dry_run"] : ["version"]);
        if (restore?["version"] is not JsonValue v || !v.TryGetValue<long>(out var version) || version < 1)
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "invalid", "The restore cannot be read",
                [new ProblemError("invalid", "/version", l == Layer.Grids
                    ? "send {\"version\": N, \"versions\": {grid: version, …}, \"dry_run\": false}: the version to bring back, a whole number ≥ 1"
                    : "send {\"version\": N}: the version to bring back, a whole number ≥ 1")]);
        var dryRun = restore["dry_run"] is JsonValue d && d.TryGetValue<bool>(out var dry) && dry;

        var current = await store.GetAsync(l, id, ct);
        var revisions = await store.FeatureHistoryAsync(l, id, int.MaxValue, ct);
        if (current is null && revisions.Count == 0) return Problem.NotFound(l, id);
        // A deleted feature's version is the one it was deleted at (its newest change deleted it).
        var now = current?.Version ?? revisions[0].Entry.VersionBefore;
        if (expected is null && !dryRun) return Preconditions.Missing($"{l.Key()}/{id}", $"GET /api/layers/{l.Key()}/features/{id}/history", now);
        if (expected is not null && expected != now) return Problem.StaleVersion(l, id, expected.Value, now);
        if (version == current?.Version) return Refused("already_current", $"version {version} is the current version of {l.Key()}/{id}");
        var then = revisions.FirstOrDefault(r => r.Entry.VersionBefore == version && r.Entry.Before is not null);
        if (then is null)
            return CodedProblem.Of(StatusCodes.Status404NotFound, "not_found", "No such version",
                [new ProblemError("not_found", "/version", $"{l.Key()}/{id} has no recorded version {version} (see GET …/history)",
                    new Dictionary<string, object?> { ["version"] = version })]);
        var change = RequestChange.For(http, ChangeKinds.Restore, $"{l.Key()}/{id} to version {version}");

        if (l == Layer.Grids)
        {
            if (current is null || current.Text("status") == "retired")
                return Refused("grid_restore", $"grid {id} is {(current is null ? "deleted" : "retired")}: a grid comes back only while it exists; move its old buildings to a grid with POST /api/grids/assign, or revert the change set that retired it (POST /api/changes/{{id}}/revert)");
            return await GridRestore.RunAsync(store, current, then, restore, caller, change, ct);
        }
        var draft = DerivedFields.Restored(then.Entry.Before!, current);
        // The feature lies in the caller's scope as it is now and as it will be again.
        if (await Access.FeaturesAsync(store, caller, [
                .. current is null ? [] : new[] { new Access.Scoped(l, current.Geometry, current.Properties, "/") },
                new Access.Scoped(l, draft.Geometry, draft.Properties, "/version")], ct) is { } outside) return outside;
        return await FeaturesApi.SaveAsync(store, l, current, draft, current is null ? null : expected, [], change, options, http, caller, false, ct);
    }

    /// <summary>The body as an object with only <paramref name="allowed"/> members; null when it is anything else.</summary>
    static JsonObject? ReadBody(byte[] body, string[] allowed)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject o && o.All(p => allowed.Contains(p.Key)) ? o : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a lone surrogate ("\ud800") in a name, which System.Text.Json cannot make a string of.
            return null;
        }
    }

    static ProblemHttpResult Refused(string code, string message) =>
        CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, code, "This version cannot be restored", [new ProblemError(code, "/version", message)]);
}
