using GridMap.Core.Model;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Core.Partitioning;

/// <summary>
/// The indivisible pieces the partitioner assigns (metric coordinates): a compound that fits in one grid is one atom
/// (never split); a larger compound's buildings are atoms of their own, marked with their compound; a building above
/// the maximum is split by its stairwells (单元) — those given, else synthesised ones of about 50 households; buildings at the
/// exact same point stay together; a compound with households but no known buildings is divided geometrically.
/// </summary>
public sealed record Atom(
    int Index, IReadOnlyList<string> UnitIds, int Households, IReadOnlyList<Coordinate> Points, IReadOnlyList<Polygon> Footprints,
    int Region, IReadOnlyList<Polygon> FixedTerritory, bool Oversized, int LargeCompound)
{
    public Coordinate Centre => Points.Count == 1 ? Points[0]
        : new Coordinate(Points.Average(p => p.X), Points.Average(p => p.Y));
}

public sealed record AreaProblem(Geometry Area, IReadOnlyList<Atom> Atoms, IReadOnlyList<Geometry> Regions, IReadOnlyList<LineString> Barriers, IReadOnlyList<string> InfeasibleUnits);

/// <summary>Builds the atoms of one area from its units and compounds (already projected and clipped).</summary>
public static class AreaAtoms
{
    public sealed record MetricUnit(PartitionUnit Unit, Geometry Geometry, Coordinate Point);

    public sealed record MetricCompound(PartitionCompound Compound, Geometry Polygon);

    public static AreaProblem Build(Geometry area, IReadOnlyList<MetricUnit> units, IReadOnlyList<MetricCompound> compounds,
        IReadOnlyList<LineString> barriers, Bounds bounds)
    {
        var atoms = new List<Atom>();
        var infeasible = new List<string>();
        var regions = compounds.Select(c => c.Polygon).ToList();

        // Which compound each unit belongs to: its own `compound` property when that compound is here, else the one containing it.
        var compoundIndex = compounds.Select((c, i) => (c.Compound.Id, i)).GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First().i);
        var tree = new STRtree<int>();
        for (var i = 0; i < compounds.Count; i++) tree.Insert(compounds[i].Polygon.EnvelopeInternal, i);
        var members = compounds.Select(_ => new List<MetricUnit>()).ToArray();
        var open = new List<MetricUnit>();
        var factory = area.Factory;
        foreach (var u in units)
        {
            int region = -1;
            if (u.Unit.Compound is { } id && compoundIndex.TryGetValue(id, out var own)) region = own;
            else
            {
                var p = factory.CreatePoint(u.Point);
                region = tree.Query(p.EnvelopeInternal).Where(i => compounds[i].Polygon.Covers(p))
                    .OrderBy(i => compounds[i].Polygon.Area).DefaultIfEmpty(-1).First();
            }
            if (region >= 0) members[region].Add(u); else open.Add(u);
        }

