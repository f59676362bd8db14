using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GridMap.Core.Areas;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using GridMap.IO.GeoJson;
using GridMap.Server.Accounts;
using GridMap.Server.History;
using GridMap.Server.Hosting;
using GridMap.Server.Import;
using GridMap.Server.Problems;
using GridMap.Server.Settings;
using Microsoft.AspNetCore.Http.HttpResults;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Features;

/// <summary>
/// The store's layers as GeoJSON: list by bbox with paging, get, create, replace (If-Match), delete, upload.
/// Lives under /api/layers so that OGC API – Features (/collections) and tiles can sit beside it later.
/// </summary>
public static class FeaturesApi
{
    /// <param name="Version">The layer version: raised once by every transaction that changes the layer (ETag of GET /api/layers/{layer}).</param>
    /// <param name="Bbox">In the list: the layer's extent [w, s, e, n] when it holds 1 to <see cref="LayerExtents.MaxFeatures"/> features (the map's first view), else null.</param>
    public sealed record LayerInfo(string Layer, string Label, long Count, long Version, double[]? Bbox = null);

    public static RouteGroupBuilder MapLayers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/layers").WithTags("Layers");

        group.MapGet("/", async (IFeatureStore store, CancellationToken ct) =>
        {
            var (counts, versions) = (await store.CountAsync(ct), await store.LayerVersionsAsync(ct));
            var list = new List<LayerInfo>();
            foreach (var l in Core.Model.Layers.All)
                list.Add(new LayerInfo(l.Key(), l.Label(), counts[l], versions[l], await LayerExtents.GetAsync(store, l, counts[l], versions[l], ct)));
            return TypedResults.Ok(list);
        }).WithSummary("Every layer with its label, feature count, layer version and, for small layers, its extent (bbox)");
        group.MapGet("/{layer}", LayerAsync)
            .WithSummary("One layer's summary; its layer version is in the ETag header (send it as If-Match on an import)");

