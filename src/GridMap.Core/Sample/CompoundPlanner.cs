using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>
/// Zones the blocks (old town in the centre, a high-rise ring, self-built housing at the edge, a few public blocks),
/// cuts each block into compounds that are rectangles of cells, and fills them with buildings.
/// </summary>
internal sealed class CompoundPlanner(SamplePlan plan)
{
    static readonly string[] HighRiseClasses =
    [
        CompoundClasses.CommercialResidential, CompoundClasses.CommercialHousing, CompoundClasses.Resettlement,
        CompoundClasses.CommercialResidential, CompoundClasses.Affordable, CompoundClasses.CommercialHousing,
    ];
    static readonly string[] OldClasses =
    [
        CompoundClasses.Old, CompoundClasses.WorkUnit, CompoundClasses.Old, CompoundClasses.ElderlyCare,
        CompoundClasses.Old, CompoundClasses.WorkUnit, CompoundClasses.Other,
    ];
    static readonly string[] OpenClasses = [CompoundClasses.SelfBuilt, CompoundClasses.SelfBuilt, CompoundClasses.UrbanRuralFringe];

    readonly Random _random = plan.Random;
    readonly BuildingPlacer _placer = new(plan);
    int _highRise, _old, _open;

    public void Plan()
    {
        var layout = plan.Layout;
        plan.CellBlock = new PlannedBlock[layout.NX * layout.NY];
        plan.CellCompound = new PlannedCompound?[layout.NX * layout.NY];
        plan.CellBuildings = new List<PlannedBuilding>?[layout.NX * layout.NY];

        for (var by = 0; by < layout.BlocksY; by++)
        for (var bx = 0; bx < layout.BlocksX; bx++)
        {
            var block = new PlannedBlock(plan.Blocks.Count, bx, by,
                layout.ColumnLines[bx], layout.RowLines[by], layout.ColumnLines[bx + 1], layout.RowLines[by + 1]);
            plan.Blocks.Add(block);
            foreach (var cell in Cells(block.I0, block.J0, block.I1, block.J1)) plan.CellBlock[cell] = block;
        }

        Zone();
        foreach (var block in plan.Blocks)
        {
            switch (block.Kind)
            {
                case BlockKind.HighRise: PlanHighRise(block); break;
                case BlockKind.OldMix: PlanOldMix(block); break;
                case BlockKind.SelfBuilt: PlanOpen(block); break;
            }
        }
        foreach (var compound in plan.Compounds) ChooseFrontRoad(compound);
    }

    /// <summary>Rank blocks by (noisy) distance from the centre: the district grows outward with scale.</summary>
    void Zone()
    {
        var layout = plan.Layout;
        var ranked = plan.Blocks
            .Select(b =>
            {
                var centre = layout.CellCentre(layout.CellIndex((b.I0 + b.I1) / 2, (b.J0 + b.J1) / 2));
                return (Block: b, Key: Math.Sqrt(centre.X * centre.X + centre.Y * centre.Y) * (0.85 + 0.3 * _random.NextDouble()));
            })
            .OrderBy(x => x.Key).ThenBy(x => x.Block.Index)
            .Select(x => x.Block).ToList();
        for (var r = 0; r < ranked.Count; r++)
        {
            var f = (double)r / ranked.Count;
            ranked[r].Kind = r % 12 == 5 ? BlockKind.Public
                : f < 0.1 ? BlockKind.OldMix
                : f < 0.7 ? BlockKind.HighRise
                : BlockKind.SelfBuilt;
        }
    }

    /// <summary>One or two gated high-rise compounds of 1,000–3,000 households; a garden cell or two stay free.</summary>
    void PlanHighRise(PlannedBlock block)
    {
        foreach (var (i0, j0, i1, j1) in block.CellCount >= 34 ? Halve(block.I0, block.J0, block.I1, block.J1) : [(block.I0, block.J0, block.I1, block.J1)])
        {
            var compound = NewCompound(block, HighRiseClasses[_highRise++ % HighRiseClasses.Length], i0, j0, i1, j1);
            var cells = Shuffled(Cells(i0, j0, i1, j1));
            var gardens = Math.Max(1, cells.Count / 10);
            var target = 1100 + _random.Next(1800);
            foreach (var cell in cells.Skip(gardens))
            {
                if (compound.Households >= target) break;
                _placer.Tower(compound, cell);
            }
        }
    }

    /// <summary>Old town: small compounds of 100–400 households in walk-up slabs, cut from the block like a guillotine.</summary>
    void PlanOldMix(PlannedBlock block)
    {
        foreach (var (i0, j0, i1, j1) in Guillotine(block.I0, block.J0, block.I1, block.J1, _random.Next(6, 10)))
        {
            var compound = NewCompound(block, OldClasses[_old++ % OldClasses.Length], i0, j0, i1, j1);
            // Mostly one grid's worth; some small ones that pair up, some big ones that split by building.
            var target = _random.Next(10) switch { < 7 => 200 + _random.Next(80), < 8 => 100 + _random.Next(40), _ => 320 + _random.Next(80) };
            foreach (var cell in Cells(i0, j0, i1, j1))
            {
                if (compound.Households >= target) break;
                _placer.Slabs(compound, cell).ToList();
            }
        }
    }

