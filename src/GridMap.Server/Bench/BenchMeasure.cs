using System.Diagnostics;
using GridMap.Core.Partitioning;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Bench;

/// <summary>
/// One row of an instance's table. <see cref="Seconds"/>: GridMap's report `seconds` / METIS's own "Partitioning" time
/// (summed over calls); <see cref="WallSeconds"/>: wall time of the `Partition` call (with validation) / of the gpmetis
/// processes (summed). Both are medians over the runs.
/// </summary>
public sealed record BenchRow(
    string Method, double Seconds, double WallSeconds, IReadOnlyList<double> RunSeconds, IReadOnlyList<double> RunWallSeconds,
    int Groups, int InBand, int Feasible, int Empty, int? NoncontiguousPolygons, int NoncontiguousGraph, long CutEdges, double CutCost,
    double? OverlapM2, double? GapM2, double? PolsbyPopperMean, double? PeakMb, double? AllocatedMb, IReadOnlyList<string> Notes)
{
    public double InBandShare => Groups == 0 ? 0 : 100.0 * InBand / Groups;

    public double FeasibleShare => Feasible == 0 ? 0 : 100.0 * InBand / Feasible;
}

/// <summary>What one instance came to: its graph, the GridMap and METIS rows, and failures.</summary>
public sealed record InstanceOutcome(BenchInstance Instance, InstanceGraphs? Graphs, BenchRow? GridMap, BenchRow? Metis, IReadOnlyList<string> Notes, IReadOnlyList<string> Failures);

