using NetTopologySuite.Algorithm;
using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// The faces of a tessellation while corridors are drawn into them (<see cref="TerritoryCorridors"/>): each corner cut from
/// a face becomes a face of its own owned by the receiving atom, and the corner's end points are inserted into the
/// neighbouring faces too, so faces keep sharing exact vertices. Changes can be made in a transaction and undone.
/// </summary>
internal sealed class TerritoryCarving
{
    /// <summary>Where the chord meets the two boundary edges, as a share of each edge from the stretch's end.</summary>
    static readonly double[] CornerReach = [0.5, 0.25, 0.1];

    /// <summary>Smallest corner drawn (m²): anything smaller would not survive rounding to 7 decimals of a degree.</summary>
    const double MinCornerArea = 1.0;

    readonly Tessellation _t;
    readonly int[] _groupOf;
    readonly Func<int, IEnumerable<Coordinate>> _sitesOf;
    readonly List<TessellationFace> _faces;
    readonly List<List<Coordinate>?> _shell = [];
    readonly FaceEdges _edges;
    readonly Dictionary<int, List<int>> _facesOfAtom = [];
    List<Action>? _undo;

    public void Begin() => _undo = [];

    public void Commit() => _undo = null;

    public void Rollback()
    {
        if (_undo is null) return;
        for (var i = _undo.Count - 1; i >= 0; i--) _undo[i]();
        _undo = null;
    }

    void Log(Action undo) => _undo?.Add(undo);

    void SetFace(int f, TessellationFace face)
    {
        var old = _faces[f];
        Log(() => _faces[f] = old);
        _faces[f] = face;
    }

    void SetShell(int f, List<Coordinate> shell)
    {
        var old = _shell[f];
        Log(() => _shell[f] = old);
        _shell[f] = shell;
    }

    /// <summary>
    /// Makes the atoms one connected grid (by faces) by drawing corridors between its pieces; false when some piece
    /// stays apart.
    /// </summary>
    public bool Join(List<int> atoms, IReadOnlyDictionary<(int A, int C), int[]> corridors, HashSet<(int, int)>? failed = null)
    {
        if (atoms.Count <= 1) return true;
        var pieces = Pieces(atoms);
        if (pieces.Count <= 1) return true;
        var pieceOf = new Dictionary<int, int>();
        for (var k = 0; k < pieces.Count; k++)
            foreach (var v in pieces[k]) pieceOf[v] = k;
        var root = Enumerable.Range(0, pieces.Count).ToArray();
        int Find(int k) { while (root[k] != k) k = root[k] = root[root[k]]; return k; }
        var joined = 1;
        foreach (var a in atoms)
            foreach (var c in atoms)
            {
                if (c <= a || Find(pieceOf[a]) == Find(pieceOf[c])) continue;
                if (!corridors.TryGetValue((a, c), out var faces)) continue;
                var carved = false;
                foreach (var f in faces)
                    if (TryCarve(a, c, f))
                    {
                        root[Find(pieceOf[a])] = Find(pieceOf[c]);
                        joined++;
                        carved = true;
                        break;
                    }
                if (!carved) failed?.Add((a, c));
            }
        return joined == pieces.Count && Pieces(atoms).Count == 1;
    }

    /// <summary>Draws the corridors a grid relies on; its pieces when some cannot be drawn (one piece when it is joined).</summary>
    public List<List<int>> JoinOrSplit(List<int> atoms, IReadOnlyDictionary<(int A, int C), int[]> corridors) =>
        atoms.Count <= 1 || Join(atoms, corridors) ? [atoms] : Pieces(atoms);

    /// <summary>The atoms grouped by faces that share an edge (corners drawn so far included).</summary>
    List<List<int>> Pieces(List<int> atoms)
    {
        var inGroup = atoms.ToHashSet();
        var seen = new HashSet<int>();
        var result = new List<List<int>>();
        foreach (var start in atoms)
        {
            if (seen.Contains(start)) continue;
            var piece = new List<int>();
            var stack = new Stack<int>();
            seen.Add(start);
            stack.Push(start);
            while (stack.Count > 0)
            {
                var v = stack.Pop();
                piece.Add(v);
                if (!_facesOfAtom.TryGetValue(v, out var faces)) continue;
                foreach (var f in faces)
                    foreach (var (y, _) in _edges.Neighbours(f, Shell(f), _faces[f].Polygon))
                    {
                        var u = _faces[y].Atom;
                        if (u < 0 || !inGroup.Contains(u) || !seen.Add(u)) continue;
                        stack.Push(u);
                    }
            }
            result.Add(piece);
        }
        return result;
    }