    /// <summary>Self-built housing: one or two open areas of many small houses, with a village square left free.</summary>
    void PlanOpen(PlannedBlock block)
    {
        foreach (var (i0, j0, i1, j1) in block.CellCount >= 34 ? Halve(block.I0, block.J0, block.I1, block.J1) : [(block.I0, block.J0, block.I1, block.J1)])
        {
            var compound = NewCompound(block, OpenClasses[_open++ % OpenClasses.Length], i0, j0, i1, j1);
            var cells = Cells(i0, j0, i1, j1);
            var square = cells.Count >= 6 ? cells[_random.Next(cells.Count)] : -1;
            foreach (var cell in cells)
                if (cell != square) _placer.Houses(compound, cell).ToList();
        }
    }

    PlannedCompound NewCompound(PlannedBlock block, string compoundClass, int i0, int j0, int i1, int j1)
    {
        var compound = new PlannedCompound(block, compoundClass, i0, j0, i1, j1)
        {
            PropertyManagement = compoundClass switch
            {
                CompoundClasses.Old or CompoundClasses.SelfBuilt or CompoundClasses.UrbanRuralFringe => false,
                CompoundClasses.WorkUnit => _random.Next(10) < 3,
                _ => true,
            },
        };
        block.Compounds.Add(compound);
        plan.Compounds.Add(compound);
        foreach (var cell in Cells(i0, j0, i1, j1)) plan.CellCompound[cell] = compound;
        return compound;
    }

    /// <summary>The best walkable road on a side of the compound that lies on its block's boundary.</summary>
    void ChooseFrontRoad(PlannedCompound c)
    {
        var b = c.Block;
        var sides = new List<RoadLine>();
        if (c.J1 == b.J1) sides.Add(plan.Rows[b.By + 1]);
        if (c.J0 == b.J0) sides.Add(plan.Rows[b.By]);
        if (c.I0 == b.I0) sides.Add(plan.Columns[b.Bx]);
        if (c.I1 == b.I1) sides.Add(plan.Columns[b.Bx + 1]);
        if (!sides.Any(s => s.Fronts))
            sides = [plan.Rows[b.By + 1], plan.Rows[b.By], plan.Columns[b.Bx], plan.Columns[b.Bx + 1]];
        c.FrontRoad = sides.Where(s => s.Fronts).OrderByDescending(s => s.Rank).FirstOrDefault()
            ?? sides.First(s => !s.IsRiver);
        if (c.Walled)
        {
            c.DoorNumber = c.FrontRoad.NextNumber;
            c.FrontRoad.NextNumber += 2 + 2 * _random.Next(3);
        }
    }

    List<int> Cells(int i0, int j0, int i1, int j1)
    {
        var cells = new List<int>();
        for (var j = j0; j < j1; j++)
        for (var i = i0; i < i1; i++) cells.Add(plan.Layout.CellIndex(i, j));
        return cells;
    }

    List<int> Shuffled(List<int> cells)
    {
        for (var k = cells.Count - 1; k > 0; k--)
        {
            var m = _random.Next(k + 1);
            (cells[k], cells[m]) = (cells[m], cells[k]);
        }
        return cells;
    }

    /// <summary>Cuts a rectangle of cells in two across its longer side.</summary>
    List<(int, int, int, int)> Halve(int i0, int j0, int i1, int j1)
    {
        if (i1 - i0 >= j1 - j0)
        {
            var cut = (i0 + i1) / 2 + _random.Next(-1, 1) * ((i1 - i0) >= 5 ? 1 : 0);
            return [(i0, j0, cut, j1), (cut, j0, i1, j1)];
        }
        var rowCut = (j0 + j1) / 2 + _random.Next(-1, 1) * ((j1 - j0) >= 5 ? 1 : 0);
        return [(i0, rowCut, i1, j1), (i0, j0, i1, rowCut)];
    }

    List<(int, int, int, int)> Guillotine(int i0, int j0, int i1, int j1, int maxCells)
    {
        if ((i1 - i0) * (j1 - j0) <= maxCells || (i1 - i0 < 2 && j1 - j0 < 2)) return [(i0, j0, i1, j1)];
        return Halve(i0, j0, i1, j1).SelectMany(r => Guillotine(r.Item1, r.Item2, r.Item3, r.Item4, maxCells)).ToList();
    }

    /// <summary>
    /// The compound outline: its cells pulled 2 m back from neighbouring compounds and 10 m (open areas 3 m) back from the road.
    /// </summary>
    public static Geometry Outline(SamplePlan plan, PlannedCompound c)
    {
        var layout = plan.Layout;
        var b = c.Block;
        var parameters = new NetTopologySuite.Operation.Buffer.BufferParameters { JoinStyle = NetTopologySuite.Operation.Buffer.JoinStyle.Mitre, MitreLimit = 10 };
        var cells = layout.RectPolygonXY(c.I0, c.J0, c.I1, c.J1).Buffer(c.Walled ? -2 : -1, parameters);
        var block = layout.RectPolygonXY(b.I0, b.J0, b.I1, b.J1).Buffer(c.Walled ? -10 : -3, parameters);
        return layout.ToLonLat(cells.Intersection(block));
    }
}
