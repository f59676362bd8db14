using GridMap.Core.Model;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Sample;

/// <summary>OSM-style tags of one sample way.</summary>
internal sealed record WayTags(string Highway, string? Name = null, string? Sidewalk = null, string? Bridge = null, string? Layer = null, string? Foot = null);

internal sealed record PlannedWay(WayTags Tags, LineString Line);

/// <summary>
/// The walking network: roads along block boundaries, lanes and paths along the lattice lines inside blocks,
/// gates into walled compounds, and the river as a gap crossed by footbridges. Edges run between lattice nodes,
/// and ways are merged chains of edges split at every junction, so ways that connect always end on a shared vertex.
/// </summary>
internal sealed class WalkNetworkBuilder(SamplePlan plan)
{
    const double BankSetback = 12;

    readonly StreetGridLayout _layout = plan.Layout;
    readonly Random _random = plan.Random;
    readonly List<(int A, int B, WayTags Tags)> _edges = [];
    readonly List<Coordinate> _extraNodes = [];
    int LatticeNodes => (_layout.NX + 1) * (_layout.NY + 1);

    public List<PlannedWay> Build()
    {
        AddRoads();
        foreach (var block in plan.Blocks) AddBlockPaths(block);
        return Merge();
    }

    void AddRoads()
    {
        var river = plan.Rows.FirstOrDefault(r => r.IsRiver);
        var bridges = new HashSet<int>();
        if (river is not null)
        {
            // One footbridge for every 8 roads crossing the river, spread evenly, never on the trunk road.
            var crossing = plan.Columns.Where(c => !c.IsTrunk).ToList();
            var count = Math.Max(1, crossing.Count / 8);
            for (var k = 0; k < count; k++) bridges.Add(crossing[(int)((k + 0.5) * crossing.Count / count)].Boundary);
        }

        foreach (var column in plan.Columns)
        {
            var tags = RoadTags(column);
            var i = column.Line;
            for (var j = 0; j < _layout.NY; j++)
            {
                int a = _layout.NodeIndex(i, j), b = _layout.NodeIndex(i, j + 1);
                if (river is not null && j + 1 == river.Line) b = Bank(i, river.Line, -1);
                if (river is not null && j == river.Line) a = Bank(i, river.Line, +1);
                _edges.Add((a, b, tags));
            }
            if (river is not null && bridges.Contains(column.Boundary))
                _edges.Add((Bank(i, river.Line, -1), Bank(i, river.Line, +1),
                    new WayTags("footway", $"{RoadPlanner.RiverName}人行桥", Bridge: "yes", Layer: "1")));
        }
        foreach (var row in plan.Rows)
        {
            if (row.IsRiver) continue;
            var tags = RoadTags(row);
            for (var i = 0; i < _layout.NX; i++)
                _edges.Add((_layout.NodeIndex(i, row.Line), _layout.NodeIndex(i + 1, row.Line), tags));
        }
    }

    static WayTags RoadTags(RoadLine road) => road.Highway switch
    {
        "trunk" => new WayTags("trunk", road.Name, Sidewalk: "no"),
        "primary" or "secondary" => new WayTags(road.Highway, road.Name, Sidewalk: "both"),
        _ => new WayTags(road.Highway, road.Name),
    };

    readonly Dictionary<(int, int), int> _banks = [];

    /// <summary>The end of a road 12 m short of the river, on the south (-1) or north (+1) bank.</summary>
    int Bank(int i, int riverLine, int side)
    {
        if (_banks.TryGetValue((i, side), out var id)) return id;
        var at = _layout.NodeXY(i, riverLine);
        var toward = _layout.NodeXY(i, riverLine + side);
        var length = at.Distance(toward);
        var point = new Coordinate(at.X + (toward.X - at.X) * BankSetback / length, at.Y + (toward.Y - at.Y) * BankSetback / length);
        id = LatticeNodes + _extraNodes.Count;
        _extraNodes.Add(point);
        _banks[(i, side)] = id;
        return id;
    }

    void AddBlockPaths(PlannedBlock block)
    {
        var gates = block.Compounds.Where(c => c.Walled).SelectMany(Gates).ToHashSet();
        // Lines north–south inside the block: i strictly between the block's side boundaries.
        for (var i = block.I0 + 1; i < block.I1; i++)
        for (var j = block.J0; j < block.J1; j++)
        {
            var endRoad = j == block.J0 ? plan.Rows[block.By] : j + 1 == block.J1 ? plan.Rows[block.By + 1] : null;
            AddInnerEdge(_layout.NodeIndex(i, j), _layout.NodeIndex(i, j + 1), _layout.CellIndex(i - 1, j), _layout.CellIndex(i, j),
                endRoad, gates, vertical: true, i);
        }
        for (var j = block.J0 + 1; j < block.J1; j++)
        for (var i = block.I0; i < block.I1; i++)
        {
            var endRoad = i == block.I0 ? plan.Columns[block.Bx] : i + 1 == block.I1 ? plan.Columns[block.Bx + 1] : null;
            AddInnerEdge(_layout.NodeIndex(i, j), _layout.NodeIndex(i + 1, j), _layout.CellIndex(i, j - 1), _layout.CellIndex(i, j),
                endRoad, gates, vertical: false, j);
        }
    }

