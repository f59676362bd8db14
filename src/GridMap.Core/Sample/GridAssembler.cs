using GridMap.Core.Codes;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.OverlayNG;

namespace GridMap.Core.Sample;

/// <summary>
/// Groups each community's buildings into grids (网格) of about 200–300 households and draws the grids as unions
/// of lattice cells, so they tile the community exactly.
/// Items are whole compounds when they hold ≤ 300 households, else single cells of the compound; items are
/// laid out in reading order (blocks snake north to south, cells snake within a compound) and cut into runs by
/// a small dynamic programme that favours 250 households, refuses disconnected runs and dislikes crossing roads.
/// Cells outside compounds (public blocks, parks) join the neighbouring grid they touch first.
/// </summary>
internal sealed class GridAssembler(SamplePlan plan)
{
    public const int MinHouseholds = 200;
    public const int MaxHouseholds = 300;
    const int TargetHouseholds = 250;

    sealed record Item(int[] Cells, int Households, PlannedBlock Block);

    readonly StreetGridLayout _layout = plan.Layout;
    readonly int[] _stamp = Enumerable.Repeat(-1, plan.Layout.NX * plan.Layout.NY).ToArray();
    readonly int[] _parent = new int[plan.Layout.NX * plan.Layout.NY];
    int _runStamp;

    public void Assemble(PlannedArea community)
    {
        // Try the cells snaking by rows and by columns, blocks by rows and by columns; keep the cheapest cut.
        List<Item> items = [];
        List<(int, int)> runs = [];
        var bestCost = double.MaxValue;
        foreach (var blocksByRows in new[] { true, false })
        foreach (var cellsByRows in new[] { true, false })
        {
            var candidate = Items(community, blocksByRows, cellsByRows);
            var (cut, cost) = Cut(candidate);
            if (cost < bestCost) (items, runs, bestCost) = (candidate, cut, cost);
        }

        var cellGrid = new Dictionary<int, int>();
        var gridCells = new List<List<int>>();
        foreach (var (start, end) in runs)
        {
            var cells = new List<int>();
            for (var k = start; k < end; k++) cells.AddRange(items[k].Cells);
            foreach (var c in cells) cellGrid[c] = gridCells.Count;
            gridCells.Add(cells);
        }
        FillFreeCells(community, cellGrid, gridCells);

        var grids = gridCells.Select(cells =>
        {
            cells.Sort();
            var buildings = cells.SelectMany(c => plan.CellBuildings[c] ?? []).ToList();
            var grid = new PlannedGrid(community, cells, buildings);
            GridBalancer.Balance(grid);
            grid.Geometry = Union(cells);
            return grid;
        }).ToList();

        var order = GridCode.ReadingOrder(grids.Select(g => g.Geometry).ToList());
        for (var n = 0; n < order.Count; n++)
        {
            var grid = grids[order[n]];
            grid.Sequence = n + 1;
            grid.Code = GridCode.Format(community.Code, n + 1);
            foreach (var b in grid.Buildings) b.GridCode = grid.Code;
            community.Grids.Add(grid);
        }
    }

    /// <summary>The union of cells, built from shared lattice nodes so the coverage union is exact.</summary>
    Geometry Union(List<int> cells)
    {
        var polygons = cells.Select(_layout.CellPolygonLonLat).ToArray();
        var union = CoverageUnion.Union(GeometryRules.Factory.CreateMultiPolygon(polygons));
        return GeometryRules.OrientForRfc7946(union);
    }

    List<Item> Items(PlannedArea community, bool blocksByRows, bool cellsByRows)
    {
        var items = new List<Item>();
        // Blocks snake (by rows: north row west→east, next row east→west), so consecutive blocks touch.
        var rows = blocksByRows
            ? community.Blocks.GroupBy(b => b.By).OrderByDescending(g => g.Key).ToList()
            : community.Blocks.GroupBy(b => b.Bx).OrderBy(g => g.Key).ToList();
        for (var r = 0; r < rows.Count; r++)
        {
            var row = blocksByRows
                ? (r % 2 == 0 ? rows[r].OrderBy(b => b.Bx) : rows[r].OrderByDescending(b => b.Bx))
                : (r % 2 == 0 ? rows[r].OrderByDescending(b => b.By) : rows[r].OrderBy(b => b.By));
            foreach (var block in row)
            {
                foreach (var compound in block.Compounds.OrderByDescending(c => c.J1).ThenBy(c => c.I0))
                {
                    var cells = Snake(compound.I0, compound.J0, compound.I1, compound.J1, cellsByRows);
                    if (compound.Households <= MaxHouseholds)
                        items.Add(new Item([.. cells], compound.Households, block));
                    else
                        items.AddRange(cells.Select(c => new Item([c], (plan.CellBuildings[c] ?? []).Sum(b => b.Households), block)));
                }
            }
        }
        return items;
    }

