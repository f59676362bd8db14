using System.Diagnostics;
using GridMap.Core.Codes;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Partitions areas (communities) into seamless grids of Min..Max households: area by area (in parallel), compound by
/// compound, then the rest; grid polygons are dissolved from territories that tile each area.
/// </summary>
public static class GridPartitioner
{
    /// <summary>Cutting along a road, river or wall costs this share of cutting through a block.</summary>
    public const double BarrierCutCost = 0.1;

    public static PartitionResult Partition(PartitionInput input, CancellationToken ct = default, IProgress<double>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var prepared = Prepare(input);
        return Partition(prepared, ct, clock.Elapsed.TotalSeconds, progress);
    }

    /// <summary>The input projected and split by area: the part of partitioning the bench times too.</summary>
    public sealed record PreparedInput(PartitionInput Input, Bounds Bounds, MetricProjection Projection,
        IReadOnlyList<(string Code, Geometry Polygon)> Areas, IReadOnlyList<AreaAtoms.MetricUnit>[] UnitsByArea,
        IReadOnlyList<AreaAtoms.MetricCompound>[] CompoundsByArea, STRtree<LineString> Barriers, IReadOnlyList<AreaAtoms.MetricCompound> Compounds,
        IReadOnlyList<ExistingGrid>[] ExistingByArea)
    {
        /// <summary>Major roads (metric) that grid boundaries follow (<see cref="RoadBlocks"/>).</summary>
        public STRtree<PartitionRoad> MajorRoads { get; init; } = new();
    }

    /// <summary>The atoms of area <paramref name="i"/>: its units and compounds clipped to it.</summary>
    public static AreaProblem ProblemOf(PreparedInput p, int i)
    {
        var (_, polygon) = p.Areas[i];
        // Most compounds and roads lie wholly inside or outside: a prepared test spares them the overlay.
        var area = PreparedGeometryFactory.Prepare(polygon);
        var clipped = p.CompoundsByArea[i]
            // A clipped compound may come back as a collection (an edge shared with the area's boundary as a line): keep its polygons.
            .Select(c => area.Contains(c.Polygon) ? c : c with { Polygon = PolygonalPart(Robust.Intersection(c.Polygon, polygon)) })
            .Where(c => !c.Polygon.IsEmpty && c.Polygon.Area > 0)
            .ToList();
        var inArea = p.Barriers.Query(polygon.EnvelopeInternal)
            .Where(area.Intersects)
            .SelectMany(b => area.Contains(b) ? [b] : Lines(Robust.Intersection(b, polygon))).ToList();
        return AreaAtoms.Build(polygon, p.UnitsByArea[i], clipped, inArea, p.Bounds);
    }

    public static PreparedInput Prepare(PartitionInput input)
    {
        input = WithinAreas(input);
        var bounds = input.Bounds ?? new Bounds();
        var projection = MetricProjection.For(Envelope(input));
        var factory = new GeometryFactory(new PrecisionModel(), 0);

        var units = input.Units.Select(u =>
        {
            var g = projection.Project(u.Geometry);
            var point = g is Point p ? p.Coordinate : g.InteriorPoint.Coordinate;
            return new AreaAtoms.MetricUnit(u, g, point);
        }).ToList();
        var areas = (input.Areas is { Count: > 0 } given
            ? given.Select(a => (a.Code, Polygon: projection.Project(a.Polygon)))
            : []).ToList();
        var compounds = (input.Compounds ?? []).Select(c => new AreaAtoms.MetricCompound(c, projection.Project(c.Polygon))).ToList();
        if (areas.Count == 0) areas.Add(("AREA", DefaultArea(units.Select(u => u.Geometry).Concat(compounds.Select(c => c.Polygon)), factory)));
        var barriers = (input.Barriers ?? []).SelectMany(b => Lines(projection.Project(b))).ToList();

        var unitsByArea = AssignToAreas(units.Select(u => (u, u.Point)), areas.Select(a => a.Polygon).ToList(), factory);
        var compoundsByArea = AssignToAreas(compounds.Select(c => (c, c.Polygon.InteriorPoint.Coordinate)), areas.Select(a => a.Polygon).ToList(), factory);
        var barrierTree = new STRtree<LineString>();
        foreach (var b in barriers) barrierTree.Insert(b.EnvelopeInternal, b);
        barrierTree.Build();
        var existingByArea = ExistingByArea(input.Existing ?? [], areas, projection, factory);
        var majorRoads = new STRtree<PartitionRoad>();
        foreach (var r in input.MajorRoads ?? [])
            foreach (var line in Lines(projection.Project(r.Line)))
                majorRoads.Insert(line.EnvelopeInternal, r with { Line = line });
        majorRoads.Build();
        return new PreparedInput(input, bounds, projection, areas, unitsByArea, compoundsByArea, barrierTree, compounds, existingByArea) { MajorRoads = majorRoads };
    }

