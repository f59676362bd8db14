using GridMap.Core.Model;
using GridMap.Core.Network;
using GridMap.Core.Store;
using GridMap.Server.Hosting;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GridMap.Server.Coverage;

/// <summary>
/// What an organisation department reads off the service circles: coverage by community and by grid with their names,
/// households and covered households (the shares are the report's <c>by_community</c> and <c>by_grid</c>, computed the
/// same way), the stations of the request with their names and loads, and — for the gaps — which compounds and buildings
/// each gap holds.
/// </summary>
public static class CoverageTable
{
    /// <summary>A threshold as asked: its label (the key of every share), metres, and minutes when given in minutes.</summary>
    public sealed record ThresholdInfo(string Label, double Meters, double? Minutes);

    /// <summary>One community: covered households and share per threshold label, unreachable households, extent [w, s, e, n].</summary>
    public sealed record CommunityRow(string Code, string? Id, string? Name, string? StreetCode, string? StreetName, long Households, int Buildings,
        IReadOnlyDictionary<string, long> Covered, IReadOnlyDictionary<string, double> Share, long Unreachable, double[]? Bbox);

    /// <summary>One grid, as <see cref="CommunityRow"/>, with its community.</summary>
    public sealed record GridRow(string Code, string? Id, string? Name, string? CommunityCode, string? CommunityName, long Households, int Buildings,
        IReadOnlyDictionary<string, long> Covered, IReadOnlyDictionary<string, double> Share, long Unreachable, double[]? Bbox);

    /// <summary>A station of the request: where it is, and the households for which it is the nearest.</summary>
    public sealed record StationRow(string Id, string Name, string Kind, double Lon, double Lat, long Load);

    /// <summary>Households in buildings that name no community (or no grid): they count in the totals, in no row.</summary>
    public sealed record Unassigned(long CommunityHouseholds, long GridHouseholds);

    public sealed record TableResponse(
        string Mode, string Unit, IReadOnlyList<ThresholdInfo> Thresholds, long Households, int Buildings,
        IReadOnlyDictionary<string, long> Covered, IReadOnlyDictionary<string, double> Coverage, long Unreachable,
        IReadOnlyList<CommunityRow> Communities, IReadOnlyList<GridRow> Grids, IReadOnlyList<StationRow> Stations, Unassigned Unassigned, double Seconds);

    /// <summary>"minutes" or "meters": how the thresholds were given (the kind's GB 50180 radius is in metres).</summary>
    public static string UnitOf(string? minutes, string? meters, string? kind) =>
        meters is not null ? "meters"
        : minutes is not null ? "minutes"
        : StationKinds.All.FirstOrDefault(k => k.Key == kind)?.PresetMeters is not null ? "meters" : "minutes";

    /// <summary>Whether a walk (null: unreachable) is within <paramref name="limit"/> metres.</summary>
    static bool Within(double? metres, double limit) => metres is { } m && m <= limit;

    /// <summary>
    /// Covered households per group and threshold, and each group's total, for the places that name a group. The share
    /// is covered ÷ total (1 for a group without households), exactly as the report's by_community and by_grid.
    /// </summary>
    public static Dictionary<string, (long Total, int Buildings, long[] Covered, long Unreachable, Envelope Extent)> Groups(
        IReadOnlyList<CoveragePlace> places, IReadOnlyList<double?> metres, IReadOnlyList<CoverageThreshold> thresholds, Func<CoveragePlace, string?> key)
    {
        var groups = new Dictionary<string, (long Total, int Buildings, long[] Covered, long Unreachable, Envelope Extent)>(StringComparer.Ordinal);
        for (var i = 0; i < places.Count; i++)
        {
            var p = places[i];
            if (key(p) is not { } k) continue;
            if (!groups.TryGetValue(k, out var g)) g = (0, 0, new long[thresholds.Count], 0, new Envelope());
            g.Total += p.Households;
            g.Buildings++;
            for (var t = 0; t < thresholds.Count; t++)
                if (Within(metres[i], thresholds[t].Metres)) g.Covered[t] += p.Households;
            if (metres[i] is null) g.Unreachable += p.Households;
            g.Extent.ExpandToInclude(p.Geometry.EnvelopeInternal);
            groups[k] = g;
        }
        return groups;
    }

    /// <summary>Share per threshold label from covered households (1 when there are no households).</summary>
    public static Dictionary<string, double> Shares(long total, long[] covered, IReadOnlyList<CoverageThreshold> thresholds) =>
        thresholds.Select((t, i) => (t.Label, Share: total == 0 ? 1 : (double)covered[i] / total)).ToDictionary(x => x.Label, x => x.Share);