        group.MapGet("/{layer}/features", ListAsync)
            .WithSummary("Features of a layer in a lon/lat bbox, one page at a time (GeoJSON FeatureCollection)");
        group.MapGet("/{layer}/features/{id}", GetAsync)
            .WithSummary("One feature; its version is in the ETag header");
        group.MapPost("/{layer}/features", CreateAsync)
            .WithSummary("Create a feature (GeoJSON Feature body)");
        group.MapPut("/{layer}/features/{id}", ReplaceAsync)
            .WithSummary("Replace a feature; If-Match with the version you read is required (428 without, 412 when stale)");
        group.MapDelete("/{layer}/features/{id}", DeleteAsync)
            .WithSummary("Delete a feature; If-Match with the version you read is required (428 without, 412 when stale)");
        group.MapPost("/{layer}/import", ImportAsync).WithRequestTimeout(RequestProblems.UploadTimeout)
            .WithSummary("Upload a whole layer (GeoJSON FeatureCollection): all or nothing; mode=upsert (default) or replace; If-Match with the layer version (ETag of GET /api/layers/{layer}) is required; from=gcj02|bd09 converts Chinese web-map coordinates");
        return group;
    }

    static async Task<Results<Ok<LayerInfo>, ProblemHttpResult>> LayerAsync(string layer, IFeatureStore store, HttpContext http, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var (counts, versions) = (await store.CountAsync(ct), await store.LayerVersionsAsync(ct));
        http.Response.Headers.ETag = ETag(versions[l]);
        return TypedResults.Ok(new LayerInfo(l.Key(), l.Label(), counts[l], versions[l]));
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> ListAsync(
        string layer, string? bbox, int? limit, int? offset, IFeatureStore store, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        Envelope? box = null;
        if (bbox is not null && !TryParseBbox(bbox, out box, out var bboxError)) return Problem.BadParameter("bbox", bboxError);
        var size = limit ?? 1000;
        if (size < 1 || size > options.MaxPageSize) return Problem.BadParameter("limit", $"must be 1..{options.MaxPageSize}");
        var skip = offset ?? 0;
        if (skip < 0) return Problem.BadParameter("offset", "must not be negative");

        var page = await store.ListAsync(l, new FeatureQuery(box, size, skip), ct);
        var band = l == Layer.Grids ? await BandSetting.ReadAsync(store, ct) : null;
        var caller = Caller.Of(http);
        string? next = skip + page.Features.Count < page.NumberMatched
            ? $"{http.Request.Path}?{(bbox is null ? "" : $"bbox={bbox}&")}limit={size}&offset={skip + page.Features.Count}"
            : null;
        return new GeoJsonResult(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "FeatureCollection");
            w.WriteNumber("numberMatched", page.NumberMatched);
            w.WriteNumber("numberReturned", page.Features.Count);
            w.WriteStartArray("links");
            if (next is not null)
            {
                w.WriteStartObject();
                w.WriteString("rel", "next");
                w.WriteString("type", GeoJsonResult.ContentType);
                w.WriteString("href", next);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("features");
            foreach (var f in page.Features) GeoJsonFeatures.WriteFeature(w, Shown(f, band, caller));
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>A grid as a reader sees it: its band status, and names and phones only for those who may see them.</summary>
    static StoredFeature Shown(StoredFeature f, BandSetting? band, Caller caller)
    {
        if (f.Layer != Layer.Grids || band is null) return f;
        return f with { Properties = PersonalData.ShownTo(caller, f.Id, band.WithBandStatus(f.Properties)) };
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> GetAsync(string layer, string id, IFeatureStore store, GridMapOptions options, HttpContext http, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        if (TextRules.Problem(id) is not null) return Problem.NotFound(l, id);
        var f = await store.GetAsync(l, id, ct);
        if (f is null) return Problem.NotFound(l, id);
        if (l == Layer.Grids) f = Shown(f, await BandSetting.ReadAsync(store, ct), Caller.Of(http));
        http.Response.Headers.ETag = ETag(f.Version);
        return GeoJsonResult.Feature(f);
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> CreateAsync(
        string layer, HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var caller = Caller.Of(http);
        if (Access.WriteLayer(caller, l) is { } refused) return refused;
        var (draft, repairs, problem) = await ReadOneAsync(l, http, null, options, ct);
        if (problem is not null) return problem;
        if (DerivedFields.Refuse(l, draft!, null) is { } derived) return derived;
        if (await Access.FeatureAsync(store, caller, l, draft!.Geometry, draft.Properties, "/", ct) is { } outside) return outside;
        return await SaveAsync(store, l, null, draft!, null, repairs, RequestChange.For(http, ChangeKinds.Create), options, http, caller, false, ct);
    }

    static async Task<Results<GeoJsonResult, ProblemHttpResult>> ReplaceAsync(
        string layer, string id, HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var caller = Caller.Of(http);
        if (!caller.SignedIn) return Access.NotSignedIn();
        // A grid worker may correct the households of a building in their own grids (when the admin allows it); every
        // other write needs the layer's role, with the feature in scope as it was and as it will be.
        var byWorker = caller.Is(Roles.Worker) && l == Layer.Buildings;
        if (!byWorker && Access.WriteLayer(caller, l) is { } refused) return refused;
        if (!Preconditions.TryRead(http, out var expected)) return Preconditions.Unreadable();
        var (draft, repairs, problem) = await ReadOneAsync(l, http, id, options, ct);
        if (problem is not null) return problem;
        var current = TextRules.Problem(id) is null ? await store.GetAsync(l, id, ct) : null;
        if (current is null) return Problem.NotFound(l, id);
        if (expected is null) return Preconditions.Missing($"{l.Key()}/{id}", $"GET /api/layers/{l.Key()}/features/{id}", current.Version);
        if (DerivedFields.Refuse(l, draft!, current) is { } derived) return derived;
        draft = DerivedFields.KeepCurrent(l, draft!, current);
        if (byWorker && Access.WorkerHouseholds(caller, current, draft) is { } notHers) return notHers;
        if (!byWorker && await Access.FeaturesAsync(store, caller, [
                new Access.Scoped(l, current.Geometry, current.Properties, "/"), new Access.Scoped(l, draft.Geometry, draft.Properties, "/")], ct) is { } outside)
            return outside;
        return await SaveAsync(store, l, current, draft, expected, repairs, RequestChange.For(http, ChangeKinds.Replace), options, http, caller, byWorker, ct);
    }

    /// <summary>
    /// Writes one feature as a create (<paramref name="current"/> null: 201 with Location) or a replace of the version the
    /// client read; buildings and compounds keep one household total (OneTotal), their other features listed in
    /// <c>touched</c>, each of them in the caller's scope unless a worker corrects households. The feature create,
    /// replace and restore share it; the caller's right to write this feature is checked before.
    /// </summary>
    internal static async Task<Results<GeoJsonResult, ProblemHttpResult>> SaveAsync(IFeatureStore store, Layer l, StoredFeature? current, FeatureDraft draft,
        long? expected, IReadOnlyList<object> repairs, ChangeInfo change, GridMapOptions options, HttpContext http, Caller caller, bool byWorker, CancellationToken ct)
    {
        var id = draft.Id;
        try
        {
            IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>? touched = null;
            StoredFeature written;
            if (OneTotal.Applies(l))
            {
                if (current is null && await store.GetAsync(l, id, ct) is not null) throw new DuplicateFeatureException(l, id);
                if (current is not null && expected is { } e && e != current.Version) throw new VersionConflictException(l, id, e, current.Version);
                var plan = await OneTotal.PlanAsync(store, l, current, draft, expected, options.Estimation, ct);
                if (!byWorker && await ScopeOfPlanAsync(store, caller, plan, ct) is { } spills) return spills;
                if (await ApplyAsync(store, plan, l, id, change, ct) is { } refused) return refused;
                written = (await store.GetAsync(l, id, ct))!;
                touched = plan.Touched(l, id);
                if (touched.Count == 0) touched = null;
                else if (current is not null)
                    touched = new Dictionary<string, IReadOnlyDictionary<string, long>>(touched) { [l.Key()] = new Dictionary<string, long> { [id] = written.Version } };
            }
            else written = current is null ? await store.CreateAsync(l, draft, change, ct) : await store.ReplaceAsync(l, draft, expected, change, ct);
            http.Response.Headers.ETag = ETag(written.Version);
            if (current is not null) return GeoJsonResult.Feature(written, repairs, touched: touched);
            http.Response.Headers.Location = $"/api/layers/{l.Key()}/features/{Uri.EscapeDataString(written.Id)}";
            return GeoJsonResult.Feature(written, repairs, StatusCodes.Status201Created, touched);
        }
        catch (DuplicateFeatureException)
        {
            return Problem.Conflict(l, id);
        }
        catch (FeatureNotFoundException)
        {
            return Problem.NotFound(l, id);
        }
        catch (VersionConflictException e)
        {
            return Problem.StaleVersion(l, id, e.Expected, e.Current);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string layer, string id, HttpContext http, IFeatureStore store,
        GridMapOptions options, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        var caller = Caller.Of(http);
        if (Access.WriteLayer(caller, l) is { } refused) return refused;
        if (!Preconditions.TryRead(http, out var expected)) return Preconditions.Unreadable();
        if (TextRules.Problem(id) is not null) return Problem.NotFound(l, id);
        var existing = await store.GetAsync(l, id, ct);
        if (existing is not null && await Access.FeatureAsync(store, caller, l, existing.Geometry, existing.Properties, "/", ct) is { } outside) return outside;
        if (expected is null)
            return existing is not null
                ? Preconditions.Missing($"{l.Key()}/{id}", $"GET /api/layers/{l.Key()}/features/{id}", existing.Version)
                : Problem.NotFound(l, id);
        var change = RequestChange.For(http, ChangeKinds.Delete);
        try
        {
            if (OneTotal.Applies(l))
            {
                // A deleted building leaves its grid's households and unit_ids (its land stays with the grid) and its compound's total.
                var current = await store.GetAsync(l, id, ct) ?? throw new FeatureNotFoundException(l, id);
                if (expected is { } e && e != current.Version) throw new VersionConflictException(l, id, e, current.Version);
                var plan = await OneTotal.PlanAsync(store, l, current, null, expected, options.Estimation, ct);
                if (await ScopeOfPlanAsync(store, caller, plan, ct) is { } spills) return spills;
                if (await ApplyAsync(store, plan, l, id, change, ct) is { } conflict) return conflict;
                return TypedResults.NoContent();
            }
            await store.DeleteAsync(l, id, expected, change, ct);
            return TypedResults.NoContent();
        }
        catch (FeatureNotFoundException)
        {
            return Problem.NotFound(l, id);
        }
        catch (VersionConflictException e)
        {
            return Problem.StaleVersion(l, id, e.Expected, e.Current);
        }
    }

    /// <summary>What a write also rewrites (its compound, remainders, grids) lies in the caller's scope too.</summary>
    static Task<ProblemHttpResult?> ScopeOfPlanAsync(IFeatureStore store, Caller caller, OneTotalWrite plan, CancellationToken ct) =>
        Access.FeaturesAsync(store, caller, plan.Upserts.SelectMany(b => b.Features.Select(f => new Access.Scoped(b.Layer, f.Geometry, f.Properties, $"/{b.Layer.Key()}/{f.Id}"))), ct);

    /// <summary>
    /// Writes a planned building or compound write; on a version conflict, the feature's own (412, or 409 on a create
    /// that lost a race) else the first other feature's (412: it changed meanwhile, the client's version is still right,
    /// so a retry will do).
    /// </summary>
    static async Task<ProblemHttpResult?> ApplyAsync(IFeatureStore store, OneTotalWrite plan, Layer layer, string id, ChangeInfo change, CancellationToken ct)
    {
        try
        {
            await store.ApplyAsync(plan.Deletes, plan.Upserts, plan.Expected, change: change, ct: ct);
            return null;
        }
        catch (VersionConflictsException conflict)
        {
            var (e, current) = conflict.Conflicts.FirstOrDefault(c => c.Expected.Layer == layer && c.Expected.Id == id) is { Expected: not null } mine
                ? mine : conflict.Conflicts[0];
            if (e.Layer == layer && e.Id == id && e.Version == 0) return Problem.Conflict(layer, id);
            if (e.Layer == layer && e.Id == id && current == 0) return Problem.NotFound(layer, id);
            return Problem.StaleVersion(e.Layer, e.Id, e.Version, current);
        }
    }

    /// <summary>
    /// An import's answer; when it brought real communities over provisional ones, also what that did to the grids:
    /// <c>recoded</c> [{from, to, community}], <c>repartitioned</c> [{from, communities, to, outside_share}], <c>new_grids</c>,
    /// <c>provisional</c> {removed, clipped} by layer and <c>buildings_updated</c> (absent otherwise).
    /// </summary>
    /// <param name="Change">The change set the import wrote (GET /api/changes/{id}; revert with POST …/revert).</param>
    /// <param name="LayerVersion">The layer version after the import: the If-Match of the next one.</param>
    public sealed record ImportResponse(string Layer, string Mode, int Written, IReadOnlyList<object> Repairs, long Change, long LayerVersion)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<RecodedGrid>? Recoded { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<RepartitionedGrid>? Repartitioned { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<NewGrid>? NewGrids { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ProvisionalChanges? Provisional { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? BuildingsUpdated { get; init; }
    }

    static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> ImportAsync(
        string layer, string? mode, string? from, HttpContext http, IFeatureStore store, GridMapOptions options, CancellationToken ct)
    {
        if (!Core.Model.Layers.TryParse(layer, out var l)) return Problem.UnknownLayer(layer);
        if (!ChinaDatum.TryParse(from, out var datum)) return Problem.BadParameter("from", "must be wgs84, gcj02 or bd09");
        var importMode = mode switch
        {
            null or "upsert" => ImportMode.Upsert,
            "replace" => ImportMode.ReplaceLayers,
            _ => (ImportMode?)null,
        };
        if (importMode is null) return Problem.BadParameter("mode", "must be upsert or replace");
        // A replace empties the layer everywhere: the admin's alone. An upsert stays inside the caller's scope.
        var caller = Caller.Of(http);
        if ((importMode == ImportMode.ReplaceLayers ? Access.Role(caller, "a replace import", Roles.Admin) : Access.WriteLayer(caller, l)) is { } refused)
            return refused;
        // An import overwrites what is there: it names the layer version it read, checked again inside the write.
        if (!Preconditions.TryRead(http, out var layerVersion)) return Preconditions.Unreadable();
        if (layerVersion is null)
            return Preconditions.Missing($"layer {l.Key()}", $"GET /api/layers/{l.Key()}", (await store.LayerVersionsAsync(ct))[l]);
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, options.MaxUploadBytes, ct);
        if (tooLarge is not null) return tooLarge;

        var read = GeoJsonFeatures.Read(l, body, datum, options.MaxImportFeatures);
        if (!read.IsValid) return Problem.InvalidFeatures(read.Problems);
        try
        {
            var prepared = await LayerImport.PrepareAsync(store, [new LayerBatch(l, read.Features)], importMode.Value, options.Estimation, ct);
            if (await ImportScopeAsync(store, caller, prepared, ct) is { } outside) return outside;
            var summary = await LayerImport.WriteAsync(store, prepared, importMode.Value, RequestChange.For(http, ChangeKinds.Import, $"{l.Key()} ({mode ?? "upsert"})"),
                [new ExpectedLayerVersion(l, layerVersion.Value)], ct);
            // The import raised the layer version by one (once per transaction).
            http.Response.Headers.ETag = ETag(layerVersion.Value + 1);
            var r = prepared.Recoding?.Report;
            return TypedResults.Ok(new ImportResponse(l.Key(), mode ?? "upsert", summary.Written.GetValueOrDefault(l), read.Repairs.Select(Problem.Describe).ToList(),
                summary.ChangeId, layerVersion.Value + 1)
            {
                Recoded = r?.Recoded, Repartitioned = r?.Repartitioned, NewGrids = r?.NewGrids, Provisional = r?.Provisional, BuildingsUpdated = r?.BuildingsUpdated,
            });
        }
        catch (DuplicateFeatureException e)
        {
            return Problem.Conflict(l, e.Id);
        }
        catch (InvalidFeaturesException e)
        {
            return Problem.InvalidFeatures(e.Problems);
        }
        catch (VersionConflictsException e)
        {
            return LayerImport.ChangedSinceRead(e);
        }
        catch (LayerVersionConflictException e)
        {
            return Preconditions.StaleLayer(e.Layer, e.Expected, e.Current);
        }
    }

    /// <summary>Every feature an import writes or deletes, as stored now and as it will be, lies in the caller's scope.</summary>
    static async Task<ProblemHttpResult?> ImportScopeAsync(IFeatureStore store, Caller caller, PreparedImport prepared, CancellationToken ct)
    {
        if (caller.Scope is null || caller.Is(Roles.Admin)) return null;
        var scoped = new List<Access.Scoped>();
        var upserts = prepared.Batches.Concat(prepared.Recoding?.Upserts ?? []).SelectMany(b => b.Features.Select((f, i) => (b.Layer, f, i)));
        foreach (var (layer, f, i) in upserts)
        {
            scoped.Add(new(layer, f.Geometry, f.Properties, $"/features/{i}"));
            if (await store.GetAsync(layer, f.Id, ct) is { } was) scoped.Add(new(layer, was.Geometry, was.Properties, $"/features/{i}"));
        }
        foreach (var (layer, id) in prepared.Deletes.Concat(prepared.Recoding?.Deletes ?? []))
            if (await store.GetAsync(layer, id, ct) is { } was) scoped.Add(new(layer, was.Geometry, was.Properties, $"/{layer.Key()}/{id}"));
        return await Access.FeaturesAsync(store, caller, scoped, ct);
    }

    /// <summary>Reads one Feature body; on PUT the body's id (if any) must match the URL.</summary>
    static async Task<(FeatureDraft? Draft, IReadOnlyList<object> Repairs, ProblemHttpResult? Problem)> ReadOneAsync(
        Layer layer, HttpContext http, string? urlId, GridMapOptions options, CancellationToken ct)
    {
        var (body, tooLarge) = await RequestBody.ReadAsync(http.Request, options.MaxFeatureBytes, ct);
        if (tooLarge is not null) return (null, [], tooLarge);
        var problems = new List<FeatureProblem>();
        var repairs = new List<FeatureProblem>();
        FeatureDraft? draft;
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = GeoJsonFeatures.MaxDepth });
            var root = doc.RootElement;
            // Unreadable text first (a lone surrogate cannot even be read as a string): nothing below reads it then.
            if (root.ValueKind == JsonValueKind.Object && GeoJsonFeatures.TextProblemOf(root) is var (where, message))
                return (null, [], Problem.InvalidFeatures([new(null, urlId, where, message, TextRules.InvalidText)]));
            if (urlId is not null && root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var bodyId)
                && bodyId.ValueKind is JsonValueKind.String or JsonValueKind.Number && bodyId.ToString() != urlId)
                return (null, [], Problem.InvalidFeatures([new(null, bodyId.ToString(), "id", $"must match the id in the URL ('{urlId}')")]));
            draft = GeoJsonFeatures.ReadFeature(layer, root, null, problems, repairs);
            if (draft is not null && urlId is not null && draft.Id != urlId)
            {
                // A body without id takes the URL's; area and grid ids must still equal their code.
                if (layer.IsArea() || layer == Layer.Grids)
                    problems.Add(new(null, draft.Id, "properties.code", $"must equal the id in the URL ('{urlId}')"));
                else draft = draft with { Id = urlId };
            }
        }
        catch (JsonException e)
        {
            return (null, [], Problem.InvalidFeatures([new(null, urlId, "body", $"malformed JSON: {e.Message}")], "Malformed JSON"));
        }
        if (problems.Count > 0 || draft is null) return (null, [], Problem.InvalidFeatures(problems));
        // Households are estimated where the write is planned, against the store (OneTotal).
        return (draft, repairs.Select(Problem.Describe).ToList(), null);
    }

    public static string ETag(long version) => $"\"{version}\"";

    public static bool TryParseBbox(string text, out Envelope? box, out string error)
    {
        box = null;
        error = "";
        var parts = text.Split(',');
        var values = new double[parts.Length];
        if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
        {
            error = "must be minLon,minLat,maxLon,maxLat";
            return false;
        }
        if (values.Any(v => !double.IsFinite(v)) || values[0] < -180 || values[2] > 180 || values[1] < -90 || values[3] > 90)
        {
            error = "must lie within -180,-90,180,90";
            return false;
        }
        if (values[0] > values[2] || values[1] > values[3])
        {
            error = "min must not exceed max";
            return false;
        }
        box = new Envelope(values[0], values[2], values[1], values[3]);
        return true;
    }
}