/// <summary>Runs GridMap and gpmetis on one instance and measures both the same way.</summary>
public static class BenchMeasure
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Resets the kernel's peak-RSS mark (Linux: "5" into /proc/self/clear_refs) so the next peak is this instance's own.</summary>
    public static bool ResetPeakWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    public static double PeakWorkingSetMb()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / 1048576.0;
    }

    public sealed record GridMapRuns(PartitionResult Last, List<double> Seconds, List<double> Wall, double PeakMb, double AllocatedMb, bool PeakReset);

    /// <summary>One untimed warm-up on the same instance (when asked), then <paramref name="runs"/> timed partitions.</summary>
    public static GridMapRuns RunGridMap(PartitionInput input, int runs, bool warmUpOnInstance, Action<string> progress)
    {
        var reset = ResetPeakWorkingSet();
        if (warmUpOnInstance)
        {
            var w = Stopwatch.StartNew();
            GridPartitioner.Partition(input);
            progress($"  warm-up run {w.Elapsed.TotalSeconds:0.000} s");
        }
        var seconds = new List<double>();
        var wall = new List<double>();
        var allocated = new List<double>();
        PartitionResult? last = null;
        for (var r = 0; r < runs; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalAllocatedBytes(true);
            var clock = Stopwatch.StartNew();
            last = GridPartitioner.Partition(input);
            wall.Add(clock.Elapsed.TotalSeconds);
            allocated.Add((GC.GetTotalAllocatedBytes(true) - before) / 1048576.0);
            seconds.Add(last.Report.Seconds);
            progress($"  GridMap run {r + 1}: report {last.Report.Seconds:0.000} s, wall {wall[^1]:0.000} s, {last.Report.Grids:N0} grids, {last.Report.InBand:N0} in band");
        }
        return new GridMapRuns(last!, seconds, wall, PeakWorkingSetMb(), Median(allocated), reset);
    }

    /// <summary>The GridMap row: the report's figures plus cut edges and graph contiguity on the per-area graphs.</summary>
    public static BenchRow GridMapRow(GridMapRuns runs, InstanceGraphs graphs)
    {
        var result = runs.Last;
        var report = result.Report;
        var bounds = graphs.Bounds;
        var notes = new List<string>();
        var groupOf = graphs.Areas.Select(a => Enumerable.Repeat(-1, a.Graph.NodeCount).ToArray()).ToArray();
        var areasOfCode = graphs.Areas.GroupBy(a => a.Code).ToDictionary(g => g.Key, g => g.ToList());
        int unknown = 0, twice = 0, householdMismatch = 0;
        for (var gi = 0; gi < result.Grids.Count; gi++)
        {
            var grid = result.Grids[gi];
            var candidates = areasOfCode.GetValueOrDefault(grid.Area) ?? [];
            long households = 0;
            foreach (var id in grid.UnitIds)
            {
                var area = candidates.FirstOrDefault(a => a.AtomOfId.ContainsKey(id));
                if (area is null) { unknown++; continue; }
                var atom = area.AtomOfId[id];
                if (groupOf[area.Index][atom] >= 0 && groupOf[area.Index][atom] != gi) twice++;
                if (groupOf[area.Index][atom] != gi) households += area.Problem.Atoms[atom].Households;
                groupOf[area.Index][atom] = gi;
            }
            if (households != grid.Households) householdMismatch++;
        }
        var (noncontiguous, cut, cost, unassigned) = new Grouping(groupOf).GraphMetrics(graphs, joined: true);
        var viaCorridor = new Grouping(groupOf).GraphMetrics(graphs).Noncontiguous - noncontiguous;
        if (viaCorridor > 0) notes.Add($"{viaCorridor} grid(s) are joined through a corridor (a corner of a neighbour's territory; see docs/partitioning.md)");
        if (unknown > 0) notes.Add($"{unknown} unit id(s) of GridMap's grids match no atom of the bench's graph");
        if (twice > 0) notes.Add($"{twice} atom(s) appear in two grids");
        if (unassigned > 0) notes.Add($"{unassigned} atom(s) are in no grid");
        if (householdMismatch > 0) notes.Add($"{householdMismatch} grid(s) report households that differ from the sum of their atoms");

        var infeasible = result.Grids.Count(g => !bounds.Contains(g.Households) && g.Reason is OutOfBandReason.OversizedUnit or OutOfBandReason.AreaBelowMin);
        var reasons = report.OutOfBand.GroupBy(o => o.Reason).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
        if (report.OutOfBand.Count > 0)
            notes.Add($"out of band: {report.Below} below, {report.Above} above; reasons: {string.Join(", ", reasons)}");
        if (report.SplitCompounds > 0) notes.Add($"split compounds: {report.SplitCompounds}");
        if (report.InfeasibleUnits.Count > 0) notes.Add($"infeasible units: {report.InfeasibleUnits.Count}");
        return new BenchRow("GridMap", Median(runs.Seconds), Median(runs.Wall), runs.Seconds, runs.Wall,
            report.Grids, report.InBand, report.Grids - infeasible, result.Grids.Count(g => g.Households == 0),
            report.Noncontiguous, noncontiguous, cut, cost, report.OverlapM2, report.GapM2, report.PolsbyPopperMean,
            runs.PeakMb, runs.AllocatedMb, notes);
    }

    /// <summary>The METIS row: parts measured like grids; part polygons are dissolved from GridMap's own territories.</summary>
    public static BenchRow MetisRow(IReadOnlyList<MetisResult> runs, InstanceGraphs graphs, MetisEdges edges)
    {
        var metis = runs[^1];
        var bounds = graphs.Bounds;
        var offset = new int[graphs.Areas.Count];
        var total = 0;
        for (var i = 0; i < offset.Length; i++)
        {
            offset[i] = total;
            total += metis.PartCount[i];
        }
        var households = new long[total];
        var oversized = new bool[total];
        var areaBelow = new bool[total];
        var groupOf = new int[graphs.Areas.Count][];
        int noncontiguousPolygons = 0, withLand = 0;
        double pp = 0, overlap = 0, gap = 0;
        foreach (var area in graphs.Areas)
        {
            var parts = metis.PartOf[area.Index];
            var count = metis.PartCount[area.Index];
            groupOf[area.Index] = parts.Select(p => offset[area.Index] + p).ToArray();
            var below = area.Households < bounds.Min;
            for (var p = 0; p < count; p++) areaBelow[offset[area.Index] + p] = below;
            foreach (var atom in area.Problem.Atoms)
            {
                var g = offset[area.Index] + parts[atom.Index];
                households[g] += atom.Households;
                if (atom.Oversized || atom.Households > bounds.Max) oversized[g] = true;
            }
            Geometry[] polygons = area.Tessellation is { } t
                ? GridPolygons.Dissolve(t, parts, count)
                : Enumerable.Range(0, count).Select(_ => (Geometry)area.Polygon.Factory.CreatePolygon()).ToArray();
            foreach (var polygon in polygons.Where(p => !p.IsEmpty))
            {
                withLand++;
                pp += CoverageCheck.PolsbyPopper(polygon);
                if (polygon is MultiPolygon { NumGeometries: > 1 }) noncontiguousPolygons++;
            }
            var (o, gp) = CoverageCheck.Measure(area.Polygon, polygons);
            overlap += o;
            gap += gp;
        }
        var inBand = households.Count(h => bounds.Contains(h));
        var infeasible = Enumerable.Range(0, total).Count(g => !bounds.Contains(households[g]) && (oversized[g] || areaBelow[g]));
        var (noncontiguous, cut, cost, _) = new Grouping(groupOf).GraphMetrics(graphs);
        var notes = new List<string>
        {
            $"{metis.Calls} gpmetis call(s) per run; edges {(edges == MetisEdges.Cost ? "weighted by GridMap's cut cost rounded to whole metres (at least 1)" : "unweighted")}; node weights = households",
            $"out of band: {households.Count(h => h < bounds.Min)} below, {households.Count(h => h > bounds.Max)} above; " +
            $"{Enumerable.Range(0, total).Count(g => !bounds.Contains(households[g]) && oversized[g])} hold an oversized atom, " +
            $"{Enumerable.Range(0, total).Count(g => !bounds.Contains(households[g]) && areaBelow[g])} are areas below min",
        };
        if (metis.DisconnectedAreas > 0)
            notes.Add($"{metis.DisconnectedAreas} area graph(s) are disconnected (-contig refuses them): partitioned per connected component " +
                      $"({metis.SplitComponents} components, k shared in proportion to households, at least 1 each)");
        if (withLand < total) notes.Add($"{total - withLand} part(s) got no land (PP mean is over parts with land)");
        return new BenchRow(metis.Version.Length > 0 ? metis.Version : "METIS",
            Median(runs.Select(r => r.ReportedSeconds).ToList()), Median(runs.Select(r => r.ProcessSeconds).ToList()),
            runs.Select(r => r.ReportedSeconds).ToList(), runs.Select(r => r.ProcessSeconds).ToList(),
            total, inBand, total - infeasible, households.Count(h => h == 0), noncontiguousPolygons, noncontiguous, cut, cost,
            Math.Round(overlap, 3), Math.Round(gap, 3), withLand == 0 ? 0 : Math.Round(pp / withLand, 4),
            metis.MaxRssKb > 0 ? metis.MaxRssKb / 1024.0 : null, null, notes);
    }
}