    static Dictionary<string, long> Counts(long[] covered, IReadOnlyList<CoverageThreshold> thresholds) =>
        thresholds.Select((t, i) => (t.Label, covered[i])).ToDictionary(x => x.Label, x => x.Item2);

    /// <summary>Per community or grid code: the share per threshold (the what-if's answer after its changes).</summary>
    public static SortedDictionary<string, Dictionary<string, double>> ShareMap(IReadOnlyList<CoveragePlace> places, IReadOnlyList<double?> metres,
        IReadOnlyList<CoverageThreshold> thresholds, Func<CoveragePlace, string?> key)
    {
        var result = new SortedDictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var (code, g) in Groups(places, metres, thresholds, key)) result[code] = Shares(g.Total, g.Covered, thresholds);
        return result;
    }

    static double[]? Bbox(Envelope? e) => e is null || e.IsNull ? null
        : [Math.Round(e.MinX, 6), Math.Round(e.MinY, 6), Math.Round(e.MaxX, 6), Math.Round(e.MaxY, 6)];

    /// <summary>The table: totals, communities and grids (with the store's names and outlines' extents), stations with loads.</summary>
    public static async Task<TableResponse> BuildAsync(IFeatureStore store, WalkSetting setting, IReadOnlyList<int> stationIndices, CoverageResult result,
        IReadOnlyList<CoverageThreshold> thresholds, string unit, double speedMetresPerSecond, string mode, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var places = setting.Places;
        var metres = result.Places.Select(r => r.Metres).ToList();

        var streets = (await StoreReads.AllAsync(store, Layer.Streets, null, ct)).Select(Area.From)
            .GroupBy(a => a.Code).ToDictionary(g => g.Key, g => g.First());
        var communityFeatures = await StoreReads.AllAsync(store, Layer.Communities, null, ct);
        var communities = communityFeatures.Select(f => (Id: f.Id, Area: Area.From(f))).GroupBy(a => a.Area.Code).ToDictionary(g => g.Key, g => g.First());
        var gridFeatures = await StoreReads.AllAsync(store, Layer.Grids, null, ct);
        var grids = gridFeatures.Select(f => (Id: f.Id, Grid: Grid.From(f))).GroupBy(g => g.Grid.Code).ToDictionary(g => g.Key, g => g.First());

        var communityRows = Groups(places, metres, thresholds, p => p.Community).Select(x =>
        {
            var known = communities.TryGetValue(x.Key, out var c);
            var streetCode = known ? c.Area.ParentCode : null;
            return new CommunityRow(x.Key, known ? c.Id : null, known ? c.Area.Name : null, streetCode,
                streetCode is not null && streets.TryGetValue(streetCode, out var s) ? s.Name : null,
                x.Value.Total, x.Value.Buildings, Counts(x.Value.Covered, thresholds), Shares(x.Value.Total, x.Value.Covered, thresholds),
                x.Value.Unreachable, Bbox(known ? c.Area.Geometry.EnvelopeInternal : x.Value.Extent));
        }).OrderBy(r => r.Code, StringComparer.Ordinal).ToList();

        var gridRows = Groups(places, metres, thresholds, p => p.Grid).Select(x =>
        {
            var known = grids.TryGetValue(x.Key, out var g);
            var communityCode = known ? g.Grid.CommunityCode : null;
            return new GridRow(x.Key, known ? g.Id : x.Key, known ? g.Grid.Name : null, communityCode,
                communityCode is not null && communities.TryGetValue(communityCode, out var c) ? c.Area.Name : null,
                x.Value.Total, x.Value.Buildings, Counts(x.Value.Covered, thresholds), Shares(x.Value.Total, x.Value.Covered, thresholds),
                x.Value.Unreachable, Bbox(known ? g.Grid.Geometry.EnvelopeInternal : x.Value.Extent));
        }).OrderBy(r => r.Code, StringComparer.Ordinal).ToList();

        var stations = stationIndices.Select(i => setting.Stations[i]).Select(s => new StationRow(s.Id, s.Name, s.Kind,
            Math.Round(s.Location.X, 7), Math.Round(s.Location.Y, 7), result.Report.StationLoad.TryGetValue(s.Id, out var load) ? load : 0)).ToList();

        var total = places.Sum(p => (long)p.Households);
        var covered = thresholds.Select(t => places.Select((p, i) => Within(metres[i], t.Metres) ? (long)p.Households : 0).Sum()).ToArray();
        var unreachable = places.Select((p, i) => metres[i] is null ? (long)p.Households : 0).Sum();
        return new TableResponse(mode, unit,
            thresholds.Select(t => new ThresholdInfo(t.Label, Math.Round(t.Metres, 1), unit == "minutes" ? Math.Round(t.Metres / speedMetresPerSecond / 60, 3) : null)).ToList(),
            total, places.Count, Counts(covered, thresholds), result.Report.Coverage.ToDictionary(), unreachable,
            communityRows, gridRows, stations,
            new Unassigned(places.Where(p => p.Community is null).Sum(p => (long)p.Households), places.Where(p => p.Grid is null).Sum(p => (long)p.Households)),
            Math.Round(result.Report.Seconds + clock.Elapsed.TotalSeconds, 4));
    }

    /// <summary>A gap's contents: its uncovered buildings grouped by compound, and the largest of them, for the map's list.</summary>
    public sealed record GapContents(IReadOnlyList<GapCompound> Compounds, IReadOnlyList<GapBuilding> Buildings, IReadOnlyList<string> Communities);

    /// <summary>A compound's uncovered buildings in a gap (id and name null: buildings in no compound).</summary>
    public sealed record GapCompound(string? Id, string? Name, long Households, int Buildings);

    public sealed record GapBuilding(string Id, string? Address, string? Compound, string? CompoundName, long Households, double Lon, double Lat);

    /// <summary>At most this many buildings are listed per gap (the largest first); the compounds are all listed.</summary>
    public const int MaxGapBuildings = 30;

    /// <summary>
    /// For each gap, the buildings that are uncovered at its threshold (by their own walk) and lie in it: each such
    /// building goes to the gap of its threshold nearest to its point (it lies in one: every uncovered building's cell is
    /// in a gap), so the lists of a threshold's gaps hold every uncovered household once.
    /// </summary>
    public static GapContents[] Contents(WalkSetting setting, WalkModel model, StationReach[] reach, IReadOnlyList<CoverageThreshold> thresholds,
        IReadOnlyList<CoverageGap> gaps)
    {
        var places = setting.Places;
        var points = model.Places.Select(c => model.Projection.Unproject(c)).ToArray();
        var members = gaps.Select(_ => new List<int>()).ToArray();
        for (var t = 0; t < thresholds.Count; t++)
        {
            var ofThreshold = Enumerable.Range(0, gaps.Count).Where(k => gaps[k].Threshold == t).ToList();
            if (ofThreshold.Count == 0) continue;
            var tree = new STRtree<int>();
            foreach (var k in ofThreshold) tree.Insert(gaps[k].Polygon.EnvelopeInternal, k);
            tree.Build();
            for (var p = 0; p < places.Count; p++)
            {
                if (reach[p].Reachable && reach[p].Metres <= thresholds[t].Metres) continue;
                var at = new Point(points[p]);
                var box = at.EnvelopeInternal.Copy();
                var best = -1;
                var bestDistance = double.PositiveInfinity;
                for (var radius = 0.0005; best < 0 && radius < 0.05; radius *= 4)
                {
                    box = at.EnvelopeInternal.Copy();
                    box.ExpandBy(radius);
                    foreach (var k in tree.Query(box))
                    {
                        var d = gaps[k].Polygon.Distance(at);
                        if (d < bestDistance) (best, bestDistance) = (k, d);
                    }
                }
                if (best >= 0) members[best].Add(p);
            }
        }
        return members.Select(list =>
        {
            var notes = setting.Notes;
            string? CompoundOf(int p) => p < notes.Count ? notes[p].Compound : null;
            string? NameOf(string? id) => id is not null && setting.CompoundNames.TryGetValue(id, out var n) && n.Length > 0 ? n : null;
            var compounds = list.GroupBy(CompoundOf)
                .Select(g => new GapCompound(g.Key, NameOf(g.Key), g.Sum(p => (long)places[p].Households), g.Count()))
                .OrderByDescending(c => c.Households).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
            var buildings = list.OrderByDescending(p => places[p].Households).ThenBy(p => places[p].Id, StringComparer.Ordinal).Take(MaxGapBuildings)
                .Select(p => new GapBuilding(places[p].Id, p < notes.Count ? notes[p].Address : null, CompoundOf(p), NameOf(CompoundOf(p)),
                    places[p].Households, Math.Round(points[p].X, 7), Math.Round(points[p].Y, 7))).ToList();
            var communities = list.Select(p => places[p].Community).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            return new GapContents(compounds, buildings, communities);
        }).ToArray();
    }
}
