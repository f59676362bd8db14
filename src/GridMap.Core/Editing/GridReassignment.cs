using GridMap.Core.Codes;
using GridMap.Core.Partitioning;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Editing;

/// <summary>
/// A building (or one of its stairwells, <paramref name="Unit"/>) and the grid it goes to; a null grid means "one new
/// grid of its community". A whole building leaves every grid holding any part of it.
/// </summary>
public sealed record Move(string Building, string? Grid, string? Unit = null)
{
    /// <summary>The grid unit id it moves: the building id, or "building/unit".</summary>
    public string Key => Unit is null ? Building : $"{Building}/{Unit}";
}

/// <summary>Why an edit cannot be made, with the index of the assignment it concerns.</summary>
public sealed class EditRefusedException(string code, string message, int index = -1, IReadOnlyDictionary<string, object?>? parameters = null)
    : Exception(message)
{
    public string Code { get; } = code;
    public int Index { get; } = index;
    public IReadOnlyDictionary<string, object?> Parameters { get; } = parameters ?? new Dictionary<string, object?>();
}

/// <summary>
/// Moves buildings between grids (合并, 拆分, 调整). A moved building takes its own land: each source grid's polygon is
/// divided among that grid's buildings by the partitioner's territory tessellation (respecting compound outlines and
/// barriers), the moved buildings' land leaves the source and joins the target. Only source and target change, and their
/// union stays what it was, so a community stays tiled whatever made its grids. Households and unit ids follow.
/// </summary>
public static class GridReassignment
{
    /// <summary>Grid polygons are kept on the store's 7-decimal grid; overlays snap to it so neighbours share edges.</summary>
    static readonly PrecisionModel Grid7 = new(1e7);

    /// <param name="isRealCommunity">Whether a community code is a real one: moves between real communities are refused.</param>
    /// <returns>Codes of the grids this call created.</returns>
    public static IReadOnlyList<string> Apply(GridSet set, IReadOnlyList<Move> moves, Func<string, bool> isRealCommunity)
    {
        if (moves.Count == 0) return [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Where each building goes; a null target becomes one new grid per community, coded once all moves are read.
        var plan = new List<(string Key, IReadOnlyCollection<string> Sources, string? Target, string Community)>();
        var movingUnitsOf = moves.Where(m => m.Unit is not null).Select(m => m.Building).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < moves.Count; i++)
        {
            var (building, target, key) = (moves[i].Building, moves[i].Grid, moves[i].Key);
            if (!set.Buildings.TryGetValue(building, out var b))
                throw new EditRefusedException("not_found", $"there is no building {building}", i, new Dictionary<string, object?> { ["building"] = building });
            if (moves[i].Unit is { } unit && b.Units?.Any(u => u.Id == unit) != true)
                throw new EditRefusedException("not_found", $"building {building} has no unit {unit}", i, new Dictionary<string, object?> { ["building"] = building, ["unit"] = unit });
            if (!seen.Add(key) || (moves[i].Unit is null && movingUnitsOf.Contains(building)))
                throw new EditRefusedException("duplicate", $"building {building} is assigned twice", i, new Dictionary<string, object?> { ["building"] = building });
            var sources = moves[i].Unit is null ? set.GridsOf(building).ToList()
                : set.Grids.Where(g => g.UnitIds.Contains(key) || g.UnitIds.Contains(building)).Select(g => g.Code).ToList();
            var community = sources.Select(c => set.Grid(c)!.Community).FirstOrDefault();
            if (target is not null)
            {
                var t = set.Grid(target) ?? throw new EditRefusedException("not_found", $"there is no grid {target}", i, new Dictionary<string, object?> { ["grid"] = target });
                if (t.IsRetired)
                    throw new EditRefusedException("retired_grid", $"grid {target} is retired and takes no buildings", i, new Dictionary<string, object?> { ["grid"] = target });
                if (community is not null && community != t.Community && isRealCommunity(community) && isRealCommunity(t.Community))
                    throw new EditRefusedException("cross_community", $"building {building} is in community {community}; grid {target} is in {t.Community}", i,
                        new Dictionary<string, object?> { ["building"] = building, ["grid"] = target, ["from"] = community, ["to"] = t.Community });
                community ??= t.Community;
                if (sources.Count == 1 && sources[0] == target) continue; // already there
            }
            else if (community is null)
                throw new EditRefusedException("no_community", $"building {building} is in no grid, so a new grid has no community", i, new Dictionary<string, object?> { ["building"] = building });
            plan.Add((key, sources, target, community));
        }

        // Read and checked: now a grid holding a building whole from which a stairwell moves holds its stairwells instead.
        foreach (var building in movingUnitsOf) SplitIntoUnits(set, set.Buildings[building]);

        // One new grid per community for the null targets.
        var created = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var community in plan.Where(p => p.Target is null).Select(p => p.Community).Distinct())
        {
            var code = NextCode(set, community);
            created[community] = code;
            set.Put(new EditGrid(code, community, GeometryRules.Factory.CreatePolygon(), [], 0), created: true);
        }
        var targetOf = plan.ToDictionary(p => p.Key, p => p.Target ?? created[p.Community], StringComparer.Ordinal);
        // A grid unit id leaves when it, or its whole building, moves.
        string? TargetOf(string unitId) => targetOf.TryGetValue(unitId, out var t) ? t : targetOf.GetValueOrDefault(GridSet.BuildingOf(unitId));

