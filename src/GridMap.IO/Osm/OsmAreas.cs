using System.Text.Json.Nodes;
using GridMap.Core.Areas;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Core.Store;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace GridMap.IO.Osm;

/// <summary>
/// Districts, streets and communities of an OSM import: the extract's admin boundaries (<see cref="OsmAdmin"/>), and
/// provisional areas (<see cref="ProvisionalAreas"/>) where it holds none down to the community — most Chinese
/// extracts hold no boundaries below the district. Provisional streets and communities are formed inside each
/// district (coded under its code), or inside each street when the extract has streets but no communities; land
/// outside every district gets a provisional district of its own. Areas GridMap made carry <c>provisional: true</c>
/// and codes in the 99xxxx / 9xx / 9xx ranges.
/// </summary>
public static class OsmAreas
{
    /// <summary>Roads whose line bounds a block (界线清晰): the classes a grid boundary follows by preference.</summary>
    public static readonly IReadOnlySet<string> MajorRoads = new HashSet<string> { "motorway", "trunk", "primary", "secondary", "tertiary" };

    /// <summary>Provisional areas alone, for an import with no admin boundaries.</summary>
    public static IReadOnlyList<LayerBatch> Provisional(IReadOnlyList<LayerBatch> batches, IReadOnlyList<Geometry> barrierLines, ProvisionalAreaOptions? options = null) =>
        Areas(batches, barrierLines, AdminAreaSet.Empty, new Dictionary<string, string>(), options);

    /// <summary>The area batches (districts, streets, communities): the admin areas, and provisional ones below them.</summary>
    /// <param name="bounds">the rectangle the admin areas were closed along (land beyond it joins the nearest district)</param>
    public static IReadOnlyList<LayerBatch> Areas(IReadOnlyList<LayerBatch> batches, IReadOnlyList<Geometry> barrierLines, AdminAreaSet admin,
        IReadOnlyDictionary<string, string> osmIds, ProvisionalAreaOptions? options = null, Envelope? bounds = null)
    {
        var o = options ?? new ProvisionalAreaOptions();
        admin = KeepCompoundsWhole(admin, batches.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features).Select(f => f.Geometry).ToList(), bounds);
        var districts = admin.Districts.Select(a => Area(a, null, osmIds)).ToList();
        var streets = admin.Streets.Select(a => Area(a, "district_code", osmIds)).ToList();
        var communities = admin.Communities.Select(a => Area(a, "street_code", osmIds)).ToList();
        IReadOnlyList<LayerBatch> Batches() => districts.Count + streets.Count + communities.Count == 0 ? [] :
        [
            new LayerBatch(Layer.Districts, districts),
            new LayerBatch(Layer.Streets, streets),
            new LayerBatch(Layer.Communities, communities),
        ];
        // Communities from the data: nothing provisional is formed (land they leave out stays out, as mapped).
        if (admin.Communities.Count > 0) return Batches();

        var buildings = batches.Where(b => b.Layer == Layer.Buildings).SelectMany(b => b.Features).ToList();
        var compounds = batches.Where(b => b.Layer == Layer.Compounds).SelectMany(b => b.Features).ToList();
        var points = buildings.Select(b => new HouseholdPoint(b.Geometry.InteriorPoint.Coordinate, (int)(JsonNumber.ToLong(b.Properties["households"]) ?? 0)))
            .Where(h => h.Households > 0).ToList();
        if (points.Count == 0) return Batches();

        // The land: the hull of what the import holds, 50 m out (as a partition of scope "all" takes it).
        var all = buildings.Select(b => b.Geometry).Concat(compounds.Select(c => c.Geometry)).ToList();
        var projection = MetricProjection.For(OsmPolygons.Factory.BuildGeometry(all));
        var land = projection.Unproject(projection.Project(OsmPolygons.Factory.BuildGeometry(all)).ConvexHull().Buffer(50));

