using NetTopologySuite.Algorithm;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Noding;
using NetTopologySuite.Noding.Snapround;
using NetTopologySuite.Operation.Union;
using NetTopologySuite.Triangulate;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Territories for atoms that tile an area exactly. All linework — area boundary, compound outlines, barriers, building
/// footprints, fixed pieces, the Voronoi edges of the sites — is snap-rounded together once (0.1 mm grid), and the faces of
/// that one arrangement are traced from a half-edge structure, so neighbouring territories share exact edges.
/// <para/>
/// Each face inside the area goes to: the atom of the fixed piece it lies in; else the atom of the building footprint it
/// lies in; else the nearest site in the same block (the land bounded by the area boundary, compound outlines, barriers and
/// fixed pieces) and the same region (compound, or open land); in a compound whose block has no site, the nearest site of
/// the compound; a block with no site at all goes whole to the neighbouring territory it shares the longest boundary with.
/// Atoms at exactly the same point share that point's Voronoi cell in equal angular sectors.
/// <para/>
/// After assignment every territory is made one connected piece (<see cref="TessellationConnectivity"/>: a smaller piece
/// goes to the neighbour it shares the longest boundary with), and adjacency is taken from that final assignment. Nodes on
/// the area boundary are put back onto the area's exact linework (<see cref="TessellationBoundary"/>), so the faces cover
/// the area without a rounding gap. Voronoi edges far from all other linework skip the noder. Footprints that already tile
/// the area (a lattice of parcels) are the territories themselves (<see cref="TessellationTiled"/>).
/// </summary>
public static class TerritoryTessellation
{
    /// <summary>Snap-rounding grid per metre (10,000: 0.1 mm). Finer than any survey, coarse enough to merge near-coincident vertices.</summary>
    public const double GridScale = 100_000;

    // Provenance of noded edges.
    const int AreaLine = 1, OutlineLine = 2, BarrierLine = 4, FootprintLine = 8, FixedLine = 16, VoronoiLine = 32;
    const int Structural = AreaLine | OutlineLine | BarrierLine | FixedLine;
    const int BarrierLike = OutlineLine | BarrierLine;
    const double SectorStart = 0.3; // radians; keeps sector rays off the axes