    void AddInnerEdge(int a, int b, int cellA, int cellB, RoadLine? endRoad, HashSet<(int, int)> gates, bool vertical, int line)
    {
        // Paths never end on the river (no road there) or the trunk road (no sidewalk to step onto).
        if (endRoad is { Fronts: false }) return;
        var compound = plan.CellCompound[cellA];
        if (compound is not null && compound == plan.CellCompound[cellB])
        {
            if (!compound.Walled)
            {
                // Zunyi is hilly: lanes through self-built areas and old compounds climb on stairs here and there.
                _edges.Add((a, b, new WayTags(endRoad is null && _random.Next(100) < 4 ? "steps" : "footway")));
                return;
            }
            if (endRoad is not null && !gates.Contains((a, b))) return; // the compound wall
            var main = vertical ? line == (compound.I0 + compound.I1) / 2 : line == (compound.J0 + compound.J1) / 2;
            var highway = main ? "service" : "footway";
            if (highway == "footway" && endRoad is null && compound.Class is CompoundClasses.Old or CompoundClasses.WorkUnit && _random.Next(100) < 15)
                highway = "steps";
            _edges.Add((a, b, new WayTags(highway)));
            return;
        }
        // Between compounds, or through a park or school block: a public lane.
        _edges.Add((a, b, new WayTags("footway")));
    }

    /// <summary>One gate on the compound's best road (two for large compounds): an inner lattice line reaching the road.</summary>
    IEnumerable<(int, int)> Gates(PlannedCompound c)
    {
        var b = c.Block;
        var candidates = new List<(int A, int B, RoadLine Road, double Off)>();
        if (c.J0 == b.J0)
            for (var i = c.I0 + 1; i < c.I1; i++) candidates.Add((_layout.NodeIndex(i, c.J0), _layout.NodeIndex(i, c.J0 + 1), plan.Rows[b.By], Math.Abs(i - (c.I0 + c.I1) / 2.0)));
        if (c.J1 == b.J1)
            for (var i = c.I0 + 1; i < c.I1; i++) candidates.Add((_layout.NodeIndex(i, c.J1 - 1), _layout.NodeIndex(i, c.J1), plan.Rows[b.By + 1], Math.Abs(i - (c.I0 + c.I1) / 2.0)));
        if (c.I0 == b.I0)
            for (var j = c.J0 + 1; j < c.J1; j++) candidates.Add((_layout.NodeIndex(c.I0, j), _layout.NodeIndex(c.I0 + 1, j), plan.Columns[b.Bx], Math.Abs(j - (c.J0 + c.J1) / 2.0)));
        if (c.I1 == b.I1)
            for (var j = c.J0 + 1; j < c.J1; j++) candidates.Add((_layout.NodeIndex(c.I1 - 1, j), _layout.NodeIndex(c.I1, j), plan.Columns[b.Bx + 1], Math.Abs(j - (c.J0 + c.J1) / 2.0)));
        var ranked = candidates.Where(x => x.Road.Fronts)
            .OrderByDescending(x => x.Road == c.FrontRoad).ThenByDescending(x => x.Road.Rank).ThenBy(x => x.Off).ThenBy(x => x.A)
            .ToList();
        if (ranked.Count == 0) yield break;
        yield return (ranked[0].A, ranked[0].B);
        if (c.CellCount >= 12 && ranked.FirstOrDefault(x => x.Road != ranked[0].Road) is { Road: not null } second)
            yield return (second.A, second.B);
    }

    /// <summary>Chains edges with the same tags into ways, breaking at every node where more or other ways meet.</summary>
    List<PlannedWay> Merge()
    {
        var incident = new Dictionary<int, List<int>>();
        for (var e = 0; e < _edges.Count; e++)
        {
            foreach (var node in new[] { _edges[e].A, _edges[e].B })
            {
                if (!incident.TryGetValue(node, out var list)) incident[node] = list = [];
                list.Add(e);
            }
        }
        bool IsJunction(int node)
        {
            var list = incident[node];
            return list.Count != 2 || _edges[list[0]].Tags != _edges[list[1]].Tags;
        }

        var used = new bool[_edges.Count];
        var ways = new List<PlannedWay>();
        void Walk(int start, int firstEdge)
        {
            var nodes = new List<int> { start };
            var node = start;
            var edge = firstEdge;
            while (true)
            {
                used[edge] = true;
                node = _edges[edge].A == node ? _edges[edge].B : _edges[edge].A;
                nodes.Add(node);
                if (node == start || IsJunction(node)) break;
                var next = incident[node].First(e => e != edge);
                if (used[next]) break;
                edge = next;
            }
            var coordinates = nodes.Select(n => n < LatticeNodes ? _layout.NodeLonLat(n).Copy() : _layout.ToLonLat(_extraNodes[n - LatticeNodes])).ToArray();
            ways.Add(new PlannedWay(_edges[firstEdge].Tags, Spatial.GeometryRules.Factory.CreateLineString(coordinates)));
        }

        // Start from junctions in edge order (deterministic), then pick up any closed loops.
        for (var e = 0; e < _edges.Count; e++)
        {
            if (used[e]) continue;
            foreach (var end in new[] { _edges[e].A, _edges[e].B })
            {
                if (used[e] || !IsJunction(end)) continue;
                Walk(end, e);
            }
        }
        for (var e = 0; e < _edges.Count; e++)
            if (!used[e]) Walk(_edges[e].A, e);
        return ways;
    }
}
