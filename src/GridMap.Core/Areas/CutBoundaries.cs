using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;
using NetTopologySuite.Operation.Linemerge;
using NetTopologySuite.Operation.Polygonize;
using NetTopologySuite.Operation.Union;

namespace GridMap.Core.Areas;

/// <summary>One member way of a boundary relation that the extract holds (lon/lat, whole: it may run past the bounds).</summary>
public sealed record BoundaryWay(long Id, LineString Line);

/// <summary>
/// A boundary relation as an extract holds it: the member ways present, its polygon when the ways close into rings
/// (<paramref name="Complete"/>), and points known to lie inside it (its <c>admin_centre</c> or <c>label</c> node).
/// </summary>
public sealed record BoundaryRelation(string Key, IReadOnlyList<BoundaryWay> Ways, Geometry? Complete = null, IReadOnlyList<Coordinate>? InsidePoints = null);

/// <summary>How a relation's side was told where its rings did not close.</summary>
public enum BoundarySide { Complete, InsidePoint, Neighbours, Guessed }

/// <summary>A relation's area inside the bounds (null with a problem when it cannot be formed).</summary>
public sealed record ClosedBoundary(string Key, Geometry? Polygon, bool Repaired, BoundarySide Side, string? Problem = null);

/// <summary>
/// Closes boundary relations that an extract cut: the member ways present are noded together with the extract's
/// bounding rectangle and polygonized; crossing one of the relation's lines changes inside to outside, so the faces
/// fall into two sets and the relation is one of them. Which one is told by, in order: a complete relation (its rings
/// close), a node inside it (<c>admin_centre</c>, <c>label</c>), and neighbours at the same level — a way two relations
/// share has one of them on each side, so their choices are tied, and of the two ways to choose a group of tied
/// relations the one where they overlap least is taken (the flipped choice makes each the complement of itself, which
/// overlaps its neighbours). A relation alone with no inside node takes the side its known boundary curves around
/// (more of its convex hull). Everything is clipped to the bounds. Pure: lon/lat in, lon/lat out.
/// </summary>
public static class CutBoundaries
{
    /// <summary>Closes <paramref name="relations"/> of one admin level (they tile the land: neighbours share ways).</summary>
    public static IReadOnlyList<ClosedBoundary> Close(Envelope bounds, IReadOnlyList<BoundaryRelation> relations, GeometryFactory? factory = null)
    {
        factory ??= new GeometryFactory(new PrecisionModel(), 4326);
        var rect = (Polygon)factory.ToGeometry(bounds);
        var n = relations.Count;
        var sides = new Sides?[n];
        var problems = new string?[n];
        for (var i = 0; i < n; i++)
        {
            try { sides[i] = Partition(rect, relations[i], out problems[i]); }
            catch (Exception e) when (e is TopologyException or ArgumentException or InvalidOperationException)
            {
                problems[i] = $"its boundary could not be closed ({e.Message})";
            }
        }

        // Parity union-find: bit[i] says which set of faces relation i is; node n stands for "known".
        var uf = new ParityUnion(n + 1);
        var how = new BoundarySide?[n];
        for (var i = 0; i < n; i++)
        {
            if (sides[i] is not { } s) continue;
            if (s.Complete)
            {
                uf.Join(i, n, 0);
                how[i] = BoundarySide.Complete;
                continue;
            }
            foreach (var p in relations[i].InsidePoints ?? [])
            {
                var point = factory.CreatePoint(p);
                if (!rect.Covers(point) || s.ColourAt(point) is not { } c) continue;
                uf.Join(i, n, c);
                how[i] = BoundarySide.InsidePoint;
                break;
            }
        }

        // Shared ways: the point just left of the way is in exactly one of the two relations.
        var byWay = new Dictionary<long, List<int>>();
        for (var i = 0; i < n; i++)
        {
            if (sides[i] is null) continue;
            foreach (var w in relations[i].Ways.DistinctBy(w => w.Id))
                (byWay.TryGetValue(w.Id, out var l) ? l : byWay[w.Id] = []).Add(i);
        }
        foreach (var (wayId, members) in byWay.OrderBy(kv => kv.Key))
        {
            if (members.Count < 2) continue;
            var line = relations[members[0]].Ways.First(w => w.Id == wayId).Line;
            if (LeftProbe(line, rect) is not { } probe) continue;
            for (var a = 0; a < members.Count; a++)
                for (var b = a + 1; b < members.Count; b++)
                {
                    int i = members[a], j = members[b];
                    if (sides[i]!.ColourAt(probe) is not { } ci || sides[j]!.ColourAt(probe) is not { } cj) continue;
                    uf.Join(i, j, ci ^ cj ^ 1); // a contradiction (ways drawn across each other) is ignored
                }
        }

        // Groups not tied to anything known: the choice where they overlap least, then the one their hulls agree with.
        var bit = new int?[n];
        for (var i = 0; i < n; i++)
            if (sides[i] is not null && uf.Find(i).Root == uf.Find(n).Root)
            {
                bit[i] = uf.Find(i).Parity ^ uf.Find(n).Parity;
                how[i] ??= BoundarySide.Neighbours;
            }
        foreach (var group in Enumerable.Range(0, n).Where(i => sides[i] is not null && bit[i] is null).GroupBy(i => uf.Find(i).Root))
        {
            var members = group.ToList();
            double Overlap(int root) => members.SelectMany((i, k) => members.Skip(k + 1).Select(j => (i, j)))
                .Sum(p => Area(sides[p.i]!.Set(uf.Find(p.i).Parity ^ root).Intersection(sides[p.j]!.Set(uf.Find(p.j).Parity ^ root))));
            double Hull(int root) => members.Sum(i => sides[i]!.HullShare(uf.Find(i).Parity ^ root));
            var (o0, o1) = members.Count > 1 ? (Overlap(0), Overlap(1)) : (0, 0);
            var root = Math.Abs(o0 - o1) > 1e-3 * rect.Area ? (o0 < o1 ? 0 : 1) : (Hull(0) >= Hull(1) ? 0 : 1);
            var tied = members.Count > 1 && Math.Abs(o0 - o1) > 1e-3 * rect.Area;
            foreach (var i in members)
            {
                bit[i] = uf.Find(i).Parity ^ root;
                how[i] = tied ? BoundarySide.Neighbours : BoundarySide.Guessed;
            }
        }

        var result = new List<ClosedBoundary>(n);
        for (var i = 0; i < n; i++)
        {
            if (sides[i] is not { } s || bit[i] is not { } b)
            {
                result.Add(new ClosedBoundary(relations[i].Key, null, false, BoundarySide.Guessed, problems[i] ?? "its side could not be told"));
                continue;
            }
            var polygon = s.Set(b);
            result.Add(polygon.IsEmpty || polygon.Area <= 0
                ? new ClosedBoundary(relations[i].Key, null, false, how[i] ?? BoundarySide.Guessed, "it lies outside the extract's bounds")
                : new ClosedBoundary(relations[i].Key, polygon, !s.Complete, how[i] ?? BoundarySide.Guessed));
        }
        return result;
    }