    public static Tessellation Build(TessellationInput input)
    {
        var factory = input.Area.Factory;
        var area = Polygonal(input.Area);
        var fixedPieces = input.FixedTerritories ?? [];
        var atomCount = Math.Max(input.AtomCount, 0);
        foreach (var s in input.Sites) atomCount = Math.Max(atomCount, s.Atom + 1);
        foreach (var (a, _) in fixedPieces) atomCount = Math.Max(atomCount, a + 1);
        if (area.IsEmpty)
            return new Tessellation(Enumerable.Range(0, atomCount).Select(_ => (Geometry)factory.CreatePolygon()).ToArray(), [], []);

        var isFixed = new bool[atomCount];
        foreach (var (a, p) in fixedPieces)
            if (a >= 0 && p is { IsEmpty: false }) isFixed[a] = true;
        var sites = input.Sites.Where(s => s.Atom >= 0 && !isFixed[s.Atom] && s.Point is not null
            && double.IsFinite(s.Point.X) && double.IsFinite(s.Point.Y)).ToList();

        // Footprints that already tile the area are the territories.
        if (TessellationTiled.TryBuild(area, sites, input, atomCount) is { } tiled) return tiled;

        // The frame: everything is clipped to it and translated to its corner (whole metres) for noding.
        var areaEnv = area.EnvelopeInternal;
        var env = new Envelope(areaEnv);
        foreach (var s in sites) env.ExpandToInclude(s.Point);
        env.ExpandBy(1 + 0.01 * Math.Max(env.Width, env.Height));
        var scale = GridScale;
        while (Math.Max(env.Width, env.Height) * scale > 2e9) scale /= 10;
        double ox = Math.Floor(env.MinX), oy = Math.Floor(env.MinY);
        var frame = new Envelope(env.MinX - ox, env.MaxX - ox, env.MinY - oy, env.MaxY - oy);
        var lines = new LineCollector(frame);

        foreach (var p in PolygonsOf(area))
            foreach (var ring in RingsOf(p)) lines.Add(ring.Coordinates, AreaLine, ox, oy);

        // Compound outlines (each polygon part, by region).
        var regionParts = new List<(Polygon Polygon, int Region)>();
        for (var r = 0; r < input.Regions.Count; r++)
        {
            var g = input.Regions[r];
            if (g is null || g.IsEmpty || !g.EnvelopeInternal.Intersects(areaEnv)) continue;
            foreach (var p in PolygonsOf(g))
            {
                if (p.IsEmpty || !p.EnvelopeInternal.Intersects(areaEnv)) continue;
                regionParts.Add((p, r));
                foreach (var ring in RingsOf(p)) lines.Add(ring.Coordinates, OutlineLine, ox, oy);
            }
        }

        foreach (var b in input.Barriers)
        {
            if (b is null || b.IsEmpty || !b.EnvelopeInternal.Intersects(env)) continue;
            lines.Add(b.Coordinates, BarrierLine, ox, oy);
        }

        // Footprints (once each) and fixed pieces.
        var footprints = new List<(Polygon Polygon, int Atom, double Area)>();
        var seenFootprint = new HashSet<Polygon>(ReferenceEqualityComparer.Instance);
        foreach (var s in sites)
        {
            if (s.Footprint is not { IsEmpty: false } f || !seenFootprint.Add(f) || !f.EnvelopeInternal.Intersects(areaEnv)) continue;
            footprints.Add((f, s.Atom, f.Area));
            foreach (var ring in RingsOf(f)) lines.Add(ring.Coordinates, FootprintLine, ox, oy);
        }
        var fixedList = new List<(Polygon Polygon, int Atom, double Area)>();
        foreach (var (a, p) in fixedPieces)
        {
            if (a < 0 || p is null || p.IsEmpty || !p.EnvelopeInternal.Intersects(areaEnv)) continue;
            fixedList.Add((p, a, p.Area));
            foreach (var ring in RingsOf(p)) lines.Add(ring.Coordinates, FixedLine, ox, oy);
        }

        // Site locations: sites at the same grid point are one Voronoi site.
        var locOf = new Dictionary<long, int>(MixedKey.Instance);
        var locIx = new List<long>();
        var locIy = new List<long>();
        var locAtoms = new List<List<int>>();
        var siteLoc = new int[sites.Count];
        for (var i = 0; i < sites.Count; i++)
        {
            long ix = (long)Math.Round((sites[i].Point.X - ox) * scale), iy = (long)Math.Round((sites[i].Point.Y - oy) * scale);
            var key = (ix << 32) | iy;
            if (!locOf.TryGetValue(key, out var loc))
            {
                locOf[key] = loc = locIx.Count;
                locIx.Add(ix);
                locIy.Add(iy);
                locAtoms.Add([]);
            }
            if (!locAtoms[loc].Contains(sites[i].Atom)) locAtoms[loc].Add(sites[i].Atom);
            siteLoc[i] = loc;
        }
        foreach (var atoms in locAtoms) atoms.Sort();
        var locCount = locIx.Count;

        // Voronoi edges of the locations (each shared edge once), and sector rays where several atoms share a point.
        var cellOfLoc = new Polygon?[locCount];
        if (locCount >= 2)
        {
            var diagram = Voronoi(locIx, locIy, scale, frame);
            if (diagram is not null)
            {
                var seen = new HashSet<(double, double, double, double)>();
                foreach (var cell in diagram)
                {
                    lines.Add(cell.ExteriorRing.Coordinates, VoronoiLine, 0, 0, seen, defer: true);
                    if (cell.UserData is Coordinate c
                        && locOf.TryGetValue(((long)Math.Round(c.X * scale) << 32) | (long)Math.Round(c.Y * scale), out var loc))
                        cellOfLoc[loc] = cell;
                }
            }
        }
        var diagonal = Math.Sqrt(frame.Width * frame.Width + frame.Height * frame.Height);
        for (var loc = 0; loc < locCount; loc++)
        {
            var k = locAtoms[loc].Count;
            if (k < 2) continue;
            double px = locIx[loc] / scale, py = locIy[loc] / scale;
            for (var j = 0; j < k; j++)
            {
                var theta = SectorStart + 2 * Math.PI * j / k;
                double dx = Math.Cos(theta), dy = Math.Sin(theta);
                var t = RayExit(px, py, dx, dy, cellOfLoc[loc]) ?? diagonal;
                t += 2 / scale;
                lines.Add([new Coordinate(px, py), new Coordinate(px + dx * t, py + dy * t)], VoronoiLine, 0, 0);
            }
        }

        // One snap-rounded arrangement.
        var precision = new PrecisionModel(scale);
        var noder = new SnapRoundingNoder(precision);
        var free = SplitFree(lines, scale);
        var strings = lines.Strings;
        new Random(17).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(strings));
        noder.ComputeNodes(strings);
        var noded = noder.GetNodedSubstrings();

