using GridMap.Core.Partitioning;
using GridMap.Core.Schema;
using GridMap.IO.Partitioning;

namespace GridMap.Server.Cli;

/// <summary>`gridmap partition`: files in, grids and a report out (the contract other tools rely on).</summary>
public static class PartitionCommand
{
    public static async Task<int> RunAsync(CliArgs a, TextWriter stdout)
    {
        a.Allow("units", "areas", "compounds", "barriers", "special-areas", "min", "max", "target", "existing", "out", "report");
        var bounds = new Bounds(a.Int("min", 200), a.Int("max", 300), a.Int("target", 250));
        if (bounds.Min < 1 || bounds.Max < bounds.Min || bounds.Target < bounds.Min || bounds.Target > bounds.Max)
            throw new CliException("bounds must satisfy 1 ≤ min ≤ target ≤ max");
        var output = a.Require("out", "where to write the grids (GeoJSON)");

        if (a.Get("units") is null) throw new CliException("--units is required: buildings with households (GeoJSON)");
        foreach (var option in new[] { "units", "areas", "compounds", "barriers", "special-areas", "existing" })
            if (a.Get(option) is { } given && !File.Exists(given)) throw new CliException($"--{option} {given} does not exist");

        // A tiny warm-up keeps JIT compilation out of the reported seconds; it needs none of the files, so it runs while
        // they are read.
        var warmUp = Task.Run(() => GridPartitioner.Partition(WarmUp.Input));
        var problems = new List<FeatureProblem>();
        async Task<T?> Read<T>(string option, Func<string, byte[], List<FeatureProblem>, T> reader) where T : class =>
            a.Get(option) is { } path ? reader(Path.GetFileName(path), await File.ReadAllBytesAsync(path), problems) : null;
        var units = (await Read("units", PartitionFiles.ReadUnits))!;
        var areas = await Read("areas", PartitionFiles.ReadAreas);
        var compounds = await Read("compounds", PartitionFiles.ReadCompounds);
        var barriers = await Read("barriers", PartitionFiles.ReadBarriers);
        // The barriers file read again for its major roads: its problems are already listed once.
        var roads = await Read("barriers", (file, utf8, _) => PartitionFiles.ReadMajorRoads(file, utf8, []));
        var special = await Read("special-areas", PartitionFiles.ReadSpecialAreas);
        var existing = await Read("existing", PartitionFiles.ReadExisting);
        await warmUp;
        if (problems.Count > 0) throw new InvalidFeaturesException(problems);

        var result = GridPartitioner.Partition(new PartitionInput(units, areas, compounds, barriers, existing, bounds)
        {
            SpecialAreas = special,
            MajorRoads = roads,
        });

        await using (var file = File.Create(output)) PartitionFiles.WriteGrids(file, result.Grids);
        if (a.Get("report") is { } reportPath)
        {
            await using var file = File.Create(reportPath);
            PartitionFiles.WriteReport(file, result.Report);
        }
        var r = result.Report;
        // Dedicated grids (special areas, land with nobody) need no band: the share is of the basic grids.
        var basic = r.Grids - r.Dedicated;
        stdout.WriteLine($"{basic:N0} grids from {r.Units:N0} units ({r.Households:N0} households) in {r.Areas:N0} areas: " +
                         $"{r.InBand:N0} in {bounds.Min}–{bounds.Max} ({(basic == 0 ? 0 : 100.0 * r.InBand / basic):0.0} %), {r.Below} below, {r.Above} above" +
                         (r.Dedicated > 0 ? $"; {r.Dedicated:N0} dedicated grids" : "") + $"; {r.NarrowNecks.Count:N0} narrow necks ({r.NarrowNecks.Count(n => !n.Excused):N0} unexcused)" +
                         (r.CrossedRoads.Count > 0 ? $"; {r.CrossedRoads.Count:N0} major-road crossings ({r.CrossedRoads.Count(c => c.Reason == "none"):N0} without a reason)" : "") +
                         $"; {r.Seconds:0.000} s; gap {r.GapM2:0.##} m², overlap {r.OverlapM2:0.##} m²");
        return 0;
    }
}