    /// <summary>Partitions prepared input; <paramref name="secondsSoFar"/> (the preparation) is added to the reported seconds.</summary>
    public static PartitionResult Partition(PreparedInput prepared, CancellationToken ct = default, double secondsSoFar = 0, IProgress<double>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var (input, bounds, projection, areas, unitsByArea) = (prepared.Input, prepared.Bounds, prepared.Projection, prepared.Areas, prepared.UnitsByArea);
        var compounds = prepared.Compounds;
        var outcomes = new AreaOutcome[areas.Count];
        var done = 0;
        var order = Enumerable.Range(0, areas.Count).OrderByDescending(i => unitsByArea[i].Count).ToArray();
        var specials = (input.SpecialAreas ?? []).Select(a => (Area: a, Polygon: projection.Project(a.Polygon))).ToList();
        var coded = new List<CodedGrid>[areas.Count];
        Parallel.ForEach(order, new ParallelOptions { CancellationToken = ct }, i =>
        {
            outcomes[i] = WithoutNecks(prepared, i, DedicatedGrids.Solve(prepared, i, specials, (p, k) =>
                RoadBlocks.Solve(p, k, (q, j) => AreaPartition.Solve(areas[j].Code, ProblemOf(q, j), bounds, q.ExistingByArea[j]))));
            coded[i] = Coded(prepared, i, outcomes[i]);
            progress?.Report((double)Interlocked.Increment(ref done) / areas.Count);
        });

        var grids = new List<GridResult>();
        var metricOf = new List<Geometry>(); // each grid's metric polygon, in the order of grids
        var areaOf = new List<int>();
        var necks = new List<NarrowNeck>();
        for (var i = 0; i < areas.Count; i++)
            foreach (var c in coded[i])
            {
                grids.Add(c.Grid);
                metricOf.Add(c.Metric);
                areaOf.Add(i);
                if (c.Neck is { } neck) necks.Add(neck);
            }
        var seconds = secondsSoFar + clock.Elapsed.TotalSeconds;

        // Validation, outside the timed step: gaps and overlaps per area, contiguity, necks. Areas are measured in
        // parallel (the check's overlays are most of the validation) and summed in area order, so figures do not vary.
        var coverage = new (double Overlap, double Gap)[areas.Count];
        Parallel.For(0, areas.Count, i => coverage[i] = CoverageCheck.Measure(areas[i].Polygon, outcomes[i].Polygons));
        double overlap = 0, gap = 0;
        foreach (var (o, g) in coverage)
        {
            overlap += o;
            gap += g;
        }
        var crossed = input.MajorRoads is { Count: > 0 } ? CrossedRoadsOf(prepared, outcomes, grids, metricOf, areaOf) : [];
        var basic = grids.Where(g => g.Special is null).ToList();
        var inBand = basic.Count(g => bounds.Contains(g.Households));
        var report = new PartitionReport(
            Areas: areas.Count,
            Units: input.Units.Count,
            Households: input.Units.Sum(u => (long)u.Households) + compounds.Where(c => c.Compound.Households is not null && !unitsByArea.Any(list => list.Any(u => u.Unit.Compound == c.Compound.Id))).Sum(c => (long)(c.Compound.Households ?? 0)),
            Grids: grids.Count,
            InBand: inBand,
            Below: basic.Count(g => g.Households < bounds.Min),
            Above: basic.Count(g => g.Households > bounds.Max),
            OutOfBand: basic.Where(g => !bounds.Contains(g.Households)).Select(g => new OutOfBandGrid(g.Code, g.Households, g.Reason.Key())).ToList(),
            InfeasibleUnits: outcomes.SelectMany(o => o.InfeasibleUnits).ToList(),
            SplitCompounds: outcomes.Sum(o => o.SplitCompounds),
            Noncontiguous: grids.Count(g => g.Polygon is MultiPolygon { NumGeometries: > 1 }),
            OverlapM2: Math.Round(overlap, 3),
            GapM2: Math.Round(gap, 3),
            PolsbyPopperMean: grids.Count == 0 ? 0 : Math.Round(grids.Average(g => g.PolsbyPopper), 4),
            Churn: outcomes.Any(o => o.Churn is not null) ? outcomes.Sum(o => o.Churn ?? 0) : null,
            Seconds: Math.Round(seconds, 4))
        {
            SplitBuildings = SplitBuildings(input.Units, grids),
            Dedicated = grids.Count - basic.Count,
            NarrowNecks = necks,
            CrossedRoads = crossed,
            LargeGrids = LargeGrids(grids, metricOf, compounds),
        };
        return new PartitionResult(grids, report);
    }

