using GridMap.Core.Model;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Hosting;

/// <summary>Reads the store needs beyond one page.</summary>
public static class StoreReads
{
    /// <summary>Every feature of a layer (within a box when given), page by page.</summary>
    public static async Task<List<StoredFeature>> AllAsync(IFeatureStore store, Layer layer, Envelope? box, CancellationToken ct)
    {
        var all = new List<StoredFeature>();
        for (var offset = 0; ; offset += 10_000)
        {
            var page = await store.ListAsync(layer, new FeatureQuery(box, 10_000, offset), ct);
            all.AddRange(page.Features);
            if (page.Features.Count == 0 || all.Count >= page.NumberMatched) return all;
        }
    }
}
