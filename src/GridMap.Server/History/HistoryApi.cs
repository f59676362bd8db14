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
/// deleted feature); grids are refused for now (their membership goes through the assign engine).
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
            .WithSummary("Bring version N back as a new version: {\"version\": N}, If-Match with the current version (of a deleted feature: the version it was deleted at)");
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
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, 4096, ct);
        if (tooLarge is not null) return tooLarge;
        if (ReadVersion(body!) is not { } version)
            return CodedProblem.Of(StatusCodes.Status400BadRequest, "invalid", "The restore cannot be read",
                [new ProblemError("invalid", "/version", "send {\"version\": N}: the version to bring back, a whole number ≥ 1")]);

        var current = await store.GetAsync(l, id, ct);
        var revisions = await store.FeatureHistoryAsync(l, id, int.MaxValue, ct);
        if (current is null && revisions.Count == 0) return Problem.NotFound(l, id);
        // A deleted feature's version is the one it was deleted at (its newest change deleted it).
        var now = current?.Version ?? revisions[0].Entry.VersionBefore;
        if (expected is null) return Preconditions.Missing($"{l.Key()}/{id}", $"GET /api/layers/{l.Key()}/features/{id}/history", now);
        if (expected != now) return Problem.StaleVersion(l, id, expected.Value, now);
        if (l == Layer.Grids)
            return Refused("grid_restore", "a grid's membership, households and polygon are derived: restoring a grid would have to move its buildings back through /api/grids/assign, which restore does not do yet; move them with /api/grids/assign, or revert the change set that moved them (POST /api/changes/{id}/revert)");
        if (version == current?.Version) return Refused("already_current", $"version {version} is the current version of {l.Key()}/{id}");
        if (revisions.FirstOrDefault(r => r.Entry.VersionBefore == version)?.Entry.Before is not { } old)
            return CodedProblem.Of(StatusCodes.Status404NotFound, "not_found", "No such version",
                [new ProblemError("not_found", "/version", $"{l.Key()}/{id} has no recorded version {version} (see GET …/history)",
                    new Dictionary<string, object?> { ["version"] = version })]);

        var draft = DerivedFields.Restored(old, current);
        // The feature lies in the caller's scope as it is now and as it will be again.
        if (await Access.FeaturesAsync(store, caller, [
                .. current is null ? [] : new[] { new Access.Scoped(l, current.Geometry, current.Properties, "/") },
                new Access.Scoped(l, draft.Geometry, draft.Properties, "/version")], ct) is { } outside) return outside;
        return await FeaturesApi.SaveAsync(store, l, current, draft, current is null ? null : expected, [],
            RequestChange.For(http, ChangeKinds.Restore, $"{l.Key()}/{id} to version {version}"), options, http, caller, false, ct);
    }

    /// <summary>The version of a <c>{"version": N}</c> body; null when it is anything else.</summary>
    static long? ReadVersion(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Any(p => p.Name != "version")) return null;
            return root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 1 ? n : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static ProblemHttpResult Refused(string code, string message) =>
        CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, code, "This version cannot be restored", [new ProblemError(code, "/version", message)]);
}
