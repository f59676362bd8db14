using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using GridMap.Core.Model;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Features;

/// <summary>
/// A small layer's extent <c>[west, south, east, north]</c> for GET /api/layers (`bbox`): the map fits its first view to it
/// without fetching the layer. Only for layers of at most <see cref="MaxFeatures"/> features (reading a city's buildings
/// for it would cost more than the view saves); remembered per store and layer version, so it is read once per change.
/// </summary>
public static class LayerExtents
{
    public const int MaxFeatures = 5000;
    const int Page = 5000;

    static readonly ConditionalWeakTable<IFeatureStore, ConcurrentDictionary<Layer, (long Version, double[]? Box)>> Known = new();

    public static async Task<double[]?> GetAsync(IFeatureStore store, Layer layer, long count, long version, CancellationToken ct)
    {
        if (count is 0 or > MaxFeatures) return null;
        var known = Known.GetOrCreateValue(store);
        if (known.TryGetValue(layer, out var k) && k.Version == version) return k.Box;
        var envelope = new Envelope();
        for (var offset = 0; ; offset += Page)
        {
            var page = await store.ListAsync(layer, new FeatureQuery(null, Page, offset), ct);
            foreach (var f in page.Features) envelope.ExpandToInclude(f.Geometry.EnvelopeInternal);
            if (page.Features.Count < Page) break;
        }
        double[]? box = envelope.IsNull ? null : [envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY];
        known[layer] = (version, box);
        return box;
    }
}
