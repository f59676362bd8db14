using GridMap.Core.Model;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Areas;

/// <summary>
/// Non-residential land units (专属网格 land) made disjoint: a smaller, more specific area (a school) keeps its land
/// inside a larger one (the commercial landuse around it), residential compounds stay out of all of them (basic grids
/// stay where the households are), and pieces under <paramref name="minM2"/> are dropped. Lon/lat in and out.
/// </summary>
public static class SpecialAreas
{
    public static IReadOnlyList<FeatureDraft> Disjoint(IReadOnlyList<FeatureDraft> areas, IReadOnlyList<FeatureDraft> compounds, double minM2 = 2_000)
    {
        if (areas.Count == 0) return [];
        var projection = MetricProjection.For(areas[0].Geometry);
        var housing = compounds.Where(c => c.Geometry is IPolygonal).Select(c => GeometryFixer.Fix(projection.Project(c.Geometry))).ToList();
        Geometry? taken = null;
        var result = new List<FeatureDraft>();
        foreach (var (draft, metric) in areas.Select(a => (a, GeometryFixer.Fix(projection.Project(a.Geometry)))).OrderBy(x => x.Item2.Area))
        {
            var own = metric;
            try
            {
                if (taken is not null && own.Intersects(taken)) own = OverlayNGRobust.Overlay(own, taken, SpatialFunction.Difference);
                foreach (var c in housing.Where(c => c.EnvelopeInternal.Intersects(own.EnvelopeInternal)))
                    own = OverlayNGRobust.Overlay(own, c, SpatialFunction.Difference);
            }
            catch (TopologyException)
            {
                continue;
            }
            var polygons = Polygonal(own).Where(p => p.Area >= minM2).ToArray();
            if (polygons.Length == 0) continue;
            Geometry kept = polygons.Length == 1 ? polygons[0] : own.Factory.CreateMultiPolygon(polygons);
            taken = taken is null ? kept : OverlayNGRobust.Overlay(taken, kept, SpatialFunction.Union);
            result.Add(draft with { Geometry = GeometryRules.OrientForRfc7946(projection.Unproject(kept)) });
        }
        return result.OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
    }

    static IEnumerable<Polygon> Polygonal(Geometry g) => g switch
    {
        Polygon { IsEmpty: false } p => [p],
        GeometryCollection c => c.Geometries.SelectMany(Polygonal),
        _ => [],
    };
}