        for (var c = 0; c < compounds.Count; c++)
        {
            var inside = members[c];
            if (inside.Count > 0)
            {
                var total = inside.Sum(u => (long)u.Unit.Households);
                if (total <= bounds.Max) atoms.Add(Whole(atoms.Count, inside, c));
                else AddUnits(atoms, inside, c, c, bounds, infeasible);
            }
            else if (compounds[c].Compound.Households is > 0 and var h)
            {
                var pieces = PiecesFor(h, bounds);
                var roads = barriers.Where(b => b.Intersects(compounds[c].Polygon)).ToList();
                foreach (var piece in CompoundDivider.Divide(compounds[c].Polygon, h, pieces, roads))
                {
                    var parts = Polygons(piece.Polygon);
                    if (parts.Count == 0) continue;
                    var ids = new[] { pieces == 1 ? compounds[c].Compound.Id : $"{compounds[c].Compound.Id}#{atoms.Count}" };
                    atoms.Add(new Atom(atoms.Count, ids, piece.Households, [parts[0].InteriorPoint.Coordinate], [], c, parts,
                        piece.Households > bounds.Max, pieces == 1 ? -1 : c));
                }
            }
        }
        AddUnits(atoms, open, -1, -1, bounds, infeasible);
        return new AreaProblem(area, atoms, regions, barriers, infeasible);
    }

    /// <summary>How many pieces a compound of <paramref name="households"/> with no known buildings is divided into.</summary>
    public static int PiecesFor(int households, Bounds bounds)
    {
        if (households <= bounds.Max) return 1;
        var k = Math.Max((int)Math.Round((double)households / bounds.Target), (int)Math.Ceiling((double)households / bounds.Max));
        // Each piece should still reach the minimum where the total allows it.
        while (k > 1 && households / k < bounds.Min && (households / (k - 1)) <= bounds.Max) k--;
        return k;
    }

    static Atom Whole(int index, IReadOnlyList<MetricUnit> units, int region) => new(
        index, units.Select(u => u.Unit.Id).ToList(), units.Sum(u => u.Unit.Households),
        units.Select(u => u.Point).ToList(), units.SelectMany(u => Polygons(u.Geometry)).ToList(), region, [], false, -1);

    /// <summary>One atom per building — co-located buildings together, oversized ones split by stairwell where known.</summary>
    static void AddUnits(List<Atom> atoms, IReadOnlyList<MetricUnit> units, int region, int largeCompound, Bounds bounds, List<string> infeasible)
    {
        foreach (var same in units.GroupBy(u => (Math.Round(u.Point.X, 2), Math.Round(u.Point.Y, 2))))
        {
            var group = same.ToList();
            if (group.Count == 1 && group[0].Unit.Households > bounds.Max && StairwellsOf(group[0].Unit, bounds) is { Count: > 1 } stairs)
            {
                AddStairwells(atoms, group[0], stairs, region, largeCompound, bounds, infeasible);
                continue;
            }
            var households = group.Sum(u => u.Unit.Households);
            var oversized = households > bounds.Max;
            if (oversized) infeasible.AddRange(group.Select(u => u.Unit.Id));
            atoms.Add(new Atom(atoms.Count, group.Select(u => u.Unit.Id).ToList(), households, [group[0].Point],
                group.SelectMany(u => Polygons(u.Geometry)).ToList(), region, [], oversized, largeCompound));
        }
    }

    /// <summary>A building's stairwells: those given, else synthesised ones of about <see cref="Bounds.SynthesisedUnitHouseholds"/>.</summary>
    static IReadOnlyList<BuildingUnit> StairwellsOf(PartitionUnit unit, Bounds bounds) =>
        unit.Units is { Count: > 1 } given ? given : BuildingUnit.Synthesise(unit.Households, bounds.SynthesisedUnitHouseholds, bounds.Min, bounds.Max);

    /// <summary>
    /// A footprint (metric; a point stands for a 16 m square around it) cut into strips, one per stairwell, each with an
    /// area in proportion to its households. The same cut serves the partitioner and grid edits.
    /// </summary>
    public static IReadOnlyList<Geometry> StairwellStrips(Geometry footprint, Coordinate point, IReadOnlyList<BuildingUnit> stairs)
    {
        if (footprint is Polygon or MultiPolygon)
            return CompoundDivider.Divide(footprint, stairs.Sum(s => s.Households), stairs.Count).Select(p => p.Polygon).ToList();
        // A point block: its 16 m square in west→east strips, widths in proportion to households (no overlay needed).
        var total = Math.Max(1, stairs.Sum(s => s.Households));
        var strips = new List<Geometry>(stairs.Count);
        var x = point.X - 8;
        foreach (var s in stairs)
        {
            var w = 16.0 * Math.Max(s.Households, 0) / total;
            strips.Add(footprint.Factory.ToGeometry(new Envelope(x, x + w, point.Y - 8, point.Y + 8)));
            x += w;
        }
        return strips;
    }

    /// <summary>A high-rise split between grids only by whole stairwells: its footprint is cut into strips, one per stairwell.</summary>
    static void AddStairwells(List<Atom> atoms, MetricUnit building, IReadOnlyList<BuildingUnit> stairs, int region, int largeCompound, Bounds bounds, List<string> infeasible)
    {
        var strips = StairwellStrips(building.Geometry, building.Point, stairs);
        for (var i = 0; i < stairs.Count; i++)
        {
            var strip = i < strips.Count ? Polygons(strips[i]) : [];
            var point = strip.Count > 0 ? strip[0].InteriorPoint.Coordinate : building.Point;
            var oversized = stairs[i].Households > bounds.Max;
            var id = $"{building.Unit.Id}/{stairs[i].Id}";
            if (oversized) infeasible.Add(id);
            atoms.Add(new Atom(atoms.Count, [id], stairs[i].Households, [point], [], region, strip, oversized, largeCompound));
        }
    }

    /// <summary>
    /// Which of an area's <paramref name="own"/> polygons (<see cref="Polygons"/>) <paramref name="piece"/> is, vertex for
    /// vertex, or -1: an area with nobody in it is one grid per island, its land not cut at all.
    /// </summary>
    public static int OwnPolygonOf(IReadOnlyList<Polygon> own, Geometry piece)
    {
        for (var k = 0; k < own.Count; k++)
            if (own[k].EqualsExact(piece)) return k;
        return -1;
    }

    public static IReadOnlyList<Polygon> Polygons(Geometry g) => g switch
    {
        Polygon { IsEmpty: false } p => [p],
        MultiPolygon m => m.Geometries.Cast<Polygon>().Where(p => !p.IsEmpty).ToList(),
        GeometryCollection c => c.Geometries.SelectMany(Polygons).ToList(),
        _ => [],
    };
}
