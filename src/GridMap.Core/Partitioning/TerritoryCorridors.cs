using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Corridors through a neighbour's land. Territories are drawn, not given: with them fixed, a block whose neighbours are
/// all too heavy can never be in band (on Singapore's public housing 216 of 10,120 blocks are stuck that way), yet a grid
/// may join two atoms that both border the same face of a third atom by taking the corner of that face between them —
/// never the third atom's building, its site, or its link to the rest of its own grid.
/// <list type="bullet">
/// <item><see cref="Candidates"/> lists such pairs (atoms whose territories do not touch but border one common face); the
/// partitioner adds them to its graph as edges that are cheap to cut, so they are used only where they bring a grid into band.</item>
/// <item><see cref="Carve"/> draws, for a finished assignment, the corners each grid needs: the face is split by a chord
/// between the midpoints of the two atoms' boundary edges, and the piece without the site goes to the grid. A grid whose
/// corner cannot be drawn (it would cut off the owner's grid, or cross a footprint or the site) is split into its parts.</item>
/// </list>
/// Faces keep sharing exact vertices (each midpoint is inserted into both faces of its edge), so dissolving stays
/// sliver-free.
/// </summary>
public static class TerritoryCorridors
{
    /// <summary>Faces with more neighbouring atoms than this pair up only neighbours at most <see cref="FarRuns"/> runs apart.</summary>
    const int AllPairsUpTo = 12;
    const int FarRuns = 3;