    public TerritoryCarving(Tessellation t, int[] groupOf, Func<int, IEnumerable<Coordinate>> sitesOf, FaceEdges? edges = null)
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
        _edges = edges?.Clone() ?? FaceEdges.Build(t.Faces);
        _edges.Log = Log;
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
        // Stretches the owner's grid can spare, shortest first; larger corners (wider corridors) before smaller ones,
        // which keep clear of the owner's site and of bends in its boundary.
        var spare = stretches.Where(s => OwnerStaysConnected(f, ring, s.I, s.J)).ToList();
        foreach (var reach in CornerReach)
            foreach (var s in spare)
                if (TryStretch(f, owner, ring, s.I, s.J, reach)) return true;
        return false;
    }

    /// <summary>Whether segment p–q touches or crosses segment a–b.</summary>
    static bool Meets(Coordinate p, Coordinate q, Coordinate a, Coordinate b)
    {
        int o1 = (int)Orientation.Index(p, q, a), o2 = (int)Orientation.Index(p, q, b);
        int o3 = (int)Orientation.Index(a, b, p), o4 = (int)Orientation.Index(a, b, q);
        if (o1 * o2 < 0 && o3 * o4 < 0) return true;
        return (o1 == 0 && OnSegment(p, q, a)) || (o2 == 0 && OnSegment(p, q, b))
            || (o3 == 0 && OnSegment(a, b, p)) || (o4 == 0 && OnSegment(a, b, q));
    }

    static bool OnSegment(Coordinate a, Coordinate b, Coordinate c) =>
        c.X >= Math.Min(a.X, b.X) && c.X <= Math.Max(a.X, b.X) && c.Y >= Math.Min(a.Y, b.Y) && c.Y <= Math.Max(a.Y, b.Y);

    bool TryStretch(int f, int owner, List<Coordinate> ring, int si, int sj, double reach)
    {
        var m = ring.Count;
        var s = (I: si, J: sj);

        var u0 = ring[s.I];
        var u1 = ring[(s.I + 1) % m];
        var w0 = ring[s.J];
        var w1 = ring[(s.J + 1) % m];
        var p = new Coordinate(u1.X + reach * (u0.X - u1.X), u1.Y + reach * (u0.Y - u1.Y));
        var q = new Coordinate(w0.X + reach * (w1.X - w0.X), w0.Y + reach * (w1.Y - w0.Y));

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

        // The chord must run inside the face: it meets no other edge (of the shell or of a hole), and its middle is inside.
        var old = _faces[f].Polygon;
        for (var i = 0; i < m; i++)
            if (i != s.I && i != s.J && Meets(p, q, ring[i], ring[(i + 1) % m])) return false;
        var holes = new LinearRing[old.NumInteriorRings];
        for (var h = 0; h < holes.Length; h++)
        {
            holes[h] = (LinearRing)old.GetInteriorRingN(h);
            var hole = holes[h].Coordinates;
            for (var i = 0; i + 1 < hole.Length; i++)
                if (Meets(p, q, hole[i], hole[i + 1])) return false;
        }
        var middle = new Coordinate((p.X + q.X) / 2, (p.Y + q.Y) / 2);
        if (!PointLocation.IsInRing(middle, [.. ring, ring[0]])) return false;
        // Then both pieces are simple; the corner must be worth drawing and hold neither a hole nor the owner's site.
        Coordinate[] cornerRing = [.. corner, corner[0]];
        if (Math.Abs(Area.OfRingSigned(cornerRing)) < MinCornerArea) return false;
        foreach (var hole in holes)
            if (PointLocation.IsInRing(hole.Coordinates[0], cornerRing)) return false;
        foreach (var site in _sitesOf(owner))
            if (PointLocation.LocateInRing(site, cornerRing) != Location.Exterior) return false;
        var factory = old.Factory;
        var cornerPolygon = factory.CreatePolygon(cornerRing);
        var restPolygon = factory.CreatePolygon(factory.CreateLinearRing([.. rest, rest[0]]), holes);

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
        Log(() =>
        {
            _faces.RemoveAt(cornerFace);
            _shell.RemoveAt(cornerFace);
        });
        SetFace(f, _faces[f] with { Polygon = restPolygon });
        SetShell(f, rest);
        for (var i = 0; i < corner.Count; i++)
        {
            var from = corner[i];
            var to = corner[(i + 1) % corner.Count];
            _edges.Replace(from, to, f, cornerFace);
        }
        _edges.Add(p, q, f, cornerFace);
        _facesOfAtom[receiver].Add(cornerFace);
        Log(() => _facesOfAtom[receiver].Remove(cornerFace));
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
        for (var k = (i + 1) % m; k != j; k = (k + 1) % m) stretch.Add(FaceEdges.Key(ring[k], ring[(k + 1) % m]));
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
        var ring = new List<Coordinate>(Shell(face));
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
                SetShell(face, ring);
                SetFace(face, _faces[face] with { Polygon = old.Factory.CreatePolygon(old.Factory.CreateLinearRing([.. ring, ring[0]]), holes) });
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
        SetFace(face, _faces[face] with { Polygon = poly.Factory.CreatePolygon((LinearRing)poly.ExteriorRing, newHoles) });
    }

    public Tessellation Result()
    {
        if (_faces.Count == _t.Faces.Count) return _t; // nothing carved (or all of it undone)
        var faces = _faces.ToList();
        return new Tessellation(_t.TerritoryOf, _t.Adjacent, faces) { Graph = TessellationGraph.FromFaces(faces.Select(x => x.Polygon).ToList()) };
    }
}
