using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// The fast path of <see cref="TerritoryTessellation.Build"/> for areas that the building footprints (and fixed pieces)
/// already tile, such as a lattice of square parcels: the territories are the footprints themselves, the faces are the
/// footprints, and the adjacency comes straight from the edges neighbouring footprints share (exact coordinates) — no
/// Voronoi diagram, no noding. It applies only when there are no compound outlines or barriers near the area, every site
/// has a footprint, the pieces' areas add up to the area's (within 0.01 %), the pieces share edges exactly without
/// claiming the same side of an edge twice (no overlaps), and the edges with a piece on one side only add up to the area's
/// boundary (within 0.01 %). Otherwise it returns null and the general construction runs.
/// </summary>
internal static class TessellationTiled
{
    const double Tolerance = 1e-4;

    public static Tessellation? TryBuild(Geometry area, IReadOnlyList<Site> sites, TessellationInput input, int atomCount)
    {
        if (sites.Count == 0) return null;
        var areaEnv = area.EnvelopeInternal;
        foreach (var r in input.Regions)
            if (r is { IsEmpty: false } && r.EnvelopeInternal.Intersects(areaEnv)) return null;
        foreach (var b in input.Barriers)
            if (b is { IsEmpty: false } && b.EnvelopeInternal.Intersects(areaEnv)) return null;

        var pieces = new List<Polygon>(sites.Count);
        var pieceAtom = new List<int>(sites.Count);
        var pieceFixed = new List<bool>(sites.Count);
        var seen = new HashSet<Polygon>(ReferenceEqualityComparer.Instance);
        double sum = 0;
        foreach (var s in sites)
        {
            if (s.Footprint is not { IsEmpty: false } f) return null;
            if (!seen.Add(f)) continue;
            pieces.Add(f);
            pieceAtom.Add(s.Atom);
            pieceFixed.Add(false);
            sum += f.Area;
        }
        foreach (var (a, p) in input.FixedTerritories ?? [])
        {
            if (a < 0 || p is null || p.IsEmpty) continue;
            pieces.Add(p);
            pieceAtom.Add(a);
            pieceFixed.Add(true);
            sum += p.Area;
        }
        var areaM2 = area.Area;
        if (!(areaM2 > 0) || Math.Abs(sum - areaM2) > Tolerance * areaM2) return null;
        foreach (var p in pieces)
            if (!areaEnv.Contains(p.EnvelopeInternal)) return null;

        var graph = TessellationGraph.FromFaces(pieces);
        if (graph is null) return null;
        var edgeCount = graph.EdgeCount;
        var length = new double[edgeCount];
        double outer = 0;
        for (var e = 0; e < edgeCount; e++)
        {
            double dx = graph.X[graph.From[e]] - graph.X[graph.To[e]], dy = graph.Y[graph.From[e]] - graph.Y[graph.To[e]];
            length[e] = Math.Sqrt(dx * dx + dy * dy);
            if ((graph.Left[e] < 0) != (graph.Right[e] < 0)) outer += length[e];
        }
        var perimeter = area.Length;
        if (Math.Abs(outer - perimeter) > Tolerance * perimeter) return null;

        var faceCount = pieces.Count;
        var faceAtom = pieceAtom.ToArray();

        // Blocks: pieces joined across footprint edges (fixed pieces bound blocks, as in the general construction).
        var parent = new int[faceCount];
        for (var f = 0; f < faceCount; f++) parent[f] = f;
        int Find(int a)
        {
            while (parent[a] != a) a = parent[a] = parent[parent[a]];
            return a;
        }
        var pairs = new Dictionary<long, double>(MixedKey.Instance);
        for (var e = 0; e < edgeCount; e++)
        {
            int l = graph.Left[e], r = graph.Right[e];
            if (l < 0 || r < 0 || l == r) continue;
            if (!pieceFixed[l] && !pieceFixed[r])
            {
                int rl = Find(l), rr = Find(r);
                if (rl != rr) parent[Math.Max(rl, rr)] = Math.Min(rl, rr);
            }
            int a = faceAtom[l], b = faceAtom[r];
            if (a == b) continue;
            var key = a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
            pairs[key] = pairs.GetValueOrDefault(key) + length[e];
        }
        var blockOf = new Dictionary<int, int>();
        var faces = new TessellationFace[faceCount];
        for (var f = 0; f < faceCount; f++)
        {
            var root = Find(f);
            if (!blockOf.TryGetValue(root, out var block)) blockOf[root] = block = blockOf.Count;
            faces[f] = new TessellationFace(faceAtom[f], pieces[f], -1, block);
        }
        var keys = pairs.Keys.ToArray();
        Array.Sort(keys);
        var adjacent = new (int, int, double, double)[keys.Length];
        for (var i = 0; i < keys.Length; i++)
            adjacent[i] = ((int)(keys[i] >> 32), (int)(keys[i] & 0xffffffff), pairs[keys[i]], 0);

        // Territories: the piece itself where an atom has one, else the pieces dissolved.
        var factory = area.Factory;
        var count = new int[atomCount];
        var only = new int[atomCount];
        for (var f = 0; f < faceCount; f++)
        {
            count[faceAtom[f]]++;
            only[faceAtom[f]] = f;
        }
        Geometry[] territories;
        if (count.Any(c => c > 1)) territories = graph.Dissolve(faceAtom, atomCount, factory);
        else
        {
            territories = new Geometry[atomCount];
            for (var a = 0; a < atomCount; a++) territories[a] = count[a] == 1 ? pieces[only[a]] : factory.CreatePolygon();
        }
        return new Tessellation(territories, adjacent, faces) { Graph = graph };
    }
}