    List<int> Snake(int i0, int j0, int i1, int j1, bool byRows)
    {
        var cells = new List<int>();
        if (byRows)
        {
            for (var j = j1 - 1; j >= j0; j--)
            {
                var eastward = (j1 - 1 - j) % 2 == 0;
                for (var k = 0; k < i1 - i0; k++)
                    cells.Add(_layout.CellIndex(eastward ? i0 + k : i1 - 1 - k, j));
            }
        }
        else
        {
            for (var i = i0; i < i1; i++)
            {
                var southward = (i - i0) % 2 == 0;
                for (var k = 0; k < j1 - j0; k++)
                    cells.Add(_layout.CellIndex(i, southward ? j1 - 1 - k : j0 + k));
            }
        }
        return cells;
    }

    /// <summary>Optimal cut of the item sequence into runs: [start, end) pairs and the total cost.</summary>
    (List<(int, int)> Runs, double Cost) Cut(List<Item> items)
    {
        var n = items.Count;
        var best = new double[n + 1];
        var from = new int[n + 1];
        Array.Fill(best, double.MaxValue);
        best[0] = 0;
        for (var end = 1; end <= n; end++)
        {
            var households = 0;
            var components = 0;
            var crossesBlocks = false;
            var stamp = ++_runStamp;
            for (var start = end - 1; start >= 0; start--)
            {
                var item = items[start];
                households += item.Households;
                crossesBlocks |= item.Block != items[end - 1].Block;
                foreach (var cell in item.Cells) components += Add(cell, stamp);
                if (best[start] < double.MaxValue)
                {
                    var cost = best[start] + Cost(households, components == 1, crossesBlocks);
                    if (cost < best[end]) { best[end] = cost; from[end] = start; }
                }
                if (households > 2 * MaxHouseholds || end - start > 150) break;
            }
        }
        var runs = new List<(int, int)>();
        for (var end = n; end > 0; end = from[end]) runs.Add((from[end], end));
        runs.Reverse();
        return (runs, best[n]);
    }

    /// <summary>Out of 200–300 costs far more than anything else; inside, nearer 250 and within one block is better.</summary>
    static double Cost(int households, bool connected, bool crossesBlocks)
    {
        if (!connected) return 1e12;
        double d = households - TargetHouseholds;
        var cost = 0.1 * d * d;
        var outside = households < MinHouseholds ? MinHouseholds - households : households > MaxHouseholds ? households - MaxHouseholds : 0;
        if (outside > 0) cost += 20000 + 100.0 * outside * outside;
        if (crossesBlocks) cost += 1500;
        return cost;
    }

    /// <summary>Adds a cell to the run marked <paramref name="stamp"/>; returns the change in connected components.</summary>
    int Add(int cell, int stamp)
    {
        _stamp[cell] = stamp;
        _parent[cell] = cell;
        var delta = 1;
        var (i, j) = _layout.CellOf(cell);
        foreach (var (ni, nj) in new[] { (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1) })
        {
            if (ni < 0 || nj < 0 || ni >= _layout.NX || nj >= _layout.NY) continue;
            var neighbour = _layout.CellIndex(ni, nj);
            if (_stamp[neighbour] != stamp) continue;
            int a = Find(cell), b = Find(neighbour);
            if (a == b) continue;
            _parent[a] = b;
            delta--;
        }
        return delta;
    }

    int Find(int cell)
    {
        while (_parent[cell] != cell)
        {
            _parent[cell] = _parent[_parent[cell]];
            cell = _parent[cell];
        }
        return cell;
    }

    /// <summary>Breadth-first from the grids' cells: free cells join the first grid that reaches them.</summary>
    void FillFreeCells(PlannedArea community, Dictionary<int, int> cellGrid, List<List<int>> gridCells)
    {
        var queue = new Queue<int>(cellGrid.Keys.Order());
        while (queue.Count > 0)
        {
            var cell = queue.Dequeue();
            var (i, j) = _layout.CellOf(cell);
            foreach (var (ni, nj) in new[] { (i, j + 1), (i + 1, j), (i, j - 1), (i - 1, j) })
            {
                if (ni < 0 || nj < 0 || ni >= _layout.NX || nj >= _layout.NY) continue;
                var neighbour = _layout.CellIndex(ni, nj);
                if (cellGrid.ContainsKey(neighbour) || plan.CellBlock[neighbour].Community != community) continue;
                cellGrid[neighbour] = cellGrid[cell];
                gridCells[cellGrid[cell]].Add(neighbour);
                queue.Enqueue(neighbour);
            }
        }
        if (gridCells.Count == 0)
        {
            // A community without households still needs one grid to cover it.
            var all = community.Blocks.SelectMany(b => Enumerable.Range(b.J0, b.J1 - b.J0)
                .SelectMany(j => Enumerable.Range(b.I0, b.I1 - b.I0).Select(i => _layout.CellIndex(i, j)))).ToList();
            gridCells.Add(all);
        }
    }
}