    static double Area(Geometry g) => g.IsEmpty ? 0 : g.Area;

    /// <summary>The two sets of faces a relation's lines cut the bounds into (set 0 holds the first face).</summary>
    sealed class Sides(Geometry[] faces, int[] colour, Geometry set0, Geometry set1, Geometry hull, bool complete)
    {
        public bool Complete => complete;
        public Geometry Set(int c) => c == 0 ? set0 : set1;

        public int? ColourAt(Point p)
        {
            for (var f = 0; f < faces.Length; f++)
                if (faces[f].EnvelopeInternal.Covers(p.Coordinate) && faces[f].Covers(p)) return colour[f];
            return null;
        }

        /// <summary>The share of a set inside the hull of the known boundary (a boundary curves around its inside).</summary>
        public double HullShare(int c) => Set(c).IsEmpty || hull.IsEmpty ? 0 : Set(c).Intersection(hull).Area / Math.Max(Set(c).Area, 1e-18);
    }

    static Sides? Partition(Polygon rect, BoundaryRelation relation, out string? problem)
    {
        problem = null;
        var factory = rect.Factory;
        if (relation.Complete is { IsEmpty: false } complete)
        {
            var inside = complete.Intersection(rect);
            if (inside.IsEmpty || inside.Area <= 0) { problem = "it lies outside the extract's bounds"; return null; }
            inside = Polygonal(inside);
            return new Sides([inside, rect.Difference(inside)], [0, 1], inside, rect.Difference(inside), factory.CreatePolygon(), true);
        }

        var lines = relation.Ways.Select(w => w.Line).Where(l => l.NumPoints >= 2 && l.Length > 0).ToList();
        if (lines.Count == 0) { problem = "none of its member ways is in the file"; return null; }

        // A way the extract cut (nodes missing) ends inside the bounds: it is carried straight to the nearest edge.
        var merger = new LineMerger();
        merger.Add(lines);
        var extensions = new List<Geometry>();
        foreach (LineString chain in merger.GetMergedLineStrings())
        {
            if (chain.IsClosed) continue;
            foreach (var end in new[] { chain.StartPoint, chain.EndPoint })
            {
                if (!rect.Contains(end)) continue;
                var to = DistanceOp.NearestPoints(rect.ExteriorRing, end)[0];
                extensions.Add(factory.CreateLineString([end.Coordinate, to]));
            }
        }

        var noded = UnaryUnionOp.Union(factory.BuildGeometry([rect.ExteriorRing, .. lines, .. extensions]));
        var polygonizer = new Polygonizer();
        polygonizer.Add(noded);
        var faces = polygonizer.GetPolygons().Cast<Geometry>().Where(f => f.Area > 0 && rect.Covers(f.InteriorPoint)).ToArray();
        if (faces.Length == 0) { problem = "its lines form no area inside the bounds"; return null; }

        // Neighbouring faces (sharing a stretch of line) lie on opposite sides of the relation's boundary.
        var colour = Enumerable.Repeat(-1, faces.Length).ToArray();
        for (var start = 0; start < faces.Length; start++)
        {
            if (colour[start] >= 0) continue;
            colour[start] = 0;
            var queue = new Queue<int>([start]);
            while (queue.Count > 0)
            {
                var f = queue.Dequeue();
                for (var g = 0; g < faces.Length; g++)
                {
                    if (g == f || !faces[f].EnvelopeInternal.Intersects(faces[g].EnvelopeInternal)) continue;
                    if (faces[f].Relate(faces[g]).Get(Location.Boundary, Location.Boundary) != Dimension.Curve) continue;
                    if (colour[g] < 0) { colour[g] = 1 - colour[f]; queue.Enqueue(g); }
                    else if (colour[g] == colour[f]) { problem = "its boundary lines cross or branch"; return null; }
                }
            }
        }
        if (faces.Length == 1 && (relation.InsidePoints ?? []).All(p => !rect.Covers(factory.CreatePoint(p))))
        {
            problem = "its boundary does not cross the extract's bounds and no node inside it is in them";
            return null;
        }
        Geometry Union(int c) => Polygonal(UnaryUnionOp.Union(factory.BuildGeometry(faces.Where((_, k) => colour[k] == c).ToList())) ?? factory.CreatePolygon());
        var hull = factory.BuildGeometry(lines).ConvexHull();
        return new Sides(faces, colour, Union(0), Union(1), hull, false);
    }

