using NetTopologySuite.Geometries;

namespace GridMap.Core.Partitioning;

/// <summary>
/// Brings out-of-band grids into band through corridors (<see cref="TerritoryCorridors"/>). Each out-of-band grid is
/// merged with the grids around it (one ring, then two; over territory and corridor edges; at most
/// <see cref="MaxNodes"/> atoms) and the union re-solved exactly (<see cref="BandExact"/>). A better split is kept only when
/// every corridor it relies on can be drawn at once; otherwise the drawing is undone and the union is solved again
/// without the corridors that failed. The input assignment must be contiguous over territories, except where a corridor
/// joins it (a grid whose corridor cannot be drawn falls apart into its pieces first). Grids of one atom above the
/// maximum are left alone.
/// </summary>
internal sealed class CorridorRepair
{
    const int Rounds = 3;
    const int Attempts = 6;
    const int Rings = 2;
    const int MaxNodes = 24; // larger unions mostly run out of budget: on Singapore 24 finds more grids than 40, in less time
    const int MaxNodesWider = 20; // two rings: fewer atoms, or the exact search rarely finishes
    const long Budget = 100_000;

    enum Outcome { Improved, NoGain, Aborted }

    readonly AtomGraph _built;
    readonly PartitionGraph _g;
    readonly Bounds _bounds;
    readonly int[] _assign;
    readonly List<List<int>> _members = [];
    readonly TerritoryCarving _carving;
    readonly BandExact _exact;

    // Scratch for collecting unions, and when each atom last changed grid / each union was last tried.
    readonly int[] _mark;
    readonly int[] _queue;
    readonly int[] _changedAt;
    readonly Dictionary<(int Group, int Rings), (int Stamp, int Size)> _tried = [];
    int _gen, _stamp;

    readonly Func<int, bool>? _canStart;
    readonly int _inputGroups;

    /// <param name="canStart">which of the given groups may be re-solved when out of band (all when null); groups the
    /// repair makes itself always may.</param>
    public CorridorRepair(AtomGraph built, Bounds bounds, int[] groupOf, int groupCount, Func<int, IEnumerable<Coordinate>> sitesOf,
        Func<int, bool>? canStart = null)
    {
        _canStart = canStart;
        _built = built;
        _g = built.Joined;
        _bounds = bounds;
        var n = groupOf.Length;
        _assign = (int[])groupOf.Clone();
        // Every given group has its place, empty or not, so that groups made here are numbered after all of them.
        for (var h = 0; h < groupCount; h++) _members.Add([]);
        for (var v = 0; v < n; v++)
        {
            while (_members.Count <= _assign[v]) _members.Add([]);
            _members[_assign[v]].Add(v);
        }
        _inputGroups = _members.Count;
        _carving = new TerritoryCarving(built.Tessellation, _assign, sitesOf, built.Edges);
        _exact = new BandExact(_g, bounds);
        _mark = new int[n];
        _queue = new int[n];
        _changedAt = new int[n];
    }

    /// <summary>The carved tessellation, the assignment (groups 0…count-1), and for each group the given group it continues (-1: new).</summary>
    public (Tessellation Tessellation, int[] GroupOf, int GroupCount, int[] OriginalOf) Run()
    {
        // Draw what the given grids already rely on; a grid whose corridor cannot be drawn falls apart into its pieces.
        for (var h = 0; h < _members.Count; h++)
        {
            var pieces = _carving.JoinOrSplit(_members[h], _built.Corridors);
            _members[h] = pieces[0];
            for (var k = 1; k < pieces.Count; k++)
            {
                foreach (var v in pieces[k]) _assign[v] = _members.Count;
                _members.Add(pieces[k]);
            }
        }

        for (var round = 0; round < Rounds; round++)
        {
            var improved = false;
            for (var x = 0; x < _members.Count; x++)
            {
                if (_members[x].Count == 0 || Fixed(x) || _bounds.Contains(Weight(x))) continue;
                if (x < _inputGroups && _canStart is not null && !_canStart(x)) continue;
                for (var rings = 1; rings <= Rings; rings++)
                {
                    var outcome = TryUnion(x, rings);
                    if (outcome == Outcome.Improved) { improved = true; break; }
                    if (outcome == Outcome.Aborted) break; // a wider union would not finish either
                }
            }
            if (!improved) break;
        }

        // Number the grids 0…count-1 (re-solved unions may have left some empty).
        var map = new int[_members.Count];
        var originalOf = new List<int>();
        for (var h = 0; h < _members.Count; h++)
        {
            map[h] = _members[h].Count > 0 ? originalOf.Count : -1;
            if (_members[h].Count > 0) originalOf.Add(h < _inputGroups ? h : -1);
        }
        var result = new int[_assign.Length];
        for (var v = 0; v < result.Length; v++) result[v] = map[_assign[v]];
        return (_carving.Result(), result, originalOf.Count, originalOf.ToArray());
    }

    int Weight(int grp)
    {
        var w = 0;
        foreach (var v in _members[grp]) w += _g.Weight[v];
        return w;
    }

    bool Fixed(int grp) => _members[grp].Count == 1 && _g.Weight[_members[grp][0]] > _bounds.Max;