        var nodeOf = new Dictionary<long, int>(MixedKey.Instance);
        var nx = new List<double>();
        var ny = new List<double>();
        var edgeOf = new Dictionary<long, int>(MixedKey.Instance);
        var eFrom = new List<int>();
        var eTo = new List<int>();
        var eFlags = new List<int>();
        int Node(Coordinate c)
        {
            long ix = (long)Math.Round(c.X * scale), iy = (long)Math.Round(c.Y * scale);
            var key = (ix << 32) | iy;
            if (!nodeOf.TryGetValue(key, out var n))
            {
                nodeOf[key] = n = nx.Count;
                nx.Add(ox + ix / scale);
                ny.Add(oy + iy / scale);
            }
            return n;
        }
        foreach (var ss in noded)
        {
            var flags = (int)ss.Context;
            var pts = ss.Coordinates;
            var prev = Node(pts[0]);
            for (var i = 1; i < pts.Length; i++)
            {
                var cur = Node(pts[i]);
                if (cur == prev) continue;
                var key = prev < cur ? ((long)prev << 32) | (uint)cur : ((long)cur << 32) | (uint)prev;
                if (edgeOf.TryGetValue(key, out var e)) eFlags[e] |= flags;
                else
                {
                    edgeOf[key] = eFrom.Count;
                    eFrom.Add(prev);
                    eTo.Add(cur);
                    eFlags.Add(flags);
                }
                prev = cur;
            }
        }
        // Voronoi edges far from all other linework: already noded among themselves (cells share exact vertices), rounded
        // as the noder rounds.
        foreach (var (a, b) in free)
        {
            var ca = a.Copy();
            var cb = b.Copy();
            precision.MakePrecise(ca);
            precision.MakePrecise(cb);
            int prev = Node(ca), cur = Node(cb);
            if (cur == prev) continue;
            var key = prev < cur ? ((long)prev << 32) | (uint)cur : ((long)cur << 32) | (uint)prev;
            if (edgeOf.TryGetValue(key, out var e)) eFlags[e] |= VoronoiLine;
            else
            {
                edgeOf[key] = eFrom.Count;
                eFrom.Add(prev);
                eTo.Add(cur);
                eFlags.Add(VoronoiLine);
            }
        }
        var X = nx.ToArray();
        var Y = ny.ToArray();
        TessellationBoundary.SnapToArea(area, X, Y, eFrom, eTo, eFlags, AreaLine, ox, oy, scale, nodeOf);
        var edgeCount = eFrom.Count;
        var hFrom = new int[2 * edgeCount];
        var hTo = new int[2 * edgeCount];
        for (var e = 0; e < edgeCount; e++)
        {
            hFrom[2 * e] = hTo[2 * e + 1] = eFrom[e];
            hTo[2 * e] = hFrom[2 * e + 1] = eTo[e];
        }
        var rings = PlanarRings.Build(X.Length, X, Y, hFrom, hTo, null, 1, paired: true);

        // Faces inside the area.
        var areaLocator = new IndexedPointInAreaLocator(area);
        var faceOfShell = new int[rings.Shells.Count];
        var polys = new List<Polygon>();
        var reps = new List<Coordinate>();
        var areas = new List<double>();
        for (var i = 0; i < rings.Shells.Count; i++)
        {
            var shell = rings.Shells[i];
            faceOfShell[i] = -1;
            var poly = rings.ToPolygon(shell, factory);
            var rep = RepresentativePoint(poly);
            if (rep is null || areaLocator.Locate(rep) == Location.Exterior) continue;
            faceOfShell[i] = polys.Count;
            polys.Add(poly);
            reps.Add(rep);
            areas.Add(shell.Area + (shell.Holes?.Sum(h => h.Area) ?? 0));
        }
        var faceCount = polys.Count;
        var faceOfHalf = new int[2 * edgeCount];
        Array.Fill(faceOfHalf, -1);
        foreach (var shell in rings.Shells)
        {
            var f = faceOfShell[shell.Index];
            if (f < 0) continue;
            foreach (var h in shell.HalfEdges) faceOfHalf[h] = f;
            if (shell.Holes is not null)
                foreach (var hole in shell.Holes)
                    foreach (var h in hole.HalfEdges) faceOfHalf[h] = f;
        }
        var left = new int[edgeCount];
        var right = new int[edgeCount];
        for (var e = 0; e < edgeCount; e++)
        {
            left[e] = faceOfHalf[2 * e];
            right[e] = faceOfHalf[2 * e + 1];
        }

        // Region of each face: the smallest (by land inside the area) compound containing it.
        var faceRegion = new int[faceCount];
        Array.Fill(faceRegion, -1);
        var regionCount = input.Regions.Count;
        var regionLand = new double[regionCount];
        if (regionParts.Count > 0)
        {
            var tree = new STRtree<int>();
            for (var i = 0; i < regionParts.Count; i++) tree.Insert(regionParts[i].Polygon.EnvelopeInternal, i);
            tree.Build();
            var locators = new IPointOnGeometryLocator?[regionParts.Count];
            var containing = new List<int>?[faceCount];
            for (var f = 0; f < faceCount; f++)
            {
                foreach (var i in tree.Query(new Envelope(reps[f])))
                {
                    var r = regionParts[i].Region;
                    if (containing[f]?.Contains(r) == true) continue;
                    var locator = locators[i] ??= new IndexedPointInAreaLocator(regionParts[i].Polygon);
                    if (locator.Locate(reps[f]) == Location.Exterior) continue;
                    (containing[f] ??= []).Add(r);
                    regionLand[r] += areas[f];
                }
            }
            for (var f = 0; f < faceCount; f++)
                if (containing[f] is { } list)
                    faceRegion[f] = list.OrderBy(r => regionLand[r]).ThenBy(r => r).First();
        }

        // Fixed pieces and footprints claim their faces.
        var faceAtom = new int[faceCount];
        Array.Fill(faceAtom, -1);
        var claimed = new bool[faceCount];
        ClaimContaining(fixedList, reps, faceAtom, claimed);
        var fixedFace = (bool[])claimed.Clone();
        ClaimContaining(footprints, reps, faceAtom, claimed);

        // Blocks: faces joined across Voronoi, footprint and sector edges only.
        var parent = Enumerable.Range(0, faceCount).ToArray();
        int Find(int a)
        {
            while (parent[a] != a) a = parent[a] = parent[parent[a]];
            return a;
        }
        for (var e = 0; e < edgeCount; e++)
        {
            int l = left[e], r = right[e];
            if (l < 0 || r < 0 || l == r || (eFlags[e] & Structural) != 0) continue;
            l = Find(l);
            r = Find(r);
            if (l != r) parent[Math.Max(l, r)] = Math.Min(l, r);
        }
        var faceBlock = new int[faceCount];
        var blockId = new Dictionary<int, int>();
        for (var f = 0; f < faceCount; f++)
        {
            var root = Find(f);
            if (!blockId.TryGetValue(root, out var b)) blockId[root] = b = blockId.Count;
            faceBlock[f] = b;
        }

