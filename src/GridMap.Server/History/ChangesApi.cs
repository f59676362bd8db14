using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Accounts;
using GridMap.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GridMap.Server.History;

/// <summary>
/// Change sets: every write transaction, newest first, with what it did feature by feature; and reverting one, which
/// writes every feature it touched back to its old value in one transaction, as a new change set (docs/history.md).
/// </summary>
public static class ChangesApi
{
    /// <param name="Counts">Features it changed, by layer.</param>
    public sealed record ChangeView(long Id, string Author, string Kind, string? Summary, DateTimeOffset At, long? Reverts, long? RevertedBy,
        IReadOnlyDictionary<string, long> Counts);

    public sealed record ChangesPage(IReadOnlyList<ChangeView> Changes, long NumberMatched, string? Next);

    /// <param name="VersionBefore">0: the change created the feature.</param>
    /// <param name="VersionAfter">0: the change deleted the feature.</param>
    public sealed record EntryView(string Layer, string Id, long VersionBefore, long VersionAfter);

    public sealed record ChangeDetail(ChangeView Change, IReadOnlyList<EntryView> Entries, long NumberMatched, string? Next);

    public sealed record RevertResponse(long Reverted, long Change, IReadOnlyDictionary<string, long> Counts);

    public static RouteGroupBuilder MapChanges(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/changes").WithTags("History");
        group.MapGet("/", ListAsync).WithSummary("Change sets, newest first: who, what kind, when, how many features per layer");
        group.MapGet("/{id:long}", GetAsync).WithSummary("One change set and its entries (layer, id, version before and after), a page at a time");
        group.MapPost("/{id:long}/revert", RevertAsync)
            .WithSummary("Undo a change set in one transaction, as a new change set; 409 changed_since_read when later changes touched its features");
        return group;
    }