    /// <summary>An area's grid as the result lists it: coded, in lon/lat, with its metric polygon and its neck.</summary>
    sealed record CodedGrid(GridResult Grid, Geometry Metric, NarrowNeck? Neck);

    /// <summary>
    /// An area's grids coded in reading order (north to south, west to east) and unprojected: per area, so areas do
    /// this in parallel too.
    /// </summary>
    static List<CodedGrid> Coded(PreparedInput p, int i, AreaOutcome outcome)
    {
        var code = p.Areas[i].Code;
        var lonLat = outcome.Polygons.Select(p.Projection.Unproject).ToList();
        // Land carved for dedicated grids leaves centimetre detail that 7-decimal lon/lat can fold: snap such areas' grids.
        // A grid that is one of the area's own polygons was not carved: its vertices are the area's, already on that grid.
        if (outcome.Specials is not null)
        {
            var own = AreaAtoms.Polygons(p.Areas[i].Polygon);
            lonLat = lonLat.Select((g, k) => AreaAtoms.OwnPolygonOf(own, outcome.Polygons[k]) >= 0 ? g : GeometryRules.SnapPolygonal(g)).ToList();
        }
        var order = GridCode.ReadingOrder(lonLat);
        var codes = Codes(code, order, outcome.Codes, p.ExistingByArea[i]);
        var result = new List<CodedGrid>(order.Count);
        foreach (var g in order)
        {
            // A sliver of nobody's land can fold away in lon/lat: no grid without land or anyone in it.
            if (lonLat[g].IsEmpty && outcome.UnitIds[g].Count == 0) continue;
            var grid = new GridResult(
                codes[g], code,
                GeometryRules.OrientForRfc7946(lonLat[g]), outcome.Households[g], outcome.UnitIds[g],
                CoverageCheck.PolsbyPopper(outcome.Polygons[g]), outcome.Reasons[g]) { Special = outcome.Specials?[g] };
            result.Add(new CodedGrid(grid, outcome.Polygons[g], outcome.Necks?[g] is { } neck ? neck with { Grid = codes[g] } : null));
        }
        return result;
    }