        var roads = batches.Where(b => b.Layer == Layer.Network).SelectMany(b => b.Features)
            .Where(f => f.Properties["highway"]?.GetValue<string>() is { } h && MajorRoads.Contains(h))
            .Select(f => f.Geometry).ToList();
        var named = compounds.Where(c => c.Properties["name"] is not null)
            .Select(c => new NamedCompound(c.Geometry, c.Properties["name"]!.GetValue<string>(), (int)(JsonNumber.ToLong(c.Properties["households"]) ?? 0))).ToList();
        IReadOnlyList<Geometry> barriers = [.. roads, .. barrierLines];

        // Where provisional areas go: each admin street, then each district's land outside its streets, then the rest.
        var pieces = new List<(Geometry Land, AdminArea? Street, AdminArea? District)>();
        Geometry rest = land;
        foreach (var s in admin.Streets)
        {
            pieces.Add((Clip(land, s.Polygon), s, null));
            rest = Safe(() => rest.Difference(s.Polygon), rest);
        }
        foreach (var d in admin.Districts)
        {
            pieces.Add((Clip(rest, d.Polygon), null, d));
            rest = Safe(() => rest.Difference(d.Polygon), rest);
        }
        if (pieces.Count == 0) pieces.Add((land, null, null));
        else if (rest.Area > 0)
        {
            // Land outside every admin area: a part inside the bounds holding a community's worth of households is a
            // provisional district of its own (the extract lacks that district); the rest — mostly the strip beyond the
            // bounds that compounds cut by the extract reach into — goes to the nearest district.
            var rect = bounds is null ? null : OsmPolygons.Factory.ToGeometry(bounds);
            var own = new List<Geometry>();
            var attach = new List<Geometry>();
            foreach (var part in Enumerable.Range(0, rest.NumGeometries).Select(rest.GetGeometryN).Where(g => g is Polygon { Area: > 0 }))
            {
                var prepPart = PreparedGeometryFactory.Prepare(part);
                var households = points.Where(h => prepPart.Covers(OsmPolygons.Factory.CreatePoint(h.At))).Sum(h => (long)h.Households);
                var inBounds = rect is null ? 1 : Safe(() => part.Intersection(rect), part).Area / part.Area;
                (households >= o.CommunityMin && inBounds > 0.5 ? own : attach).Add(part);
            }
            var targets = Enumerable.Range(0, pieces.Count).Where(i => pieces[i].District is not null || pieces[i].Street is not null).ToList();
            if (attach.Count > 0 && targets.Count > 0)
            {
                var outside = UnaryUnionOp.Union(attach);
                var reach = Reach(targets.Select(i => pieces[i].Street?.Polygon ?? pieces[i].District!.Polygon).ToList(), outside.EnvelopeInternal);
                for (var t = 0; t < targets.Count; t++)
                {
                    var i = targets[t];
                    var extra = Safe(() => outside.Intersection(reach[t]), OsmPolygons.Factory.CreatePolygon());
                    if (extra.Area > 0) pieces[i] = pieces[i] with { Land = Safe(() => pieces[i].Land.Union(extra), pieces[i].Land) };
                }
            }
            else own.AddRange(attach);
            if (own.Count > 0) pieces.Add((UnaryUnionOp.Union(own), null, null));
        }

