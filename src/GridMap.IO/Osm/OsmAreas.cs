using System.Text.Json.Nodes;
using GridMap.Core.Areas;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;

namespace GridMap.IO.Osm;

/// <summary>
/// Provisional districts, streets and communities for an extract that brings none (most Chinese OSM extracts hold
/// no boundaries below the district): <see cref="ProvisionalAreas"/> over the land the import covers, cut by its major
/// roads, rivers and railways. Areas carry <c>provisional: true</c> and codes in the 99xxxx / 9xx / 9xx ranges.
/// </summary>
public static class OsmAreas
{
    /// <summary>Roads whose line bounds a block (界线清晰): the classes a grid boundary follows by preference.</summary>
    public static readonly IReadOnlySet<string> MajorRoads = new HashSet<string> { "motorway", "trunk", "primary", "secondary", "tertiary" };

    /// <summary>The area batches (districts, streets, communities), or none when the import holds no households.</summary>
    public static IReadOnlyList<LayerBatch> Provisional(IReadOnlyList<LayerBatch> batches, IReadOnlyList<Geometry> barrierLines, ProvisionalAreaOptions? options = null)
    {
        var buildings = batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).ToList();
        var compounds = batches.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features).ToList();
        var points = buildings.Select(b => new HouseholdPoint(b.Geometry.InteriorPoint.Coordinate, (int)(JsonNumber.ToLong(b.Properties["households"]) ?? 0)))
            .Where(h => h.Households > 0).ToList();
        if (points.Count == 0) return [];

        // The land: the hull of what the import holds, 50 m out (as a partition of scope "all" takes it).
        var all = buildings.Select(b => b.Geometry).Concat(compounds.Select(c => c.Geometry)).ToList();
        var projection = MetricProjection.For(OsmPolygons.Factory.BuildGeometry(all));
        var extent = projection.Unproject(projection.Project(OsmPolygons.Factory.BuildGeometry(all)).ConvexHull().Buffer(50));

        var roads = batches.Where(b => b.Layer == Layer.Network).SelectMany(b => b.Features)
            .Where(f => f.Properties["highway"]?.GetValue<string>() is { } h && MajorRoads.Contains(h))
            .Select(f => f.Geometry);
        var named = compounds.Where(c => c.Properties["name"] is not null)
            .Select(c => new NamedCompound(c.Geometry, c.Properties["name"]!.GetValue<string>(), (int)(JsonNumber.ToLong(c.Properties["households"]) ?? 0))).ToList();
        var result = ProvisionalAreas.Build(extent, [.. roads, .. barrierLines], points, named, options);

        static FeatureDraft Area(ProvisionalArea a, string? parentKey)
        {
            var p = new JsonObject { ["code"] = a.Code, ["name"] = a.Name, ["provisional"] = true };
            if (parentKey is not null && a.Parent is not null) p[parentKey] = a.Parent;
            return new FeatureDraft(a.Code, a.Polygon, p);
        }
        return
        [
            new LayerBatch(Layer.Districts, [Area(result.District, null)]),
            new LayerBatch(Layer.Streets, result.Streets.Select(s => Area(s, "district_code")).ToList()),
            new LayerBatch(Layer.Communities, result.Communities.Select(c => Area(c, "street_code")).ToList()),
        ];
    }
}