        // Sites into buckets by (region, block); a compound site whose point lies outside its compound floats (block -1).
        var buckets = new Dictionary<(int Region, int Block), Bucket>();
        var regionAll = new Dictionary<int, Bucket>();
        var siteFace = new int[sites.Count];
        Array.Fill(siteFace, -1);
        if (sites.Count > 0 && faceCount > 0)
        {
            var faceTree = new STRtree<int>();
            for (var f = 0; f < faceCount; f++) faceTree.Insert(polys[f].EnvelopeInternal, f);
            faceTree.Build();
            for (var i = 0; i < sites.Count; i++)
            {
                var s = sites[i];
                var f = siteFace[i] = FaceAt(faceTree, polys, s.Point, fixedFace);
                var geoRegion = f >= 0 ? faceRegion[f] : -1;
                var region = s.Region >= 0 && s.Region < regionCount && regionLand[s.Region] > 0 ? s.Region : geoRegion;
                var block = f >= 0 && region == geoRegion ? faceBlock[f] : -1;
                var loc = siteLoc[i];
                Add(buckets, (region, block), loc, s.Atom);
                if (region >= 0) Add(regionAll, region, loc, s.Atom);
            }
        }
        double LocX(int loc) => ox + locIx[loc] / scale;
        double LocY(int loc) => oy + locIy[loc] / scale;

        // Faces to the nearest site of their block (and region).
        for (var f = 0; f < faceCount; f++)
        {
            if (claimed[f]) continue;
            var rep = reps[f];
            int region = faceRegion[f], block = faceBlock[f];
            Bucket? best = null;
            int bestLoc = -1;
            var bestD = double.PositiveInfinity;
            void Try(Bucket? bucket)
            {
                if (bucket is null) return;
                var loc = bucket.Nearest(rep.X, rep.Y, LocX, LocY, out var d);
                if (loc >= 0 && d < bestD) { best = bucket; bestLoc = loc; bestD = d; }
            }
            Try(buckets.GetValueOrDefault((region, block)));
            Try(buckets.GetValueOrDefault((region, -1)));
            if (best is null && region >= 0) Try(regionAll.GetValueOrDefault(region));
            if (best is null) continue;
            faceAtom[f] = PickAtom(best.AtomsAt[bestLoc], locAtoms[bestLoc], rep, LocX(bestLoc), LocY(bestLoc));
        }

        MergeOrphans(faceAtom, faceBlock, left, right, eFrom, eTo, X, Y, isFixed);

        // An atom left without land (its site lies outside the area, or in a compound's land it may not take) takes the
        // face its site lies in or is nearest to, when that face is neither fixed nor a footprint and its owner keeps land.
        var facesOf = new int[atomCount];
        foreach (var a in faceAtom) if (a >= 0) facesOf[a]++;
        bool Spare(int f) => f >= 0 && !claimed[f] && (faceAtom[f] < 0 || facesOf[faceAtom[f]] >= 2);
        void Take(int atom, int f)
        {
            if (faceAtom[f] >= 0) facesOf[faceAtom[f]]--;
            faceAtom[f] = atom;
            facesOf[atom]++;
        }
        List<int>? stillOrphan = null;
        for (var i = 0; i < sites.Count; i++)
        {
            int atom = sites[i].Atom, f = siteFace[i];
            if (facesOf[atom] > 0 || f < 0) continue;
            if (Spare(f)) Take(atom, f);
            else (stillOrphan ??= []).Add(i);
        }
        // Its face already taken by the only land of another atom (one standing at the same point, say): the orphan takes
        // the nearest spare face next to it, so that its territory at least borders its site.
        if (stillOrphan is not null)
        {
            var next = new Dictionary<int, List<int>>();
            for (var e = 0; e < edgeCount; e++)
            {
                int l = left[e], r = right[e];
                if (l < 0 || r < 0 || l == r) continue;
                (next.TryGetValue(l, out var nl) ? nl : next[l] = []).Add(r);
                (next.TryGetValue(r, out var nr) ? nr : next[r] = []).Add(l);
            }
            foreach (var i in stillOrphan)
            {
                int atom = sites[i].Atom, f = siteFace[i];
                if (facesOf[atom] > 0 || !next.TryGetValue(f, out var around)) continue;
                var point = polys[f].Factory.CreatePoint(sites[i].Point);
                var pick = around.Distinct().Where(Spare).OrderBy(g => polys[g].Distance(point)).ThenBy(g => g).DefaultIfEmpty(-1).First();
                if (pick >= 0) Take(atom, pick);
            }
        }

        // Every territory one piece: smaller pieces of an atom go to the neighbour they share the longest boundary with.
        var edgeLength = new double[edgeCount];
        for (var e = 0; e < edgeCount; e++)
        {
            double dx = X[eFrom[e]] - X[eTo[e]], dy = Y[eFrom[e]] - Y[eTo[e]];
            edgeLength[e] = Math.Sqrt(dx * dx + dy * dy);
        }
        TessellationConnectivity.Connect(faceAtom, areas, faceRegion, claimed, isFixed, left, right, edgeLength);