    /// <summary>
    /// Necks of an area's grids measured, and corridor grids widened where neighbours can spare the land
    /// (<see cref="NeckRepair"/>); the necks left go to the report.
    /// </summary>
    static AreaOutcome WithoutNecks(PreparedInput p, int i, AreaOutcome outcome)
    {
        bool Basic(int k) => outcome.Specials?[k] is null;
        // Only basic grids have necks, and only they give land to one: an area of dedicated grids alone has nothing to do.
        if (!Enumerable.Range(0, outcome.Polygons.Count).Any(Basic)) return outcome;
        var units = new Dictionary<string, AreaAtoms.MetricUnit>(StringComparer.Ordinal);
        foreach (var u in p.UnitsByArea[i]) units.TryAdd(u.Unit.Id, u);
        var compounds = new Dictionary<string, Geometry>(StringComparer.Ordinal);
        foreach (var c in p.CompoundsByArea[i]) compounds.TryAdd(c.Compound.Id, c.Polygon);
        var territories = new Dictionary<string, Geometry>(StringComparer.Ordinal);
        foreach (var (ids, land) in outcome.Territories)
            foreach (var id in ids) territories[id] = land;
        var grids = new List<NeckRepair.Grid>(outcome.Polygons.Count);
        for (var k = 0; k < outcome.Polygons.Count; k++)
        {
            if (!Basic(k))
            {
                grids.Add(new NeckRepair.Grid(outcome.Polygons[k], [], [], false));
                continue;
            }
            var (points, footprints, compoundIds) = (new List<Coordinate>(), new List<Geometry>(), new List<string>());
            foreach (var id in outcome.UnitIds[k])
            {
                if (units.GetValueOrDefault(BuildingOf(id)) is not { } unit) continue;
                // A stairwell's point would be its building's, which may lie in the next grid: only whole units count.
                if (id.IndexOf('/') < 0) points.Add(unit.Point);
                if (unit.Geometry is IPolygonal && !footprints.Contains(unit.Geometry)) footprints.Add(unit.Geometry);
                if (unit.Unit.Compound is { } c && !compoundIds.Contains(c)) compoundIds.Add(c);
            }
            // A unit's own land: its territory, its footprint, and its compound's outline (a remainder's territory is the compound's unmapped land).
            var own = new List<Geometry>();
            foreach (var id in outcome.UnitIds[k])
                if (territories.GetValueOrDefault(id) is { } land && !own.Contains(land)) own.Add(land);
            own.AddRange(footprints.Where(f => !own.Contains(f)));
            foreach (var c in compoundIds)
                if (compounds.GetValueOrDefault(c) is { } outline) own.Add(outline);
            grids.Add(new NeckRepair.Grid(outcome.Polygons[k], points, footprints, true) { OwnLand = own });
        }
        var roads = p.MajorRoads.Query(p.Areas[i].Polygon.EnvelopeInternal).Select(r => r.Line).ToList();
        var (polygons, necks) = NeckRepair.Repair(grids, roads);
        return outcome with { Polygons = polygons, Necks = necks };
    }

    /// <summary>The building of a unit id: the id itself, or what comes before the slash of a stairwell (<c>B/S1</c>).</summary>
    static string BuildingOf(string id) => id.IndexOf('/') is var slash and >= 0 ? id[..slash] : id;

