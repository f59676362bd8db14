using GridMap.Core.Codes;
using GridMap.Core.Spatial;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Polygonize;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Areas;

/// <summary>The sizes provisional areas are formed to (households); defaults from ../shared/docs/domain.md.</summary>
public sealed record ProvisionalAreaOptions
{
    /// <summary>Communities of about 1,000–3,000 households (domain.md: "a setting where communities must be formed provisionally").</summary>
    public int CommunityMin { get; init; } = 1000;
    public int CommunityTarget { get; init; } = 2000;
    public int CommunityMax { get; init; } = 3000;

    /// <summary>Streets (街道) of several communities.</summary>
    public int StreetMin { get; init; } = 8000;
    public int StreetTarget { get; init; } = 15000;
    public int StreetMax { get; init; } = 30000;

    /// <summary>The provisional district's code (contract: 99xxxx, a range real division codes do not use).</summary>
    public string DistrictCode { get; init; } = "990001";

    /// <summary>The first street number (901; later when the district already holds provisional streets 901…).</summary>
    public int FirstStreet { get; init; } = 901;

    /// <summary>Blocks smaller than this (m²) are slivers between carriageways: they join their neighbour.</summary>
    public double MinBlockM2 { get; init; } = 2000;
}

/// <summary>Something that holds households at a point (a building, a compound's remainder), lon/lat.</summary>
public sealed record HouseholdPoint(Coordinate At, int Households);

/// <summary>A compound that may lend its name to the area around it (lon/lat).</summary>
public sealed record NamedCompound(Geometry Polygon, string Name, int Households);

/// <summary>A provisional district, street or community: code, name, parent code, lon/lat polygon, households inside.</summary>
public sealed record ProvisionalArea(string Code, string Name, string? Parent, Geometry Polygon, long Households);

public sealed record ProvisionalAreaResult(
    ProvisionalArea District, IReadOnlyList<ProvisionalArea> Streets, IReadOnlyList<ProvisionalArea> Communities, int Blocks);

/// <summary>
/// Streets and communities where the data holds none (contract, "Provisional areas"): the land is cut into blocks by
/// major roads, rivers and railways (街坊 bounded as grids are: 界线清晰), blocks are grouped with their neighbours into
/// communities of about 1,000–3,000 households and communities into streets, then coded in reading order in the
/// ranges real codes do not use — district 99xxxx, street 9xx, community 9xx — and named after their largest compound.
/// Pure: geometry in (lon/lat), areas out; every land piece of the extent is in exactly one community.
/// </summary>
public static class ProvisionalAreas
{
    public static ProvisionalAreaResult Build(Geometry extent, IReadOnlyList<Geometry> barriers, IReadOnlyList<HouseholdPoint> households,
        IReadOnlyList<NamedCompound> compounds, ProvisionalAreaOptions? options = null)
    {
        var o = options ?? new ProvisionalAreaOptions();
        var projection = MetricProjection.For(extent);
        var area = projection.Project(extent);
        var blocks = Blocks(area, barriers.Select(projection.Project).ToList(), o.MinBlockM2);

        // Households per block.
        var prepared = blocks.Select(b => PreparedGeometryFactory.Prepare(b)).ToArray();
        var tree = new STRtree<int>();
        for (var i = 0; i < blocks.Count; i++) tree.Insert(blocks[i].EnvelopeInternal, i);
        tree.Build();
        var weight = new long[blocks.Count];
        var factory = area.Factory;
        foreach (var h in households)
        {
            var p = factory.CreatePoint(projection.Project(h.At));
            var hit = tree.Query(p.EnvelopeInternal).Where(i => prepared[i].Covers(p)).DefaultIfEmpty(-1).First();
            if (hit < 0) hit = Nearest(blocks, p);
            if (hit >= 0) weight[hit] += h.Households;
        }

        var adjacency = Adjacency(blocks, tree);
        var communityOf = Group(blocks, adjacency, weight, o.CommunityMin, o.CommunityTarget, o.CommunityMax);
        var communityPolygons = Dissolve(blocks, communityOf);
        var communityWeight = Sum(weight, communityOf, communityPolygons.Count);

        var communityAdjacency = Adjacency(communityPolygons, Index(communityPolygons));
        var streetOf = Group(communityPolygons, communityAdjacency, communityWeight, o.StreetMin, o.StreetTarget, o.StreetMax);
        var streetPolygons = Dissolve(communityPolygons, streetOf);
        var streetWeight = Sum(communityWeight, streetOf, streetPolygons.Count);

        // Codes in reading order (west→east, north→south), streets first, then communities within each street.
        var named = compounds.Select(c => (Polygon: projection.Project(c.Polygon), c.Name, c.Households)).ToList();
        string? LargestCompound(Geometry polygon)
        {
            var inside = PreparedGeometryFactory.Prepare(polygon);
            return named.Where(c => !string.IsNullOrWhiteSpace(c.Name) && inside.Covers(c.Polygon.InteriorPoint))
                .OrderByDescending(c => c.Households).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Name).FirstOrDefault();
        }
        Geometry LonLat(Geometry g) => GeometryRules.OrientForRfc7946(projection.Unproject(g));

