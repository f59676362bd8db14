namespace GridMap.Core.Partitioning;

/// <summary>
/// Makes every atom's territory one connected piece (faces joined across shared edges of positive length; faces that
/// touch at a point only are not joined). Of an atom's pieces the main one stays: the largest of those holding land the
/// atom must keep (a fixed piece or a footprint), else the largest. Every other piece goes whole to the neighbouring atom
/// it shares the longest boundary with (neighbours of the same compound or open land first, atoms with fixed land last).
/// A piece holding land its atom must keep never moves, and a piece that borders no other territory (an island of a
/// multi-part area) stays. Moves go into pieces that do not move in the same round, so every move joins two pieces and
/// the rounds end.
/// </summary>
internal static class TessellationConnectivity
{
    /// <returns>The number of faces reassigned.</returns>
    public static int Connect(int[] faceAtom, IReadOnlyList<double> faceArea, int[] faceRegion, bool[] claimed, bool[] isFixed,
        int[] left, int[] right, double[] edgeLength)
    {
        var n = faceAtom.Length;
        if (n < 2) return 0;
        var parent = new int[n];
        var comp = new int[n];
        var moved = 0;
        int Find(int a)
        {
            while (parent[a] != a) a = parent[a] = parent[parent[a]];
            return a;
        }
        var compAtom = new List<int>();
        var compArea = new List<double>();
        var compKeep = new List<bool>();
        var compFirst = new List<int>();
        var sameLength = new Dictionary<int, double>();
        var allLength = new Dictionary<int, double>();
        var facesOfComp = new List<List<int>>();
        var edgesOfComp = new List<List<int>>();

        for (var round = 0; round < 1000; round++)
        {
            for (var f = 0; f < n; f++) parent[f] = f;
            for (var e = 0; e < left.Length; e++)
            {
                int l = left[e], r = right[e];
                if (l < 0 || r < 0 || l == r || faceAtom[l] < 0 || faceAtom[l] != faceAtom[r] || !(edgeLength[e] > 0)) continue;
                l = Find(l);
                r = Find(r);
                if (l != r) parent[Math.Max(l, r)] = Math.Min(l, r);
            }

            // Components of assigned faces, numbered by first face.
            compAtom.Clear();
            compArea.Clear();
            compKeep.Clear();
            compFirst.Clear();
            Array.Fill(comp, -1);
            var idOfRoot = new Dictionary<int, int>();
            for (var f = 0; f < n; f++)
            {
                if (faceAtom[f] < 0) continue;
                var root = Find(f);
                if (!idOfRoot.TryGetValue(root, out var c))
                {
                    idOfRoot[root] = c = compAtom.Count;
                    compAtom.Add(faceAtom[f]);
                    compArea.Add(0);
                    compKeep.Add(false);
                    compFirst.Add(f);
                }
                comp[f] = c;
                compArea[c] += faceArea[f];
                if (claimed[f]) compKeep[c] = true;
            }
            var compCount = compAtom.Count;

            // The main piece of each atom; stop when every atom has one piece.
            var main = new Dictionary<int, int>();
            var split = false;
            for (var c = 0; c < compCount; c++)
            {
                var a = compAtom[c];
                if (!main.TryGetValue(a, out var m)) { main[a] = c; continue; }
                split = true;
                if ((compKeep[c] && !compKeep[m]) || (compKeep[c] == compKeep[m] && compArea[c] > compArea[m])) main[a] = c;
            }
            if (!split) break;

            // Faces and boundary edges of the pieces that may move.
            var movable = new bool[compCount];
            var any = false;
            for (var c = 0; c < compCount; c++)
                if (main[compAtom[c]] != c && !compKeep[c]) movable[c] = any = true;
            if (!any) break;
            facesOfComp.Clear();
            edgesOfComp.Clear();
            var slot = new int[compCount];
            Array.Fill(slot, -1);
            for (var c = 0; c < compCount; c++)
                if (movable[c])
                {
                    slot[c] = facesOfComp.Count;
                    facesOfComp.Add([]);
                    edgesOfComp.Add([]);
                }
            for (var f = 0; f < n; f++)
                if (comp[f] >= 0 && slot[comp[f]] >= 0) facesOfComp[slot[comp[f]]].Add(f);
            for (var e = 0; e < left.Length; e++)
            {
                int l = left[e], r = right[e];
                if (l < 0 || r < 0) continue;
                int cl = comp[l], cr = comp[r];
                if (cl < 0 || cr < 0 || cl == cr) continue;
                if (slot[cl] >= 0) edgesOfComp[slot[cl]].Add(e);
                if (slot[cr] >= 0) edgesOfComp[slot[cr]].Add(e);
            }

            // Smallest pieces first; a piece moves into a piece that stays this round.
            var order = Enumerable.Range(0, compCount).Where(c => movable[c])
                .OrderBy(c => compArea[c]).ThenBy(c => compFirst[c]).ToList();
            var moving = new bool[compCount];
            var receiving = new bool[compCount];
            var movedThisRound = 0;
            foreach (var c in order)
            {
                if (receiving[c]) continue;
                var atom = compAtom[c];
                sameLength.Clear();
                allLength.Clear();
                foreach (var e in edgesOfComp[slot[c]])
                {
                    var other = comp[left[e]] == c ? right[e] : left[e];
                    var b = faceAtom[other];
                    if (b < 0 || b == atom) continue;
                    allLength[b] = allLength.GetValueOrDefault(b) + edgeLength[e];
                    if (faceRegion[left[e]] == faceRegion[right[e]]) sameLength[b] = sameLength.GetValueOrDefault(b) + edgeLength[e];
                }
                if (allLength.Count == 0) continue;
                var winner = -1;
                foreach (var (b, len) in allLength)
                {
                    if (winner < 0) { winner = b; continue; }
                    var key = Rank(b, len);
                    var best = Rank(winner, allLength[winner]);
                    if (key.CompareTo(best) < 0) winner = b;
                }
                // Only into pieces of the winner that stay put this round.
                var target = false;
                foreach (var e in edgesOfComp[slot[c]])
                {
                    var other = comp[left[e]] == c ? right[e] : left[e];
                    if (faceAtom[other] == winner && !moving[comp[other]]) { target = true; break; }
                }
                if (!target) continue;
                moving[c] = true;
                foreach (var e in edgesOfComp[slot[c]])
                {
                    var other = comp[left[e]] == c ? right[e] : left[e];
                    if (faceAtom[other] == winner) receiving[comp[other]] = true;
                }
                foreach (var f in facesOfComp[slot[c]]) faceAtom[f] = winner;
                movedThisRound += facesOfComp[slot[c]].Count;
            }
            moved += movedThisRound;
            if (movedThisRound == 0) break;
        }
        return moved;

        (int, double, double, int) Rank(int b, double len) =>
            (isFixed[b] ? 1 : 0, -sameLength.GetValueOrDefault(b), -len, b);
    }
}
