using GridMap.Core.Estimation;
using GridMap.Core.Model;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Features;

/// <summary>
/// Everything one write of a building or compound changes, to apply in one transaction checked against every version
/// read. <see cref="Expected"/> holds the written feature itself (0: must not exist yet) and each stored feature
/// rewritten or deleted with it.
/// </summary>
public sealed record OneTotalWrite(
    IReadOnlyList<(Layer Layer, string Id)> Deletes, IReadOnlyList<LayerBatch> Upserts, IReadOnlyList<ExpectedVersion> Expected,
    FeatureDraft? Written)
{
    /// <summary>Buildings other than the one written (remainders) and grids this write rewrites: layer → id → the version they will have.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Touched(Layer layer, string id) =>
        Upserts.SelectMany(b => b.Features.Select(f => (b.Layer, f.Id)))
            .Where(t => !(t.Layer == layer && t.Id == id))
            .GroupBy(t => t.Layer.Key())
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, long>)g.ToDictionary(
                t => t.Id, t => (Expected.FirstOrDefault(e => e.Layer == t.Layer && e.Id == t.Id)?.Version ?? 0) + 1));
}

/// <summary>
/// One household total (domain.md) kept by single-feature writes as imports keep it: a building written, moved or
/// deleted recounts the compound it is in and the one it left, whose remainder unit shrinks, grows, appears or goes; a
/// compound written recounts with the buildings stored in it; a compound deleted takes its remainder with it. The
/// grids holding any building whose households change are recounted in the same write.
/// </summary>
public static class OneTotal
{
    public static bool Applies(Layer layer) => layer is Layer.Buildings or Layer.Compounds;

    /// <param name="current">The stored feature (null on a create).</param>
    /// <param name="next">The feature to write, as the client sent it (null on a delete).</param>
    /// <param name="expected">The version the client read (If-Match), else the current one.</param>
    public static async Task<OneTotalWrite> PlanAsync(IFeatureStore store, Layer layer, StoredFeature? current, FeatureDraft? next, long? expected,
        EstimationOptions options, CancellationToken ct)
    {
        var id = next?.Id ?? current!.Id;
        var box = new Envelope();
        if (current is not null) box.ExpandToInclude(current.Geometry.EnvelopeInternal);
        if (next is not null) box.ExpandToInclude(next.Geometry.EnvelopeInternal);
        var compounds = await StoreReads.AllAsync(store, Layer.Compounds, box, ct);
        foreach (var c in compounds) box.ExpandToInclude(c.Geometry.EnvelopeInternal);
        var buildings = await StoreReads.AllAsync(store, Layer.Buildings, box, ct);
        var read = compounds.Concat(buildings).ToDictionary(f => (f.Layer, f.Id));
        // The feature written is as read at the start (the box may miss a moved feature; a create has none).
        if (current is not null) read[(layer, id)] = current;
        else read.Remove((layer, id));

        var deletes = new List<(Layer, string)>();
        var recount = new HashSet<string>(StringComparer.Ordinal);
        // The compound a building leaves (deleted, or moved to another) is recounted without it.
        if (layer == Layer.Buildings && current?.Text("compound") is { } left && (next is null || next.Text("compound") != left)) recount.Add(left);
        if (layer == Layer.Compounds && next is null)
        {
            deletes.Add((Layer.Compounds, id));
            if (read.ContainsKey((Layer.Buildings, HouseholdEstimator.RemainderId(id)))) deletes.Add((Layer.Buildings, HouseholdEstimator.RemainderId(id)));
        }
        else if (next is null) deletes.Add((layer, id));

        var context = new EstimationContext
        {
            StoredCompounds = compounds.Where(c => !(layer == Layer.Compounds && c.Id == id)).Select(Draft).ToList(),
            StoredBuildings = buildings.Where(b => !(layer == Layer.Buildings && b.Id == id)).Select(Draft).ToList(),
            RecountCompounds = recount,
        };
        var estimated = new HouseholdEstimator(options).Estimate(next is null ? [] : [new LayerBatch(layer, [next])], context);
        deletes.AddRange(estimated.RemovedRemainders.Select(r => (Layer.Buildings, r)).Where(d => !deletes.Contains(d)));
        var written = estimated.Batches.Where(b => b.Layer == layer).SelectMany(b => b.Features).FirstOrDefault(f => f.Id == id);

        // Every stored building whose households change: its grids follow.
        var changes = estimated.Batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features)
            .Where(f => read.ContainsKey((Layer.Buildings, f.Id))).Select(f => (read[(Layer.Buildings, f.Id)], (FeatureDraft?)f))
            .Concat(deletes.Where(d => d.Item1 == Layer.Buildings && read.ContainsKey(d)).Select(d => (read[d], (FeatureDraft?)null)))
            .ToList();
        var grids = await GridRecount.ForAsync(store, changes, ct);

        var expectations = new List<ExpectedVersion> { new(layer, id, current is null ? 0 : expected ?? current.Version) };
        foreach (var f in estimated.Batches.SelectMany(b => b.Features.Select(f => (b.Layer, f.Id))).Concat(deletes).Distinct())
        {
            if (f.Item1 == layer && f.Item2 == id) continue;
            expectations.Add(new(f.Item1, f.Item2, read.TryGetValue(f, out var was) ? was.Version : 0));
        }
        expectations.AddRange(grids.Select(g => new ExpectedVersion(Layer.Grids, g.Draft.Id, g.Version)));
        var upserts = estimated.Batches.Where(b => b.Features.Count > 0).ToList();
        if (grids.Count > 0) upserts.Add(new LayerBatch(Layer.Grids, grids.Select(g => g.Draft).ToList()));
        return new OneTotalWrite(deletes, upserts, expectations, written);
    }

    static FeatureDraft Draft(StoredFeature f) => new(f.Id, f.Geometry, f.Properties);
}