        var district = new ProvisionalArea(o.DistrictCode, "暂定区域", null, LonLat(area), weight.Sum());
        var streets = new List<ProvisionalArea>();
        var communities = new List<ProvisionalArea>();
        var streetOrder = GridCode.ReadingOrder(streetPolygons);
        for (var s = 0; s < streetOrder.Count; s++)
        {
            var si = streetOrder[s];
            var streetCode = $"{o.DistrictCode}{o.FirstStreet + s:000}";
            var streetName = LargestCompound(streetPolygons[si]) is { } sn ? $"{sn}片区街道（暂定）" : $"暂定街道{o.FirstStreet + s}";
            streets.Add(new ProvisionalArea(streetCode, streetName, o.DistrictCode, LonLat(streetPolygons[si]), streetWeight[si]));
            var members = Enumerable.Range(0, communityPolygons.Count).Where(c => streetOf[c] == si).ToList();
            var order = GridCode.ReadingOrder(members.Select(c => communityPolygons[c]).ToList());
            for (var k = 0; k < order.Count; k++)
            {
                var ci = members[order[k]];
                var code = $"{streetCode}{901 + k:000}";
                var name = LargestCompound(communityPolygons[ci]) is { } cn ? $"{cn}社区（暂定）" : $"暂定社区{code[^3..]}";
                communities.Add(new ProvisionalArea(code, name, streetCode, LonLat(communityPolygons[ci]), communityWeight[ci]));
            }
        }
        return new ProvisionalAreaResult(district, streets, communities, blocks.Count);
    }

    /// <summary>The extent cut by the barrier lines into faces; slivers join the neighbour they share most boundary with.</summary>
    static List<Geometry> Blocks(Geometry area, IReadOnlyList<Geometry> barriers, double minBlockM2)
    {
        var lines = new List<Geometry> { area.Boundary };
        var box = area.EnvelopeInternal;
        // Whole lines, not clipped: a clipped end lands a hair off the boundary and never nodes with it.
        foreach (var b in barriers)
            if (b.EnvelopeInternal.Intersects(box)) lines.Add(b);
        var noded = UnaryUnionOp.Union(area.Factory.BuildGeometry(lines));
        var polygonizer = new Polygonizer();
        polygonizer.Add(noded);
        var inside = PreparedGeometryFactory.Prepare(area);
        var faces = polygonizer.GetPolygons().Cast<Geometry>().Where(f => f.Area > 0 && inside.Covers(f.InteriorPoint)).ToList();
        if (faces.Count == 0) return [area];

        // Slivers (between dual carriageways, at junctions) join a neighbour, smallest first.
        var merged = faces.ToList();
        var alone = new HashSet<Geometry>(ReferenceEqualityComparer.Instance);
        while (true)
        {
            var small = Enumerable.Range(0, merged.Count).Where(i => merged[i].Area < minBlockM2 && !alone.Contains(merged[i]))
                .OrderBy(i => merged[i].Area).FirstOrDefault(-1);
            if (small < 0 || merged.Count == 1) break;
            var best = Enumerable.Range(0, merged.Count).Where(j => j != small && merged[j].EnvelopeInternal.Intersects(merged[small].EnvelopeInternal))
                .Select(j => (j, Shared: merged[j].Intersection(merged[small]).Length)).Where(x => x.Shared > 0)
                .OrderByDescending(x => x.Shared).Select(x => x.j).DefaultIfEmpty(-1).First();
            if (best < 0)
            {
                alone.Add(merged[small]); // touches no other block: it stays one of its own
                continue;
            }
            merged[best] = UnaryUnionOp.Union(area.Factory.BuildGeometry([merged[best], merged[small]]));
            merged.RemoveAt(small);
        }
        return merged;
    }

    static STRtree<int> Index(IReadOnlyList<Geometry> polygons)
    {
        var tree = new STRtree<int>();
        for (var i = 0; i < polygons.Count; i++) tree.Insert(polygons[i].EnvelopeInternal, i);
        tree.Build();
        return tree;
    }

    static int Nearest(IReadOnlyList<Geometry> blocks, Point p)
    {
        var best = -1;
        var distance = double.MaxValue;
        for (var i = 0; i < blocks.Count; i++)
        {
            var d = blocks[i].Distance(p);
            if (d < distance) (best, distance) = (i, d);
        }
        return best;
    }

    /// <summary>Neighbours by shared boundary length (m): faces that touch only at a point are not neighbours.</summary>
    static Dictionary<int, double>[] Adjacency(IReadOnlyList<Geometry> polygons, STRtree<int> tree)
    {
        var result = polygons.Select(_ => new Dictionary<int, double>()).ToArray();
        for (var i = 0; i < polygons.Count; i++)
            foreach (var j in tree.Query(polygons[i].EnvelopeInternal))
            {
                if (j <= i) continue;
                var shared = polygons[i].Intersection(polygons[j]).Length;
                if (shared <= 1) continue;
                result[i][j] = shared;
                result[j][i] = shared;
            }
        return result;
    }

    /// <summary>
    /// Groups pieces into contiguous groups of about <paramref name="target"/> (never above <paramref name="max"/> by
    /// growing; a single piece above it stands alone). Seeds go west→east, north→south; a group grows by the neighbour
    /// that shares most boundary. Groups left under <paramref name="min"/>, and pieces holding nobody, join the
    /// neighbouring group they share most boundary with, so all land is covered.
    /// </summary>
    static int[] Group(IReadOnlyList<Geometry> pieces, Dictionary<int, double>[] adjacency, long[] weight, int min, int target, int max)
    {
        var group = Enumerable.Repeat(-1, pieces.Count).ToArray();
        var order = GridCode.ReadingOrder(pieces);
        var totals = new List<long>();
        foreach (var seed in order)
        {
            if (group[seed] >= 0 || weight[seed] == 0) continue;
            var g = totals.Count;
            totals.Add(weight[seed]);
            group[seed] = g;
            var members = new List<int> { seed };
            while (totals[g] < target)
            {
                // A neighbour that holds households, else an empty one (a park, a campus, a sliver) that leads to one.
                bool Leads(int z) => adjacency[z].Keys.Any(n => group[n] < 0 && weight[n] > 0);
                var next = members.SelectMany(m => adjacency[m])
                    .Where(kv => group[kv.Key] < 0 && totals[g] + weight[kv.Key] <= max && (weight[kv.Key] > 0 || Leads(kv.Key)))
                    .GroupBy(kv => kv.Key).Select(x => (Piece: x.Key, Shared: x.Sum(kv => kv.Value)))
                    .OrderByDescending(x => weight[x.Piece] > 0).ThenByDescending(x => x.Shared).Select(x => x.Piece).DefaultIfEmpty(-1).First();
                if (next < 0) break;
                group[next] = g;
                members.Add(next);
                totals[g] += weight[next];
            }
        }
        if (totals.Count == 0) return Enumerable.Repeat(0, pieces.Count).ToArray();
        AttachEmpty(pieces, adjacency, group);

        // A small group first takes pieces from neighbouring groups that can spare them (they stay at least min and in one
        // piece); what is still small joins its smallest neighbouring group, smallest first, while any neighbour exists.
        var alive = Enumerable.Range(0, totals.Count).ToHashSet();
        foreach (var g in alive.Where(g => totals[g] < min).OrderBy(g => totals[g]).ToList())
        {
            while (totals[g] < min)
            {
                var take = Enumerable.Range(0, pieces.Count).Where(i => group[i] == g).SelectMany(i => adjacency[i].Keys)
                    .Where(j => group[j] >= 0 && group[j] != g && weight[j] > 0 && totals[group[j]] - weight[j] >= min
                        && totals[g] + weight[j] <= max && StaysConnected(group, adjacency, group[j], j))
                    .Distinct().OrderByDescending(j => adjacency[j].Where(kv => group[kv.Key] == g).Sum(kv => kv.Value)).DefaultIfEmpty(-1).First();
                if (take < 0) break;
                totals[group[take]] -= weight[take];
                totals[g] += weight[take];
                group[take] = g;
            }
        }
        while (true)
        {
            var small = alive.Where(g => totals[g] < min).OrderBy(g => totals[g]).ToList();
            var merged = false;
            foreach (var g in small)
            {
                var neighbours = Enumerable.Range(0, pieces.Count).Where(i => group[i] == g)
                    .SelectMany(i => adjacency[i].Keys).Select(j => group[j]).Where(h => h >= 0 && h != g).Distinct().ToList();
                if (neighbours.Count == 0) continue;
                var into = neighbours.OrderBy(h => totals[h]).First();
                for (var i = 0; i < group.Length; i++) if (group[i] == g) group[i] = into;
                totals[into] += totals[g];
                alive.Remove(g);
                merged = true;
                break;
            }
            if (!merged) break;
        }

        // Renumber 0..n-1.
        var ids = group.Distinct().Order().Select((g, k) => (g, k)).ToDictionary(x => x.g, x => x.k);
        return group.Select(g => ids[g]).ToArray();
    }

    /// <summary>Whether group <paramref name="g"/> stays in one piece without piece <paramref name="without"/>.</summary>
    static bool StaysConnected(int[] group, Dictionary<int, double>[] adjacency, int g, int without)
    {
        var members = Enumerable.Range(0, group.Length).Where(i => group[i] == g && i != without).ToList();
        if (members.Count == 0) return false;
        var seen = new HashSet<int> { members[0] };
        var queue = new Queue<int>(seen);
        while (queue.Count > 0)
            foreach (var n in adjacency[queue.Dequeue()].Keys)
                if (n != without && group[n] == g && seen.Add(n)) queue.Enqueue(n);
        return seen.Count == members.Count;
    }

    /// <summary>Pieces in no group join the neighbouring group they share most boundary with (chains too), else the nearest.</summary>
    static void AttachEmpty(IReadOnlyList<Geometry> pieces, Dictionary<int, double>[] adjacency, int[] group)
    {
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < pieces.Count; i++)
            {
                if (group[i] >= 0) continue;
                var best = adjacency[i].Where(kv => group[kv.Key] >= 0).OrderByDescending(kv => kv.Value).Select(kv => group[kv.Key]).DefaultIfEmpty(-1).First();
                if (best < 0) continue;
                group[i] = best;
                changed = true;
            }
        }
        // What touches no group at all (an island with nobody) joins the nearest group.
        for (var i = 0; i < pieces.Count; i++)
        {
            if (group[i] >= 0) continue;
            var nearest = Enumerable.Range(0, pieces.Count).Where(j => group[j] >= 0).OrderBy(j => pieces[j].Distance(pieces[i])).First();
            group[i] = group[nearest];
        }
    }

    static List<Geometry> Dissolve(IReadOnlyList<Geometry> pieces, int[] groupOf)
    {
        var count = groupOf.Length == 0 ? 0 : groupOf.Max() + 1;
        var factory = pieces.Count > 0 ? pieces[0].Factory : new GeometryFactory();
        return Enumerable.Range(0, count)
            .Select(g => UnaryUnionOp.Union(factory.BuildGeometry(Enumerable.Range(0, pieces.Count).Where(i => groupOf[i] == g).Select(i => pieces[i]).ToList())))
            .ToList();
    }

    static long[] Sum(long[] weight, int[] groupOf, int count)
    {
        var sums = new long[count];
        for (var i = 0; i < groupOf.Length; i++) sums[groupOf[i]] += weight[i];
        return sums;
    }
}