        // Land: each source grid is divided among its own buildings; moved buildings' territories go to their targets.
        var gained = new Dictionary<string, List<Geometry>>(StringComparer.Ordinal);
        var sourceCodes = plan.SelectMany(p => p.Sources).Distinct().ToList();
        foreach (var code in sourceCodes)
        {
            var source = set.Grid(code)!;
            var land = Divide(set, source, TargetOf, movingUnitsOf);
            var stays = source.UnitIds.Where(id => TargetOf(id) is null).ToList();
            var taken = land.Values.Where(g => !g.IsEmpty).ToList();
            // A retired grid keeps its last polygon as history; it is no longer drawn or counted.
            var retire = stays.Count == 0 && source.Type == GridTypes.Basic;
            var polygon = retire || taken.Count == 0 ? source.Polygon : Clean(OverlayNG.Overlay(source.Polygon, Union(taken), SpatialFunction.Difference, Grid7));
            set.Put(source with
            {
                UnitIds = stays,
                Households = set.HouseholdsOf(stays, source),
                Polygon = polygon,
                Status = retire ? "retired" : source.Status,
            });
            foreach (var (target, piece) in land)
                if (!piece.IsEmpty) (gained.TryGetValue(target, out var list) ? list : gained[target] = []).Add(piece);
        }