        // Each household goes to the piece holding it, else the nearest (a building at the extract's edge).
        var prepared = pieces.Select(p => PreparedGeometryFactory.Prepare(p.Land)).ToArray();
        var held = pieces.Select(_ => new List<HouseholdPoint>()).ToArray();
        foreach (var h in points)
        {
            var at = OsmPolygons.Factory.CreatePoint(h.At);
            var k = Enumerable.Range(0, pieces.Count).Where(i => !pieces[i].Land.IsEmpty && prepared[i].Covers(at)).DefaultIfEmpty(-1).First();
            if (k < 0) k = Enumerable.Range(0, pieces.Count).Where(i => !pieces[i].Land.IsEmpty).MinBy(i => pieces[i].Land.Distance(at));
            held[k].Add(h);
        }
        // Land outside every district holding less than a community joins the nearest district's piece.
        var last = pieces.Count - 1;
        if (admin.Districts.Count > 0 && pieces[last].Street is null && pieces[last].District is null && held[last].Sum(h => h.Households) < o.CommunityMin
            && Enumerable.Range(0, last).Any(i => !pieces[i].Land.IsEmpty))
        {
            foreach (var h in held[last])
            {
                var at = OsmPolygons.Factory.CreatePoint(h.At);
                held[Enumerable.Range(0, last).Where(i => !pieces[i].Land.IsEmpty).MinBy(i => pieces[i].Land.Distance(at))].Add(h);
            }
            held[last].Clear();
        }