    /// <summary>The polygons of a geometry (an intersection can also give lines and points where edges touch).</summary>
    static Geometry Polygonal(Geometry g)
    {
        if (g is Polygon or MultiPolygon) return g;
        var polygons = Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).OfType<Polygon>().Where(p => p.Area > 0).ToArray();
        return polygons.Length == 1 ? polygons[0] : g.Factory.CreateMultiPolygon(polygons);
    }

    /// <summary>A point just left of the way's longest stretch inside the bounds, or null when none is inside.</summary>
    static Point? LeftProbe(LineString line, Polygon rect)
    {
        var coords = line.Coordinates;
        var best = -1;
        var length = 0.0;
        for (var k = 0; k + 1 < coords.Length; k++)
        {
            var mid = new Coordinate((coords[k].X + coords[k + 1].X) / 2, (coords[k].Y + coords[k + 1].Y) / 2);
            var d = coords[k].Distance(coords[k + 1]);
            if (d > length && rect.EnvelopeInternal.Contains(mid)) (best, length) = (k, d);
        }
        if (best < 0) return null;
        var (a, b) = (coords[best], coords[best + 1]);
        var eps = Math.Min(length / 10, 1e-6);
        var m = new Coordinate((a.X + b.X) / 2, (a.Y + b.Y) / 2);
        return rect.Factory.CreatePoint(new Coordinate(m.X - (b.Y - a.Y) / length * eps, m.Y + (b.X - a.X) / length * eps));
    }

    /// <summary>Union-find that keeps each node's parity (0 / 1) relative to its root.</summary>
    sealed class ParityUnion(int count)
    {
        readonly int[] _parent = Enumerable.Range(0, count).ToArray();
        readonly int[] _parity = new int[count];

        public (int Root, int Parity) Find(int x)
        {
            var parity = 0;
            var root = x;
            while (_parent[root] != root) { parity ^= _parity[root]; root = _parent[root]; }
            return (root, parity);
        }

        /// <summary>Ties bit(a) ^ bit(b) = relation; false when they were tied the other way already (ignored).</summary>
        public bool Join(int a, int b, int relation)
        {
            var (ra, pa) = Find(a);
            var (rb, pb) = Find(b);
            if (ra == rb) return (pa ^ pb) == relation;
            _parent[ra] = rb;
            _parity[ra] = pa ^ pb ^ relation;
            return true;
        }
    }
}
