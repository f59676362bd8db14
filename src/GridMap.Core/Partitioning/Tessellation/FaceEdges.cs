using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>Which faces lie on either side of each boundary segment (keyed by its end points, in either order).</summary>
internal sealed class FaceEdges
{
    readonly Dictionary<(double, double, double, double), (int F1, int F2)> _map = [];

    /// <summary>Receives an undo action for every change (set by a transaction).</summary>
    public Action<Action>? Log { get; set; }

    void Set((double, double, double, double) key, (int, int)? value)
    {
        if (Log is { } log)
        {
            var had = _map.TryGetValue(key, out var old);
            log(() =>
            {
                if (had) _map[key] = old;
                else _map.Remove(key);
            });
        }
        if (value is { } v) _map[key] = v;
        else _map.Remove(key);
    }

    public static (double, double, double, double) Key(Coordinate a, Coordinate b) =>
        a.X < b.X || (a.X == b.X && a.Y < b.Y) ? (a.X, a.Y, b.X, b.Y) : (b.X, b.Y, a.X, a.Y);

    public FaceEdges Clone()
    {
        var copy = new FaceEdges();
        foreach (var (key, pair) in _map) copy._map[key] = pair;
        return copy;
    }

    public static FaceEdges Build(IReadOnlyList<TessellationFace> faces)
    {
        var map = new FaceEdges();
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
        if (!_map.TryGetValue(key, out var pair)) Set(key, g >= 0 ? (f, g) : (f, -1));
        else if (pair.F1 != f && pair.F2 < 0) Set(key, (pair.F1, f));
    }

    public int Across(Coordinate a, Coordinate b, int f) =>
        _map.TryGetValue(Key(a, b), out var pair) ? (pair.F1 == f ? pair.F2 : pair.F2 == f ? pair.F1 : -1) : -1;

    /// <summary>Segment a–b is split at p: both halves keep the faces of the whole.</summary>
    public void Split(Coordinate a, Coordinate b, Coordinate p)
    {
        var key = Key(a, b);
        if (!_map.TryGetValue(key, out var pair)) return;
        Set(key, null);
        Set(Key(a, p), pair);
        Set(Key(p, b), pair);
    }

    /// <summary>Face <paramref name="from"/> on segment a–b becomes <paramref name="to"/>.</summary>
    public void Replace(Coordinate a, Coordinate b, int from, int to)
    {
        var key = Key(a, b);
        if (!_map.TryGetValue(key, out var pair)) return;
        if (pair.F1 == from) Set(key, (to, pair.F2));
        else if (pair.F2 == from) Set(key, (pair.F1, to));
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