        var usedStreets = admin.Streets.Select(s => s.Code).ToHashSet(StringComparer.Ordinal);
        for (var k = 0; k < pieces.Count; k++)
        {
            var (piece, street, district) = pieces[k];
            if (held[k].Count == 0 || piece.IsEmpty || piece.Area <= 0) continue;
            var districtCode = street?.Parent ?? street?.Code[..6] ?? district?.Code ?? admin.NextProvisionalDistrict;
            var first = 901;
            while (first <= 999 && usedStreets.Contains($"{districtCode}{first:000}")) first++;
            ProvisionalAreaResult result;
            try
            {
                result = ProvisionalAreas.Build(piece, barriers, held[k], named, o with { DistrictCode = districtCode, FirstStreet = first });
            }
            catch (Exception e) when (e is TopologyException or ArgumentException or InvalidOperationException)
            {
                continue; // an admin area whose land cannot be cut: it keeps no provisional communities
            }
            if (street is not null)
            {
                // Communities directly under the street: its code + 901, 902, … in the order they were formed.
                for (var c = 0; c < result.Communities.Count && c < 99; c++)
                {
                    var a = result.Communities[c];
                    var code = $"{street.Code}{901 + c:000}";
                    var name = a.Name.StartsWith("暂定社区", StringComparison.Ordinal) ? $"暂定社区{code[^3..]}" : a.Name;
                    communities.Add(Area(a with { Code = code, Name = name, Parent = street.Code }, "street_code"));
                }
                continue;
            }
            if (result.Streets.Count > 0 && first + result.Streets.Count - 1 > 999) continue; // no 3-digit codes left
            if (district is null && admin.Districts.Count > 0 || admin.Districts.Count == 0)
                districts.Add(Area(result.District, null));
            foreach (var s in result.Streets) usedStreets.Add(s.Code);
            streets.AddRange(result.Streets.Select(s => Area(s, "district_code")));
            communities.AddRange(result.Communities.Select(c => Area(c, "street_code")));
        }
        return Batches();
    }

    /// <summary>
    /// OSM district and street lines are often estimated (<c>source=estimated</c>) and cut through compounds; real
    /// boundaries follow compound walls, and a compound split between communities cannot be partitioned (its remainder
    /// unit lies in one community, part of its land in another). A compound that straddles areas of a level goes wholly
    /// (inside the bounds) to the area holding most of it; the areas still tile what they tiled.
    /// </summary>
    static AdminAreaSet KeepCompoundsWhole(AdminAreaSet admin, IReadOnlyList<Geometry> compounds, Envelope? bounds)
    {
        if (compounds.Count == 0) return admin;
        var rect = bounds is null ? null : OsmPolygons.Factory.ToGeometry(bounds);
        List<AdminArea> Level(IReadOnlyList<AdminArea> areas)
        {
            var polygons = areas.Select(a => a.Polygon).ToArray();
            foreach (var compound in compounds)
            {
                var shares = Enumerable.Range(0, polygons.Length).Where(i => polygons[i].EnvelopeInternal.Intersects(compound.EnvelopeInternal))
                    .Select(i => (i, Area: Safe(() => polygons[i].Intersection(compound), compound.Factory.CreatePolygon()).Area)).Where(x => x.Area > 0).ToList();
                if (shares.Count < 2) continue;
                var owner = shares.MaxBy(x => x.Area).i;
                var piece = rect is null ? compound : Safe(() => compound.Intersection(rect), compound);
                foreach (var (i, _) in shares)
                    polygons[i] = i == owner ? Safe(() => Polygonal(polygons[i].Union(piece)), polygons[i]) : Safe(() => Polygonal(polygons[i].Difference(compound)), polygons[i]);
            }
            return areas.Select((a, i) => a with { Polygon = polygons[i] }).Where(a => !a.Polygon.IsEmpty).ToList();
        }
        return admin with { Districts = Level(admin.Districts), Streets = Level(admin.Streets) };
    }

    static Geometry Polygonal(Geometry g)
    {
        if (g is Polygon or MultiPolygon) return g;
        var polygons = Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).OfType<Polygon>().Where(p => p.Area > 0).ToArray();
        return polygons.Length == 1 ? polygons[0] : g.Factory.CreateMultiPolygon(polygons);
    }

    /// <summary>
    /// Where each area is nearest: the Voronoi cells of points along the areas' outlines, merged per area (so land beyond
    /// the bounds is split where the areas meet the bounds).
    /// </summary>
    static IReadOnlyList<Geometry> Reach(IReadOnlyList<Geometry> areas, Envelope around)
    {
        var factory = OsmPolygons.Factory;
        var owner = new Dictionary<Coordinate, int>();
        for (var i = 0; i < areas.Count; i++)
            foreach (var c in NetTopologySuite.Densify.Densifier.Densify(areas[i].Boundary, 0.0002).Coordinates)
                owner.TryAdd(new Coordinate(Math.Round(c.X, 7), Math.Round(c.Y, 7)), i);
        var box = new Envelope(around);
        foreach (var a in areas) box.ExpandToInclude(a.EnvelopeInternal);
        box.ExpandBy(0.01);
        var builder = new NetTopologySuite.Triangulate.VoronoiDiagramBuilder();
        builder.SetSites(owner.Keys.ToList());
        builder.ClipEnvelope = box;
        var cells = builder.GetSubdivision().GetVoronoiCellPolygons(factory);
        var byArea = areas.Select(_ => new List<Geometry>()).ToArray();
        foreach (var cell in cells)
            if (cell.UserData is Coordinate site && owner.TryGetValue(new Coordinate(Math.Round(site.X, 7), Math.Round(site.Y, 7)), out var i)) byArea[i].Add(cell);
        return byArea.Select(l => l.Count == 0 ? (Geometry)factory.CreatePolygon() : UnaryUnionOp.Union(l)).ToList();
    }

    static Geometry Clip(Geometry land, Geometry area) => Safe(() => land.Intersection(area), land.Factory.CreatePolygon());

    static Geometry Safe(Func<Geometry> op, Geometry fallback)
    {
        try { return op(); }
        catch (TopologyException) { return fallback; }
    }

    static FeatureDraft Area(ProvisionalArea a, string? parentKey)
    {
        var p = new JsonObject { ["code"] = a.Code, ["name"] = a.Name, ["provisional"] = true };
        if (parentKey is not null && a.Parent is not null) p[parentKey] = a.Parent;
        return new FeatureDraft(a.Code, a.Polygon, p);
    }

    static FeatureDraft Area(AdminArea a, string? parentKey, IReadOnlyDictionary<string, string> osmIds)
    {
        var p = new JsonObject { ["code"] = a.Code, ["name"] = a.Name };
        if (a.Provisional) p["provisional"] = true;
        if (parentKey is not null && a.Parent is not null) p[parentKey] = a.Parent;
        if (osmIds.GetValueOrDefault(a.Key) is { } osmId) p["osm_id"] = osmId;
        return new FeatureDraft(a.Code, GeometryRules.OrientForRfc7946(a.Polygon), p);
    }
}