    /// <summary>Major-road crossings of the basic grids, area by area (outside the timed step).</summary>
    static List<CrossedRoad> CrossedRoadsOf(PreparedInput p, IReadOnlyList<AreaOutcome> outcomes, IReadOnlyList<GridResult> grids, IReadOnlyList<Geometry> metricOf,
        IReadOnlyList<int> areaOf)
    {
        var pointOf = p.UnitsByArea.SelectMany(list => list).GroupBy(u => u.Unit.Id).ToDictionary(g => g.Key, g => g.First().Point, StringComparer.Ordinal);
        var householdsOf = p.Input.Units.GroupBy(u => u.Id).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var found = new List<CrossedRoad>[p.Areas.Count];
        Parallel.For(0, p.Areas.Count, i =>
        {
            var area = p.Areas[i].Polygon;
            var inArea = p.MajorRoads.Query(area.EnvelopeInternal).ToList();
            var basic = Enumerable.Range(0, grids.Count).Where(k => areaOf[k] == i && grids[k].Special is null)
                .Select(k => new CrossedRoads.Grid(grids[k].Code, metricOf[k], grids[k].UnitIds
                    .Select(id => (Id: id, Building: BuildingOf(id)))
                    .Where(x => pointOf.ContainsKey(x.Building) && householdsOf.ContainsKey(x.Building))
                    .Select(x => (pointOf[x.Building], (long)HouseholdsOf(householdsOf[x.Building], x.Id, p.Bounds)))
                    .ToList()))
                .ToList();
            var compounds = p.CompoundsByArea[i].Select(c => c.Polygon).ToList();
            // Blocks of the land the basic grids share (the area less its dedicated grids), as the solver saw them.
            var land = basic.Count == 0 ? area : NetTopologySuite.Operation.OverlayNG.UnaryUnionNG.Union(
                area.Factory.BuildGeometry(basic.Select(g => g.Polygon).ToList()), new PrecisionModel(1000));
            found[i] = CrossedRoads.Find(land, basic, inArea, compounds, p.Bounds, outcomes[i].JoinedForFit).ToList();
        });
        return found.SelectMany(f => f).ToList();
    }

    /// <summary>A grid's share of a unit id: the building, a listed stairwell, or an even share of a synthesised split.</summary>
    static int HouseholdsOf(PartitionUnit unit, string id, Bounds bounds)
    {
        if (!id.Contains('/')) return unit.Households;
        if (unit.Units is { Count: > 0 }) return Model.BuildingUnit.HouseholdsOf(unit.Households, unit.Units, id);
        var k = Model.BuildingUnit.Synthesise(unit.Households, bounds.SynthesisedUnitHouseholds, bounds.Min, bounds.Max).Count;
        return k == 0 ? 0 : unit.Households / k;
    }

    /// <summary>Basic grids holding more than 20 ha of residential (compound) land and more than one compound.</summary>
    static List<LargeGrid> LargeGrids(IReadOnlyList<GridResult> grids, IReadOnlyList<Geometry> metricOf, IReadOnlyList<AreaAtoms.MetricCompound> compounds)
    {
        var large = new List<LargeGrid>();
        if (compounds.Count == 0) return large;
        var tree = new STRtree<AreaAtoms.MetricCompound>();
        foreach (var c in compounds) tree.Insert(c.Polygon.EnvelopeInternal, c);
        for (var k = 0; k < grids.Count; k++)
        {
            if (grids[k].Special is not null) continue;
            var shares = new List<double>(); // each compound's land in the grid
            var land = 0.0;
            foreach (var c in tree.Query(metricOf[k].EnvelopeInternal))
                if (Robust.Intersection(c.Polygon, metricOf[k]).Area is var share and > 1)
                {
                    shares.Add(share);
                    land += share;
                }
            if (land > LargeGrid.MaxResidentialM2 && shares.Count(x => x > 0.01 * land) > 1)
                large.Add(new LargeGrid(grids[k].Code, Math.Round(land / 10_000, 2), shares.Count));
        }
        return large;
    }

