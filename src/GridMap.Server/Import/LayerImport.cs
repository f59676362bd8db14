using System.Text.Json.Nodes;
using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Schema;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Import;

/// <summary>
/// An import ready to write: its batches with households filled, the remainder units it empties, and — when it brings
/// real communities over provisional ones — the grids and areas that change with it.
/// </summary>
public sealed record PreparedImport(IReadOnlyList<LayerBatch> Batches, IReadOnlyList<(Layer Layer, string Id)> Deletes)
{
    public RecodingWrite? Recoding { get; init; }
}

/// <summary>What every way into the store does before writing: estimate the households nobody counted, in one total.</summary>
public static class LayerImport
{
    /// <summary>
    /// Estimates against what the store holds around the import: buildings arriving on their own are judged inside the
    /// stored compounds and recount them (their remainders shrink, or go when the buildings account for everything).
    /// Layers a replace import empties are not read.
    /// </summary>
    public static async Task<PreparedImport> PrepareAsync(IFeatureStore store, IReadOnlyList<LayerBatch> batches, ImportMode mode,
        EstimationOptions estimation, CancellationToken ct = default)
    {
        EnsureImportable(batches);
        var estimated = batches.Where(b => b.Layer is Layer.Buildings or Layer.Compounds).SelectMany(b => b.Features).ToList();
        var context = EstimationContext.Empty;
        if (estimated.Count > 0)
        {
            var replaced = mode == ImportMode.ReplaceLayers ? batches.Select(b => b.Layer).ToHashSet() : [];
            var box = new Envelope();
            foreach (var f in estimated) box.ExpandToInclude(f.Geometry.EnvelopeInternal);
            var compounds = replaced.Contains(Layer.Compounds) ? [] : await StoreReads.AllAsync(store, Layer.Compounds, box, ct);
            foreach (var c in compounds) box.ExpandToInclude(c.Geometry.EnvelopeInternal);
            var buildings = replaced.Contains(Layer.Buildings) ? [] : await StoreReads.AllAsync(store, Layer.Buildings, box, ct);
            // A building the import moves or re-assigns leaves its stored compound, which is recounted without it (as
            // OneTotal does for one building); else that compound kept its households and the remainder did not give them
            // back (one total broken, found by HouseholdTotalsPropertyTests). Its stored version may lie outside the box.
            var left = new HashSet<string>(StringComparer.Ordinal);
            if (!replaced.Contains(Layer.Buildings))
            {
                var ids = batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
                foreach (var previous in await StoredVersionsAsync(store, ids, buildings, ct))
                    if (previous.Text("compound") is { } c) left.Add(c);
                var outside = new Envelope();
                foreach (var id in left.Where(id => !replaced.Contains(Layer.Compounds) && compounds.All(c => c.Id != id)))
                    if (await store.GetAsync(Layer.Compounds, id, ct) is { } c)
                    {
                        compounds.Add(c);
                        outside.ExpandToInclude(c.Geometry.EnvelopeInternal);
                    }
                if (!outside.IsNull)
                {
                    var known = buildings.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
                    buildings.AddRange((await StoreReads.AllAsync(store, Layer.Buildings, outside, ct)).Where(b => known.Add(b.Id)));
                }
            }
            context = new EstimationContext
            {
                StoredCompounds = compounds.Select(Draft).ToList(),
                StoredBuildings = buildings.Select(Draft).ToList(),
                RecountCompounds = left,
            };
        }
        batches = await WithoutProvisionalAreasWhereRealOnesExistAsync(store, batches, mode, ct);
        // Real communities over provisional ones: grids are re-coded or re-partitioned in the import's transaction.
        var recoding = await ProvisionalRecoding.PlanAsync(store, batches, mode, ct);
        // An OSM import arrives estimated (every feature says its rule): with nothing stored around it, there is nothing to redo.
        if (context.StoredCompounds.Count == 0 && context.StoredBuildings.Count == 0 && estimated.All(f => f.Properties["households_rule"] is not null))
            return new PreparedImport(batches, []) { Recoding = recoding };
        var result = new HouseholdEstimator(estimation).Estimate(batches, context);
        return new PreparedImport(result.Batches, result.RemovedRemainders.Select(id => (Layer.Buildings, id)).ToList()) { Recoding = recoding };
    }

    /// <summary>The code of an import that holds nothing to write (422).</summary>
    public const string NothingToImport = "nothing_to_import";

    /// <summary>
    /// An import with no feature at all never reaches the store, whatever its mode: a replace would empty the layer for
    /// a file that was empty, truncated or all refused. Every way in (layer uploads, `gridmap import`, OSM uploads) prepares
    /// through here; <see cref="InvalidFeaturesException"/> (422 <c>nothing_to_import</c>) otherwise.
    /// </summary>
    public static void EnsureImportable(IReadOnlyList<LayerBatch> batches)
    {
        if (batches.Any(b => b.Features.Count > 0)) return;
        var layers = batches.Count == 0 ? "any layer" : string.Join(", ", batches.Select(b => b.Layer.Key()).Distinct());
        throw new InvalidFeaturesException([new(null, null, "features",
            $"holds no feature to import into {layers}: nothing was written (to empty a layer, delete its features)", NothingToImport)]);
    }