        foreach (var target in targetOf.Values.Distinct())
        {
            var t = set.Grid(target)!;
            var arriving = targetOf.Where(kv => kv.Value == target).Select(kv => kv.Key).ToList();
            // A whole building arriving replaces any of its stairwells the target held.
            var whole = arriving.Where(k => !k.Contains('/')).ToHashSet(StringComparer.Ordinal);
            var units = t.UnitIds.Where(id => !whole.Contains(GridSet.BuildingOf(id))).Concat(arriving).Distinct().ToList();
            var polygon = gained.TryGetValue(target, out var pieces)
                ? Clean(t.Polygon.IsEmpty ? Union(pieces) : OverlayNG.Overlay(t.Polygon, Union(pieces), SpatialFunction.Union, Grid7))
                : t.Polygon;
            set.Put(t with { UnitIds = units, Households = set.HouseholdsOf(units, t), Polygon = polygon });
        }
        return created.Values.ToList();
    }

    /// <summary>The next code of a community: after the highest sequence in use, retired grids included.</summary>
    public static string NextCode(GridSet set, string community)
    {
        var sequences = set.InCommunity(community).Select(g => GridCode.SequenceOf(community, g.Code)).OfType<int>().ToList();
        var next = GridCode.NextFree(sequences);
        return GridCode.Format(community, next, Math.Max(3, next.ToString().Length));
    }

    /// <summary>
    /// A grid holding a building whole ("b") from which one stairwell moves holds its stairwells one by one instead
    /// ("b/S1", "b/S2", …), so that the others can stay.
    /// </summary>
    static void SplitIntoUnits(GridSet set, EditBuilding building)
    {
        foreach (var g in set.Grids.Where(g => g.UnitIds.Contains(building.Id)).ToList())
        {
            var ids = g.UnitIds.SelectMany(id => id == building.Id ? building.Units!.Select(u => $"{building.Id}/{u.Id}") : [id]).ToList();
            set.Put(g with { UnitIds = ids });
        }
    }

    /// <summary>
    /// The land of a grid's leaving units, by their target (lon/lat, on the 7-decimal grid). When every unit leaves for
    /// one target the whole grid goes; otherwise the grid is tessellated among its buildings and compound pieces — and,
    /// for a building whose stairwells move one by one (<paramref name="byUnit"/>), among the strips of its footprint.
    /// </summary>
    static Dictionary<string, Geometry> Divide(GridSet set, EditGrid grid, Func<string, string?> targetOf, IReadOnlySet<string> byUnit)
    {
        var members = grid.UnitIds.Select(id => byUnit.Contains(GridSet.BuildingOf(id)) ? id : GridSet.BuildingOf(id)).Distinct().ToList();
        var targets = members.Select(targetOf).ToList();
        var result = new Dictionary<string, Geometry>(StringComparer.Ordinal);
        if (grid.Polygon.IsEmpty || targets.All(t => t is null)) return result;
        if (targets.All(t => t is not null) && targets.Distinct().Count() == 1)
        {
            result[targets[0]!] = grid.Polygon;
            return result;
        }

        var projection = MetricProjection.For(grid.Polygon);
        var area = projection.Project(grid.Polygon);
        var prepared = PreparedGeometryFactory.Prepare(area);
        var regions = new List<Geometry>();
        var regionOf = new Dictionary<string, int>(StringComparer.Ordinal);
        int Region(string? compound)
        {
            if (compound is null || !set.Compounds.TryGetValue(compound, out var c)) return -1;
            if (regionOf.TryGetValue(compound, out var r)) return r;
            var metric = projection.Project(c.Polygon);
            if (!prepared.Intersects(metric)) return regionOf[compound] = -1;
            regions.Add(metric);
            return regionOf[compound] = regions.Count - 1;
        }

        var strips = new Dictionary<string, IReadOnlyList<Geometry>>(StringComparer.Ordinal);
        var sites = new List<Site>();
        for (var a = 0; a < members.Count; a++)
        {
            var id = members[a];
            if (id.Contains('/') && set.Buildings.TryGetValue(GridSet.BuildingOf(id), out var split) && split.Units is { } stairs)
            {
                // One stairwell: its strip of the building's footprint, as the partitioner cuts it.
                if (!strips.TryGetValue(split.Id, out var cut))
                {
                    var footprint = projection.Project(split.Geometry);
                    strips[split.Id] = cut = AreaAtoms.StairwellStrips(footprint, footprint.InteriorPoint.Coordinate, stairs);
                }
                var index = stairs.ToList().FindIndex(u => $"{split.Id}/{u.Id}" == id);
                var strip = index >= 0 && index < cut.Count ? AreaAtoms.Polygons(cut[index]) : [];
                var region = Region(split.Compound);
                if (strip.Count == 0) sites.Add(new Site(a, projection.Project(split.Geometry).InteriorPoint.Coordinate, null, region));
                foreach (var f in strip) sites.Add(new Site(a, f.InteriorPoint.Coordinate, f, region));
            }
            else if (set.Buildings.TryGetValue(id, out var b))
            {
                var g = projection.Project(b.Geometry);
                var region = Region(b.Compound);
                var footprints = AreaAtoms.Polygons(g);
                if (footprints.Count == 0) sites.Add(new Site(a, g.Coordinate, null, region));
                foreach (var f in footprints) sites.Add(new Site(a, f.InteriorPoint.Coordinate, f, region));
            }
            else if (set.Compounds.TryGetValue(id.Split('#')[0], out var c))
            {
                // A compound piece (households no mapped building holds): it competes from inside its compound's land here.
                var region = Region(c.Id);
                var inside = region >= 0 ? regions[region].Intersection(area) : null;
                if (inside is { IsEmpty: false }) sites.Add(new Site(a, inside.InteriorPoint.Coordinate, null, region));
            }
        }
        var barriers = set.Barriers.Where(b => b.EnvelopeInternal.Intersects(grid.Polygon.EnvelopeInternal))
            .Select(projection.Project).SelectMany(LinesOf).Where(prepared.Intersects).ToList();
        var tessellation = TerritoryTessellation.Build(new TessellationInput(area, sites, regions, barriers, AtomCount: members.Count));

        var codes = targets.OfType<string>().Distinct().ToList();
        var groupOf = targets.Select(t => t is null ? -1 : codes.IndexOf(t)).ToArray();
        var pieces = GridPolygons.Dissolve(tessellation, groupOf, codes.Count);
        for (var i = 0; i < codes.Count; i++)
        {
            var lonLat = Clean(GeometryRules.Factory.CreateGeometry(projection.Unproject(pieces[i])));
            if (!lonLat.IsEmpty) result[codes[i]] = lonLat;
        }
        return result;
    }

    static Geometry Union(IReadOnlyList<Geometry> pieces) =>
        pieces.Count == 1 ? Clean(pieces[0]) : Clean(UnaryUnionNG.Union(GeometryRules.Factory.BuildGeometry(pieces), Grid7));

    /// <summary>Polygonal part only, snap-rounded to the 7-decimal grid (valid by construction), oriented as RFC 7946 asks.</summary>
    public static Geometry Clean(Geometry g) => GeometryRules.SnapPolygonal(g);

    static IEnumerable<LineString> LinesOf(Geometry g) => g switch
    {
        LineString { IsEmpty: false } l => [l],
        MultiLineString m => m.Geometries.Cast<LineString>(),
        GeometryCollection c => c.Geometries.SelectMany(LinesOf),
        _ => [],
    };
}