    /// <summary>
    /// Codes: on a first run, 1..n in reading order; on a re-run, kept codes stay and new grids take the next free
    /// numbers (after every sequence in use), in reading order among themselves. Past 999 grids the sequence widens.
    /// </summary>
    static string[] Codes(string areaCode, IReadOnlyList<int> readingOrder, IReadOnlyList<string?>? kept, IReadOnlyList<ExistingGrid> existing)
    {
        var codes = new string[readingOrder.Count];
        var next = kept is null ? 1 : GridCode.NextFree(existing.Select(e => GridCode.SequenceOf(areaCode, e.Code)).OfType<int>());
        var width = Math.Max(3, (next + readingOrder.Count - 1).ToString().Length);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in readingOrder)
        {
            // A code is never given twice: should two grids claim one old code, the second takes the next free number.
            var code = kept?[g] is { } old && !used.Contains(old) ? old : GridCode.Format(areaCode, next++, width);
            used.Add(code);
            codes[g] = code;
        }
        return codes;
    }

    static IReadOnlyList<ExistingGrid>[] ExistingByArea(
        IReadOnlyList<ExistingGrid> existing, IReadOnlyList<(string Code, Geometry Polygon)> areas, MetricProjection projection, GeometryFactory factory)
    {
        var lists = areas.Select(_ => new List<ExistingGrid>()).ToArray();
        foreach (var grid in existing)
        {
            var metric = projection.Project(grid.Polygon);
            var area = Enumerable.Range(0, areas.Count).FirstOrDefault(i => GridCode.SequenceOf(areas[i].Code, grid.Code) is not null, -1);
            if (area < 0)
            {
                var at = metric.InteriorPoint;
                area = Enumerable.Range(0, areas.Count).FirstOrDefault(i => areas[i].Polygon.Covers(at), -1);
            }
            if (area >= 0) lists[area].Add(grid with { Polygon = metric });
        }
        return lists;
    }

    /// <summary>
    /// With areas given, only compounds and barriers that reach into them matter: the rest is dropped before projecting,
    /// so that re-running one community of a city does not project the whole city's roads.
    /// </summary>
    static PartitionInput WithinAreas(PartitionInput input)
    {
        if (input.Areas is not { Count: > 0 } areas) return input;
        var reach = new Envelope();
        foreach (var a in areas) reach.ExpandToInclude(a.Polygon.EnvelopeInternal);
        var compounds = input.Compounds?.Where(c => c.Polygon.EnvelopeInternal.Intersects(reach)).ToList();
        var barriers = input.Barriers?.Where(b => b.EnvelopeInternal.Intersects(reach)).ToList();
        var roads = input.MajorRoads?.Where(r => r.Line.EnvelopeInternal.Intersects(reach)).ToList();
        return compounds?.Count == input.Compounds?.Count && barriers?.Count == input.Barriers?.Count && roads?.Count == input.MajorRoads?.Count
            ? input
            : input with { Compounds = compounds, Barriers = barriers, MajorRoads = roads };
    }

    static Geometry Envelope(PartitionInput input)
    {
        var e = new Envelope();
        foreach (var u in input.Units) e.ExpandToInclude(u.Geometry.EnvelopeInternal);
        foreach (var a in input.Areas ?? []) e.ExpandToInclude(a.Polygon.EnvelopeInternal);
        foreach (var c in input.Compounds ?? []) e.ExpandToInclude(c.Polygon.EnvelopeInternal);
        return new GeometryFactory().ToGeometry(e);
    }

    /// <summary>Without areas, the units (and compounds) form one area: their hull, buffered by 50 m.</summary>
    static Geometry DefaultArea(IEnumerable<Geometry> parts, GeometryFactory factory) =>
        factory.BuildGeometry(parts.ToList()).ConvexHull().Buffer(50);

    /// <summary>Each item goes to the area containing its point (the smallest, if several), else the nearest area.</summary>
    static List<T>[] AssignToAreas<T>(IEnumerable<(T Item, Coordinate Point)> items, IReadOnlyList<Geometry> areas, GeometryFactory factory)
    {
        var lists = areas.Select(_ => new List<T>()).ToArray();
        var prepared = areas.Select(a => PreparedGeometryFactory.Prepare(a)).ToArray();
        var tree = new STRtree<int>();
        for (var i = 0; i < areas.Count; i++) tree.Insert(areas[i].EnvelopeInternal, i);
        foreach (var (item, point) in items)
        {
            var p = factory.CreatePoint(point);
            var hits = tree.Query(p.EnvelopeInternal).Where(i => prepared[i].Covers(p)).ToList();
            var area = hits.Count > 0
                ? hits.OrderBy(i => areas[i].Area).First()
                : Enumerable.Range(0, areas.Count).OrderBy(i => areas[i].Distance(p)).FirstOrDefault(-1);
            if (area >= 0) lists[area].Add(item);
        }
        return lists;
    }

    static Geometry PolygonalPart(Geometry g) => g is Polygon or MultiPolygon ? g
        : AreaAtoms.Polygons(g) is { Count: > 0 } parts ? g.Factory.CreateMultiPolygon(parts.ToArray()) : g.Factory.CreatePolygon();

    static IEnumerable<LineString> Lines(Geometry g) => g switch
    {
        LineString { IsEmpty: false } l => [l],
        MultiLineString m => m.Geometries.Cast<LineString>(),
        GeometryCollection c => c.Geometries.SelectMany(Lines),
        Polygon p => [p.ExteriorRing],
        _ => [],
    };

    /// <summary>Buildings whose stairwells went to more than one grid, and those grids in reading order.</summary>
    static List<SplitBuilding> SplitBuildings(IReadOnlyList<PartitionUnit> units, IReadOnlyList<GridResult> grids)
    {
        var gridsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var stairs = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in grids)
            foreach (var id in g.UnitIds)
            {
                var slash = id.IndexOf('/');
                if (slash < 0) continue;
                var building = id[..slash];
                stairs[building] = stairs.GetValueOrDefault(building) + 1;
                if (!gridsOf.TryGetValue(building, out var list)) gridsOf[building] = list = [];
                if (!list.Contains(g.Code)) list.Add(g.Code);
            }
        var split = new List<SplitBuilding>();
        if (gridsOf.Count == 0) return split;
        var byId = new Dictionary<string, PartitionUnit>(StringComparer.Ordinal);
        foreach (var u in units) byId.TryAdd(u.Id, u);
        foreach (var (building, list) in gridsOf)
            if (list.Count > 1 && byId.TryGetValue(building, out var unit))
                split.Add(new SplitBuilding(building, unit.Households, stairs[building], unit.Units is not { Count: > 1 }, list));
        return split.OrderBy(b => b.Id, StringComparer.Ordinal).ToList();
    }
}