        // Adjacency from shared edges.
        var pairs = new Dictionary<long, (double Shared, double Barrier)>(MixedKey.Instance);
        for (var e = 0; e < edgeCount; e++)
        {
            int l = left[e], r = right[e];
            if (l < 0 || r < 0) continue;
            int a = faceAtom[l], b = faceAtom[r];
            if (a < 0 || b < 0 || a == b) continue;
            var length = edgeLength[e];
            var key = a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
            var old = pairs.GetValueOrDefault(key);
            pairs[key] = (old.Shared + length, old.Barrier + ((eFlags[e] & BarrierLike) != 0 ? length : 0));
        }
        var adjacent = pairs.OrderBy(kv => kv.Key)
            .Select(kv => ((int)(kv.Key >> 32), (int)(kv.Key & 0xffffffff), kv.Value.Shared, kv.Value.Barrier))
            .ToArray();

        var graph = new TessellationGraph
        {
            X = X, Y = Y, From = eFrom.ToArray(), To = eTo.ToArray(), Left = left, Right = right, FaceCount = faceCount,
        };
        var territories = graph.Dissolve(faceAtom, atomCount, factory);
        var faces = new TessellationFace[faceCount];
        for (var f = 0; f < faceCount; f++) faces[f] = new TessellationFace(faceAtom[f], polys[f], faceRegion[f], faceBlock[f]);
        return new Tessellation(territories, adjacent, faces) { Graph = graph };
    }

    /// <summary>
    /// Moves the deferred (Voronoi) segments that come within a few grid cells of any other linework into the noder's input
    /// and returns the others: those need no noding (Voronoi cells share exact vertices and their edges meet only there)
    /// and no other line passes near enough to snap to them.
    /// </summary>
    static List<(Coordinate A, Coordinate B)> SplitFree(LineCollector lines, double scale)
    {
        var free = new List<(Coordinate, Coordinate)>();
        if (lines.Deferred.Count == 0) return free;
        var margin = 4 / scale;
        var tree = new STRtree<int>();
        var any = false;
        foreach (var ss in lines.Strings)
        {
            var pts = ss.Coordinates;
            for (var i = 0; i + 1 < pts.Length; i++)
            {
                var env = new Envelope(pts[i], pts[i + 1]);
                env.ExpandBy(margin);
                tree.Insert(env, 0);
                any = true;
            }
        }
        if (any) tree.Build();
        var near = new List<Coordinate>();
        foreach (var ss in lines.Deferred)
        {
            var pts = ss.Coordinates;
            near.Clear();
            for (var i = 0; i + 1 < pts.Length; i++)
            {
                var env = new Envelope(pts[i], pts[i + 1]);
                var isNear = any && Touches(tree, env);
                if (!isNear)
                {
                    free.Add((pts[i], pts[i + 1]));
                    Flush();
                    continue;
                }
                if (near.Count == 0) near.Add(pts[i]);
                near.Add(pts[i + 1]);
            }
            Flush();
            void Flush()
            {
                if (near.Count >= 2) lines.Strings.Add(new NodedSegmentString(near.ToArray(), ss.Context));
                near.Clear();
            }
        }
        return free;
    }

    static bool Touches(STRtree<int> tree, Envelope env)
    {
        return tree.Query(env).Count > 0;
    }

    /// <summary>
    /// Faces with no site in their block join, block by block, the territory they share the longest boundary with
    /// (territories of atoms without fixed land first), until none is left or none touches a territory.
    /// </summary>
    static void MergeOrphans(int[] faceAtom, int[] faceBlock, int[] left, int[] right, List<int> from, List<int> to, double[] x, double[] y, bool[] isFixed)
    {
        if (!faceAtom.Contains(-1)) return;
        while (true)
        {
            // Shared length of each orphan block with each assigned atom.
            var shared = new Dictionary<int, Dictionary<int, double>>();
            for (var e = 0; e < left.Length; e++)
            {
                int l = left[e], r = right[e];
                if (l < 0 || r < 0) continue;
                if ((faceAtom[l] < 0) == (faceAtom[r] < 0)) continue;
                var (orphan, owner) = faceAtom[l] < 0 ? (l, faceAtom[r]) : (r, faceAtom[l]);
                var length = Math.Sqrt((x[from[e]] - x[to[e]]) * (x[from[e]] - x[to[e]]) + (y[from[e]] - y[to[e]]) * (y[from[e]] - y[to[e]]));
                if (!shared.TryGetValue(faceBlock[orphan], out var byAtom)) shared[faceBlock[orphan]] = byAtom = [];
                byAtom[owner] = byAtom.GetValueOrDefault(owner) + length;
            }
            if (shared.Count == 0) return;
            var winner = new Dictionary<int, int>();
            foreach (var (block, byAtom) in shared)
                winner[block] = byAtom.OrderBy(kv => isFixed[kv.Key] ? 1 : 0).ThenByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
            for (var f = 0; f < faceAtom.Length; f++)
                if (faceAtom[f] < 0 && winner.TryGetValue(faceBlock[f], out var a)) faceAtom[f] = a;
        }
    }

    static int PickAtom(List<int> eligible, List<int> atomsAtPoint, Coordinate rep, double x, double y)
    {
        if (atomsAtPoint.Count < 2) return eligible[0];
        var k = atomsAtPoint.Count;
        var theta = Math.Atan2(rep.Y - y, rep.X - x) - SectorStart;
        theta -= 2 * Math.PI * Math.Floor(theta / (2 * Math.PI));
        var j = Math.Clamp((int)(theta / (2 * Math.PI / k)), 0, k - 1);
        return eligible.Contains(atomsAtPoint[j]) ? atomsAtPoint[j] : eligible[0];
    }

    static void Add<TKey>(Dictionary<TKey, Bucket> buckets, TKey key, int loc, int atom) where TKey : notnull
    {
        if (!buckets.TryGetValue(key, out var bucket)) buckets[key] = bucket = new Bucket();
        bucket.Add(loc, atom);
    }

    /// <summary>Marks each face whose representative point lies in one of the polygons with the atom of the smallest such polygon.</summary>
    static void ClaimContaining(List<(Polygon Polygon, int Atom, double Area)> pieces, List<Coordinate> reps, int[] faceAtom, bool[] claimed)
    {
        if (pieces.Count == 0) return;
        var tree = new STRtree<int>();
        for (var i = 0; i < pieces.Count; i++) tree.Insert(pieces[i].Polygon.EnvelopeInternal, i);
        tree.Build();
        for (var f = 0; f < reps.Count; f++)
        {
            if (claimed[f]) continue;
            var best = -1;
            foreach (var i in tree.Query(new Envelope(reps[f])))
                if ((best < 0 || pieces[i].Area < pieces[best].Area || (pieces[i].Area == pieces[best].Area && i < best))
                    && InPolygon(pieces[i].Polygon, reps[f]))
                    best = i;
            if (best < 0) continue;
            faceAtom[f] = pieces[best].Atom;
            claimed[f] = true;
        }
    }

    static bool InPolygon(Polygon p, Coordinate c)
    {
        if (!p.EnvelopeInternal.Contains(c)) return false;
        if (RayCrossingCounter.LocatePointInRing(c, p.ExteriorRing.CoordinateSequence) == Location.Exterior) return false;
        for (var i = 0; i < p.NumInteriorRings; i++)
            if (RayCrossingCounter.LocatePointInRing(c, p.GetInteriorRingN(i).CoordinateSequence) == Location.Interior) return false;
        return true;
    }

    /// <summary>
    /// The face containing a point (interior before boundary), else the nearest face, leaving out faces of fixed pieces
    /// (a site in land that is not competed for competes from the nearest land that is); -1 when there is none.
    /// </summary>
    static int FaceAt(STRtree<int> tree, List<Polygon> polys, Coordinate p, bool[] excluded)
    {
        var onBoundary = -1;
        foreach (var f in tree.Query(new Envelope(p)))
        {
            if (excluded[f]) continue;
            var poly = polys[f];
            var loc = RayCrossingCounter.LocatePointInRing(p, poly.ExteriorRing.CoordinateSequence);
            if (loc == Location.Exterior) continue;
            var inHole = false;
            for (var i = 0; i < poly.NumInteriorRings && !inHole; i++)
            {
                var h = RayCrossingCounter.LocatePointInRing(p, poly.GetInteriorRingN(i).CoordinateSequence);
                if (h == Location.Interior) inHole = true;
                else if (h == Location.Boundary) loc = Location.Boundary;
            }
            if (inHole) continue;
            if (loc == Location.Interior) return f;
            if (onBoundary < 0 || f < onBoundary) onBoundary = f;
        }
        if (onBoundary >= 0) return onBoundary;
        if (excluded.All(e => e)) return -1;
        var point = polys[0].Factory.CreatePoint(p);
        var nearest = tree.NearestNeighbour(new Envelope(p), -1, new FaceDistance(polys, point, excluded));
        return excluded[nearest] ? -1 : nearest;
    }

    sealed class FaceDistance(List<Polygon> polys, Point query, bool[] excluded) : IItemDistance<Envelope, int>
    {
        public double Distance(IBoundable<Envelope, int> item1, IBoundable<Envelope, int> item2)
        {
            var f = item1.Item >= 0 ? item1.Item : item2.Item;
            return f < 0 ? 0 : excluded[f] ? double.MaxValue : polys[f].Distance(query);
        }
    }

    /// <summary>A point strictly inside a face (its centroid when that is inside, else an interior point).</summary>
    static Coordinate? RepresentativePoint(Polygon poly)
    {
        if (poly.NumInteriorRings == 0 && poly.ExteriorRing.NumPoints <= 12)
        {
            var c = NetTopologySuite.Algorithm.Centroid.GetCentroid(poly);
            if (c is not null && InPolygonStrict(poly, c)) return c;
        }
        var ip = NetTopologySuite.Algorithm.InteriorPointArea.GetInteriorPoint(poly);
        return ip;
    }

    static bool InPolygonStrict(Polygon p, Coordinate c) =>
        RayCrossingCounter.LocatePointInRing(c, p.ExteriorRing.CoordinateSequence) == Location.Interior;

    static List<Polygon>? Voronoi(List<long> ix, List<long> iy, double scale, Envelope frame)
    {
        var coords = new List<Coordinate>(ix.Count);
        for (var i = 0; i < ix.Count; i++) coords.Add(new Coordinate(ix[i] / scale, iy[i] / scale));
        foreach (var tolerance in new[] { 0.0, 1 / scale, 10 / scale })
        {
            try
            {
                // Unclipped cells (convex; the linework is clipped to the frame when collected): no overlay needed.
                var builder = new VoronoiDiagramBuilder { ClipEnvelope = frame, Tolerance = tolerance };
                builder.SetSites(coords);
                var cells = new List<Polygon>(coords.Count);
                foreach (var g in builder.GetSubdivision().GetVoronoiCellPolygons(GeometryFactory.Default))
                    if (g is Polygon { IsEmpty: false } cell) cells.Add(cell);
                return cells;
            }
            catch (Exception ex) when (ex is NetTopologySuite.Triangulate.QuadEdge.LocateFailureException or TopologyException or InvalidOperationException or ArgumentException)
            {
                // retry with snapping
            }
        }
        return null;
    }

    /// <summary>Distance along a ray from inside a convex cell to where it leaves the cell.</summary>
    static double? RayExit(double px, double py, double dx, double dy, Polygon? cell)
    {
        if (cell is null) return null;
        var ring = cell.ExteriorRing.CoordinateSequence;
        double? best = null;
        for (var i = 0; i + 1 < ring.Count; i++)
        {
            double ax = ring.GetX(i), ay = ring.GetY(i), ex = ring.GetX(i + 1) - ax, ey = ring.GetY(i + 1) - ay;
            var denom = dx * ey - dy * ex;
            if (Math.Abs(denom) < 1e-15) continue;
            double wx = ax - px, wy = ay - py;
            var t = (wx * ey - wy * ex) / denom;
            var s = (wx * dy - wy * dx) / denom;
            if (t > 0 && s >= -1e-9 && s <= 1 + 1e-9 && (best is null || t < best)) best = t;
        }
        return best;
    }

    static Geometry Polygonal(Geometry g)
    {
        if (g is not (Polygon or MultiPolygon))
        {
            var parts = PolygonsOf(g).ToList();
            g = parts.Count == 0 ? g.Factory.CreatePolygon() : UnaryUnionOp.Union(parts);
        }
        return g.IsValid ? g : GeometryFixer.Fix(g);
    }

    static IEnumerable<Polygon> PolygonsOf(Geometry g)
    {
        switch (g)
        {
            case Polygon p:
                if (!p.IsEmpty) yield return p;
                break;
            case GeometryCollection c:
                for (var i = 0; i < c.NumGeometries; i++)
                    foreach (var p in PolygonsOf(c.GetGeometryN(i))) yield return p;
                break;
        }
    }

    static IEnumerable<LineString> RingsOf(Polygon p)
    {
        yield return p.ExteriorRing;
        for (var i = 0; i < p.NumInteriorRings; i++) yield return p.GetInteriorRingN(i);
    }

    /// <summary>Sites of one (region, block): locations with the atoms at each, and a nearest-location index.</summary>
    sealed class Bucket
    {
        readonly List<int> _locs = [];
        public Dictionary<int, List<int>> AtomsAt { get; } = [];
        NearestIndex? _index;

        public void Add(int loc, int atom)
        {
            if (!AtomsAt.TryGetValue(loc, out var atoms))
            {
                AtomsAt[loc] = atoms = [];
                _locs.Add(loc);
                _index = null;
            }
            if (!atoms.Contains(atom)) atoms.Add(atom);
        }

        public int Nearest(double x, double y, Func<int, double> locX, Func<int, double> locY, out double distance2)
        {
            _index ??= new NearestIndex(_locs.Select(locX).ToArray(), _locs.Select(locY).ToArray());
            var i = _index.Nearest(x, y, out distance2);
            return i < 0 ? -1 : _locs[i];
        }
    }

    /// <summary>Collects linework as segment strings in frame coordinates, clipped to the frame.</summary>
    sealed class LineCollector(Envelope frame)
    {
        static readonly object[] Boxed = Enumerable.Range(0, 64).Select(i => (object)i).ToArray();

        public List<ISegmentString> Strings { get; } = [];

        /// <summary>Linework added with <c>defer</c>: noded only where it comes near other linework (see SplitFree).</summary>
        public List<ISegmentString> Deferred { get; } = [];

        bool _defer;

        public void Add(Coordinate[] pts, int flags, double ox, double oy, HashSet<(double, double, double, double)>? seen = null, bool defer = false)
        {
            _defer = defer;
            List<Coordinate>? run = null;
            for (var i = 0; i + 1 < pts.Length; i++)
            {
                double ax = pts[i].X - ox, ay = pts[i].Y - oy, bx = pts[i + 1].X - ox, by = pts[i + 1].Y - oy;
                if (ax == bx && ay == by) continue;
                if (!double.IsFinite(ax + ay + bx + by)) { Flush(ref run, flags); continue; }
                if (seen is not null && !seen.Add(ax < bx || (ax == bx && ay < by) ? (ax, ay, bx, by) : (bx, by, ax, ay)))
                {
                    Flush(ref run, flags);
                    continue;
                }
                if (!Clip(ax, ay, bx, by, out var t0, out var t1)) { Flush(ref run, flags); continue; }
                var ca = t0 > 0 ? new Coordinate(ax + t0 * (bx - ax), ay + t0 * (by - ay)) : new Coordinate(ax, ay);
                var cb = t1 < 1 ? new Coordinate(ax + t1 * (bx - ax), ay + t1 * (by - ay)) : new Coordinate(bx, by);
                if (ca.Equals2D(cb)) { Flush(ref run, flags); continue; }
                if (run is not null && t0 == 0 && run[^1].X == ax && run[^1].Y == ay) run.Add(cb);
                else
                {
                    Flush(ref run, flags);
                    run = [ca, cb];
                }
                if (t1 < 1) Flush(ref run, flags);
            }
            Flush(ref run, flags);
        }

        void Flush(ref List<Coordinate>? run, int flags)
        {
            if (run is { Count: >= 2 }) (_defer ? Deferred : Strings).Add(new NodedSegmentString(run.ToArray(), Boxed[flags]));
            run = null;
        }

        bool Clip(double ax, double ay, double bx, double by, out double t0, out double t1)
        {
            t0 = 0;
            t1 = 1;
            double dx = bx - ax, dy = by - ay;
            return Edge(-dx, ax - frame.MinX, ref t0, ref t1) && Edge(dx, frame.MaxX - ax, ref t0, ref t1)
                && Edge(-dy, ay - frame.MinY, ref t0, ref t1) && Edge(dy, frame.MaxY - ay, ref t0, ref t1) && t0 < t1;
        }

        static bool Edge(double p, double q, ref double t0, ref double t1)
        {
            if (p == 0) return q >= 0;
            var r = q / p;
            if (p < 0)
            {
                if (r > t1) return false;
                if (r > t0) t0 = r;
            }
            else
            {
                if (r < t0) return false;
                if (r < t1) t1 = r;
            }
            return true;
        }
    }

    /// <summary>Nearest point by a uniform grid (a linear scan for a few points).</summary>
    sealed class NearestIndex
    {
        readonly double[] _x, _y;
        readonly double _minX, _minY, _cell;
        readonly int _nx, _ny;
        readonly int[]? _start, _items;

        public NearestIndex(double[] x, double[] y)
        {
            _x = x;
            _y = y;
            var n = x.Length;
            if (n <= 16) return;
            double minX = x.Min(), maxX = x.Max(), minY = y.Min(), maxY = y.Max();
            double w = maxX - minX, h = maxY - minY;
            var cell = Math.Sqrt(Math.Max(w * h, 1e-12) / n) * 1.4;
            cell = Math.Max(cell, Math.Max(w, h) / 1024);
            if (!(cell > 0)) cell = 1;
            _minX = minX;
            _minY = minY;
            _cell = cell;
            _nx = (int)(w / cell) + 1;
            _ny = (int)(h / cell) + 1;
            _start = new int[_nx * _ny + 1];
            var cellOf = new int[n];
            for (var i = 0; i < n; i++)
            {
                cellOf[i] = CellY(y[i]) * _nx + CellX(x[i]);
                _start[cellOf[i] + 1]++;
            }
            for (var c = 0; c < _nx * _ny; c++) _start[c + 1] += _start[c];
            var fill = (int[])_start.Clone();
            _items = new int[n];
            for (var i = 0; i < n; i++) _items[fill[cellOf[i]]++] = i;
        }

        int CellX(double x) => Math.Clamp((int)((x - _minX) / _cell), 0, _nx - 1);
        int CellY(double y) => Math.Clamp((int)((y - _minY) / _cell), 0, _ny - 1);

        public int Nearest(double qx, double qy, out double distance2)
        {
            var best = -1;
            distance2 = double.PositiveInfinity;
            if (_start is null)
            {
                for (var i = 0; i < _x.Length; i++)
                {
                    var d = (_x[i] - qx) * (_x[i] - qx) + (_y[i] - qy) * (_y[i] - qy);
                    if (d < distance2) { distance2 = d; best = i; }
                }
                return best;
            }
            int cx = CellX(qx), cy = CellY(qy);
            var maxRing = Math.Max(_nx, _ny);
            for (var r = 0; r <= maxRing; r++)
            {
                if (best >= 0 && r > 0)
                {
                    var bound = (r - 1) * _cell;
                    if (bound * bound >= distance2) break;
                }
                for (var dy = -r; dy <= r; dy++)
                {
                    var y = cy + dy;
                    if (y < 0 || y >= _ny) continue;
                    var step = Math.Abs(dy) == r ? 1 : 2 * r;
                    for (var dx = -r; dx <= r; dx += step == 0 ? 1 : step)
                    {
                        var x = cx + dx;
                        if (x < 0 || x >= _nx) continue;
                        var c = y * _nx + x;
                        for (var k = _start[c]; k < _start[c + 1]; k++)
                        {
                            var i = _items![k];
                            var d = (_x[i] - qx) * (_x[i] - qx) + (_y[i] - qy) * (_y[i] - qy);
                            if (d < distance2 || (d == distance2 && i < best)) { distance2 = d; best = i; }
                        }
                    }
                }
            }
            return best;
        }
    }
}