    /// <summary>
    /// Pairs of atoms (A &lt; C) that do not border each other but both border one face of a third atom, with the faces
    /// that could carry a corridor between them.
    /// </summary>
    public static IReadOnlyDictionary<(int A, int C), int[]> Candidates(Tessellation t, PartitionGraph graph, bool[]? only = null)
    {
        var edges = SegmentMap.Build(t.Faces);
        var result = new Dictionary<(int, int), List<int>>();
        var runs = new List<int>();
        for (var f = 0; f < t.Faces.Count; f++)
        {
            var owner = t.Faces[f].Atom;
            if (owner < 0) continue;
            var ring = t.Faces[f].Polygon.ExteriorRing.Coordinates;
            runs.Clear();
            for (var i = 0; i + 1 < ring.Length; i++)
            {
                var other = edges.Across(ring[i], ring[i + 1], f);
                var atom = other < 0 ? -1 : t.Faces[other].Atom;
                if (atom < 0 || atom == owner) continue;
                if (runs.Count == 0 || runs[^1] != atom) runs.Add(atom);
            }
            if (runs.Count > 1 && runs[0] == runs[^1]) runs.RemoveAt(runs.Count - 1);
            var k = runs.Count;
            for (var i = 0; i < k; i++)
                for (var j = i + 1; j < k; j++)
                {
                    if (k > AllPairsUpTo && Math.Min(j - i, k - (j - i)) > FarRuns) continue;
                    int a = runs[i], c = runs[j];
                    if (a == c || Borders(graph, a, c)) continue;
                    if (only is not null && !only[a] && !only[c]) continue;
                    var key = a < c ? (a, c) : (c, a);
                    if (!result.TryGetValue(key, out var faces)) result[key] = faces = [];
                    if (!faces.Contains(f)) faces.Add(f);
                }
        }
        return result.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    static bool Borders(PartitionGraph g, int a, int c)
    {
        for (var e = g.Offset[a]; e < g.Offset[a + 1]; e++)
            if (g.Target[e] == c && g.Length[e] > 0) return true;
        return false;
    }

    /// <summary>
    /// Draws the corridors an assignment needs. <paramref name="groupOf"/> (per atom) may rely on <paramref name="corridors"/>
    /// for its connectivity; <paramref name="sitesOf"/> gives each atom's sites (kept out of every corner). Returns the
    /// carved tessellation, and the assignment with every grid whose corridors could not all be drawn split into its
    /// connected parts (new groups numbered from <paramref name="groupCount"/> on).
    /// </summary>
    public static (Tessellation Tessellation, int[] GroupOf, int GroupCount) Carve(
        Tessellation t, PartitionGraph graph, IReadOnlyDictionary<(int A, int C), int[]> corridors, int[] groupOf, int groupCount,
        Func<int, IEnumerable<Coordinate>> sitesOf)
    {
        var n = groupOf.Length;
        var components = BaseComponents(graph, groupOf);
        var needy = new List<int>();
        var componentCount = new Dictionary<int, int>();
        for (var v = 0; v < n; v++)
        {
            componentCount.TryGetValue(groupOf[v], out var seen);
            if (components[v] == v) componentCount[groupOf[v]] = seen + 1;
        }
        foreach (var (g, pieces) in componentCount)
            if (pieces > 1) needy.Add(g);
        if (needy.Count == 0) return (t, groupOf, groupCount);

        var work = new CarveWork(t, groupOf, sitesOf);
        needy.Sort();
        foreach (var g in needy)
        {
            // Join the grid's pieces with corridors, cheapest stretch first, until it is one piece or nothing more fits.
            var members = Enumerable.Range(0, n).Where(v => groupOf[v] == g).ToList();
            var union = new Dictionary<int, int>();
            foreach (var v in members) union[v] = components[v];
            int Find(int v) { while (union[v] != v) v = union[v] = union[union[v]]; return v; }
            foreach (var a in members)
                foreach (var c in members)
                {
                    if (c <= a || Find(a) == Find(c)) continue;
                    if (!corridors.TryGetValue((a, c), out var faces)) continue;
                    foreach (var f in faces)
                        if (work.TryCarve(a, c, f))
                        {
                            union[Find(a)] = Find(c);
                            break;
                        }
                }
        }
        var carved = work.Result();
        var (split, count) = SplitDisconnected(carved, groupOf, groupCount);
        return (carved, split, count);
    }

    /// <summary>Per atom, the smallest atom of its connected part of its group over edges of positive shared length.</summary>
    static int[] BaseComponents(PartitionGraph g, int[] groupOf)
    {
        var n = groupOf.Length;
        var root = Enumerable.Range(0, n).ToArray();
        int Find(int v) { while (root[v] != v) v = root[v] = root[root[v]]; return v; }
        for (var v = 0; v < n; v++)
            for (var e = g.Offset[v]; e < g.Offset[v + 1]; e++)
            {
                var u = g.Target[e];
                if (u <= v || g.Length[e] <= 0 || groupOf[u] != groupOf[v]) continue;
                int a = Find(u), b = Find(v);
                if (a != b) root[Math.Max(a, b)] = Math.Min(a, b);
            }
        for (var v = 0; v < n; v++) root[v] = Find(v);
        return root;
    }

    /// <summary>Groups whose faces are not connected through shared edges become one group per connected part.</summary>
    static (int[] GroupOf, int GroupCount) SplitDisconnected(Tessellation t, int[] groupOf, int groupCount)
    {
        var n = groupOf.Length;
        var edges = SegmentMap.Build(t.Faces);
        var root = Enumerable.Range(0, n).ToArray();
        int Find(int v) { while (root[v] != v) v = root[v] = root[root[v]]; return v; }
        foreach (var (f1, f2) in edges.Pairs())
        {
            int a = t.Faces[f1].Atom, b = t.Faces[f2].Atom;
            if (a < 0 || b < 0 || a >= n || b >= n || groupOf[a] != groupOf[b]) continue;
            int ra = Find(a), rb = Find(b);
            if (ra != rb) root[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
        var result = (int[])groupOf.Clone();
        var firstRoot = new Dictionary<int, int>();
        var newId = new Dictionary<int, int>();
        for (var v = 0; v < n; v++)
        {
            var r = Find(v);
            if (!firstRoot.TryGetValue(groupOf[v], out var kept)) firstRoot[groupOf[v]] = kept = r;
            if (r == kept) continue;
            if (!newId.TryGetValue(r, out var id)) newId[r] = id = groupCount++;
            result[v] = id;
        }
        return (result, groupCount);
    }

    /// <summary>Faces under construction: rings as coordinate lists, edges mapped to the faces on either side.</summary>
    sealed class CarveWork
    {
        readonly Tessellation _t;
        readonly int[] _groupOf;
        readonly Func<int, IEnumerable<Coordinate>> _sitesOf;
        readonly List<TessellationFace> _faces;
        readonly List<List<Coordinate>?> _shell = [];
        readonly SegmentMap _edges;
        readonly Dictionary<int, List<int>> _facesOfAtom = [];
        bool _changed;

        public CarveWork(Tessellation t, int[] groupOf, Func<int, IEnumerable<Coordinate>> sitesOf)
        {
            _t = t;
            _groupOf = groupOf;
            _sitesOf = sitesOf;
            _faces = [.. t.Faces];
            for (var f = 0; f < _faces.Count; f++)
            {
                _shell.Add(null);
                var a = _faces[f].Atom;
                if (a < 0) continue;
                if (!_facesOfAtom.TryGetValue(a, out var list)) _facesOfAtom[a] = list = [];
                list.Add(f);
            }
            _edges = SegmentMap.Build(t.Faces);
        }

        List<Coordinate> Shell(int f) => _shell[f] ??= [.. _faces[f].Polygon.ExteriorRing.Coordinates[..^1]];

        int AtomAcross(int f, Coordinate p, Coordinate q)
        {
            var other = _edges.Across(p, q, f);
            return other < 0 ? -1 : _faces[other].Atom;
        }

        /// <summary>Gives the corner of face <paramref name="f"/> between atoms a and c to a's grid, if that harms no one.</summary>
        public bool TryCarve(int a, int c, int f)
        {
            var owner = _faces[f].Atom;
            if (owner < 0 || _groupOf[owner] == _groupOf[a]) return false;
            var ring = Shell(f);
            var m = ring.Count;
            var across = new int[m];
            for (var i = 0; i < m; i++) across[i] = AtomAcross(f, ring[i], ring[(i + 1) % m]);

            // Stretches: segment i borders one of {a, c}, segment j the other, and none between them borders a, c or the owner.
            var stretches = new List<(int I, int J, double Length)>();
            for (var i = 0; i < m; i++)
            {
                if (across[i] != a && across[i] != c) continue;
                var length = 0.0;
                for (var step = 1; step < m; step++)
                {
                    var j = (i + step) % m;
                    if (across[j] == across[i]) break;
                    if (across[j] == a || across[j] == c)
                    {
                        stretches.Add((i, j, length));
                        break;
                    }
                    if (across[j] == owner) break;
                    length += ring[j].Distance(ring[(j + 1) % m]);
                }
            }
            if (stretches.Count == 0) return false;
            stretches.Sort((x, y) => x.Length.CompareTo(y.Length));
            foreach (var s in stretches)
                if (TryStretch(f, owner, ring, s.I, s.J)) return true;
            return false;
        }

        bool TryStretch(int f, int owner, List<Coordinate> ring, int si, int sj)
        {
            var m = ring.Count;
            var s = (I: si, J: sj);

            // The owner's grid must stay connected without the faces along the stretch.
            if (!OwnerStaysConnected(f, ring, s.I, s.J)) return false;

            var u0 = ring[s.I];
            var u1 = ring[(s.I + 1) % m];
            var w0 = ring[s.J];
            var w1 = ring[(s.J + 1) % m];
            var p = new Coordinate((u0.X + u1.X) / 2, (u0.Y + u1.Y) / 2);
            var q = new Coordinate((w0.X + w1.X) / 2, (w0.Y + w1.Y) / 2);

            // The corner: p, the stretch's vertices, q; what stays: q, the rest of the ring, p.
            var corner = new List<Coordinate> { p };
            for (var j = (s.I + 1) % m; ; j = (j + 1) % m)
            {
                corner.Add(ring[j]);
                if (j == s.J) break;
            }
            corner.Add(q);
            var rest = new List<Coordinate> { q };
            for (var j = (s.J + 1) % m; ; j = (j + 1) % m)
            {
                rest.Add(ring[j]);
                if (j == s.I) break;
            }
            rest.Add(p);

            var factory = _faces[f].Polygon.Factory;
            var old = _faces[f].Polygon;
            var chord = factory.CreateLineString([p, q]);
            if (!old.Covers(chord)) return false;
            var cornerPolygon = factory.CreatePolygon([.. corner, corner[0]]);
            if (!cornerPolygon.IsValid || cornerPolygon.Area <= 1e-6) return false;
            var holes = Enumerable.Range(0, old.NumInteriorRings).Select(h => (LinearRing)old.GetInteriorRingN(h)).ToArray();
            var restPolygon = factory.CreatePolygon(factory.CreateLinearRing([.. rest, rest[0]]), holes);
            if (!restPolygon.IsValid || Math.Abs(cornerPolygon.Area + restPolygon.Area - old.Area) > 1e-6 * Math.Max(1, old.Area)) return false;
            foreach (var site in _sitesOf(owner))
                if (cornerPolygon.Intersects(factory.CreatePoint(site))) return false;

            // Insert the midpoints into the neighbouring faces too, so that every face still shares exact vertices.
            var faceA = _edges.Across(u0, u1, f);
            var faceC = _edges.Across(w0, w1, f);
            if (faceA < 0 || faceC < 0) return false;
            Insert(faceA, u0, u1, p);
            Insert(faceC, w0, w1, q);
            _edges.Split(u0, u1, p);
            _edges.Split(w0, w1, q);

            var cornerFace = _faces.Count;
            var receiver = _faces[faceA].Atom;
            _faces.Add(_faces[f] with { Atom = receiver, Polygon = cornerPolygon });
            _shell.Add(corner);
            _faces[f] = _faces[f] with { Polygon = restPolygon };
            _shell[f] = rest;
            for (var i = 0; i < corner.Count; i++)
            {
                var from = corner[i];
                var to = corner[(i + 1) % corner.Count];
                _edges.Replace(from, to, f, cornerFace);
            }
            _edges.Add(p, q, f, cornerFace);
            _facesOfAtom[receiver].Add(cornerFace);
            _changed = true;
            return true;
        }

        /// <summary>
        /// Whether the owner's grid keeps every face it reaches from face f once f no longer borders anything along the
        /// stretch (the grid may still be in pieces that a corridor of its own will join).
        /// </summary>
        bool OwnerStaysConnected(int f, List<Coordinate> ring, int i, int j)
        {
            var group = _groupOf[_faces[f].Atom];
            var faces = new HashSet<int>();
            for (var v = 0; v < _groupOf.Length; v++)
                if (_groupOf[v] == group && _facesOfAtom.TryGetValue(v, out var list)) faces.UnionWith(list);
            if (faces.Count <= 1) return true;
            var m = ring.Count;
            var stretch = new HashSet<(double, double, double, double)>();
            for (var k = (i + 1) % m; k != j; k = (k + 1) % m) stretch.Add(SegmentMap.Key(ring[k], ring[(k + 1) % m]));
            return Reach(f, faces, null) == Reach(f, faces, stretch);
        }

        int Reach(int f, HashSet<int> faces, HashSet<(double, double, double, double)>? cut)
        {
            var seen = new HashSet<int> { f };
            var stack = new Stack<int>();
            stack.Push(f);
            while (stack.Count > 0)
            {
                var x = stack.Pop();
                foreach (var (y, key) in _edges.Neighbours(x, Shell(x), _faces[x].Polygon))
                {
                    if (!faces.Contains(y) || seen.Contains(y)) continue;
                    if (cut is not null && (x == f || y == f) && cut.Contains(key)) continue;
                    seen.Add(y);
                    stack.Push(y);
                }
            }
            return seen.Count;
        }

        void Insert(int face, Coordinate u, Coordinate v, Coordinate p)
        {
            var ring = Shell(face);
            var m = ring.Count;
            for (var i = 0; i < m; i++)
            {
                var a = ring[i];
                var b = ring[(i + 1) % m];
                if ((a.Equals2D(u) && b.Equals2D(v)) || (a.Equals2D(v) && b.Equals2D(u)))
                {
                    ring.Insert(i + 1, p);
                    var old = _faces[face].Polygon;
                    var holes = Enumerable.Range(0, old.NumInteriorRings).Select(h => (LinearRing)old.GetInteriorRingN(h)).ToArray();
                    _faces[face] = _faces[face] with { Polygon = old.Factory.CreatePolygon(old.Factory.CreateLinearRing([.. ring, ring[0]]), holes) };
                    return;
                }
            }
            // The edge lies on a hole of that face: rebuild the hole with the midpoint.
            var poly = _faces[face].Polygon;
            var newHoles = new LinearRing[poly.NumInteriorRings];
            for (var h = 0; h < newHoles.Length; h++)
            {
                var coords = poly.GetInteriorRingN(h).Coordinates.ToList();
                for (var i = 0; i + 1 < coords.Count; i++)
                    if ((coords[i].Equals2D(u) && coords[i + 1].Equals2D(v)) || (coords[i].Equals2D(v) && coords[i + 1].Equals2D(u)))
                    {
                        coords.Insert(i + 1, p);
                        break;
                    }
                newHoles[h] = poly.Factory.CreateLinearRing(coords.ToArray());
            }
            _faces[face] = _faces[face] with { Polygon = poly.Factory.CreatePolygon((LinearRing)poly.ExteriorRing, newHoles) };
        }

        public Tessellation Result()
        {
            if (!_changed) return _t;
            var faces = _faces.ToList();
            return new Tessellation(_t.TerritoryOf, _t.Adjacent, faces) { Graph = TessellationGraph.FromFaces(faces.Select(x => x.Polygon).ToList()) };
        }
    }

    /// <summary>Which faces lie on either side of each boundary segment (keyed by its end points, in either order).</summary>
    sealed class SegmentMap
    {
        readonly Dictionary<(double, double, double, double), (int F1, int F2)> _map = [];

        public static (double, double, double, double) Key(Coordinate a, Coordinate b) =>
            a.X < b.X || (a.X == b.X && a.Y < b.Y) ? (a.X, a.Y, b.X, b.Y) : (b.X, b.Y, a.X, a.Y);

        public static SegmentMap Build(IReadOnlyList<TessellationFace> faces)
        {
            var map = new SegmentMap();
            for (var f = 0; f < faces.Count; f++)
            {
                var p = faces[f].Polygon;
                for (var r = -1; r < p.NumInteriorRings; r++)
                {
                    var ring = (r < 0 ? p.ExteriorRing : p.GetInteriorRingN(r)).Coordinates;
                    for (var i = 0; i + 1 < ring.Length; i++) map.Add(ring[i], ring[i + 1], f, -1);
                }
            }
            return map;
        }

        public void Add(Coordinate a, Coordinate b, int f, int g)
        {
            if (a.Equals2D(b)) return;
            var key = Key(a, b);
            if (!_map.TryGetValue(key, out var pair)) _map[key] = g >= 0 ? (f, g) : (f, -1);
            else if (pair.F1 != f && pair.F2 < 0) _map[key] = (pair.F1, f);
        }

        public int Across(Coordinate a, Coordinate b, int f) =>
            _map.TryGetValue(Key(a, b), out var pair) ? (pair.F1 == f ? pair.F2 : pair.F2 == f ? pair.F1 : -1) : -1;

        /// <summary>Segment a–b is split at p: both halves keep the faces of the whole.</summary>
        public void Split(Coordinate a, Coordinate b, Coordinate p)
        {
            var key = Key(a, b);
            if (!_map.Remove(key, out var pair)) return;
            _map[Key(a, p)] = pair;
            _map[Key(p, b)] = pair;
        }

        /// <summary>Face <paramref name="from"/> on segment a–b becomes <paramref name="to"/>.</summary>
        public void Replace(Coordinate a, Coordinate b, int from, int to)
        {
            var key = Key(a, b);
            if (!_map.TryGetValue(key, out var pair)) return;
            if (pair.F1 == from) _map[key] = (to, pair.F2);
            else if (pair.F2 == from) _map[key] = (pair.F1, to);
        }

        public IEnumerable<(int, int)> Pairs()
        {
            foreach (var (_, pair) in _map)
                if (pair.F1 >= 0 && pair.F2 >= 0) yield return (pair.F1, pair.F2);
        }

        public IEnumerable<(int Face, (double, double, double, double) Key)> Neighbours(int f, List<Coordinate> shell, Polygon polygon)
        {
            for (var i = 0; i < shell.Count; i++)
            {
                var key = Key(shell[i], shell[(i + 1) % shell.Count]);
                if (_map.TryGetValue(key, out var pair))
                {
                    var other = pair.F1 == f ? pair.F2 : pair.F1;
                    if (other >= 0) yield return (other, key);
                }
            }
            for (var h = 0; h < polygon.NumInteriorRings; h++)
            {
                var ring = polygon.GetInteriorRingN(h).Coordinates;
                for (var i = 0; i + 1 < ring.Length; i++)
                {
                    var key = Key(ring[i], ring[i + 1]);
                    if (_map.TryGetValue(key, out var pair))
                    {
                        var other = pair.F1 == f ? pair.F2 : pair.F1;
                        if (other >= 0) yield return (other, key);
                    }
                }
            }
        }
    }
}