    /// <summary>
    /// Writes a prepared import in one transaction, as one change set (one that re-codes grids is of kind
    /// <c>recoding</c>). With re-coding, every feature it read must still be at the version read, else
    /// <see cref="VersionConflictsException"/> and nothing is written; each of <paramref name="expectedLayers"/> must still be
    /// at its layer version, else <see cref="LayerVersionConflictException"/>.
    /// </summary>
    public static async Task<ImportSummary> WriteAsync(IFeatureStore store, PreparedImport import, ImportMode mode, ChangeInfo change,
        IReadOnlyList<ExpectedLayerVersion>? expectedLayers = null, CancellationToken ct = default)
    {
        if (import.Recoding is { } r)
        {
            // A replace is emulated by the re-coding's deletes (it keeps what is left of the provisional communities).
            var id = await store.ApplyAsync([.. import.Deletes, .. r.Deletes], [.. import.Batches, .. r.Upserts], r.Expected, expectedLayers,
                change with { Kind = ChangeKinds.Recoding }, ct);
            return new ImportSummary(Written(import), id);
        }
        if (import.Deletes.Count == 0) return await store.ImportAsync(import.Batches, mode, expectedLayers, change, ct);
        // Only an upsert can leave a stored remainder to delete (a replace of buildings reads none).
        return new ImportSummary(Written(import), await store.ApplyAsync(import.Deletes, import.Batches, null, expectedLayers, change, ct));
    }

    static Dictionary<Layer, int> Written(PreparedImport import) =>
        import.Batches.GroupBy(b => b.Layer).ToDictionary(g => g.Key, g => g.Sum(b => b.Features.Count));

    /// <summary>
    /// An OSM import brings provisional areas (<c>provisional: true</c>: formed where the extract holds no communities, or
    /// admin boundaries without a division code). They are written only where the store has no communities, or a replace
    /// import finds only provisional ones: areas a planner imported stay. Areas with real codes are always written.
    /// </summary>
    static async Task<IReadOnlyList<LayerBatch>> WithoutProvisionalAreasWhereRealOnesExistAsync(IFeatureStore store, IReadOnlyList<LayerBatch> batches,
        ImportMode mode, CancellationToken ct)
    {
        static bool Provisional(JsonObject p) => p["provisional"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var areaLayers = new[] { Layer.Districts, Layer.Streets, Layer.Communities };
        var brought = batches.Where(b => areaLayers.Contains(b.Layer)).SelectMany(b => b.Features).ToList();
        if (!brought.Any(f => Provisional(f.Properties))) return batches;
        var stored = await StoreReads.AllAsync(store, Layer.Communities, null, ct);
        var keep = stored.Count == 0 || (mode == ImportMode.ReplaceLayers && stored.All(c => Provisional(c.Properties)));
        if (keep) return batches;
        return batches.Select(b => areaLayers.Contains(b.Layer) ? b with { Features = b.Features.Where(f => !Provisional(f.Properties)).ToList() } : b)
            .Where(b => !areaLayers.Contains(b.Layer) || b.Features.Count > 0).ToList();
    }

    /// <summary>409 changed_since_read: what the import read (grids, buildings, areas it re-codes) changed before it wrote.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ChangedSinceRead(VersionConflictsException e) =>
        Problems.CodedProblem.Of(StatusCodes.Status409Conflict, "changed_since_read", "Changed since the import read it",
            [new Problems.ProblemError("changed_since_read", "/", $"{e.Conflicts.Count} feature(s) changed while the import was prepared: import again",
                new Dictionary<string, object?> { ["count"] = e.Conflicts.Count })],
            new Dictionary<string, object?>
            {
                ["changed"] = e.Conflicts.Select(c => new { layer = c.Expected.Layer.Key(), id = c.Expected.Id, read = c.Expected.Version, current = c.Current }).ToList(),
            });

    /// <summary>
    /// The stored versions of these buildings: those among the ones read, the rest by id when the store holds buildings
    /// beyond them (the whole layer when there are many).
    /// </summary>
    static async Task<List<StoredFeature>> StoredVersionsAsync(IFeatureStore store, IReadOnlySet<string> ids, IReadOnlyList<StoredFeature> read,
        CancellationToken ct)
    {
        var found = read.Where(b => ids.Contains(b.Id)).ToList();
        var missing = ids.Except(found.Select(b => b.Id)).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0 || (await store.CountAsync(ct)).GetValueOrDefault(Layer.Buildings) <= read.Count) return found;
        if (missing.Count > 1_000)
        {
            found.AddRange((await StoreReads.AllAsync(store, Layer.Buildings, null, ct)).Where(b => missing.Contains(b.Id)));
            return found;
        }
        foreach (var id in missing)
            if (await store.GetAsync(Layer.Buildings, id, ct) is { } b) found.Add(b);
        return found;
    }

    static FeatureDraft Draft(StoredFeature f) => new(f.Id, f.Geometry, f.Properties);
}