    static ChangeView View(ChangeSet c) => new(c.Id, c.Author, c.Kind, c.Summary, c.At, c.Reverts, c.RevertedBy,
        c.Counts.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.Key(), kv => kv.Value));

    static async Task<Results<Ok<ChangesPage>, ProblemHttpResult>> ListAsync(int? limit, int? offset, IFeatureStore store, CancellationToken ct)
    {
        var (size, skip) = (limit ?? 50, offset ?? 0);
        if (size is < 1 or > 1000) return Problem.BadParameter("limit", "must be 1..1000");
        if (skip < 0) return Problem.BadParameter("offset", "must not be negative");
        var page = await store.ListChangesAsync(size, skip, ct);
        var next = skip + page.Changes.Count < page.NumberMatched ? $"/api/changes?limit={size}&offset={skip + page.Changes.Count}" : null;
        return TypedResults.Ok(new ChangesPage(page.Changes.Select(View).ToList(), page.NumberMatched, next));
    }

    static async Task<Results<Ok<ChangeDetail>, ProblemHttpResult>> GetAsync(long id, int? limit, int? offset, IFeatureStore store, CancellationToken ct)
    {
        var (size, skip) = (limit ?? 1000, offset ?? 0);
        if (size is < 1 or > 10_000) return Problem.BadParameter("limit", "must be 1..10000");
        if (skip < 0) return Problem.BadParameter("offset", "must not be negative");
        if (await store.GetChangeAsync(id, ct) is not { } change) return NoChange(id);
        var entries = await store.ChangeEntriesAsync(id, size, skip, withValues: false, ct);
        var total = change.Counts.Values.Sum();
        var next = skip + entries.Count < total ? $"/api/changes/{id}?limit={size}&offset={skip + entries.Count}" : null;
        return TypedResults.Ok(new ChangeDetail(View(change), entries.Select(e => new EntryView(e.Layer.Key(), e.Id, e.VersionBefore, e.VersionAfter)).ToList(),
            total, next));
    }

    static async Task<Results<Ok<RevertResponse>, ProblemHttpResult>> RevertAsync(long id, HttpContext http, IFeatureStore store, CancellationToken ct)
    {
        if (await store.GetChangeAsync(id, ct) is not { } change) return NoChange(id);
        if (change.RevertedBy is { } by)
            return CodedProblem.Of(StatusCodes.Status409Conflict, "already_reverted", "Already reverted",
                [new ProblemError("already_reverted", "/id", $"change {id} was reverted by change {by}", new Dictionary<string, object?> { ["reverted_by"] = by })]);
        var entries = await store.ChangeEntriesAsync(id, int.MaxValue, 0, withValues: true, ct);
        if (entries.Count == 0)
            return CodedProblem.Of(StatusCodes.Status422UnprocessableEntity, "not_revertible", "Nothing to revert",
                [new ProblemError("not_revertible", "/id", $"change {id} ({change.Kind}) changed no feature: there is nothing to write back")]);
        if (await MayRevertAsync(store, Caller.Of(http), entries, ct) is { } refused) return refused;

        // A change set can be undone only while nothing later touched what it wrote: otherwise the undo would throw
        // that later work away. Later changes undone since (a change and its revert) left the values as they were.
        // The versions are checked once more inside the write.
        var later = await store.TouchedSinceAsync(id, ct);
        var standing = await StandingAsync(store, later.SelectMany(t => t.Changes).Distinct().Order().ToList(), ct);
        var blocking = later.Where(t => t.Changes.Any(standing.Contains)).ToList();
        if (blocking.Count > 0)
            return ChangedSinceRead(id, blocking.Count, blocking.Take(100).Select(t => (object)new
            {
                layer = t.Layer.Key(), id = t.Id, changes = t.Changes.Where(standing.Contains).ToList(),
            }).ToList());

        var now = later.ToDictionary(t => (t.Layer, t.Id), t => t.Version);
        var deletes = entries.Where(e => e.VersionBefore == 0 && e.VersionAfter > 0).Select(e => (e.Layer, e.Id)).ToList();
        var upserts = entries.Where(e => e.Before is not null).GroupBy(e => e.Layer)
            .Select(g => new LayerBatch(g.Key, g.Select(e => new FeatureDraft(e.Id, e.Geometry!, e.Properties!)).ToList())).ToList();
        var expected = entries.Select(e => new ExpectedVersion(e.Layer, e.Id, now.TryGetValue((e.Layer, e.Id), out var v) ? v : e.VersionAfter)).ToList();
        long written;
        try
        {
            written = await store.ApplyAsync(deletes, upserts, expected,
                change: RequestChange.For(http, ChangeKinds.Revert, $"revert change {id} ({change.Kind})") with { Reverts = id }, ct: ct);
        }
        catch (VersionConflictsException e)
        {
            return ChangedSinceRead(id, e.Conflicts.Count, e.Conflicts.Take(100).Select(c => (object)new
            {
                layer = c.Expected.Layer.Key(), id = c.Expected.Id, read = c.Expected.Version, current = c.Current,
            }).ToList());
        }
        return TypedResults.Ok(new RevertResponse(id, written, View(change).Counts));
    }

    /// <summary>
    /// A revert is a write of every feature the change set touched: the caller writes each of their layers, and every
    /// feature, as it is now and as the revert will leave it, lies in their scope.
    /// </summary>
    static async Task<ProblemHttpResult?> MayRevertAsync(IFeatureStore store, Caller caller, IReadOnlyList<HistoryEntry> entries, CancellationToken ct)
    {
        foreach (var layer in entries.Select(e => e.Layer).Distinct())
            if (Access.WriteLayer(caller, layer) is { } refused) return refused;
        if (caller.Scope is null || caller.Is(Roles.Admin)) return null;
        var scoped = new List<Access.Scoped>();
        foreach (var e in entries)
        {
            if (e.Before is not null) scoped.Add(new(e.Layer, e.Geometry!, e.Properties!, $"/{e.Layer.Key()}/{e.Id}"));
            if (await store.GetAsync(e.Layer, e.Id, ct) is { } now) scoped.Add(new(e.Layer, now.Geometry, now.Properties, $"/{e.Layer.Key()}/{e.Id}"));
        }
        return await Access.FeaturesAsync(store, caller, scoped, ct);
    }

    /// <summary>
    /// The change sets of <paramref name="ids"/> (in order) whose effect still stands: a revert among them takes its target
    /// out when the target stands, else it stands itself (a revert of a revert redoes the first).
    /// </summary>
    static async Task<HashSet<long>> StandingAsync(IFeatureStore store, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var standing = new HashSet<long>();
        foreach (var id in ids)
        {
            var reverts = (await store.GetChangeAsync(id, ct))?.Reverts;
            if (reverts is { } target && standing.Remove(target)) continue;
            standing.Add(id);
        }
        return standing;
    }

    static ProblemHttpResult ChangedSinceRead(long id, int count, IReadOnlyList<object> changed) =>
        CodedProblem.Of(StatusCodes.Status409Conflict, "changed_since_read", "Changed since",
            [new ProblemError("changed_since_read", "/id", $"{count} feature(s) of change {id} were changed by later changes: revert those first, newest first",
                new Dictionary<string, object?> { ["change"] = id, ["count"] = count })],
            new Dictionary<string, object?> { ["changed"] = changed });

    static ProblemHttpResult NoChange(long id) =>
        CodedProblem.Of(StatusCodes.Status404NotFound, "not_found", "No such change set",
            [new ProblemError("not_found", "/id", $"there is no change set {id}", new Dictionary<string, object?> { ["change"] = id })]);
}