/// <summary>What one area came to: grid polygons (metric), their households, unit ids and reasons.</summary>
public sealed record AreaOutcome(
    IReadOnlyList<Geometry> Polygons, IReadOnlyList<int> Households, IReadOnlyList<IReadOnlyList<string>> UnitIds,
    IReadOnlyList<OutOfBandReason> Reasons, IReadOnlyList<string> InfeasibleUnits, int SplitCompounds)
{
    /// <summary>On a re-run: the code each grid keeps (null for a grid that needs a new number).</summary>
    public IReadOnlyList<string?>? Codes { get; init; }

    /// <summary>On a re-run: buildings whose grid code changed.</summary>
    public int? Churn { get; init; }

    /// <summary>Per grid, the special area of a dedicated grid (null for a basic one); null when the area has none.</summary>
    public IReadOnlyList<PartitionSpecialArea?>? Specials { get; init; }

    /// <summary>Per grid, its neck (code empty) when it has one (<see cref="NarrowNecks"/>).</summary>
    public IReadOnlyList<NarrowNeck?>? Necks { get; init; }

    /// <summary>Land of road blocks solved together because apart they found no grids in band (metric).</summary>
    public IReadOnlyList<Geometry> JoinedForFit { get; init; } = [];

    /// <summary>
    /// Each atom's unit ids and its territory (metric) as the tessellation drew it, before any corridor: the units' own
    /// land, on which a neck is excused (<see cref="NarrowNecks"/>).
    /// </summary>
    public IReadOnlyList<(IReadOnlyList<string> UnitIds, Geometry Land)> Territories { get; init; } = [];
}