    /// <summary>Re-solves grid x with the grids within the given rings of it.</summary>
    Outcome TryUnion(int x, int rings)
    {
        var groups = Union(x, rings, out var size);
        if (groups is null) return Outcome.NoGain;

        // Tried before, and nothing in the union has changed since: the answer would be the same.
        var lastChange = 0;
        foreach (var h in groups)
            foreach (var v in _members[h]) lastChange = Math.Max(lastChange, _changedAt[v]);
        if (_tried.TryGetValue((x, rings), out var tried) && tried.Stamp >= lastChange && tried.Size == _members[x].Count) return Outcome.NoGain;
        _tried[(x, rings)] = (_stamp, _members[x].Count);

        int inBefore = groups.Count(h => _bounds.Contains(Weight(h))), outBefore = groups.Count - inBefore;
        // No split of this many households holds more in-band grids, and one out-of-band grid cannot become fewer.
        long total = 0;
        foreach (var h in groups) total += Weight(h);
        if (outBefore <= 1 && inBefore >= total / Math.Max(1, _bounds.Min)) return Outcome.NoGain;

        var order = BreadthFirst(x, groups);
        if (order.Length != size) return Outcome.NoGain; // the union is not connected even with corridors

        // A split whose corridors cannot all be drawn is solved again without the corridors that failed.
        var failed = new HashSet<(int, int)>();
        Func<int, int, bool>? allow = null;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            long spent = 0;
            if (!_exact.Solve(order, Budget, ref spent, allow)) return Outcome.Aborted;
            if (!(_exact.InCount > inBefore || (_exact.InCount == inBefore && _exact.OutCount < outBefore))) return Outcome.NoGain;
            if (Adopt(groups, failed))
            {
                _stamp++;
                foreach (var h in groups)
                    foreach (var v in _members[h]) _changedAt[v] = _stamp;
                return Outcome.Improved;
            }
            allow ??= (a, c) => !failed.Contains(a < c ? (a, c) : (c, a));
        }
        return Outcome.NoGain;
    }

    /// <summary>Grid x and the grids next to it, ring by ring, up to <see cref="MaxNodes"/> atoms (x alone may be re-split too); null when x is too large.</summary>
    List<int>? Union(int x, int rings, out int size)
    {
        var groups = new List<int> { x };
        size = _members[x].Count;
        if (size > MaxNodes) return null;
        var frontier = 0;
        for (var ring = 0; ring < rings; ring++)
        {
            var end = groups.Count;
            for (var k = frontier; k < end; k++)
                foreach (var v in _members[groups[k]])
                    foreach (var u in _g.Neighbours(v))
                    {
                        var h = _assign[u];
                        if (groups.Contains(h) || Fixed(h) || size + _members[h].Count > (rings == 1 ? MaxNodes : MaxNodesWider)) continue;
                        groups.Add(h);
                        size += _members[h].Count;
                    }
            frontier = end;
        }
        return groups;
    }

    /// <summary>The union's atoms in breadth-first order from grid x (the order the exact search runs best in).</summary>
    ReadOnlySpan<int> BreadthFirst(int x, List<int> groups)
    {
        var gen = ++_gen;
        foreach (var h in groups)
            foreach (var v in _members[h]) _mark[v] = gen;
        int head = 0, tail = 0;
        var start = _members[x][0];
        _queue[tail++] = start;
        _mark[start] = -gen;
        while (head < tail)
        {
            var v = _queue[head++];
            foreach (var u in _g.Neighbours(v))
                if (_mark[u] == gen)
                {
                    _mark[u] = -gen;
                    _queue[tail++] = u;
                }
        }
        return _queue.AsSpan(0, tail);
    }

    /// <summary>Adopts the exact solver's split of the union and draws the corridors its grids need; undone when one cannot be drawn.</summary>
    bool Adopt(List<int> groups, HashSet<(int, int)> failed)
    {
        var ids = new int[_exact.GroupCount];
        for (var k = 0; k < ids.Length; k++)
        {
            if (k < groups.Count) ids[k] = groups[k];
            else
            {
                ids[k] = _members.Count;
                _members.Add([]);
            }
        }
        var before = groups.Select(h => (Group: h, Atoms: _members[h])).ToList();
        foreach (var h in groups) _members[h] = [];
        var nodes = _exact.Nodes;
        for (var i = 0; i < nodes.Length; i++)
        {
            var id = ids[_exact.LocalGroup[i]];
            _assign[nodes[i]] = id;
            _members[id].Add(nodes[i]);
        }
        _carving.Begin();
        var ok = true;
        foreach (var id in ids)
            ok &= _carving.Join(_members[id], _built.Corridors, failed); // every grid, so that every failing corridor is known
        if (ok)
        {
            _carving.Commit();
            return true;
        }
        _carving.Rollback();
        foreach (var id in ids) _members[id] = [];
        foreach (var (h, atoms) in before)
        {
            _members[h] = atoms;
            foreach (var v in atoms) _assign[v] = h;
        }
        while (_members.Count > 0 && _members[^1].Count == 0 && !groups.Contains(_members.Count - 1)) _members.RemoveAt(_members.Count - 1);
        return false;
    }
}
